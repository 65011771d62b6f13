/**
 * The batched log destination: lines leave in whole-line writes of at most 4 KiB, within 10 ms of the first queued
 * one, and what is still queued when the process exits is written then.
 */
import { spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BatchedDestination } from "../src/log-destination.js";

function logFile() {
  const path = join(mkdtempSync(join(tmpdir(), "log-destination-")), "log.jsonl");
  return { path, fd: openSync(path, "a"), read: () => readFileSync(path, "utf8") };
}

describe("BatchedDestination", () => {
  it("holds lines briefly, then writes them together within the delay", async () => {
    const file = logFile();
    const destination = new BatchedDestination(file.fd);
    destination.write('{"n":1}\n');
    destination.write('{"n":2}\n');
    expect(file.read()).toBe("");
    await expect.poll(file.read, { timeout: 1000, interval: 5 }).toBe('{"n":1}\n{"n":2}\n');
    closeSync(file.fd);
  });

  it("writes at once when a batch would pass 4 KiB, in whole lines", () => {
    const file = logFile();
    const destination = new BatchedDestination(file.fd);
    const line = `{"pad":"${"x".repeat(990)}"}\n`;
    for (let index = 0; index < 5; index++) destination.write(line);
    const written = file.read();
    expect(written.length).toBeGreaterThan(0);
    expect(written.length).toBeLessThanOrEqual(4096);
    expect(written.endsWith("\n")).toBe(true);
    destination.flush();
    expect(file.read()).toBe(line.repeat(5));
    closeSync(file.fd);
  });

  it("writes what is queued when the process exits", () => {
    // The built module (the test run builds first), in a process that queues a line and ends at once.
    const script = `import { BatchedDestination } from ${JSON.stringify(new URL("../dist/log-destination.js", import.meta.url).href)};
      new BatchedDestination(1).write('{"last":true}\\n');`;
    const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 20_000 });
    expect(child.stderr).toBe("");
    expect(child.status).toBe(0);
    expect(child.stdout).toBe('{"last":true}\n');
  });
});
