/**
 * The Worker under hostile or broken uploads: a body that fails its checks on its way to an S3 backend is answered
 * with the right 4xx and logs no uncaught error; a trailer flood is refused.
 */
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorCode, signedRawRequest } from "@multistore/testing";
import { startWorker, type WorkerHandle } from "./helpers/worker-harness.js";

const KEY = { accessKeyId: "AKIAWORKERHARD00001", secretAccessKey: "worker-hardening-secret-000000000000001" };

describe("worker: uploads that fail their checks on the way to an S3 backend", () => {
  let worker: WorkerHandle;
  let origin: Server;
  const logs: string[] = [];

  beforeAll(async () => {
    origin = createServer((request, response) => {
      request.resume();
      request.on("error", () => undefined);
      request.on("end", () => response.writeHead(200, { etag: '"stored"' }).end());
    });
    await new Promise<void>((resolve) => origin.listen(0, "127.0.0.1", resolve));
    const endpoint = `http://127.0.0.1:${(origin.address() as { port: number }).port}`;
    const config = {
      buckets: [{ name: "data", backend_type: "s3", anonymous_access: false, backend_options: { endpoint, region: "us-east-1", bucket_name: "b", skip_signature: "true", force_path_style: "true" } }],
      roles: [],
      credentials: [{ access_key_id: KEY.accessKeyId, secret_access_key: KEY.secretAccessKey, principal_name: "uploader", created_at: "2024-01-01T00:00:00Z", enabled: true, allowed_scopes: [{ bucket: "*", prefixes: [], actions: ["put_object"] }] }],
    };
    worker = await startWorker({ bindings: { PROXY_CONFIG: JSON.stringify(config) }, onLog: (line) => logs.push(line) });
  }, 60_000);

  afterAll(async () => {
    await worker?.close();
    await new Promise((resolve) => origin.close(resolve));
  });

  it("answers BadDigest, XAmzContentSHA256Mismatch and MalformedTrailerError, and logs nothing uncaught", async () => {
    const put = (path: string, headers: Record<string, string>, body: string | Buffer) => signedRawRequest(worker.endpoint, KEY, { method: "PUT", path, headers, body });
    const checksum = await put("/data/a", { "x-amz-content-sha256": "UNSIGNED-PAYLOAD", "x-amz-checksum-crc32": "AAAAAA==" }, Buffer.alloc(3 << 20, 1));
    expect([checksum.status, errorCode(checksum.text)]).toEqual([400, "BadDigest"]);
    const digest = await put("/data/b", { "x-amz-content-sha256": "a".repeat(64) }, "hello");
    expect([digest.status, errorCode(digest.text)]).toEqual([400, "XAmzContentSHA256Mismatch"]);
    const flood = await put(
      "/data/c",
      { "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER", "content-encoding": "aws-chunked", "x-amz-decoded-content-length": "3", "x-amz-trailer": "x-amz-checksum-crc32" },
      `3\r\nabc\r\n0\r\nx-amz-checksum-crc32:NSRBwg==\r\n${"x-a:b\r\n".repeat(2000)}\r\n`,
    );
    expect([flood.status, errorCode(flood.text)]).toEqual([400, "MalformedTrailerError"]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(logs.filter((line) => /uncaught/i.test(line))).toEqual([]);
  });
});
