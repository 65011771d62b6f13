/**
 * Streaming failure modes of the Node runtime: aborted uploads leave nothing behind, a backend that fails mid-body
 * breaks the client's connection instead of ending a short 200, an unreachable backend is a 503, and a client that
 * goes away aborts the backend request.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server } from "node:http";
import { spawnSync } from "node:child_process";
import { connect } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PutObjectCommand, S3Client, HeadObjectCommand } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { parseConfig } from "@multistore/config";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger, createMultistoreServer, type MultistoreServer } from "../src/index.js";

const KEY = { accessKeyId: "AKIASTREAMING000001", secretAccessKey: "streaming-secret-000000000000000000001" };
const ALL = ["get_object", "head_object", "put_object", "delete_object", "list_bucket"];

/** A stand-in backend for failure modes no real store produces on demand: it records requests and misbehaves. */
function misbehavingBackend() {
  const seen: { method: string; url: string; userAgent: string | undefined; closedEarly: boolean; bodyBytes: number; bodyComplete: boolean; settled: boolean }[] = [];
  const server: Server = createServer((request: IncomingMessage, response) => {
    const entry = { method: request.method!, url: request.url!, userAgent: request.headers["user-agent"], closedEarly: false, bodyBytes: 0, bodyComplete: false, settled: false };
    seen.push(entry);
    request.on("data", (chunk: Buffer) => (entry.bodyBytes += chunk.length));
    request.on("end", () => (entry.bodyComplete = true));
    response.on("close", () => {
      if (!response.writableFinished) entry.closedEarly = true;
      entry.settled = true;
    });
    if (request.method === "PUT") {
      request.on("end", () => response.writeHead(200, { etag: '"x"' }).end());
      request.on("error", () => undefined);
    } else if (request.url!.startsWith("/b/truncated")) {
      response.writeHead(200, { "content-length": "1000000", etag: '"x"' });
      response.write(Buffer.alloc(1000, 97));
      setTimeout(() => response.destroy(), 50);
    } else if (request.url!.startsWith("/b/moved")) {
      response.writeHead(301, { location: "https://internal-bucket.s3.us-west-2.amazonaws.com/moved.bin", "content-type": "application/xml" });
      response.end("<Error><Code>PermanentRedirect</Code><Endpoint>internal-bucket.s3.us-west-2.amazonaws.com</Endpoint></Error>");
    } else if (request.url!.startsWith("/b/unframed")) {
      // No length: chunked to the gateway, and delimited by the connection's end for an HTTP/1.0 client.
      response.writeHead(200, { etag: '"x"' });
      response.write(Buffer.alloc(1000, 97));
      setTimeout(() => response.destroy(), 50);
    } else if (request.url!.startsWith("/b/error-lookalike.xml")) {
      // An object (sent whole whatever part is asked for) whose bytes look like an S3 error document.
      response.writeHead(200, { "content-length": String(1 << 20), etag: '"x"' });
      response.write("<Error><Code>FromTheObject</Code></Error>");
    } else if (request.url!.startsWith("/b/endless")) {
      response.writeHead(200, { "content-length": String(1 << 30) });
      const timer = setInterval(() => response.write(Buffer.alloc(65536, 98)), 5);
      response.on("close", () => clearInterval(timer));
    } else {
      response.writeHead(404).end();
    }
  });
  return { server, seen };
}

