/**
 * The primary's lock table: one holder per name, in arrival order; a worker that exits frees what it held. The
 * worker's side: a wait for a grant ends when the primary goes.
 */
import { spawn } from "node:child_process";
import type { Worker } from "node:cluster";
import { describe, expect, it } from "vitest";
import { createLockTable } from "../src/cluster-locks.js";

function fakeWorker() {
  const granted: number[] = [];
  const worker = {
    isConnected: () => true,
    send: (message: { multistoreLock: string; id: number }) => {
      if (message.multistoreLock === "granted") granted.push(message.id);
      return true;
    },
  } as unknown as Worker;
  return { worker, granted };
}

describe("cluster lock table", () => {
  it("grants a name to one worker at a time, in arrival order", () => {
    const table = createLockTable();
    const a = fakeWorker();
    const b = fakeWorker();
    table.onMessage(a.worker, { multistoreLock: "acquire", id: 1, name: "key:/x" });
    table.onMessage(b.worker, { multistoreLock: "acquire", id: 7, name: "key:/x" });
    table.onMessage(b.worker, { multistoreLock: "acquire", id: 8, name: "key:/y" });
    expect(a.granted).toEqual([1]);
    expect(b.granted).toEqual([8]);
    table.onMessage(a.worker, { multistoreLock: "release", id: 1, name: "key:/x" });
    expect(b.granted).toEqual([8, 7]);
    table.onMessage(b.worker, { multistoreLock: "release", id: 7, name: "key:/x" });
    table.onMessage(b.worker, { multistoreLock: "release", id: 8, name: "key:/y" });
    expect(table.size()).toBe(0);
  });

  it("drops a waiter that gave up without disturbing the holder", () => {
    const table = createLockTable();
    const a = fakeWorker();
    const b = fakeWorker();
    table.onMessage(a.worker, { multistoreLock: "acquire", id: 1, name: "n" });
    table.onMessage(b.worker, { multistoreLock: "acquire", id: 2, name: "n" });
    table.onMessage(b.worker, { multistoreLock: "release", id: 2, name: "n" });
    table.onMessage(a.worker, { multistoreLock: "release", id: 1, name: "n" });
    expect(b.granted).toEqual([]);
    expect(table.size()).toBe(0);
  });

  it("frees the locks of a worker that exits and hands them on", () => {
    const table = createLockTable();
    const dead = fakeWorker();
    const next = fakeWorker();
    table.onMessage(dead.worker, { multistoreLock: "acquire", id: 1, name: "n" });
    table.onMessage(dead.worker, { multistoreLock: "acquire", id: 2, name: "m" });
    table.onMessage(next.worker, { multistoreLock: "acquire", id: 3, name: "n" });
    expect(next.granted).toEqual([]);
    table.onExit(dead.worker);
    expect(next.granted).toEqual([3]);
    table.onMessage(next.worker, { multistoreLock: "release", id: 3, name: "n" });
    expect(table.size()).toBe(0);
  });

  it("ignores messages that are not lock messages", () => {
    const table = createLockTable();
    expect(table.onMessage(fakeWorker().worker, { hello: 1 })).toBe(false);
    expect(table.onMessage(fakeWorker().worker, "text")).toBe(false);
  });
});

describe("cluster lock service (a worker's side)", () => {
  it("answers a write waiting for a grant 503 at once when the primary goes, not after the lock's wait", async () => {
    // A child asks this process, its "primary", for a lock that never comes; then its channel closes.
    const script = `import { clusterLockService } from ${JSON.stringify(new URL("../dist/cluster-locks.js", import.meta.url).href)};
      const started = Date.now();
      clusterLockService().acquire("name").then(() => console.log("granted"), (error) => console.log(JSON.stringify({ code: error.code, ms: Date.now() - started })));
      process.send({ ready: true });`;
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit", "ipc"] });
    let output = "";
    child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    // Its "ready", not its lock request, which comes first: disconnecting before "ready" is sent would fail that send.
    await new Promise<void>((resolve) => child.on("message", (message: { ready?: boolean }) => message.ready && resolve()));
    child.disconnect();
    // Its exit and the end of its output: the last line can still be in the pipe when it exits. (Not "close", which
    // never comes for a child whose channel this side disconnected.)
    await Promise.all([new Promise((resolve) => child.once("exit", resolve)), new Promise((resolve) => child.stdout!.once("close", resolve))]);
    const outcome = JSON.parse(output) as { code: string; ms: number };
    expect(outcome.code).toBe("ServiceUnavailable");
    expect(outcome.ms).toBeLessThan(10_000);
  }, 20_000);
});
