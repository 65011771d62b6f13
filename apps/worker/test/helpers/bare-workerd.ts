/**
 * Runs the deployed Worker bundle under workerd itself (the release wrangler runs, see `workerdBinary`), without
 * miniflare's entry worker in front: what a client sees of a response then depends on the Worker and workerd alone,
 * and the compatibility flags are the test's to choose.
 */
import { spawn } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { bundleEntry, bundleWorker, workerdBinary } from "./worker-harness.js";

/** A capnp text literal. JSON's escapes for quotes, backslashes and `\n`/`\t` are capnp's too; other controls are not. */
function capnpText(value: string): string {
  for (const character of value) {
    const code = character.charCodeAt(0);
    if (code < 0x20 && character !== "\n" && character !== "\t") throw new Error("a binding for bare workerd holds a control character");
  }
  return JSON.stringify(value);
}

/** How long workerd may take to report its port. */
const START_TIMEOUT_MS = 20_000;

/**
 * Starts workerd serving the bundle with text bindings, on a port it picks (reported on its control descriptor, so
 * no other process can hold it); `close` stops it and removes its files.
 */
export async function startBareWorkerd(options: {
  bindings: Record<string, string>;
  /** Compatibility flags (default: the Worker's, `enable_request_signal`). */
  compatibilityFlags?: string[];
  onLog?: (line: string) => void;
}): Promise<{ endpoint: string; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), "multistore-bare-workerd-"));
  copyFileSync(bundleEntry(bundleWorker()), join(dir, "worker.js"));
  const bindings = Object.entries(options.bindings).map(([name, value]) => `(name = ${capnpText(name)}, text = ${capnpText(value)})`);
  const flags = (options.compatibilityFlags ?? ["enable_request_signal"]).map(capnpText);
  writeFileSync(
    join(dir, "config.capnp"),
    `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .worker), (name = "loopback", network = (allow = ["local"])) ],
  sockets = [ (name = "http", address = "127.0.0.1:0", http = (), service = "main") ],
);
const worker :Workerd.Worker = (
  modules = [ (name = "worker.js", esModule = embed "worker.js") ],
  compatibilityDate = "2025-09-01",
  compatibilityFlags = [ ${flags.join(", ")} ],
  bindings = [ ${bindings.join(", ")} ],
  globalOutbound = "loopback",
);
`,
  );
  const child = spawn(await workerdBinary(), ["serve", join(dir, "config.capnp"), "--control-fd=3"], { stdio: ["ignore", "pipe", "pipe", "pipe"] });
  const output: string[] = [];
  for (const stream of [child.stdout!, child.stderr!]) {
    stream.on("data", (chunk: Buffer) => {
      for (const line of chunk.toString().split("\n").filter(Boolean)) {
        output.push(line);
        options.onLog?.(line);
      }
    });
  }
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const kill = () => child.kill("SIGKILL");
  process.once("exit", kill);
  const stop = async () => {
    process.off("exit", kill);
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`workerd reported no port within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
      child.once("exit", (code, signal) => reject(new Error(`workerd exited (${code ?? signal}): ${output.join("\n")}`)));
      let pending = "";
      (child.stdio[3] as Readable).on("data", (chunk: Buffer) => {
        pending += chunk.toString();
        for (;;) {
          const newline = pending.indexOf("\n");
          if (newline === -1) break;
          const message = JSON.parse(pending.slice(0, newline)) as { event?: string; socket?: string; port?: number };
          pending = pending.slice(newline + 1);
          if (message.event === "listen" && message.socket === "http" && message.port !== undefined) {
            clearTimeout(timer);
            resolve(message.port);
          }
        }
      });
    });
    return { endpoint: `http://127.0.0.1:${port}`, close: stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
