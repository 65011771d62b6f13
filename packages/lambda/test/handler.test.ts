/**
 * The Lambda handler invoked with events shaped as AWS documents them (payload format 2.0, as API Gateway HTTP APIs
 * and Function URLs send them), in front of s3rver through the S3 backend: GET, ranged GET, PUT (plain and
 * aws-chunked), a listing, a header-signed and a presigned request, and the limits of a buffered invocation.
 */
import { createHash, createHmac } from "node:crypto";
import { createServer } from "node:http";
import { createServer as createNetServer } from "node:net";
import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { createS3Backend } from "@multistore/backend-s3";
import { createStaticRegistries, parseConfig } from "@multistore/config";
import { createGateway, type Gateway } from "@multistore/core";
import { signedHeaders, startAnswerPeer, startS3rver, type S3rverHandle } from "@multistore/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLambdaHandler, createLambdaStreamingHandler, type LambdaHttpEvent, type LambdaHttpResult } from "../src/index.js";
import { awslambda } from "./helpers/awslambda.js";

/** A gateway over s3-backed `buckets` (and `credentials`). */
function gatewayOver(buckets: unknown[], credentials: unknown[] = []): Gateway<ReadableStream> {
  const registries = createStaticRegistries(parseConfig({ buckets, roles: [], credentials }));
  return createGateway<ReadableStream>({ buckets: registries.buckets, credentials: registries.credentials, backends: { s3: (bucket) => createS3Backend(bucket.backend_options) as never } });
}

const DOMAIN = "abcdefghij.lambda-url.us-east-1.on.aws";
const KEY = { accessKeyId: "AKIALAMBDA000000001", secretAccessKey: "lambda-secret-00000000000000000000000001" };

/** An event as a Function URL sends it (AWS's documented example, with this request's values). */
function event(method: string, path: string, options: { query?: string; headers?: Record<string, string>; body?: Buffer } = {}): LambdaHttpEvent {
  return {
    version: "2.0",
    rawPath: path,
    rawQueryString: options.query ?? "",
    headers: { host: DOMAIN, "user-agent": "test", "x-amzn-trace-id": "Root=1-5eb33c07-abcdef", "x-forwarded-proto": "https", "x-forwarded-port": "443", ...options.headers },
    requestContext: { domainName: DOMAIN, http: { method, sourceIp: "192.0.2.44" } },
    ...(options.body && { body: options.body.toString("base64"), isBase64Encoded: true }),
  };
}

const READER = { access_key_id: KEY.accessKeyId, secret_access_key: KEY.secretAccessKey, principal_name: "lambda-reader", created_at: "2024-01-01T00:00:00Z", enabled: true, allowed_scopes: [{ bucket: "*", prefixes: [], actions: ["get_object"] }] };
const bodyOf = (result: LambdaHttpResult) => Buffer.from(result.body, result.isBase64Encoded ? "base64" : "utf8");
const codeOf = (result: LambdaHttpResult) => /<Code>([^<]+)<\/Code>/.exec(bodyOf(result).toString())?.[1];

/** Header-signed (SigV4) event for the Function URL's host. */
async function signed(method: string, path: string, options: { query?: Record<string, string>; headers?: Record<string, string>; body?: Buffer } = {}) {
  const headers = await signedHeaders(`https://${DOMAIN}`, KEY, { method, path, headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD", ...options.headers }, ...(options.query && { query: options.query }), ...(options.body && { body: options.body }) });
  // Spaces as %20: S3 reads a "+" in a query as a plus sign.
  const query = new URLSearchParams(options.query ?? {}).toString().replace(/\+/g, "%20");
  return event(method, path, { headers: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value])), query, ...(options.body && { body: options.body }) });
}

