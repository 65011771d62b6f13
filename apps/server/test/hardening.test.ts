/**
 * Availability under abuse (Node server): stalled readers and writers cannot take other buckets' backend connections,
 * anonymous callers are capped per address, stalled peers are cut after the idle timeout (backend request aborted,
 * nothing left open), a silent backend is a bounded 503, and the log says what happened: a client that left is a
 * 499 at info level, and a backend's failure behind a listing's 503 is logged with its cause.
 */
import { Agent, request as httpRequest, type ClientRequest } from "node:http";
import { connect } from "node:net";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateMultipartUploadCommand, GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { parseConfig } from "@multistore/config";
import { errorCode, signedHeaders, signedRawRequest } from "@multistore/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger, createMultistoreServer, type MultistoreServer } from "../src/index.js";
import { ALL, IDLE_MS, KEY, origin, stalledGet, stalledPut, timed } from "./helpers/hardening-origin.js";

describe("hardening of the Node server", () => {
  let gateway: MultistoreServer;
  let endpoint: string;
  let root: string;
  let client: S3Client;
  const backend = origin();
  const lines: Record<string, unknown>[] = [];

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "multistore-hardening-"));
    await new Promise<void>((resolve) => backend.server.listen(0, "127.0.0.1", resolve));
    const options = { endpoint: `http://127.0.0.1:${(backend.server.address() as { port: number }).port}`, region: "us-east-1", bucket_name: "b", skip_signature: "true", force_path_style: "true" };
    const config = parseConfig({
      buckets: [
        { name: "public", backend_type: "s3", anonymous_access: true, backend_options: options },
        { name: "other", backend_type: "s3", anonymous_access: false, backend_options: options },
        { name: "third", backend_type: "s3", anonymous_access: false, backend_options: options },
        { name: "files", backend_type: "fs", anonymous_access: false, backend_options: { root } },
      ],
      roles: [],
      credentials: [{ access_key_id: KEY.accessKeyId, secret_access_key: KEY.secretAccessKey, principal_name: "tester", created_at: "2024-01-01T00:00:00Z", enabled: true, allowed_scopes: [{ bucket: "*", prefixes: [], actions: ALL }] }],
    });
    const destination = { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) };
    gateway = createMultistoreServer({
      config,
      logger: createLogger("info", destination),
      limits: { idleTimeoutMs: IDLE_MS, headersTimeoutMs: 1500, connectTimeoutMs: 1000, bucketConnections: 16, bucketQueueMs: 500, anonymousRequestsPerAddress: 8 },
    });
    endpoint = `http://127.0.0.1:${(await gateway.listen(0, "127.0.0.1")).port}`;
    client = new S3Client({ endpoint, region: "us-east-1", forcePathStyle: true, credentials: KEY, maxAttempts: 1 });
  }, 60_000);

  afterAll(async () => {
    await gateway?.close();
    backend.server.closeAllConnections();
    await new Promise((resolve) => backend.server.close(resolve));
    await rm(root, { recursive: true, force: true });
  });

  it("260 anonymous readers that never read leave other buckets answering at once, and are cut after the idle timeout", async () => {
    const attempts = await Promise.allSettled(Array.from({ length: 260 }, () => stalledGet(`${endpoint}/public/big`)));
    const stalled = attempts.filter((attempt) => attempt.status === "fulfilled").map((attempt) => attempt.value);
    // Eight per address get through; the rest are told to slow down instead of waiting.
    expect(stalled.filter((reader) => reader.status === 200)).toHaveLength(8);
    expect(stalled.filter((reader) => reader.status === 503)).toHaveLength(252);
    const other = await timed(() => client.send(new GetObjectCommand({ Bucket: "other", Key: "small" })));
    expect(other.ms).toBeLessThan(1000);
    expect(await other.value.Body!.transformToString()).toBe("ok");
    // The server cuts the readers after the idle timeout (a reset: they see it once they read again), and their
    // backend requests with them.
    await expect.poll(() => backend.open(), { timeout: 5000, interval: 50 }).toBe(0);
    expect(lines.filter((line) => line.bucket === "public" && line.status === 499 && line.errorCode === "RequestTimeout")).toHaveLength(8);
    for (const reader of stalled) reader.request.destroy();
  }, 30_000);

  it("counts anonymous listings in flight against the cap per address, and counts them out when answered", async () => {
    const listings = Array.from({ length: 8 }, () => fetch(`${endpoint}/public?list-type=2&prefix=hold`));
    await expect.poll(() => backend.held(), { timeout: 3000, interval: 20 }).toBe(8);
    // The address has eight requests in flight: a ninth listing, and a read, are told to slow down.
    const ninth = await fetch(`${endpoint}/public?list-type=2&prefix=hold`);
    expect([ninth.status, ninth.headers.get("retry-after"), await ninth.text()]).toEqual([503, "1", expect.stringContaining("<Code>SlowDown</Code>")]);
    const read = await fetch(`${endpoint}/public/small`);
    expect(read.status).toBe(503);
    await read.text();
    expect(backend.held()).toBe(8);
    // Signed callers are not counted.
    const signed = await client.send(new GetObjectCommand({ Bucket: "other", Key: "small" }));
    expect(await signed.Body!.transformToString()).toBe("ok");
    backend.answerHeld();
    for (const listing of await Promise.all(listings)) {
      expect(listing.status).toBe(200);
      await listing.text();
    }
    const after = fetch(`${endpoint}/public?list-type=2&prefix=hold`);
    await expect.poll(() => backend.held(), { timeout: 3000, interval: 20 }).toBe(1);
    backend.answerHeld();
    const answered = await after;
    expect(answered.status).toBe(200);
    await answered.text();
  });

  it("260 authenticated uploads that go silent cannot take another bucket's connections, and are cut", async () => {
    const urls = await Promise.all(Array.from({ length: 260 }, (_, index) => getSignedUrl(client, new PutObjectCommand({ Bucket: "other", Key: `silent-${index}` }), { expiresIn: 60 })));
    const writers = urls.map(stalledPut);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const third = await timed(() => client.send(new GetObjectCommand({ Bucket: "third", Key: "small" })));
    expect(third.ms).toBeLessThan(1000);
    await Promise.all(writers.map((writer) => writer.closed));
    // Every slot is free again: the bucket serves at once.
    const after = await timed(() => client.send(new PutObjectCommand({ Bucket: "other", Key: "after", Body: "x" })));
    expect(after.ms).toBeLessThan(1000);
  }, 30_000);

  it("answers a backend that never answers with a bounded 503, logged once with its bucket", async () => {
    const silent = await timed(() => client.send(new GetObjectCommand({ Bucket: "other", Key: "silent" })).catch((error: { $metadata: { httpStatusCode: number } }) => error));
    expect((silent.value as { $metadata: { httpStatusCode: number } }).$metadata.httpStatusCode).toBe(503);
    expect(silent.ms).toBeLessThan(5000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const logged = lines.filter((line) => line.msg === "request failed" && line.bucket === "other" && line.operation === "GetObject" && line.status === 503);
    expect(logged).toHaveLength(1);
    expect(JSON.stringify(logged[0]!.err)).toMatch(/Timeout/);
  });

  it("closes a response whose backend stalls mid-body instead of holding the client", async () => {
    const url = await getSignedUrl(client, new GetObjectCommand({ Bucket: "other", Key: "stall-mid" }), { expiresIn: 60 });
    const outcome = await timed(
      () =>
        new Promise<{ status: number; bytes: number; complete: boolean }>((resolve) => {
          httpRequest(url, { agent: false }, (response) => {
            let bytes = 0;
            response.on("data", (chunk: Buffer) => (bytes += chunk.length));
            response.on("close", () => resolve({ status: response.statusCode ?? 0, bytes, complete: response.complete }));
          }).end();
        }),
    );
    expect(outcome.value).toMatchObject({ status: 200, bytes: 1000, complete: false });
    expect(outcome.ms).toBeLessThan(IDLE_MS * 4);
  });

  it("leaves an idle keep-alive connection alone between requests, and cuts its next request when that one stalls", async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await new Promise<{ status: number; socket: unknown }>((resolve, reject) => {
        const request = httpRequest(`${endpoint}/public/ok`, { agent }, (response) => {
          response.resume();
          response.on("end", () => resolve({ status: response.statusCode ?? 0, socket: request.socket }));
        });
        request.on("error", reject);
        request.end();
      });
      expect(first.status).toBe(200);
      // Idle for longer than the idle timeout: waiting for a next request is not a stall.
      await new Promise((resolve) => setTimeout(resolve, IDLE_MS * 2));
      const { request, status } = await new Promise<{ request: ClientRequest; status: number }>((resolve, reject) => {
        const request = httpRequest(`${endpoint}/public/big`, { agent }, (response) => {
          response.pause();
          resolve({ request, status: response.statusCode ?? 0 });
        });
        request.on("error", reject);
        request.end();
      });
      expect(status).toBe(200);
      expect(request.socket).toBe(first.socket);
      // Cut after the idle timeout (a reset the paused client sees only once it reads again): the log says so.
      const isCut = (line: Record<string, unknown>) => line.bucket === "public" && line.status === 499 && line.errorCode === "RequestTimeout";
      const before = lines.filter(isCut).length;
      await expect.poll(() => lines.filter(isCut), { timeout: IDLE_MS * 4, interval: 50 }).toHaveLength(before + 1);
      request.destroy();
    } finally {
      agent.destroy();
    }
  });

  it("cuts an upload to the fs backend that goes silent, leaving no temp file open", async () => {
    const url = await getSignedUrl(client, new PutObjectCommand({ Bucket: "files", Key: "stalled.bin" }), { expiresIn: 60 });
    const writer = stalledPut(url);
    await writer.closed;
    // (Polled: the cleanup and the log line follow the cut, later on a loaded machine.)
    await expect.poll(() => readdir(join(root, ".multistore/tmp")), { timeout: 5000 }).toEqual([]);
    // What it sent before it stalled is counted (usage metering charges it): a cut upload is no free one.
    await expect.poll(() => lines, { timeout: 5000 }).toContainEqual(expect.objectContaining({ bucket: "files", operation: "PutObject", status: 499, errorCode: "RequestTimeout", msg: "client closed", bytesReceived: 10 }));
    // A client's stall is no failure of ours: no error line for the request besides its own.
    const { requestId } = lines.find((line) => line.bucket === "files" && line.operation === "PutObject" && line.status === 499)!;
    expect(lines.filter((line) => line.requestId === requestId && (line.level as number) >= 50)).toEqual([]);
  });

  it("answers small bodies that fail their checks before the fs backend reads them 400, and keeps serving", async () => {
    // The fs backend looks the upload (or, for a conditional write, the object) up before it reads the body: a small
    // body has failed its checksum by then, with no reader yet (the process died of that unheard error).
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: "files", Key: "checked/part" }));
    const body = Buffer.alloc(1000, 66);
    const wrong = Buffer.from([0, 0, 0, 1]).toString("base64");
    const part = await signedRawRequest(endpoint, KEY, { method: "PUT", path: "/files/checked/part", query: { partNumber: "1", uploadId: UploadId! }, headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD", "x-amz-checksum-crc32": wrong }, body });
    expect([part.status, errorCode(part.text)]).toEqual([400, "BadDigest"]);
    const conditional = await signedRawRequest(endpoint, KEY, { method: "PUT", path: "/files/checked/object", headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD", "x-amz-checksum-crc32": wrong, "if-none-match": "*" }, body });
    expect([conditional.status, errorCode(conditional.text)]).toEqual([400, "BadDigest"]);
    const after = await client.send(new PutObjectCommand({ Bucket: "files", Key: "checked/after", Body: "still serving" }));
    expect(after.$metadata.httpStatusCode).toBe(200);
  });

  it("logs a DeleteObjects body that stalls as the client's (499), with no error line", async () => {
    const url = new URL(endpoint);
    const headers = await signedHeaders(endpoint, KEY, { method: "POST", path: "/other", query: { delete: "" }, headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD", "content-length": "100" } });
    const head = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join("");
    await new Promise<void>((resolve) => {
      const socket = connect(Number(url.port), "127.0.0.1", () => {
        // Declares 100 bytes, sends 8 and goes silent: the idle timeout cuts it.
        socket.write(`POST /other?delete= HTTP/1.1\r\n${head}\r\n<Delete>`);
      });
      socket.on("error", () => undefined);
      socket.on("close", () => resolve());
    });
    await expect.poll(() => lines.find((line) => line.operation === "DeleteObjects"), { timeout: 3000, interval: 20 }).toMatchObject({ status: 499 });
    const line = lines.find((entry) => entry.operation === "DeleteObjects")!;
    expect(lines.filter((entry) => entry.requestId === line.requestId && (entry.level as number) >= 50)).toEqual([]);
  });

  it("logs a client that leaves mid-response as 499 at info level, not as a failure", async () => {
    const before = lines.length;
    const url = await getSignedUrl(client, new GetObjectCommand({ Bucket: "other", Key: "big" }), { expiresIn: 60 });
    await new Promise<void>((resolve) => {
      const request = httpRequest(url, { agent: false }, (response) => {
        response.once("data", () => {
          request.destroy();
          resolve();
        });
      });
      request.on("error", () => undefined);
      request.end();
    });
    await expect
      .poll(() => lines.slice(before).find((entry) => entry.operation === "GetObject"), { timeout: 3000, interval: 20 })
      .toMatchObject({ level: 30, status: 499, msg: "client closed", bucket: "other" });
  });

  it("survives clients that reset right after asking for an fs object, logging each as 499 and no failure", async () => {
    await client.send(new PutObjectCommand({ Bucket: "files", Key: "reset.txt", Body: "still here" }));
    const url = new URL(await getSignedUrl(client, new GetObjectCommand({ Bucket: "files", Key: "reset.txt" }), { expiresIn: 60 }));
    const before = lines.length;
    // The file is still being opened when the connection goes: the response's stream must not fail unheard.
    for (let round = 0; round < 20; round++) {
      await new Promise<void>((resolve) => {
        const socket = connect(Number(url.port), "127.0.0.1", () => {
          socket.write(`GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\n\r\n`);
          setImmediate(() => socket.resetAndDestroy());
        });
        socket.on("error", () => undefined);
        socket.on("close", () => resolve());
      });
    }
    await expect.poll(() => lines.slice(before).filter((entry) => entry.operation === "GetObject").length, { timeout: 3000, interval: 20 }).toBe(20);
    const logged = lines.slice(before);
    expect(logged.filter((entry) => entry.operation === "GetObject").map((entry) => entry.status)).toEqual(Array(20).fill(499));
    expect(logged.filter((entry) => (entry.level as number) >= 50)).toEqual([]);
    const response = await fetch(url);
    expect([response.status, await response.text()]).toEqual([200, "still here"]);
  });

  it("logs the backend's cause when a listing becomes a 503", async () => {
    const before = lines.length;
    const response = await fetch(`${endpoint}/public?list-type=2`);
    expect(response.status).toBe(503);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const line = lines.slice(before).find((entry) => entry.operation === "ListObjectsV2");
    expect(line).toMatchObject({ level: 50, status: 503, msg: "request failed" });
    expect(JSON.stringify(line!.err)).toContain("backend broke");
    // The error as it was: its own type and where it was thrown (pino's serializer made these "Object" and "").
    const err = line!.err as { type: string; stack?: string };
    expect(err.type).not.toBe("Object");
    expect(err.stack).toMatch(/\n\s+at /);
  });
});
