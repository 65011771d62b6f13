/**
 * A download broken off mid-body: by the backend, the client's response is cut (never ended as if complete) and the
 * request is logged as the failure it is (503 at error level, as the Node server logs it); by the client, it is
 * logged as a client that closed (499, info). Which side broke it is read from the request's signal, which workerd
 * aborts only with `enable_request_signal`: without the flag every break is taken for the client leaving. The
 * client's side is also checked under workerd without miniflare's entry worker in front (bare-workerd.ts).
 */
import { createServer, type Server } from "node:http";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startBareWorkerd } from "./helpers/bare-workerd.js";
import { startWorker, type WorkerHandle } from "./helpers/worker-harness.js";

/** What a raw HTTP/1.1 GET gets back: the bytes, and whether the connection ended or broke. */
function rawGet(endpoint: string, path: string): Promise<{ text: string; ended: string }> {
  const url = new URL(endpoint);
  return new Promise((resolve) => {
    const socket = connect(Number(url.port), url.hostname);
    const chunks: Buffer[] = [];
    const done = (ended: string) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ text: Buffer.concat(chunks).toString("latin1"), ended });
    };
    const timer = setTimeout(() => done("timeout"), 10_000);
    socket.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      // A chunked body's last chunk: the response is complete (the connection may stay open).
      if (Buffer.concat(chunks).toString("latin1").endsWith("\r\n0\r\n\r\n")) done("last chunk");
    });
    socket.on("error", () => done("error"));
    socket.on("end", () => done("end"));
    socket.write(`GET ${path} HTTP/1.1\r\nHost: ${url.host}\r\nConnection: close\r\n\r\n`);
  });
}

describe("worker: a backend that fails mid-body", () => {
  let origin: Server;
  let worker: WorkerHandle;
  let bare: { endpoint: string; close(): Promise<void> };
  let unflagged: { endpoint: string; close(): Promise<void> };
  const logs: string[] = [];
  const unflaggedLogs: string[] = [];

  beforeAll(async () => {
    origin = createServer((request, response) => {
      response.writeHead(200, request.url!.includes("length") ? { "content-length": "1000000" } : {});
      response.write(Buffer.alloc(100_000, 97));
      // 100 KB of a body, then the connection is lost (1 MB announced, or chunked); or a slow trickle a client leaves.
      if (!request.url!.includes("slow")) setTimeout(() => response.socket?.destroy(), 200);
      else {
        const trickle = setInterval(() => response.write(Buffer.alloc(1000, 98)), 50);
        response.on("close", () => clearInterval(trickle));
      }
    });
    await new Promise<void>((resolve) => origin.listen(0, "127.0.0.1", resolve));
    const endpoint = `http://127.0.0.1:${(origin.address() as { port: number }).port}`;
    const config = JSON.stringify({
      buckets: [{ name: "data", backend_type: "s3", anonymous_access: true, backend_options: { endpoint, region: "us-east-1", bucket_name: "b", skip_signature: "true", force_path_style: "true" } }],
      roles: [],
      credentials: [],
    });
    worker = await startWorker({ bindings: { PROXY_CONFIG: config }, onLog: (line) => logs.push(line) });
    bare = await startBareWorkerd({ bindings: { PROXY_CONFIG: config } });
    unflagged = await startBareWorkerd({ bindings: { PROXY_CONFIG: config }, compatibilityFlags: [], onLog: (line) => unflaggedLogs.push(line) });
  }, 90_000);

  afterAll(async () => {
    await worker?.close();
    await bare?.close();
    await unflagged?.close();
    origin.closeAllConnections();
    await new Promise((resolve) => origin.close(resolve));
  });

  /** The first GetObject request line in `lines` after `from` (bounded wait). */
  function lineAfter(lines: string[], from: number): Promise<Record<string, unknown>> {
    return vi.waitFor(
      () => {
        const found = lines.slice(from).find((text) => text.includes('"operation":"GetObject"'));
        if (!found) throw new Error(`no GetObject line in: ${lines.slice(from).join("\n")}`);
        return JSON.parse(found.slice(found.indexOf("{"))) as Record<string, unknown>;
      },
      { timeout: 10_000, interval: 50 },
    );
  }

  it.each(["with-length", "chunked"])("logs a download whose backend fails mid-body (%s) as 503 at error level", async (name) => {
    const before = logs.length;
    const got = await rawGet(worker.endpoint, `/data/${name}`);
    expect(got.text.startsWith("HTTP/1.1 200")).toBe(true);
    expect(await lineAfter(logs, before)).toMatchObject({ level: "error", status: 503, errorCode: "ServiceUnavailable", msg: "the storage backend failed mid-response" });
  }, 30_000);

  it.each([
    ["with the flag", () => worker.endpoint, () => logs],
    ["without enable_request_signal", () => unflagged.endpoint, () => unflaggedLogs],
  ])("logs a chunked download whose client leaves mid-body as 499 at info level (%s)", async (_, endpoint, lines) => {
    const before = lines().length;
    const url = new URL(endpoint());
    await new Promise<void>((resolve) => {
      const socket = connect(Number(url.port), url.hostname);
      let received = 0;
      socket.on("data", (chunk: Buffer) => {
        received += chunk.length;
        if (received > 50_000) socket.destroy();
      });
      socket.on("close", () => resolve());
      socket.on("error", () => undefined);
      socket.write(`GET /data/slow-chunked HTTP/1.1\r\nHost: ${url.host}\r\n\r\n`);
    });
    expect(await lineAfter(lines(), before)).toMatchObject({ level: "info", status: 499, msg: "client closed" });
  }, 30_000);

  it("cuts the client's response, chunked or not, under current workerd", async () => {
    const chunked = await rawGet(bare.endpoint, "/data/chunked");
    expect(chunked.text).toMatch(/^HTTP\/1\.1 200[\s\S]*\r\ntransfer-encoding: chunked\r\n/i);
    expect(chunked.ended).not.toBe("last chunk");
    expect(chunked.text.length).toBeGreaterThan(100_000);
    const withLength = await rawGet(bare.endpoint, "/data/with-length");
    expect(withLength.text).toMatch(/\r\ncontent-length: 1000000\r\n/i);
    const body = withLength.text.slice(withLength.text.indexOf("\r\n\r\n") + 4);
    expect(body.length).toBe(100_000);
    expect(withLength.ended).not.toBe("timeout");
  }, 30_000);
});
