/**
 * The batched log destination: lines leave in whole-line writes of at most a batch; request lines within 10 ms of
 * the first queued one, others at the end of the event-loop turn; what is still queued at exit is written then.
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { closeSync, constants, mkdtempSync, openSync, readFileSync, readSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BATCH, BatchedDestination, batchSizeFor, SHARED_PIPE_BATCH } from "../src/log-destination.js";

function logFile() {
  const path = join(mkdtempSync(join(tmpdir(), "log-destination-")), "log.jsonl");
  return { path, fd: openSync(path, "a"), read: () => readFileSync(path, "utf8") };
}

describe("BatchedDestination", () => {
  it("holds request lines briefly, then writes them together within the delay", async () => {
    const file = logFile();
    // A delay no slow machine outruns between two event-loop turns.
    const destination = new BatchedDestination(file.fd, SHARED_PIPE_BATCH, 300);
    destination.writeBatched('{"n":1}\n');
    destination.writeBatched('{"n":2}\n');
    await new Promise((resolve) => setImmediate(resolve));
    expect(file.read()).toBe("");
    await expect.poll(file.read, { timeout: 5000, interval: 5 }).toBe('{"n":1}\n{"n":2}\n');
    closeSync(file.fd);
  });

  it("writes other lines at the end of the event-loop turn, with the request lines queued before them", async () => {
    const file = logFile();
    const destination = new BatchedDestination(file.fd);
    destination.writeBatched('{"n":1}\n');
    destination.write('{"warn":true}\n');
    expect(file.read()).toBe("");
    await new Promise((resolve) => setImmediate(resolve));
    expect(file.read()).toBe('{"n":1}\n{"warn":true}\n');
    closeSync(file.fd);
  });

  it("writes at once when a batch would pass its size, in whole lines", () => {
    const file = logFile();
    const destination = new BatchedDestination(file.fd, SHARED_PIPE_BATCH);
    const line = `{"pad":"${"x".repeat(990)}"}\n`;
    for (let index = 0; index < 5; index++) destination.writeBatched(line);
    const written = file.read();
    expect(written.length).toBeGreaterThan(0);
    expect(written.length).toBeLessThanOrEqual(4096);
    expect(written.endsWith("\n")).toBe(true);
    destination.flush();
    expect(file.read()).toBe(line.repeat(5));
    closeSync(file.fd);
  });

  it("batches up to PIPE_BUF only on a pipe shared with other processes", () => {
    const file = logFile();
    expect(batchSizeFor(file.fd, true)).toBe(BATCH);
    expect(batchSizeFor(file.fd, false)).toBe(BATCH);
    closeSync(file.fd);
    const child = spawnSync(
      process.execPath,
      ["--input-type=module", "-e", `import { batchSizeFor } from ${JSON.stringify(new URL("../dist/log-destination.js", import.meta.url).href)}; console.log(batchSizeFor(1, true), batchSizeFor(1, false));`],
      { encoding: "utf8", timeout: 20_000 },
    );
    // The child's stdout is a pipe here.
    expect(child.stdout.trim()).toBe(`${SHARED_PIPE_BATCH} ${BATCH}`);
  });

  it("writes what is queued when the process exits", () => {
    // The built module (the test run builds first), in a process that queues a line and ends at once.
    const script = `import { BatchedDestination } from ${JSON.stringify(new URL("../dist/log-destination.js", import.meta.url).href)};
      new BatchedDestination(1).writeBatched('{"last":true}\\n');`;
    const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 20_000 });
    expect(child.stderr).toBe("");
    expect(child.status).toBe(0);
    expect(child.stdout).toBe('{"last":true}\n');
  });

  it("costs one bounded wait, then drops lines, when its reader stops reading (a full pipe never freezes it)", () => {
    // Standard output is a FIFO the test holds open and never reads: a blocking write would hang there for good.
    const dir = mkdtempSync(join(tmpdir(), "log-destination-"));
    const fifo = join(dir, "stdout.fifo");
    execFileSync("mkfifo", [fifo]);
    const held = openSync(fifo, "r+");
    try {
      const script = `import { BatchedDestination } from ${JSON.stringify(new URL("../dist/log-destination.js", import.meta.url).href)};
        const destination = new BatchedDestination(1);
        const line = '{"pad":"${"x".repeat(200)}"}\\n';
        const started = Date.now();
        for (let batch = 0; batch < 200; batch++) { for (let index = 0; index < 16; index++) destination.writeBatched(line); destination.flush(); }
        process.stderr.write(JSON.stringify({ ms: Date.now() - started, dropped: destination.dropped }));`;
      const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 20_000, stdio: ["ignore", held, "pipe"] });
      expect(child.signal).toBeNull();
      const { ms, dropped } = JSON.parse(child.stderr) as { ms: number; dropped: number };
      // About 650 KiB against a 64 KiB pipe: one wait of a second, then lines dropped without waiting.
      expect(dropped).toBeGreaterThan(2000);
      expect(ms).toBeLessThan(5000);
    } finally {
      closeSync(held);
    }
  });

  it("drops what a full pipe does not take at once when told not to wait (a cluster's passed-on stderr)", () => {
    const dir = mkdtempSync(join(tmpdir(), "log-destination-"));
    const fifo = join(dir, "stdout.fifo");
    execFileSync("mkfifo", [fifo]);
    const held = openSync(fifo, "r+");
    try {
      const script = `import { BatchedDestination, SHARED_PIPE_BATCH } from ${JSON.stringify(new URL("../dist/log-destination.js", import.meta.url).href)};
        const destination = new BatchedDestination(1, SHARED_PIPE_BATCH, 10, 0);
        const line = '{"pad":"${"x".repeat(200)}"}\\n';
        const started = Date.now();
        for (let batch = 0; batch < 200; batch++) { for (let index = 0; index < 16; index++) destination.write(line); destination.flush(); }
        process.stderr.write(JSON.stringify({ ms: Date.now() - started, dropped: destination.dropped }));`;
      const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 20_000, stdio: ["ignore", held, "pipe"] });
      const { ms, dropped } = JSON.parse(child.stderr) as { ms: number; dropped: number };
      // About 650 KiB against a 64 KiB pipe: lines dropped, and no second-long wait for the reader first.
      expect(dropped).toBeGreaterThan(2000);
      expect(ms).toBeLessThan(900);
    } finally {
      closeSync(held);
    }
  });

  it("never cuts a line short under a reader slower than the writer: lines are whole or dropped", async () => {
    // Standard output is a FIFO the test reads 8 KiB of every 50 ms after a stall of 1.5 s, far slower than the
    // writer: writes to it are taken in part, and lines dropped.
    const dir = mkdtempSync(join(tmpdir(), "log-destination-"));
    const fifo = join(dir, "stdout.fifo");
    execFileSync("mkfifo", [fifo]);
    const reading = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const writing = openSync(fifo, constants.O_WRONLY);
    const script = `import { BatchedDestination, BATCH } from ${JSON.stringify(new URL("../dist/log-destination.js", import.meta.url).href)};
      const destination = new BatchedDestination(1, BATCH, 10);
      let n = 0;
      let rounds = 0;
      const timer = setInterval(() => {
        for (let index = 0; index < 200; index++) destination.write(JSON.stringify({ n: n++, pad: "x".repeat(900) }) + "\\n");
        if (++rounds === 20) { clearInterval(timer); setTimeout(() => process.stderr.write(JSON.stringify({ dropped: destination.dropped })), 50); }
      }, 200);`;
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", writing, "pipe"] });
    closeSync(writing);
    let stderr = "";
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    let running = true;
    child.once("exit", () => (running = false));
    // Its standard error (the count of dropped lines) may still be in the pipe at its exit.
    const stderrEnded = new Promise((resolve) => child.stderr!.once("close", resolve));
    const chunks: Buffer[] = [];
    const take = (size: number) => {
      const buffer = Buffer.alloc(size);
      try {
        const read = readSync(reading, buffer, 0, size, null);
        if (read > 0) chunks.push(buffer.subarray(0, read));
        return read;
      } catch {
        return -1; // EAGAIN: nothing there yet.
      }
    };
    await new Promise((resolve) => setTimeout(resolve, 1500));
    while (running) {
      take(8192);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    while (take(1 << 20) > 0);
    closeSync(reading);
    const lines = Buffer.concat(chunks).toString("utf8").split("\n").slice(0, -1);
    await stderrEnded;
    const { dropped } = JSON.parse(stderr) as { dropped: number };
    // The stall was reached (lines were dropped), and what arrived is whole lines, none cut and glued to another.
    expect(dropped).toBeGreaterThan(0);
    expect(lines.filter((line) => !/^\{"n":\d+,"pad":"x{900}"\}$/.test(line))).toEqual([]);
  }, 30_000);
});
