/**
 * Starting `multistore --workers N` for the cluster tests: a child process whose JSON log lines (standard output and
 * error) can be waited for.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import { freePort } from "@multistore/testing";

/** The server's built CLI. */
export const cli = join(import.meta.dirname, "../../dist/cli.js");

/** A started cluster. */
export interface Started {
  child: ChildProcess;
  endpoint: string;
  /** Everything the cluster wrote to its standard error so far. */
  stderr: () => string;
  lines: () => Record<string, unknown>[];
  waitFor: (predicate: (line: Record<string, unknown>) => boolean, timeoutMs?: number) => Promise<Record<string, unknown>>;
}

/** Starts the cluster on a port of its own: workers that all died rebind it (port 0 would give them another). */
export async function startCluster(config: string, workers: number, nodeArguments: string[] = []): Promise<Started> {
  const port = await freePort();
  const child = spawn(process.execPath, [...nodeArguments, cli, "--config", config, "--listen", `127.0.0.1:${port}`, "--workers", String(workers)], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  let stderr = "";
  const parsed = () =>
    output
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  const waitFor = (predicate: (line: Record<string, unknown>) => boolean, timeoutMs = 15_000) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const check = () => {
        const found = parsed().find(predicate);
        if (!found) return false;
        clearTimeout(timer);
        child.stdout!.off("data", check);
        resolve(found);
        return true;
      };
      const timer = setTimeout(() => {
        child.stdout!.off("data", check);
        reject(new Error(`no such log line within ${timeoutMs} ms:\n${output}`));
      }, timeoutMs);
      if (!check()) child.stdout!.on("data", check);
    });
  child.stdout!.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr!.on("data", (chunk: Buffer) => {
    output += chunk.toString();
    stderr += chunk.toString();
  });
  return waitFor((line) => line.role === "primary" && line.msg === "multistore listening").then((line) => ({
    child,
    endpoint: String(line.address),
    stderr: () => stderr,
    lines: parsed,
    waitFor,
  }));
}

/** Resolves with how the child ended, once its pipes closed too. */
export function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  // "close", not "exit": the last log lines may still be in the pipes when the primary exits.
  return new Promise((resolve) => child.once("close", (code, signal) => resolve({ code, signal })));
}

/** Whether a process with this pid is still running. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts two workers serving a fresh directory as bucket `files` (anonymous reads, `hello.txt` holding `hello`), runs
 * `body`, then stops them (SIGTERM: exit code 0) and removes the directory. `nodeArguments` go before the CLI.
 */
export async function withFsCluster(name: string, hello: string, body: (started: Started, config: string) => Promise<void>, nodeArguments: (dir: string) => Promise<string[]> = async () => []): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), `multistore-cluster-${name}-`));
  const config = join(dir, "config.json");
  await writeFile(join(dir, "hello.txt"), hello);
  await writeFile(config, JSON.stringify({ buckets: [{ name: "files", backend_type: "fs", anonymous_access: true, backend_options: { root: dir } }], roles: [], credentials: [] }));
  const started = await startCluster(config, 2, await nodeArguments(dir));
  try {
    await body(started, config);
    started.child.kill("SIGTERM");
    expect((await exited(started.child)).code).toBe(0);
  } finally {
    if (started.child.exitCode === null) started.child.kill("SIGKILL");
    await rm(dir, { recursive: true, force: true });
  }
}
