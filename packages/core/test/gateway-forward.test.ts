/** Forward results: what the runtime sends the backend, and how backend responses are filtered and translated. */
import { beforeEach, describe, expect, it } from "vitest";
import { createGateway, S3Error, type GatewayOptions, type GatewayResult, type ResultBase } from "../src/index.js";
import { childText, parseXml, type ForwardDispatch, type ObjectRequest } from "../src/backend.js";
import { clientResponseHeaders, HeaderMap, type ForwardResult } from "../src/runtime.js";
import { bucket, credential, gatewayRequest, MemoryBackend, text } from "./helpers/memory-backend.js";
import { NOW, signWithHeader } from "./helpers/sign.js";

const BUCKETS = [bucket("public", { anonymous_access: true, backend_prefix: "p/" }), bucket("data")];
const CREDENTIALS = [credential("AKIDWRITER", [{ bucket: "data", prefixes: [], actions: ["put_object", "upload_part", "get_object"] }])];
const writer = { accessKeyId: "AKIDWRITER", secretAccessKey: "AKIDWRITER-secret" };

let backend: MemoryBackend;
let mapResponse: ForwardDispatch["mapResponse"];

beforeEach(() => {
  backend = new MemoryBackend();
  mapResponse = undefined;
  backend.prepareOverride = async (request: ObjectRequest) => ({
    type: "forward",
    method: request.operation === "HeadObject" ? "HEAD" : request.operation === "PutObject" ? "PUT" : "GET",
    url: `https://backend.example/store/${request.key}?X-Amz-Signature=abc`,
    headers: new Headers({ "x-backend": "1", ...Object.fromEntries(request.headers) }),
    ...(mapResponse && { mapResponse }),
  });
});

function make(options: Partial<GatewayOptions<Uint8Array>> = {}) {
  return createGateway<Uint8Array>({
    buckets: { getBucket: (name) => BUCKETS.find((b) => b.name === name), listBuckets: () => BUCKETS },
    credentials: { getCredential: (id) => CREDENTIALS.find((c) => c.access_key_id === id) },
    backends: { memory: () => backend },
    now: () => NOW,
    ...options,
  });
}

function forward(result: GatewayResult<Uint8Array>): ResultBase & ForwardResult {
  if (result.type !== "forward") throw new Error(`expected a forward result, got ${result.type}`);
  return result;
}

const get = async (target = "/public/a.txt", method = "GET", options?: Partial<GatewayOptions<Uint8Array>>) =>
  forward(await make(options).handle(gatewayRequest(method, target)));

const BACKEND_HEADERS: Record<string, string> = {
  etag: '"abc"',
  "content-type": "text/plain",
  "content-length": "5",
  "last-modified": "Mon, 01 Jan 2024 00:00:00 GMT",
  "x-amz-meta-color": "red",
  "x-amz-version-id": "v1",
  "x-amz-server-side-encryption": "AES256",
  connection: "keep-alive",
  "keep-alive": "timeout=5",
  "transfer-encoding": "chunked",
  upgrade: "h2c",
  "set-cookie": "session=1",
  "x-forwarded-for": "10.0.0.1",
  "x-forwarded-host": "internal",
  "proxy-authenticate": "Basic",
  via: "1.1 squid",
  server: "AmazonS3",
  "x-amz-id-2": "backend-id-2",
  "x-amz-request-id": "BACKENDREQUESTID",
  "x-amz-server-side-encryption-customer-key-md5": "c2VjcmV0",
  "x-amz-server-side-encryption-aws-kms-key-id": "arn:aws:kms:key/secret",
};

