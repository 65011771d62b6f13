/**
 * Copies between stores on the Node server stay within the server's bounds: they hold their buckets' backend slots
 * (copies in opposite directions end with an answer, never wedge both buckets), and a client that leaves stops its
 * copy (the source read is aborted, nothing is written).
 */
import { createServer, request as httpRequest, type Server } from "node:http";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfig } from "@multistore/config";
import { signedHeaders, signedRawRequest } from "@multistore/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger, createMultistoreServer, type MultistoreServer } from "../src/index.js";

const KEY = { accessKeyId: "AKIACOPYBOUNDS00001", secretAccessKey: "copy-bounds-secret-00000000000000000001" };
const OBJECT = Buffer.alloc(2 << 20, 111);

/** A store answering GETs after 200 ms (so opposite copies both read before either writes), and `/slow` trickled. */
function store() {
  let open = 0;
  let slowClosed = 0;
  const server: Server = createServer((request, response) => {
    open++;
    response.on("close", () => open--);
    if (request.method === "PUT") {
      request.resume();
      request.on("end", () => response.writeHead(200, { etag: '"put"' }).end());
      return;
    }
    // GetObjectTagging (a copy between s3 buckets carries the source's tags): none.
    if (/[?&]tagging/.test(request.url!)) return void response.writeHead(200, { "content-type": "application/xml" }).end("<Tagging><TagSet></TagSet></Tagging>");
    if (request.url!.includes("/slow")) {
      response.on("close", () => slowClosed++);
      response.writeHead(200, { "content-length": String(64 << 20), etag: '"slow"', "last-modified": new Date().toUTCString() });
      const timer = setInterval(() => response.write(Buffer.alloc(65536, 115)), 50);
      response.on("close", () => clearInterval(timer));
      return;
    }
    setTimeout(() => response.writeHead(200, { "content-length": String(OBJECT.length), etag: '"object"', "last-modified": new Date().toUTCString() }).end(OBJECT), 200);
  });
  return { server, open: () => open, slowClosed: () => slowClosed };
}

const listen = (server: Server) => new Promise<string>((resolve) => server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as { port: number }).port}`)));

describe("copies between stores on the Node server", () => {
  const stores = [store(), store()];
  let root: string;
  let gateway: MultistoreServer;
  let endpoint: string;

  beforeAll(async () => {
    const [first, second] = await Promise.all(stores.map((each) => listen(each.server)));
    root = await mkdtemp(join(tmpdir(), "copy-bounds-"));
    const s3 = (url: string) => ({ endpoint: url, region: "us-east-1", bucket_name: "b", skip_signature: "true", force_path_style: "true" });
    const config = parseConfig({
      buckets: [
        { name: "one", backend_type: "s3", anonymous_access: false, backend_options: s3(first!) },
        { name: "two", backend_type: "s3", anonymous_access: false, backend_options: s3(second!) },
        { name: "files", backend_type: "fs", anonymous_access: false, backend_options: { root } },
      ],
      roles: [],
      credentials: [{ access_key_id: KEY.accessKeyId, secret_access_key: KEY.secretAccessKey, principal_name: "copier", created_at: "2024-01-01T00:00:00Z", enabled: true, allowed_scopes: [{ bucket: "*", prefixes: [], actions: ["get_object", "put_object", "head_object"] }] }],
    });
    gateway = createMultistoreServer({ config, logger: createLogger("silent"), limits: { bucketConnections: 1, bucketQueueMs: 500 } });
    endpoint = `http://127.0.0.1:${(await gateway.listen(0, "127.0.0.1")).port}`;
  });

  afterAll(async () => {
    await gateway?.close();
    for (const each of stores) {
      each.server.closeAllConnections();
      each.server.close();
    }
    await rm(root, { recursive: true, force: true });
  });

  const copy = (from: string, to: string) => signedRawRequest(endpoint, KEY, { method: "PUT", path: `/${to}`, headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD", "x-amz-copy-source": `/${from}` } });

  it("answers copies in opposite directions (200 or 503 SlowDown), and both buckets serve afterwards", async () => {
    const started = Date.now();
    const answers = await Promise.all([copy("one/a", "two/a"), copy("two/b", "one/b"), copy("one/c", "two/c"), copy("two/d", "one/d")]);
    expect(Date.now() - started).toBeLessThan(10_000);
    for (const answer of answers) expect([200, 503], answer.text).toContain(answer.status);
    expect(answers.some((answer) => answer.status === 503 && answer.text.includes("<Code>SlowDown</Code>"))).toBe(true);
    for (const path of ["/one/x", "/two/y"]) {
      const read = await signedRawRequest(endpoint, KEY, { method: "GET", path, headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" } });
      expect(read.status, path).toBe(200);
    }
    // Every slot is back: one copy each way now goes through.
    expect((await copy("one/e", "two/e")).status).toBe(200);
    expect((await copy("two/f", "one/f")).status).toBe(200);
  }, 30_000);

  it("stops a copy whose client left: the source read is aborted and nothing is written", async () => {
    const headers = await signedHeaders(endpoint, KEY, { method: "PUT", path: "/files/left.bin", headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD", "x-amz-copy-source": "/one/slow" } });
    const request = httpRequest(`${endpoint}/files/left.bin`, { method: "PUT", headers, agent: false });
    request.on("error", () => undefined);
    request.end();
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(stores[0]!.slowClosed()).toBe(0);
    request.destroy();
    const deadline = Date.now() + 5_000;
    while (stores[0]!.slowClosed() === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(stores[0]!.slowClosed()).toBe(1);
    // (The fs backend's own directories stay; its temporary files go: polled, as the cleanup follows the cut.)
    await expect.poll(async () => (await readdir(root, { recursive: true })).filter((path) => !path.startsWith(".multistore")), { timeout: 5000 }).toEqual([]);
    await expect.poll(() => readdir(join(root, ".multistore", "tmp")), { timeout: 5000 }).toEqual([]);
  }, 20_000);
});