describe("streaming through the Node server", () => {
  let gateway: MultistoreServer;
  let endpoint: string;
  let root: string;
  const fake = misbehavingBackend();
  const lines: Record<string, unknown>[] = [];
  let deadPort: number;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "multistore-streaming-"));
    await new Promise<void>((resolve) => fake.server.listen(0, "127.0.0.1", resolve));
    const fakePort = (fake.server.address() as { port: number }).port;
    const dead = createServer();
    await new Promise<void>((resolve) => dead.listen(0, "127.0.0.1", resolve));
    deadPort = (dead.address() as { port: number }).port;
    await new Promise((resolve) => dead.close(resolve));
    const config = parseConfig({
      buckets: [
        { name: "fs-bucket", backend_type: "fs", anonymous_access: false, backend_options: { root } },
        { name: "flaky", backend_type: "s3", anonymous_access: true, backend_options: { endpoint: `http://127.0.0.1:${fakePort}`, region: "us-east-1", bucket_name: "b", skip_signature: "true", force_path_style: "true" } },
        { name: "unreachable", backend_type: "s3", anonymous_access: true, backend_options: { endpoint: `http://127.0.0.1:${deadPort}`, region: "us-east-1", bucket_name: "b", skip_signature: "true", force_path_style: "true" } },
      ],
      roles: [],
      credentials: [{ ...{ access_key_id: KEY.accessKeyId, secret_access_key: KEY.secretAccessKey }, principal_name: "streamer", created_at: "2024-01-01T00:00:00Z", enabled: true, allowed_scopes: [{ bucket: "*", prefixes: [], actions: ALL }] }],
    });
    gateway = createMultistoreServer({ config, logger: createLogger("info", { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) }) });
    endpoint = `http://127.0.0.1:${(await gateway.listen(0, "127.0.0.1")).port}`;
  }, 60_000);

  afterAll(async () => {
    await gateway?.close();
    await new Promise((resolve) => fake.server.close(resolve));
    await rm(root, { recursive: true, force: true });
  });

  const client = () => new S3Client({ endpoint, region: "us-east-1", forcePathStyle: true, credentials: KEY });

  /** Starts a presigned PUT of `size` bytes, sends a part of it, then drops the connection. */
  async function abandonUpload(bucket: string, key: string) {
    const url = new URL(await getSignedUrl(client(), new PutObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: 60 }));
    await new Promise<void>((resolve) => {
      const request = httpRequest(url, { method: "PUT", headers: { "content-length": String(10 * 1024 * 1024) } });
      request.on("error", () => resolve());
      request.write(Buffer.alloc(1024 * 1024, 1));
      setTimeout(() => {
        request.destroy();
        setTimeout(resolve, 300);
      }, 200);
    });
  }

  it("leaves no object behind when the client abandons an upload (fs backend)", async () => {
    await abandonUpload("fs-bucket", "abandoned.bin");
    await expect(client().send(new HeadObjectCommand({ Bucket: "fs-bucket", Key: "abandoned.bin" }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
    // (Polled: the server notices the client is gone when it next reads, later on a loaded machine.)
    await expect.poll(async () => await readdir(join(root, ".multistore/tmp")).catch(() => []), { timeout: 5000 }).toEqual([]);
  });

  it("aborts the backend upload (never completes its body) when the client abandons it", async () => {
    // s3rver keeps whatever part of an aborted upload it received (real S3 discards it), so what we prove here is
    // our side of the contract: the backend request is torn down before its declared length was sent.
    await abandonUpload("flaky", "abandoned.bin");
    const entry = () => fake.seen.find((seen) => seen.method === "PUT" && seen.url.startsWith("/b/abandoned.bin"));
    await expect.poll(() => entry()?.settled, { timeout: 5000 }).toBe(true);
    expect(entry()!.bodyComplete).toBe(false);
    expect(entry()!.bodyBytes).toBeLessThan(10 * 1024 * 1024);
  });

  it("breaks the connection when the backend fails after the headers were sent", async () => {
    const outcome = await new Promise<{ status: number; received: number; error?: string }>((resolve) => {
      httpRequest(`${endpoint}/flaky/truncated.bin`, (response) => {
        let received = 0;
        response.on("data", (chunk: Buffer) => (received += chunk.length));
        response.on("end", () => resolve({ status: response.statusCode!, received }));
        response.on("error", (error) => resolve({ status: response.statusCode!, received, error: error.message }));
        response.on("aborted", () => resolve({ status: response.statusCode!, received, error: "aborted" }));
      })
        .on("error", (error) => resolve({ status: 0, received: 0, error: error.message }))
        .end();
    });
    expect(outcome.status).toBe(200);
    expect(outcome.received).toBeLessThan(1000000);
    expect(outcome.error).toBeDefined();
    // A failure of the backend's, logged as one (not as the client leaving, which would hide it).
    await expect.poll(() => lines.filter((line) => line.bucket === "flaky" && line.operation === "GetObject"), { timeout: 3000, interval: 20 }).toEqual([
      expect.objectContaining({ level: 50, status: 503, errorCode: "ServiceUnavailable", msg: "request failed" }),
    ]);
  });

  it("refuses a part the store sent whole at once, logging its own error code, never one read from the object", async () => {
    const response = await fetch(`${endpoint}/flaky/error-lookalike.xml?partNumber=2`);
    expect([response.status, await response.text()]).toEqual([416, expect.stringContaining("<Code>InvalidPartNumber</Code>")]);
    await expect.poll(() => lines.find((line) => line.bucket === "flaky" && line.status === 416), { timeout: 3000, interval: 20 }).toMatchObject({ errorCode: "InvalidPartNumber" });
  });

  it("answers a backend's redirect 503, sending the client neither its Location nor its document (they name the backend)", async () => {
    const response = await fetch(`${endpoint}/flaky/moved.bin`, { redirect: "manual" });
    const text = await response.text();
    expect([response.status, response.headers.get("location")]).toEqual([503, null]);
    expect(text).toContain("<Code>ServiceUnavailable</Code>");
    expect(text).not.toContain("internal-bucket");
  });

  it("resets an HTTP/1.0 client's connection when a body delimited by its end fails mid-way (a clean close would look complete)", async () => {
    const port = Number(new URL(endpoint).port);
    const outcome = await new Promise<{ received: string; error?: string }>((resolve) => {
      let received = "";
      const socket = connect(port, "127.0.0.1", () => socket.write("GET /flaky/unframed.bin HTTP/1.0\r\nHost: h\r\n\r\n"));
      socket.setEncoding("latin1");
      socket.on("data", (chunk: string) => (received += chunk));
      socket.on("error", (error: NodeJS.ErrnoException) => resolve({ received, error: error.code }));
      socket.on("end", () => resolve({ received }));
    });
    expect(outcome.received).toMatch(/^HTTP\/1\.1 200 /);
    expect(outcome.received).not.toMatch(/transfer-encoding|content-length/i);
    expect(outcome.error).toBe("ECONNRESET");
  });

  it("cuts such a body over HTTPS too, and a stalled TLS reader, resetting the TCP connection under TLS, and keeps serving", async () => {
    const dir = await mkdtemp(join(tmpdir(), "multistore-streaming-tls-"));
    try {
      const generated = spawnSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"), "-days", "1", "-subj", "/CN=127.0.0.1"], { encoding: "utf8" });
      expect(generated.status, generated.stderr).toBe(0);
      const fakePort = (fake.server.address() as { port: number }).port;
      const config = parseConfig({
        buckets: [{ name: "flaky", backend_type: "s3", anonymous_access: true, backend_options: { endpoint: `http://127.0.0.1:${fakePort}`, region: "us-east-1", bucket_name: "b", skip_signature: "true", force_path_style: "true" } }],
        roles: [],
        credentials: [],
      });
      const tlsLines: Record<string, unknown>[] = [];
      const secure = createMultistoreServer({
        config,
        limits: { idleTimeoutMs: 500 },
        tls: { key: await readFile(join(dir, "key.pem")), cert: await readFile(join(dir, "cert.pem")) },
        logger: createLogger("info", { write: (line: string) => void tlsLines.push(JSON.parse(line) as Record<string, unknown>) }),
      });
      const port = (await secure.listen(0, "127.0.0.1")).port;
      try {
        const exchangeTls = (text: string) =>
          new Promise<string>((resolve) => {
            let received = "";
            const socket = tlsConnect({ port, host: "127.0.0.1", rejectUnauthorized: false }, () => socket.write(text));
            socket.setEncoding("latin1");
            socket.on("data", (chunk: string) => (received += chunk));
            socket.on("error", () => resolve(received));
            socket.on("close", () => resolve(received));
          });
        const cut = await exchangeTls("GET /flaky/unframed.bin HTTP/1.0\r\nHost: h\r\n\r\n");
        expect(cut).toMatch(/^HTTP\/1\.1 200 /);
        await expect.poll(() => tlsLines.find((line) => line.operation === "GetObject"), { timeout: 3000, interval: 20 }).toMatchObject({ status: 503, errorCode: "ServiceUnavailable" });
        expect(await exchangeTls("GET /healthz HTTP/1.0\r\nHost: h\r\n\r\n")).toMatch(/^HTTP\/1\.1 200 /);
        // A reader that stops reading is cut after the idle timeout: the TCP connection under its TLS is reset.
        const stalled = await new Promise<string | undefined>((resolve) => {
          const socket = tlsConnect({ port, host: "127.0.0.1", rejectUnauthorized: false }, () => {
            socket.write("GET /flaky/endless.bin HTTP/1.1\r\nHost: h\r\n\r\n");
            socket.once("data", () => socket.pause());
          });
          socket.on("error", (error: NodeJS.ErrnoException) => resolve(error.code));
          socket.on("close", () => resolve(undefined));
          // It reads again once the server had time to cut it, and sees how.
          setTimeout(() => socket.resume(), 2500);
        });
        expect(stalled).toBe("ECONNRESET");
        expect(await exchangeTls("GET /healthz HTTP/1.0\r\nHost: h\r\n\r\n")).toMatch(/^HTTP\/1\.1 200 /);
      } finally {
        await secure.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("sends User-Agent multistore/<version> to backends and aborts the backend request when the client goes away", async () => {
    await new Promise<void>((resolve) => {
      const request = httpRequest(`${endpoint}/flaky/endless.bin`, (response) => {
        response.once("data", () => {
          request.destroy();
          setTimeout(resolve, 300);
        });
      });
      request.end();
    });
    const entry = () => fake.seen.find((seen) => seen.url.startsWith("/b/endless"));
    expect(entry()?.userAgent).toMatch(/^multistore\/\d+\.\d+\.\d+/);
    await expect.poll(() => entry()?.closedEarly, { timeout: 5000 }).toBe(true);
  });

  it("answers 503 ServiceUnavailable with a generic message when the backend is unreachable", async () => {
    const response = await fetch(`${endpoint}/unreachable/x.txt`);
    expect(response.status).toBe(503);
    const text = await response.text();
    expect(text).toContain("<Code>ServiceUnavailable</Code>");
    expect(text).not.toContain(String(deadPort));
    expect(text).not.toContain("ECONNREFUSED");
  });
});
