/**
 * `wrangler dev` serves the embedded default config from local R2 storage with no cloud account. wrangler is
 * stopped through its process group: killing only the npx/node pid would leave workerd running.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, realpathSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { errorCode, rawRequest, signedRawRequest } from "@multistore/testing";

const appDir = join(import.meta.dirname, "..");
const DEV_KEY = { accessKeyId: "MULTISTOREDEVKEY0001", secretAccessKey: "multistore-dev-secret-change-me-0000000000" };

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe("wrangler dev", () => {
  let child: ChildProcess | undefined;
  const persist = mkdtempSync(join(tmpdir(), "multistore-wrangler-dev-"));
  afterAll(() => {
    if (child?.pid) {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    rmSync(persist, { recursive: true, force: true });
  });

  it("serves the embedded default config", async () => {
    const port = await freePort();
    const wrangler = join(realpathSync(join(appDir, "node_modules/wrangler")), "bin/wrangler.js");
    child = spawn(process.execPath, [wrangler, "dev", "--ip", "127.0.0.1", "--port", String(port), "--persist-to", persist, "--show-interactive-dev-session=false"], {
      cwd: appDir,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", CI: "true" },
    });
    let output = "";
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`wrangler dev did not start:\n${output}`)), 60_000);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes("Ready on")) {
          clearTimeout(timer);
          resolve();
        }
      };
      child!.stdout!.on("data", onData);
      child!.stderr!.on("data", onData);
      child!.once("exit", (code) => reject(new Error(`wrangler dev exited ${code}:\n${output}`)));
    });
    const endpoint = `http://127.0.0.1:${port}`;
    const put = await signedRawRequest(endpoint, DEV_KEY, { method: "PUT", path: "/public/hello.txt", headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" }, body: "hello from wrangler dev" });
    expect(put.status).toBe(200);
    const get = await fetch(`${endpoint}/public/hello.txt`);
    expect(await get.text()).toBe("hello from wrangler dev");
    const denied = await fetch(`${endpoint}/private/hello.txt`);
    expect(denied.status).toBe(403);
    // Refused before its 12 MiB body is read: the refusal must still reach the client (not a reset, not a 500).
    const refused = await rawRequest(endpoint, { method: "PUT", path: "/public/anonymous.bin", body: Buffer.alloc(12 << 20, 7) });
    expect([refused.status, errorCode(refused.text)]).toEqual([403, "AccessDenied"]);
    const unsigned = await rawRequest(endpoint, { method: "PUT", path: "/private/unsigned.bin", body: Buffer.alloc(12 << 20, 7) });
    expect([unsigned.status, errorCode(unsigned.text)]).toEqual([403, "AccessDenied"]);
    process.kill(-child.pid!, "SIGTERM");
    await new Promise((resolve) => child!.once("exit", resolve));
  }, 90_000);
});