describe("createLambdaHandler", () => {
  let s3: S3rverHandle;
  let gateway: Gateway<ReadableStream>;
  let handler: (event: LambdaHttpEvent) => Promise<LambdaHttpResult>;
  const lines: Record<string, unknown>[] = [];

  beforeAll(async () => {
    s3 = await startS3rver({ buckets: ["lambda"] });
    const backend_options = { endpoint: s3.endpoint, region: "us-east-1", bucket_name: "lambda", access_key_id: s3.accessKeyId, secret_access_key: s3.secretAccessKey, force_path_style: "true" };
    gateway = gatewayOver(
      [
        { name: "public", backend_type: "s3", anonymous_access: true, backend_options },
        { name: "private", backend_type: "s3", anonymous_access: false, backend_options },
      ],
      [{ access_key_id: KEY.accessKeyId, secret_access_key: KEY.secretAccessKey, principal_name: "lambda-user", created_at: "2024-01-01T00:00:00Z", enabled: true, allowed_scopes: [{ bucket: "*", prefixes: [], actions: ["get_object", "put_object", "list_bucket", "head_object"] }] }],
    );
    handler = createLambdaHandler(gateway, { maxRequestBytes: 1 << 20, maxResponseBytes: 1 << 20, log: (line) => void lines.push(line) });
  }, 120_000);

  afterAll(async () => {
    await s3?.close();
  });

  it("uploads with a signed PUT, reads it anonymously whole and by range, and lists it", async () => {
    const object = Buffer.from(Array.from({ length: 70_000 }, (_, index) => index % 251));
    const put = await handler(await signed("PUT", "/private/dir/object.bin", { body: object }));
    expect(put.statusCode).toBe(200);
    const get = await handler(event("GET", "/public/dir/object.bin"));
    expect(get.statusCode).toBe(200);
    expect(bodyOf(get).equals(object)).toBe(true);
    expect(get.headers["content-length"]).toBe(String(object.length));
    expect(get.headers["x-amz-request-id"]).toMatch(/^[0-9A-F]{16}$/);
    const ranged = await handler(event("GET", "/public/dir/object.bin", { headers: { range: "bytes=100-199" } }));
    expect(ranged.statusCode).toBe(206);
    expect(ranged.headers["content-range"]).toBe(`bytes 100-199/${object.length}`);
    expect(bodyOf(ranged).equals(object.subarray(100, 200))).toBe(true);
    const head = await handler(event("HEAD", "/public/dir/object.bin"));
    expect([head.statusCode, head.headers["content-length"], bodyOf(head).length]).toEqual([200, String(object.length), 0]);
    expect(lines.findLast((line) => line.method === "HEAD")).toMatchObject({ status: 200, bytes: 0 });
    const missingHead = await handler(event("HEAD", "/public/dir/none.bin"));
    expect([missingHead.statusCode, missingHead.headers["content-length"]]).toEqual([404, undefined]);
    const listing = await handler(await signed("GET", "/private", { query: { "list-type": "2", prefix: "dir/" } }));
    expect(listing.statusCode).toBe(200);
    expect(bodyOf(listing).toString()).toContain("<Key>dir/object.bin</Key>");
    expect(lines.find((line) => line.operation === "PutObject")).toMatchObject({ status: 200, principal: "lambda-user", bucket: "private" });
  });

  it("reads by part number: part 1 whole from a store that ignores it (s3rver), a later part refused", async () => {
    const object = Buffer.alloc(600_000, 7);
    expect((await handler(await signed("PUT", "/private/dir/parts.bin", { body: object }))).statusCode).toBe(200);
    const first = await handler(event("GET", "/public/dir/parts.bin", { query: "partNumber=1" }));
    expect([first.statusCode, first.headers["content-range"], bodyOf(first).equals(object)]).toEqual([206, `bytes 0-${object.length - 1}/${object.length}`, true]);
    const second = await handler(event("GET", "/public/dir/parts.bin", { query: "partNumber=2" }));
    expect([second.statusCode, codeOf(second)]).toEqual([416, "InvalidPartNumber"]);
  });

  it("answers a request whose body the gateway reads and whose backend request is a HEAD (PutObjectAcl)", async () => {
    expect((await handler(await signed("PUT", "/private/dir/acl.bin", { body: Buffer.from("x") }))).statusCode).toBe(200);
    // The ACL it has, read and set again (as s3cmd does on the destination of a copy).
    const read = await handler(await signed("GET", "/private/dir/acl.bin", { query: { acl: "" } }));
    expect(read.statusCode).toBe(200);
    const policy = bodyOf(read);
    const put = await handler(await signed("PUT", "/private/dir/acl.bin", { query: { acl: "" }, body: policy }));
    expect([put.statusCode, bodyOf(put).length]).toEqual([200, 0]);
  });

  it("verifies signatures: a presigned GET works, a tampered one and an anonymous one to a private bucket are refused", async () => {
    await handler(await signed("PUT", "/private/presigned.txt", { body: Buffer.from("presigned body") }));
    const amzDate = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
    const scope = `${amzDate.slice(0, 8)}/us-east-1/s3/aws4_request`;
    const query = `X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=${encodeURIComponent(`${KEY.accessKeyId}/${scope}`)}&X-Amz-Date=${amzDate}&X-Amz-Expires=300&X-Amz-SignedHeaders=host`;
    const canonical = ["GET", "/private/presigned.txt", query, `host:${DOMAIN}\n`, "host", "UNSIGNED-PAYLOAD"].join("\n");
    let key: Buffer | string = `AWS4${KEY.secretAccessKey}`;
    for (const part of scope.split("/")) key = createHmac("sha256", key).update(part).digest();
    const signature = createHmac("sha256", key).update(`AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${createHash("sha256").update(canonical).digest("hex")}`).digest("hex");
    const presigned = await handler(event("GET", "/private/presigned.txt", { query: `${query}&X-Amz-Signature=${signature}` }));
    expect([presigned.statusCode, bodyOf(presigned).toString()]).toEqual([200, "presigned body"]);
    const tampered = await handler(event("GET", "/private/presigned.txt", { query: `${query}&X-Amz-Signature=${"0".repeat(64)}` }));
    expect([tampered.statusCode, codeOf(tampered)]).toEqual([403, "SignatureDoesNotMatch"]);
    const anonymous = await handler(event("GET", "/private/presigned.txt"));
    expect([anonymous.statusCode, codeOf(anonymous)]).toEqual([403, "AccessDenied"]);
  });

  it("decodes an aws-chunked upload and refuses one whose trailer checksum is wrong, storing nothing", async () => {
    const chunked = (checksum: string) => Buffer.from(`5\r\nhello\r\n0\r\nx-amz-checksum-crc32:${checksum}\r\n\r\n`);
    const headers = { "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER", "content-encoding": "aws-chunked", "x-amz-decoded-content-length": "5", "x-amz-trailer": "x-amz-checksum-crc32" };
    const good = await handler(await signed("PUT", "/private/chunked.txt", { headers, body: chunked("NhCmhg==") }));
    expect(good.statusCode).toBe(200);
    expect(bodyOf(await handler(event("GET", "/public/chunked.txt"))).toString()).toBe("hello");
    const bad = await handler(await signed("PUT", "/private/refused.txt", { headers, body: chunked("AAAAAA==") }));
    expect([bad.statusCode, codeOf(bad)]).toEqual([400, "BadDigest"]);
    expect((await handler(event("GET", "/public/refused.txt"))).statusCode).toBe(404);
  });

  it("answers 503 before the invocation's deadline when a backend still trickles its body, or cuts it short", async () => {
    const trickle = await startAnswerPeer("trickle", { status: 200 });
    try {
      const slow = createLambdaHandler(gatewayOver([{ name: "open", backend_type: "s3", anonymous_access: true, backend_options: { endpoint: trickle.url, region: "us-east-1", bucket_name: "b", skip_signature: "true", force_path_style: "true" } }]), { log: () => {} });
      const started = performance.now();
      const answer = await slow(event("GET", "/open/slow.txt"), { getRemainingTimeInMillis: () => 1500 });
      expect([answer.statusCode, codeOf(answer)]).toEqual([503, "ServiceUnavailable"]);
      // Before Lambda's deadline (the answer came at the gateway's own, which keeps a margin before it).
      expect(performance.now() - started).toBeLessThan(1500);
      // A later part of what the store sends whole (it ignores partNumber): refused at once, its body let go of.
      // (With a deadline far off: on a loaded machine the store's headers could come after a near one, a 503.)
      const part = await slow(event("GET", "/open/slow.txt", { query: "partNumber=2" }), { getRemainingTimeInMillis: () => 20_000 });
      expect([part.statusCode, codeOf(part)]).toEqual([416, "InvalidPartNumber"]);
    } finally {
      await trickle.close();
    }
    // A body shorter than its length: the backend's failure, not ours (it was a 500).
    const short = createNetServer((socket) => socket.once("data", () => socket.end("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nnine byte")));
    await new Promise<void>((resolve) => short.listen(0, "127.0.0.1", resolve));
    try {
      const cut = createLambdaHandler(gatewayOver([{ name: "open", backend_type: "s3", anonymous_access: true, backend_options: { endpoint: `http://127.0.0.1:${(short.address() as { port: number }).port}`, region: "us-east-1", bucket_name: "b", skip_signature: "true", force_path_style: "true" } }]), { log: () => {} });
      const answer = await cut(event("GET", "/open/short.txt"));
      expect([answer.statusCode, codeOf(answer)]).toEqual([503, "ServiceUnavailable"]);
    } finally {
      await new Promise((resolve) => short.close(resolve));
    }
  });

  it("serves a native backend's Node stream (fs answers with one) and closes it; a refused HEAD has no body", async () => {
    let closed = 0;
    const native = createGateway<ReadableStream>({
      buckets: { getBucket: (name) => (name === "files" ? ({ name, backend_type: "node-stream", anonymous_access: true, backend_options: {} } as never) : undefined), listBuckets: () => [] },
      credentials: { getCredential: () => undefined },
      backends: {
        "node-stream": () =>
          ({
            kind: "node-stream",
            prepareObject: async () => ({
              type: "native",
              execute: async () => {
                const body = Readable.from([Buffer.from("from "), Buffer.from("a node stream")]);
                body.on("close", () => closed++);
                return { status: 200, headers: new Headers({ "content-length": "18" }), body };
              },
            }),
          }) as never,
      },
    });
    const files = createLambdaHandler(native, { log: () => {} });
    const got = await files(event("GET", "/files/a.txt"));
    expect([got.statusCode, bodyOf(got).toString()]).toEqual([200, "from a node stream"]);
    const head = await files(event("HEAD", "/files/a.txt"));
    expect([head.statusCode, bodyOf(head).length]).toEqual([200, 0]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(closed).toBe(2);
    const refused = await handler(event("HEAD", "/public/x", { headers: { "x-bad": "a\u0000b" } }));
    expect([refused.statusCode, bodyOf(refused).length]).toEqual([400, 0]);
  });

  it("answers 400 for a header value HTTP forbids instead of failing the invocation", async () => {
    const bad = await handler(event("GET", "/public/dir/object.bin", { headers: { "x-bad": "a\u0000b" } }));
    expect([bad.statusCode, codeOf(bad)]).toEqual([400, "InvalidRequest"]);
    // Its line names the code as every request line does.
    expect(lines.at(-1)).toMatchObject({ status: 400, errorCode: "InvalidRequest" });
  });

  it("answers 413 EntityTooLarge past the invocation's limits, both ways, naming the limit", async () => {
    const big = Buffer.alloc((1 << 20) + 1, 1);
    const upload = await handler(await signed("PUT", "/private/big.bin", { body: big }));
    expect([upload.statusCode, codeOf(upload)]).toEqual([413, "EntityTooLarge"]);
    expect(bodyOf(upload).toString()).toContain(`${1 << 20}-byte limit`);
    const roomy = createLambdaHandler(gateway, { maxRequestBytes: 2 << 20, maxResponseBytes: 1 << 20, log: () => undefined });
    expect((await roomy(await signed("PUT", "/private/big.bin", { body: big }))).statusCode).toBe(200);
    const download = await handler(event("GET", "/public/big.bin"));
    expect([download.statusCode, codeOf(download)]).toEqual([413, "EntityTooLarge"]);
    // A range of it fits.
    expect((await handler(event("GET", "/public/big.bin", { headers: { range: "bytes=0-1023" } }))).statusCode).toBe(206);
    expect(() => createLambdaHandler(gateway, { maxRequestBytes: 7 << 20 })).toThrow("maxRequestBytes must be a whole number of bytes");
    // A backend answer timeout of 0 would answer every forward 503 at once: refused when the handler is made.
    for (const backendAnswerTimeoutMs of [0, -5, 1.5, Number.NaN]) {
      expect(() => createLambdaHandler(gateway, { backendAnswerTimeoutMs })).toThrow("backendAnswerTimeoutMs must be a whole number of milliseconds");
      expect(() => createLambdaStreamingHandler(gateway, { awslambda, backendAnswerTimeoutMs })).toThrow("backendAnswerTimeoutMs must be a whole number of milliseconds");
    }
  });
});

describe("createLambdaHandler: encoded objects", () => {
  it("serves an object stored with Content-Encoding gzip byte for byte (the global fetch would decode it)", async () => {
    const stored = gzipSync(Buffer.from("a compressible line\n".repeat(100)));
    const origin = createServer((_request, response) => response.writeHead(200, { "content-encoding": "gzip", "content-length": String(stored.length), "content-type": "text/plain" }).end(stored));
    await new Promise<void>((resolve) => origin.listen(0, "127.0.0.1", resolve));
    try {
      const endpoint = `http://127.0.0.1:${(origin.address() as { port: number }).port}`;
      const handler = createLambdaHandler(gatewayOver([{ name: "open", backend_type: "s3", anonymous_access: true, backend_options: { endpoint, region: "us-east-1", bucket_name: "b", skip_signature: "true", force_path_style: "true" } }]), { log: () => undefined });
      const result = await handler(event("GET", "/open/page.txt"));
      const body = result.isBase64Encoded ? Buffer.from(result.body ?? "", "base64") : Buffer.from(result.body ?? "");
      expect([result.statusCode, result.headers?.["content-encoding"], result.headers?.["content-length"], body.equals(stored)]).toEqual([200, "gzip", String(stored.length), true]);
    } finally {
      await new Promise((resolve) => origin.close(resolve));
    }
  });
});

describe("createLambdaHandler: what a backend sends back", () => {
  /** An origin answering every request with `answer`, raw. */
  async function rawOrigin(answer: (path: string) => string) {
    const server = createNetServer((socket) => socket.once("data", (chunk: Buffer) => socket.end(answer(chunk.toString("latin1").split(" ")[1] ?? "/"), "latin1")));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const handler = createLambdaHandler(gatewayOver([{ name: "open", backend_type: "s3", anonymous_access: false, backend_options: { endpoint, region: "us-east-1", bucket_name: "b", skip_signature: "true", force_path_style: "true" } }], [READER]), { log: () => undefined });
    return { handler, close: () => new Promise((resolve) => server.close(resolve)) };
  }

  it("hands a header's UTF-8 over as text (a response-* override S3 applied), and refuses a status past 599 with 503", async () => {
    const name = 'attachment; filename="été ключ €.txt"';
    const origin = await rawOrigin((path) =>
      path.includes("weird") ? "HTTP/1.1 999 Odd\r\ncontent-length: 0\r\n\r\n" : `HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-disposition: ${Buffer.from(name, "utf8").toString("latin1")}\r\n\r\nok`,
    );
    try {
      const named = await origin.handler(await signed("GET", "/open/report.txt", { query: { "response-content-disposition": name } }));
      expect([named.statusCode, named.headers?.["content-disposition"]]).toEqual([200, name]);
      const odd = await origin.handler(await signed("GET", "/open/weird.txt"));
      expect([odd.statusCode, codeOf(odd)]).toEqual([503, "ServiceUnavailable"]);
    } finally {
      await origin.close();
    }
  });
});

describe("createLambdaHandler against a backend that never answers", () => {
  it.each([
    ["a backend that never answers", "silent", 200],
    ["an error document that never ends", "trickle", 403],
  ] as const)("answers 503 within backendAnswerTimeoutMs for %s, not at the invocation's timeout", async (_name, kind, status) => {
    const peer = await startAnswerPeer(kind, { status });
    try {
      const handler = createLambdaHandler(gatewayOver([{ name: "open", backend_type: "s3", anonymous_access: true, backend_options: { endpoint: peer.url, region: "us-east-1", bucket_name: "b", skip_signature: "true", force_path_style: "true" } }]), { log: () => undefined, backendAnswerTimeoutMs: 300 });
      const started = performance.now();
      const result = await handler(event("GET", "/open/hello.txt"));
      expect([result.statusCode, codeOf(result)]).toEqual([503, "ServiceUnavailable"]);
      expect(performance.now() - started).toBeLessThan(3000);
    } finally {
      await peer.close();
    }
  });
});
