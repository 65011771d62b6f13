/**
 * Runs the deployed Worker bundle under workerd itself (the release wrangler runs, see `workerdBinary`), without
 * miniflare's entry worker in front: what a client sees of a response then depends on the Worker and workerd alone.
 */
import { spawn } from "node:child_process";
import { copyFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "@multistore/testing";
import { bundleEntry, bundleWorker, workerdBinary } from "./worker-harness.js";

/** A capnp text literal (C escapes, as JSON writes them for these characters). */
const capnpText = (value: string) => JSON.stringify(value);

/** Starts workerd serving the bundle on a free loopback port with text bindings; `close` stops it. */
export async function startBareWorkerd(options: { bindings: Record<string, string>; onLog?: (line: string) => void }): Promise<{ endpoint: string; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), "multistore-bare-workerd-"));
  copyFileSync(bundleEntry(bundleWorker()), join(dir, "worker.js"));
  const port = await freePort();
  const bindings = Object.entries(options.bindings).map(([name, value]) => `(name = ${capnpText(name)}, text = ${capnpText(value)})`);
  writeFileSync(
    join(dir, "config.capnp"),
    `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .worker), (name = "loopback", network = (allow = ["local"])) ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main") ],
);
const worker :Workerd.Worker = (
  modules = [ (name = "worker.js", esModule = embed "worker.js") ],
  compatibilityDate = "2025-09-01",
  compatibilityFlags = ["enable_request_signal"],
  bindings = [ ${bindings.join(", ")} ],
  globalOutbound = "loopback",
);
`,
  );
  const child = spawn(await workerdBinary(), ["serve", join(dir, "config.capnp")], { stdio: ["ignore", "pipe", "pipe"] });
  for (const stream of [child.stdout, child.stderr]) stream.on("data", (chunk: Buffer) => chunk.toString().split("\n").filter(Boolean).forEach((line) => options.onLog?.(line)));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  process.once("exit", () => child.kill("SIGKILL"));
  // Ready once the socket accepts (bounded).
  for (let tries = 0; ; tries++) {
    const accepted = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1", () => {
        socket.destroy();
        resolve(true);
      });
      socket.on("error", () => resolve(false));
    });
    if (accepted) break;
    if (tries > 100 || child.exitCode !== null) throw new Error("workerd did not start");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: async () => {
      child.kill("SIGTERM");
      await exited;
    },
  };
}
