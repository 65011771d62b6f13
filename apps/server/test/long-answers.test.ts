/**
 * What the request line and after-middleware learn of a long copy answered as S3 answers it (200 at once, kept
 * alive): the bytes sent, and an error inside the 200 logged as that error, at error level.
 */
import { mkdtemp, rm, stat } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfig } from "@multistore/config";
import type { Middleware, RequestContext, RequestOutcome } from "@multistore/core";
import { signedHeaders, startSlowStore, type SlowStore } from "@multistore/testing";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createLogger, createMultistoreServer, type MultistoreServer } from "../src/index.js";

const KEY = { accessKeyId: "AKIALONGLINE0000001", secretAccessKey: "long-line-secret-00000000000000000000001" };

describe("long copies in the request line", () => {
  let server: MultistoreServer;
  let store: SlowStore;
  let root: string;
  let endpoint: string;
  const outcomes: { context: RequestContext; outcome: RequestOutcome }[] = [];
  const lines: Record<string, unknown>[] = [];

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "multistore-long-line-"));
    store = await startSlowStore({ chunks: 4, intervalMs: 300 });
    const config = parseConfig({
      buckets: [
        { name: "files", backend_type: "fs", anonymous_access: false, backend_options: { root } },
        { name: "slow", backend_type: "s3", anonymous_access: false, backend_options: { endpoint: store.endpoint, region: "us-east-1", bucket_name: "b", skip_signature: "true", force_path_style: "true" } },
      ],
      roles: [],
      credentials: [{ access_key_id: KEY.accessKeyId, secret_access_key: KEY.secretAccessKey, principal_name: "copier", created_at: "2024-01-01T00:00:00Z", enabled: true, allowed_scopes: [{ bucket: "*", prefixes: [], actions: ["get_object", "put_object"] }] }],
    });
    const recorder: Middleware = { name: "recorder", after: (context, outcome) => void outcomes.push({ context, outcome }) };
    server = createMultistoreServer({
      config,
      logger: createLogger("info", { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) }),
      middleware: [recorder],
      keepAlive: { afterMs: 200, everyMs: 100 },
    });
    endpoint = `http://127.0.0.1:${(await server.listen(0, "127.0.0.1")).port}`;
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    await store?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  /** Copies `source` from the slow store into `files/key`: the answer's text. */
  async function copy(key: string, source: string): Promise<string> {
    const path = `/files/${key}`;
    const headers = await signedHeaders(endpoint, KEY, { method: "PUT", path, headers: { "x-amz-copy-source": `/slow/${source}`, "x-amz-content-sha256": "UNSIGNED-PAYLOAD" } });
    const answer = await fetch(`${endpoint}${path}`, { method: "PUT", headers });
    expect(answer.status).toBe(200);
    return answer.text();
  }

  /** The line and the outcome of the copy into `key`. */
  async function reported(key: string) {
    return vi.waitFor(
      () => {
        const line = lines.find((entry) => entry.operation === "CopyObject" && entry.requestId === outcomes.find((found) => found.context.key === key)?.context.requestId);
        const outcome = outcomes.find((found) => found.context.key === key)?.outcome;
        if (!line || !outcome) throw new Error(`no line for ${key} yet`);
        return { line, outcome };
      },
      { timeout: 5000, interval: 20 },
    );
  }

  it("logs a long copy that succeeded as a 200 with every byte it sent", async () => {
    const text = await copy("ok.bin", "slow.bin");
    expect(text).toContain("<CopyObjectResult");
    const { line, outcome } = await reported("ok.bin");
    expect(line).toMatchObject({ level: 30, status: 200, bytes: Buffer.byteLength(text) });
    expect(line.errorCode).toBeUndefined();
    expect(outcome).toMatchObject({ status: 200, bytesSent: Buffer.byteLength(text) });
    expect((await stat(join(root, "ok.bin"))).size).toBe(store.objects["slow.bin"]!.length);
  });

  it("logs a long copy that failed inside its 200 as that failure, at error level", async () => {
    const text = await copy("broken.bin", "broken.bin");
    expect(text).toContain("<Code>ServiceUnavailable</Code>");
    const { line, outcome } = await reported("broken.bin");
    expect(line).toMatchObject({ level: 50, status: 200, errorCode: "ServiceUnavailable", bytes: Buffer.byteLength(text) });
    expect(outcome).toMatchObject({ status: 200, errorCode: "ServiceUnavailable", errorStatus: 503 });
  });

  it("logs a client that leaves a kept-alive answer as a client that closed, and stops the copy", async () => {
    const path = "/files/left.bin";
    const headers = await signedHeaders(endpoint, KEY, { method: "PUT", path, headers: { "x-amz-copy-source": "/slow/slow.bin", "x-amz-content-sha256": "UNSIGNED-PAYLOAD" } });
    await new Promise<void>((resolve, reject) => {
      const outgoing = httpRequest(`${endpoint}${path}`, { method: "PUT", headers }, (response) => {
        // The answer started (the declaration came): the client goes.
        response.once("data", () => {
          outgoing.destroy();
          resolve();
        });
      });
      outgoing.on("error", () => undefined);
      outgoing.setTimeout(5000, () => reject(new Error("no answer started")));
      outgoing.end();
    });
    const { line } = await reported("left.bin");
    expect(line).toMatchObject({ status: 499 });
    // The copy stopped with its client: nothing was written.
    await new Promise((resolve) => setTimeout(resolve, store.readMs));
    await expect(stat(join(root, "left.bin"))).rejects.toMatchObject({ code: "ENOENT" });
  });
});
