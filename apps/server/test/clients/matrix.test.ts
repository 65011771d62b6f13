/**
 * Real S3 clients against the `multistore` CLI (a process, as users run it): HTTP and HTTPS (--tls-cert/--tls-key
 * with a test CA), --domain for virtual-hosted style, an fs bucket and an s3rver-backed bucket.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fsNativeBuckets, runClientMatrix } from "@multistore/testing";

const cli = join(import.meta.dirname, "../../dist/cli.js");

/** Starts the CLI and resolves with its endpoint once it logs its address. */
function startCli(args: string[], onRequestLine: (line: Record<string, unknown>) => void): Promise<{ endpoint: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [cli, "--listen", "127.0.0.1:0", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  let started = false;
  let pending = "";
  return new Promise((resolve, reject) => {
    child.stdout!.on("data", (chunk: Buffer) => {
      if (started) {
        // One JSON line per request (errors shown); a chunk may end mid-line.
        const text = pending + chunk.toString();
        const lines = text.split("\n");
        pending = lines.pop() ?? "";
        for (const line of lines) {
          if (/"level":(50|60)/.test(line)) console.error(line);
          if (line.includes('"requestId"')) onRequestLine(JSON.parse(line) as Record<string, unknown>);
        }
        return;
      }
      output += chunk.toString();
      const match = /"address":"(https?:\/\/[^"]+)"/.exec(output);
      if (match) {
        started = true;
        resolve({ endpoint: match[1]!, child });
      }
    });
    child.stderr!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      process.stderr.write(chunk);
    });
    child.once("exit", (code) => reject(new Error(`multistore exited ${code}: ${output}`)));
    // Never outlive the test process.
    process.once("exit", () => child.kill("SIGKILL"));
  });
}

const dir = mkdtempSync(join(tmpdir(), "multistore-client-matrix-node-"));
let configs = 0;

runClientMatrix("node server (multistore CLI)", {
  native: fsNativeBuckets(join(dir, "fs")),
  nativeLabel: "fs",
  nativeShared: true,
  async start(config, { domain, tls, onRequestLine }) {
    const file = join(dir, `config-${configs++}.json`);
    writeFileSync(file, JSON.stringify(config));
    const { endpoint, child } = await startCli(["--config", file, "--domain", domain, ...(tls ? ["--tls-cert", tls.certPath, "--tls-key", tls.keyPath] : [])], onRequestLine);
    return {
      endpoint,
      close: () =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null) return resolve();
          child.once("exit", () => resolve());
          child.kill("SIGTERM");
        }),
    };
  },
  close: () => rm(dir, { recursive: true, force: true }),
});
