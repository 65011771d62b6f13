/**
 * The Worker's request line for a long copy answered as S3 answers it (200 at once, kept alive): every byte sent
 * counted, and an error inside the 200 logged as that error, at error level. A client that leaves a kept-alive answer
 * is logged as a client that closed.
 */
import { request as httpRequest } from "node:http";
import { signedHeaders, startSlowStore, type SlowStore } from "@multistore/testing";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startWorker, type WorkerHandle } from "./helpers/worker-harness.js";

const KEY = { accessKeyId: "AKIALONGLINE0000001", secretAccessKey: "long-line-secret-00000000000000000000001" };

describe("worker: long copies in the request line", () => {
  let store: SlowStore;
  let worker: WorkerHandle;
  const lines: Record<string, unknown>[] = [];

  beforeAll(async () => {
    store = await startSlowStore({ chunks: 4, intervalMs: 300 });
    const config = {
      buckets: [
        { name: "files", backend_type: "r2", anonymous_access: false, backend_options: { binding: "FILES" } },
        { name: "slow", backend_type: "s3", anonymous_access: false, backend_options: { endpoint: store.endpoint, region: "us-east-1", bucket_name: "b", skip_signature: "true", force_path_style: "true" } },
      ],
      roles: [],
      credentials: [{ access_key_id: KEY.accessKeyId, secret_access_key: KEY.secretAccessKey, principal_name: "copier", created_at: "2024-01-01T00:00:00Z", enabled: true, allowed_scopes: [{ bucket: "*", prefixes: [], actions: ["get_object", "put_object"] }] }],
    };
    worker = await startWorker({
      bindings: { PROXY_CONFIG: JSON.stringify(config), KEEP_ALIVE_AFTER_MS: "200", KEEP_ALIVE_EVERY_MS: "100" },
      r2Buckets: ["FILES"],
      onLog: (line) => {
        if (line.startsWith("{") && line.includes('"requestId"')) lines.push(JSON.parse(line) as Record<string, unknown>);
      },
    });
  }, 60_000);

  afterAll(async () => {
    await worker?.close();
    await store?.close();
  });

  /** Signed CopyObject headers for `source` from the slow store into `files/key`. */
  const copyHeaders = (key: string, source: string) => signedHeaders(worker.endpoint, KEY, { method: "PUT", path: `/files/${key}`, headers: { "x-amz-copy-source": `/slow/${source}`, "x-amz-content-sha256": "UNSIGNED-PAYLOAD" } });

  /** Copies `source` into `files/key`: the answer's text and request id. */
  async function copy(key: string, source: string): Promise<{ text: string; requestId: string }> {
    const answer = await fetch(`${worker.endpoint}/files/${key}`, { method: "PUT", headers: await copyHeaders(key, source) });
    expect(answer.status).toBe(200);
    return { text: await answer.text(), requestId: answer.headers.get("x-amz-request-id")! };
  }

  /** The request line of request `requestId` (lines name no key). */
  const lineOf = (requestId: string) =>
    vi.waitFor(
      () => {
        const line = lines.find((entry) => entry.requestId === requestId);
        if (!line) throw new Error(`no line for ${requestId} yet`);
        return line;
      },
      { timeout: 10_000, interval: 50 },
    );

  it("logs a long copy that succeeded as a 200 with every byte it sent", async () => {
    const { text, requestId } = await copy("ok.bin", "slow.bin");
    expect(text).toMatch(/^<\?xml[^>]*\?>\n +<CopyObjectResult/);
    const line = await lineOf(requestId);
    expect(line).toMatchObject({ level: "info", status: 200, bytes: Buffer.byteLength(text) });
    expect(line.errorCode).toBeUndefined();
  });

  it("logs a long copy that failed inside its 200 as that failure, at error level", async () => {
    const { text, requestId } = await copy("broken.bin", "broken.bin");
    expect(text).toContain("<Code>ServiceUnavailable</Code>");
    expect(await lineOf(requestId)).toMatchObject({ level: "error", status: 200, errorCode: "ServiceUnavailable", bytes: Buffer.byteLength(text) });
  });

  it("logs a client that leaves a kept-alive answer as a client that closed", async () => {
    const headers = await copyHeaders("left.bin", "slow.bin");
    const requestId = await new Promise<string>((resolve, reject) => {
      const outgoing = httpRequest(`${worker.endpoint}/files/left.bin`, { method: "PUT", headers }, (response) => {
        // The answer started (the declaration came): the client goes.
        response.once("data", () => {
          outgoing.destroy();
          resolve(String(response.headers["x-amz-request-id"]));
        });
      });
      outgoing.on("error", () => undefined);
      outgoing.setTimeout(5000, () => reject(new Error("no answer started")));
      outgoing.end();
    });
    expect(await lineOf(requestId)).toMatchObject({ status: 499 });
  });
});