describe("the forwarded request", () => {
  it("carries the backend URL, method and headers the backend chose, with the prefixed key", async () => {
    const result = await get("/public/a.txt");
    expect(result.request.method).toBe("GET");
    expect(result.request.url).toBe("https://backend.example/store/p/a.txt?X-Amz-Signature=abc");
    expect(result.request.headers.get("x-backend")).toBe("1");
    expect(result.bodyEncoding).toBeUndefined();
  });

  it("decodes aws-chunked uploads: framing headers dropped, decoded length sent, bodyEncoding set", async () => {
    const signed = await signWithHeader(writer, {
      method: "PUT",
      path: "/data/up.bin",
      headers: {
        "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        "content-encoding": "aws-chunked",
        "x-amz-decoded-content-length": "12",
        "x-amz-trailer": "x-amz-checksum-crc32",
        "content-length": "60",
        "content-type": "application/octet-stream",
      },
    });
    const result = forward(await make().handle(gatewayRequest("PUT", signed.target, signed.headers)));
    expect(result.bodyEncoding).toEqual({ trailer: true, decodedLength: 12 });
    const sent = Object.fromEntries(result.request.headers);
    expect(sent["content-length"]).toBe("12");
    expect(sent).not.toHaveProperty("content-encoding");
    expect(sent).not.toHaveProperty("x-amz-decoded-content-length");
    expect(sent).not.toHaveProperty("x-amz-trailer");
    expect(sent).not.toHaveProperty("x-amz-content-sha256");
    expect(sent).not.toHaveProperty("authorization");
    expect(sent["content-type"]).toBe("application/octet-stream");
  });

  it("needs x-amz-decoded-content-length for aws-chunked uploads", async () => {
    const signed = await signWithHeader(writer, {
      method: "PUT",
      path: "/data/up.bin",
      headers: { "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER", "content-encoding": "aws-chunked", "content-length": "60" },
    });
    const result = await make().handle(gatewayRequest("PUT", signed.target, signed.headers));
    if (result.type !== "response") throw new Error("expected a response");
    expect(result.response.status).toBe(411);
  });

  it("refuses lengths past S3's largest upload body (5 GiB) with EntityTooLarge, without a size limit of its own", async () => {
    for (const headers of [
      { "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER", "content-encoding": "aws-chunked", "content-length": "60", "x-amz-decoded-content-length": "9007199254740993" },
      { "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER", "content-encoding": "aws-chunked", "content-length": "60", "x-amz-decoded-content-length": "99999999999999999999" },
      { "x-amz-content-sha256": "UNSIGNED-PAYLOAD", "content-length": String(5 * 1024 ** 4 + 1) },
      { "x-amz-content-sha256": "UNSIGNED-PAYLOAD", "content-length": String(5 * 1024 ** 3 + 1) },
    ] as Record<string, string>[]) {
      const signed = await signWithHeader(writer, { method: "PUT", path: "/data/up.bin", headers });
      const result = await make().handle(gatewayRequest("PUT", signed.target, signed.headers));
      if (result.type !== "response") throw new Error(`expected a response for ${JSON.stringify(headers)}`);
      expect([result.response.status, String(result.response.body).match(/<Code>(\w+)<\/Code>/)?.[1]], JSON.stringify(headers)).toEqual([400, "EntityTooLarge"]);
    }
    // 5 GiB itself is taken.
    const signed = await signWithHeader(writer, { method: "PUT", path: "/data/up.bin", headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD", "content-length": String(5 * 1024 ** 3) } });
    expect((await make().handle(gatewayRequest("PUT", signed.target, signed.headers))).type).not.toBe("response");
  });
});

describe("respond(): successful backend responses", () => {
  it("strips hop-by-hop, cookie, proxy and SSE key headers and passes the object's headers", async () => {
    const result = await get();
    const answer = result.respond(200, new Headers(BACKEND_HEADERS), 12.5);
    expect(answer.status).toBe(200);
    expect(answer.replaceBody).toBeUndefined();
    const headers = Object.fromEntries(answer.headers);
    expect(headers).toMatchObject({
      etag: '"abc"',
      "content-type": "text/plain",
      "content-length": "5",
      "last-modified": "Mon, 01 Jan 2024 00:00:00 GMT",
      "x-amz-meta-color": "red",
      "x-amz-version-id": "v1",
      "x-amz-server-side-encryption": "AES256",
      "x-amz-request-id": result.context.requestId,
    });
    for (const name of [
      "connection", "keep-alive", "transfer-encoding", "upgrade", "set-cookie", "x-forwarded-for", "x-forwarded-host",
      "proxy-authenticate", "via", "server", "x-amz-id-2", "x-amz-server-side-encryption-customer-key-md5",
      "x-amz-server-side-encryption-aws-kms-key-id",
    ]) expect(headers).not.toHaveProperty(name);
    expect(headers["server-timing"]).toMatch(/backend;dur=12\.5/);
  });

  it("takes a runtime's already filtered headers as they are, and filters any other HeaderMap", async () => {
    const result = await get();
    const filtered = clientResponseHeaders({ etag: '"abc"', "content-length": "5" });
    const answer = result.respond(200, filtered, 1);
    expect(answer.headers).toBe(filtered);
    expect(Object.fromEntries(answer.headers)).toMatchObject({ etag: '"abc"', "content-length": "5", "x-amz-request-id": result.context.requestId });
    const unfiltered = new HeaderMap({ etag: '"abc"', server: "AmazonS3", "x-amz-id-2": "backend-id-2" });
    const copied = result.respond(200, unfiltered, 1).headers;
    expect(copied).not.toBe(unfiltered);
    expect([...copied.keys()].filter((name) => name === "server" || name === "x-amz-id-2")).toEqual([]);
  });

  it("filters what a backend's mapping returns, even the runtime's filtered record with a header added", async () => {
    mapResponse = (status, headers) => {
      headers.set("set-cookie", "session=secret");
      headers.set("via", "1.1 mapper");
      return { status, headers };
    };
    const result = await get();
    const answer = result.respond(200, clientResponseHeaders({ etag: '"abc"' }), 1);
    expect(answer.headers.get("etag")).toBe('"abc"');
    expect([answer.headers.has("set-cookie"), answer.headers.has("via")]).toEqual([false, false]);
  });

  it("passes 206 through, and answers a backend's redirect 503 without its Location or body (they name the backend)", async () => {
    const result = await get();
    expect(result.respond(206, new Headers({ "content-range": "bytes 0-1/5" })).headers.get("content-range")).toBe("bytes 0-1/5");
    for (const status of [301, 307]) {
      const answer = result.respond(status, new Headers({ location: "https://internal-bucket.s3.us-west-2.amazonaws.com/a.txt" }));
      expect(answer.status).toBe(503);
      expect(answer.headers.get("location")).toBeNull();
      const document = answer.replaceBody!("<Error><Code>PermanentRedirect</Code><Endpoint>internal-bucket.s3.us-west-2.amazonaws.com</Endpoint></Error>");
      expect(String(document.body)).toContain("<Code>ServiceUnavailable</Code>");
      expect(String(document.body)).not.toContain("internal-bucket");
    }
  });

  it("omits Server-Timing with serverTiming: false", async () => {
    const result = await get("/public/a.txt", "GET", { serverTiming: false });
    const answer = result.respond(200, new Headers({ etag: '"x"' }), 3);
    expect(answer.headers.has("server-timing")).toBe(false);
    expect(answer.headers.get("x-amz-request-id")).toBe(result.context.requestId);
  });
});

describe("respond(): backend errors", () => {
  const errorDocument = (code: string, message: string) =>
    `<?xml version="1.0"?><Error><Code>${code}</Code><Message>${message}</Message><RequestId>BACKENDID</RequestId></Error>`;

  it("passes NoSuchKey with our request id and resource, not the backend's text", async () => {
    const result = await get("/public/a.txt");
    const answer = result.respond(404, new Headers({ "content-type": "application/xml", "x-amz-request-id": "BACKENDID" }));
    expect(answer.status).toBe(404);
    expect(answer.headers.get("x-amz-request-id")).toBe(result.context.requestId);
    const replaced = answer.replaceBody!(errorDocument("NoSuchKey", "key p/a.txt missing in store"));
    expect(replaced.status).toBe(404);
    const body = text(replaced.body);
    const root = parseXml(body);
    expect(childText(root, "Code")).toBe("NoSuchKey");
    expect(childText(root, "Resource")).toBe("/public/a.txt");
    expect(childText(root, "RequestId")).toBe(result.context.requestId);
    expect(body).not.toContain("BACKENDID");
    expect(body).not.toContain("p/a.txt");
    expect(replaced.headers.get("x-amz-request-id")).toBe(result.context.requestId);
  });

  it.each([
    [403, "SignatureDoesNotMatch"],
    [403, "InvalidAccessKeyId"],
    [404, "NoSuchBucket"],
    [500, "InternalError"],
    [503, "SlowDown"],
  ])("turns a backend %i %s into a generic 503", async (status, code) => {
    const replaced = (await get()).respond(status, new Headers()).replaceBody!(errorDocument(code, "secret backend detail"));
    expect(replaced.status).toBe(503);
    const body = text(replaced.body);
    expect(childText(parseXml(body), "Code")).toBe("ServiceUnavailable");
    expect(body).not.toContain("secret backend detail");
  });

  it("keeps AccessDenied and maps unknown codes by status", async () => {
    const result = await get();
    expect(childText(parseXml(text(result.respond(403, new Headers()).replaceBody!(errorDocument("AccessDenied", "x")).body)), "Code")).toBe("AccessDenied");
    expect(childText(parseXml(text(result.respond(412, new Headers()).replaceBody!("not xml at all").body)), "Code")).toBe("PreconditionFailed");
    expect(childText(parseXml(text(result.respond(416, new Headers()).replaceBody!("").body)), "Code")).toBe("InvalidRange");
  });

  it("uses x-amz-error-code when the body has none, and sends HEAD errors bodiless", async () => {
    const head = await get("/public/a.txt", "HEAD");
    const answer = head.respond(404, new Headers({ "x-amz-error-code": "NoSuchKey" }));
    const replaced = answer.replaceBody!("");
    expect(replaced.status).toBe(404);
    expect(replaced.body).toBeNull();
  });

  it("answers 304 with the validators and caching headers a 200 would carry, and none describing a body", async () => {
    const backend = { etag: '"abc"', "last-modified": "Mon, 01 Jan 2024 00:00:00 GMT", "cache-control": "max-age=60", "content-type": "text/plain", "content-length": "3", "x-amz-meta-a": "1" };
    const answer = (await get()).respond(304, new Headers(backend));
    expect(answer.status).toBe(304);
    // The backend's 304 has no body: nothing to replace.
    expect(answer.replaceBody).toBeUndefined();
    const headers = Object.fromEntries(answer.headers);
    expect(headers).toMatchObject({ etag: '"abc"', "last-modified": "Mon, 01 Jan 2024 00:00:00 GMT", "cache-control": "max-age=60" });
    expect(headers["x-amz-request-id"]).toMatch(/^[0-9A-F]{16}$/);
    for (const name of ["content-type", "content-length", "x-amz-meta-a"]) expect(headers).not.toHaveProperty(name);
  });

  it("applies the backend's mapResponse, including errors it raises", async () => {
    mapResponse = (status, headers) => {
      if (status === 409) return new S3Error("InvalidRequest", { message: "mapped conflict" });
      const mapped = new Headers();
      headers.forEach((value, name) => mapped.set(name.replace(/^x-ms-meta-/, "x-amz-meta-"), value));
      return { status: status === 201 ? 200 : status, headers: mapped };
    };
    const result = await get();
    const ok = result.respond(201, new Headers({ "x-ms-meta-color": "blue", "set-cookie": "x" }));
    expect(ok.status).toBe(200);
    expect(ok.headers.get("x-amz-meta-color")).toBe("blue");
    expect(ok.headers.has("set-cookie")).toBe(false);
    const conflict = result.respond(409, new Headers());
    expect(conflict.status).toBe(400);
    const root = parseXml(text(conflict.replaceBody!("ignored").body));
    expect(childText(root, "Code")).toBe("InvalidRequest");
    expect(childText(root, "Message")).toBe("mapped conflict");
  });
});
