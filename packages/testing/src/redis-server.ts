/**
 * Test harness that runs a real `redis-server` (Debian's package `redis-server`; `.ci/run` installs it) on 127.0.0.1
 * with a port the OS chose, no persistence and no protected-mode surprises, in a fresh temporary directory removed on
 * close. `stop()` and `restart()` let a test take Redis away and bring it back on the same port (an outage).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./free-port.js";

/** A running redis-server. */
export interface RedisServerHandle {
  /** `redis://127.0.0.1:<port>`. */
  url: string;
  /** Its port. */
  port: number;
  /** Stops it (an outage); `restart` brings it back on the same port, empty. */
  stop(): Promise<void>;
  /** Starts it again after `stop`. */
  restart(): Promise<void>;
  /** Stops it and removes its directory. Safe to call more than once. */
  close(): Promise<void>;
}

/** Options of {@link startRedisServer}. */
export interface StartRedisServerOptions {
  /** The binary (default `redis-server` on PATH, else `/usr/bin/redis-server`). */
  binary?: string;
  /** How long to wait for it to accept connections, in ms (default 10000). */
  startupTimeoutMs?: number;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.write("PING\r\n");
      socket.once("data", (data) => {
        socket.destroy();
        resolve(data.toString().startsWith("+PONG"));
      });
    });
    socket.once("error", () => resolve(false));
  });
}

/** Starts redis-server; rejects naming the package to install when the binary is missing. */
export async function startRedisServer(options: StartRedisServerOptions = {}): Promise<RedisServerHandle> {
  const binary = options.binary ?? "redis-server";
  const directory = await mkdtemp(join(tmpdir(), "multistore-redis-"));
  const port = await freePort();
  let child: ChildProcess | undefined;

  async function start(): Promise<void> {
    const output: string[] = [];
    const process = spawn(binary, ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", directory], { stdio: ["ignore", "pipe", "pipe"] });
    child = process;
    process.stdout?.on("data", (chunk: Buffer) => output.push(chunk.toString()));
    process.stderr?.on("data", (chunk: Buffer) => output.push(chunk.toString()));
    const failed = new Promise<never>((_, reject) => {
      process.once("error", (error) => reject(new Error(`cannot run ${binary} (install Debian's redis-server): ${error.message}`)));
      process.once("exit", (code) => reject(new Error(`${binary} exited with ${code}: ${output.join("").slice(-2000)}`)));
    });
    failed.catch(() => {});
    const deadline = Date.now() + (options.startupTimeoutMs ?? 10_000);
    while (Date.now() < deadline) {
      if (await Promise.race([accepts(port), failed])) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    process.kill("SIGKILL");
    throw new Error(`${binary} did not accept connections on port ${port} in time: ${output.join("").slice(-2000)}`);
  }

  async function stop(): Promise<void> {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once("exit", () => resolve()));
    running.kill("SIGKILL");
    await exited;
  }

  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop,
    restart: start,
    async close() {
      await stop();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
