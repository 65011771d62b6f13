/**
 * The Worker under hostile or broken uploads: a body that fails its checks on its way to an S3 backend is answered
 * with the right 4xx and logs no uncaught error; a trailer flood is refused. A client that leaves mid-upload or
 * mid-download is logged as a client that closed (499, info), not as a failure.
 */
import { createServer, request as httpRequest, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { errorCode, signedHeaders, signedRawRequest } from "@multistore/testing";
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

describe("worker: clients that leave", () => {
  let worker: WorkerHandle;
  let origin: Server;
  const logs: string[] = [];
  const KEY_ALL = { accessKeyId: "AKIAWORKERLEAVE0001", secretAccessKey: "worker-leaving-secret-0000000000000000001" };

  beforeAll(async () => {
    origin = createServer((request, response) => {
      if (request.method === "PUT" && request.url!.endsWith("/dies")) {
        let received = 0;
        request.on("data", (chunk: Buffer) => {
          received += chunk.length;
          if (received > 256 * 1024) request.socket.destroy();
        });
        return;
      }
      if (request.method === "PUT") {
        request.resume();
        request.on("error", () => undefined);
        request.on("end", () => response.writeHead(200, { etag: '"stored"' }).end());
        return;
      }
      // 256 MiB, written as fast as the reader takes it.
      const chunk = Buffer.alloc(1 << 16, 98);
      let left = 4096;
      response.writeHead(200, { "content-length": String(left * chunk.length) });
      const pump = () => {
        while (left > 0) {
          left--;
          if (!response.write(chunk)) return;
        }
        response.end();
      };
      response.on("drain", pump);
      response.on("error", () => undefined);
      pump();
    });
    await new Promise<void>((resolve) => origin.listen(0, "127.0.0.1", resolve));
    const endpoint = `http://127.0.0.1:${(origin.address() as { port: number }).port}`;
    const config = {
      buckets: [
        { name: "data", backend_type: "s3", anonymous_access: false, backend_options: { endpoint, region: "us-east-1", bucket_name: "b", skip_signature: "true", force_path_style: "true" } },
        { name: "files", backend_type: "r2", anonymous_access: false, backend_options: { binding: "FILES" } },
      ],
      roles: [],
      credentials: [{ access_key_id: KEY_ALL.accessKeyId, secret_access_key: KEY_ALL.secretAccessKey, principal_name: "leaver", created_at: "2024-01-01T00:00:00Z", enabled: true, allowed_scopes: [{ bucket: "*", prefixes: [], actions: ["get_object", "put_object"] }] }],
    };
    worker = await startWorker({ bindings: { PROXY_CONFIG: JSON.stringify(config) }, r2Buckets: ["FILES"], onLog: (line) => logs.push(line) });
  }, 60_000);

  afterAll(async () => {
    await worker?.close();
    origin.closeAllConnections();
    await new Promise((resolve) => origin.close(resolve));
  });

  /** The first request line for `operation` (or with that request id) written after `logs[from]` (bounded wait). */
  async function lineAfter(from: number, operation: string, requestId?: string): Promise<Record<string, unknown>> {
    return vi.waitFor(
      () => {
        const found = logs
          .slice(from)
          .filter((line) => line.startsWith("{"))
          .map((line) => JSON.parse(line) as Record<string, unknown>)
          .find((line) => line.operation === operation && (requestId === undefined || line.requestId === requestId));
        if (!found) throw new Error(`no ${operation} line in: ${logs.slice(from).join("\n")}`);
        return found;
      },
      { timeout: 10_000, interval: 50 },
    );
  }

  it.each([
    ["a plain body", "data", {}],
    ["a body checked as it streams", "data", { "x-amz-checksum-crc32": "AAAAAA==" }],
    ["a plain body to R2", "files", {}],
    ["a body checked as it streams to R2", "files", { "x-amz-checksum-crc32": "AAAAAA==" }],
  ])("logs an upload of %s whose client leaves mid-body as 499 at info level", async (_, bucket, extra: Record<string, string>) => {
    const url = new URL(worker.endpoint);
    const headers = await signedHeaders(worker.endpoint, KEY_ALL, { method: "PUT", path: `/${bucket}/left-upload`, headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD", "content-length": String(8 << 20), ...extra } });
    const before = logs.length;
    await new Promise<void>((resolve) => {
      const request = httpRequest({ host: url.hostname, port: url.port, method: "PUT", path: `/${bucket}/left-upload`, headers });
      request.on("error", () => resolve());
      request.on("close", () => resolve());
      request.write(Buffer.alloc(1 << 20, 97), () => setTimeout(() => request.destroy(), 300));
    });
    const line = await lineAfter(before, "PutObject");
    expect(line).toMatchObject({ level: "info", status: 499, msg: "client closed", operation: "PutObject", principal: "leaver" });
    expect(logs.slice(before).filter((text) => /"level":"error"|uncaught/i.test(text))).toEqual([]);
  }, 30_000);

  it("logs a download whose client leaves mid-body as 499 at info level", async () => {
    const url = new URL(worker.endpoint);
    const headers = await signedHeaders(worker.endpoint, KEY_ALL, { method: "GET", path: "/data/left-download", headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" } });
    const before = logs.length;
    const status = await new Promise<number>((resolve, reject) => {
      const request = httpRequest({ host: url.hostname, port: url.port, method: "GET", path: "/data/left-download", headers }, (response) => {
        response.once("data", () => {
          request.destroy();
          resolve(response.statusCode ?? 0);
        });
      });
      request.on("error", () => undefined);
      request.on("close", () => reject(new Error("closed before any body")));
      request.end();
    });
    expect(status).toBe(200);
    const line = await lineAfter(before, "GetObject");
    expect(line).toMatchObject({ level: "info", status: 499, msg: "client closed", operation: "GetObject", bytes: 0 });
    expect(logs.slice(before).filter((text) => /"level":"error"|uncaught/i.test(text))).toEqual([]);
  }, 30_000);

  it("answers an upload whose backend dies mid-body with 503, logged as a failure", async () => {
    const before = logs.length;
    const response = await signedRawRequest(worker.endpoint, KEY_ALL, { method: "PUT", path: "/data/dies", headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" }, body: Buffer.alloc(4 << 20, 99) });
    expect([response.status, errorCode(response.text)]).toEqual([503, "ServiceUnavailable"]);
    expect(await lineAfter(before, "PutObject")).toMatchObject({ level: "error", status: 503 });
  }, 30_000);

  it("logs an upload's bytes received, plain and checked as it streams", async () => {
    for (const extra of [{}, { "x-amz-checksum-crc32": "MSSWVg==" }] as Record<string, string>[]) {
      const before = logs.length;
      const body = Buffer.alloc(300_000, 5);
      const response = await signedRawRequest(worker.endpoint, KEY_ALL, { method: "PUT", path: "/data/counted", headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD", ...extra }, body });
      expect(response.status).toBe(200);
      expect(await lineAfter(before, "PutObject", String(response.headers["x-amz-request-id"]))).toMatchObject({ level: "info", status: 200, bytesReceived: body.length });
    }
  }, 30_000);

  it("logs a download read to its end as 200 with its bytes", async () => {
    const before = logs.length;
    const response = await signedRawRequest(worker.endpoint, KEY_ALL, { method: "GET", path: "/data/whole", headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" } });
    expect(response.status).toBe(200);
    expect(response.headers["content-length"]).toBe(String(256 << 20));
    expect(response.body.length).toBe(256 << 20);
    expect(await lineAfter(before, "GetObject")).toMatchObject({ level: "info", status: 200, bytes: 256 << 20 });
  }, 30_000);
});
