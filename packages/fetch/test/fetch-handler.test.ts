/**
 * The fetch runtime outside workerd (Node's fetch and web streams, no FixedLengthStream): a GET, a ranged GET and a
 * streamed PUT forwarded to a local origin, the request line written through `log`, and the bucket's errors as S3
 * XML.
 */
import { createS3Backend } from "@multistore/backend-s3";
import { createStaticRegistries, parseConfig } from "@multistore/config";
import { createGateway, type Gateway } from "@multistore/core";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { encodedForm, formData, presignedForm, signedHeaders, startAnswerPeer, startRecordingOrigin, type RecordingOrigin } from "@multistore/testing";
import { createFetchHandler } from "../src/index.js";

/** A gateway over s3-backed `buckets` (and `credentials`). */
function gatewayOver(buckets: unknown[], credentials: unknown[] = []): Gateway<ReadableStream> {
  const registries = createStaticRegistries(parseConfig({ buckets, roles: [], credentials }));
  return createGateway<ReadableStream>({ buckets: registries.buckets, credentials: registries.credentials, backends: { s3: (bucket) => createS3Backend(bucket.backend_options) as never } });
}

const KEY = { accessKeyId: "AKIAFETCHRUNTIME001", secretAccessKey: "fetch-runtime-secret-00000000000000000001" };

describe("createFetchHandler on a runtime other than workerd", () => {
  let origin: RecordingOrigin;
  let stored: Map<string, Buffer>;
  const lines: Record<string, unknown>[] = [];
  let handler: ReturnType<typeof createFetchHandler>;

  beforeAll(async () => {
    origin = await startRecordingOrigin();
    const endpoint = origin.endpoint;
    stored = origin.stored;
    const gateway = gatewayOver(
      [{ name: "open", backend_type: "s3", anonymous_access: true, backend_options: { endpoint, region: "us-east-1", bucket_name: "b", skip_signature: "true", force_path_style: "true" } }],
      [{ access_key_id: KEY.accessKeyId, secret_access_key: KEY.secretAccessKey, principal_name: "uploader", created_at: "2024-01-01T00:00:00Z", enabled: true, allowed_scopes: [{ bucket: "*", prefixes: [], actions: ["put_object"] }] }],
    );
    handler = createFetchHandler(gateway, { log: (line) => void lines.push(line) });
  });

  afterAll(async () => {
    await origin?.close();
  });

  it("forwards reads to the backend and answers like the Worker", async () => {
    stored.set("/b/hello.txt", Buffer.from("hello, fetch runtime"));
    const whole = await handler(new Request("http://gateway.test/open/hello.txt"));
    expect([whole.status, await whole.text()]).toEqual([200, "hello, fetch runtime"]);
    expect(whole.headers.get("x-amz-request-id")).toMatch(/^[0-9A-F]{16}$/);
    const ranged = await handler(new Request("http://gateway.test/open/hello.txt", { headers: { range: "bytes=7-11" } }));
    expect([ranged.status, await ranged.text()]).toEqual([206, "fetch"]);
    const missing = await handler(new Request("http://gateway.test/open/none.txt"));
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain("<Code>NoSuchKey</Code>");
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(lines.filter((line) => line.operation === "GetObject").map((line) => line.status)).toEqual([200, 206, 404]);
    // A HEAD announces the object's length but sends no body: it is logged (and charged) as 0 bytes.
    const head = await handler(new Request("http://gateway.test/open/hello.txt", { method: "HEAD" }));
    expect([head.status, head.headers.get("content-length")]).toEqual([200, "20"]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(lines.findLast((line) => line.operation === "HeadObject")).toMatchObject({ status: 200, bytes: 0 });
    // Errors are logged with their code, whether the answer carries a document or not (a HEAD), as on Node.
    expect(lines.findLast((line) => line.operation === "GetObject")).toMatchObject({ status: 404, errorCode: "NoSuchKey" });
    expect((await handler(new Request("http://gateway.test/open/none.txt", { method: "HEAD" }))).status).toBe(404);
    const refused = await handler(new Request("http://gateway.test/open/graffiti.txt", { method: "PUT", body: "x" }));
    expect(refused.status).toBe(403);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(lines.findLast((line) => line.operation === "HeadObject")).toMatchObject({ status: 404, errorCode: "NoSuchKey" });
    expect(lines.findLast((line) => line.operation === "PutObject")).toMatchObject({ status: 403, errorCode: "AccessDenied" });
  });

  it("streams an upload body to the backend (a web stream, sent with duplex: half)", async () => {
    const refused = await handler(new Request("http://gateway.test/open/upload.bin", { method: "PUT", body: "x" }));
    // Anonymous callers may not write: refused before any byte reaches the backend.
    expect(refused.status).toBe(403);
    expect(stored.has("/b/upload.bin")).toBe(false);
    const body = new Uint8Array(200_000).map((_, index) => index % 253);
    const headers = await signedHeaders("http://gateway.test", KEY, { method: "PUT", path: "/open/upload.bin", headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD", "content-length": String(body.length) } });
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(body.subarray(0, 100_000));
        controller.enqueue(body.subarray(100_000));
        controller.close();
      },
    });
    const put = await handler(new Request("http://gateway.test/open/upload.bin", { method: "PUT", headers, body: stream, duplex: "half" } as RequestInit));
    expect(put.status).toBe(200);
    expect(Buffer.from(body).equals(stored.get("/b/upload.bin")!)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(lines.findLast((line) => line.operation === "PutObject")).toMatchObject({ status: 200, principal: "uploader", bytesReceived: body.length });
  });

  it("streams a form upload's file to the backend, and counts the whole form as received, fields included", async () => {
    const form = await presignedForm("http://gateway.test", KEY, { bucket: "open", key: "forms/${filename}", fields: { "x-ignore-padding": "p".repeat(20_000) } });
    const file = new Uint8Array(150_000).fill(5);
    const { body, contentType } = await encodedForm(formData(form, { bytes: file, filename: "f.bin" }));
    const posted = await handler(new Request("http://gateway.test/open", { method: "POST", headers: { "content-type": contentType, "content-length": String(body.length) }, body }));
    expect(posted.status).toBe(204);
    expect(Buffer.from(file).equals(stored.get("/b/forms/f.bin")!)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(lines.findLast((line) => line.method === "POST")).toMatchObject({ status: 204, operation: "PutObject", bytesReceived: body.length });
  });
});

describe("createFetchHandler: a silent backend", () => {
  it("refuses a backendAnswerTimeoutMs that would answer every forward 503 at once, when the handler is made", () => {
    for (const backendAnswerTimeoutMs of [0, -5, 1.5, Number.NaN]) {
      expect(() => createFetchHandler(gatewayOver([]), { backendAnswerTimeoutMs })).toThrow("backendAnswerTimeoutMs must be a whole number of milliseconds");
    }
  });

  it("answers a forwarded GET 503 within backendAnswerTimeoutMs instead of waiting on it", async () => {
    const silent = await startAnswerPeer("silent");
    try {
      const handler = createFetchHandler(gatewayOver([{ name: "open", backend_type: "s3", anonymous_access: true, backend_options: { endpoint: silent.url, region: "us-east-1", bucket_name: "b", skip_signature: "true", force_path_style: "true" } }]), { log: () => undefined, backendAnswerTimeoutMs: 300 });
      const started = performance.now();
      const response = await handler(new Request("http://gateway.test/open/hello.txt"));
      expect([response.status, (await response.text()).match(/<Code>(\w+)<\/Code>/)?.[1]]).toEqual([503, "ServiceUnavailable"]);
      expect(performance.now() - started).toBeLessThan(3000);
    } finally {
      await silent.close();
    }
  });

  const uploader = [{ access_key_id: KEY.accessKeyId, secret_access_key: KEY.secretAccessKey, principal_name: "uploader", created_at: "2024-01-01T00:00:00Z", enabled: true, allowed_scopes: [{ bucket: "*", prefixes: [], actions: ["put_object"] }] }];
  const bucketAt = (endpoint: string) => [{ name: "open", backend_type: "s3", anonymous_access: true, backend_options: { endpoint, region: "us-east-1", bucket_name: "b", skip_signature: "true", force_path_style: "true" } }];
  /** A signed PUT whose body arrives in `parts` chunks, `gapMs` apart (plain and aws-chunked). */
  async function slowPut(parts: number, gapMs: number, chunked: boolean): Promise<Request> {
    const piece = new Uint8Array(1000).fill(97);
    const framed = (bytes: Uint8Array) => Buffer.concat([Buffer.from(`${bytes.length.toString(16)}\r\n`), bytes, Buffer.from("\r\n")]);
    const chunks = Array.from({ length: parts }, () => (chunked ? framed(piece) : piece));
    if (chunked) chunks.push(Buffer.from("0\r\n\r\n"));
    const length = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
    const extra: Record<string, string> = chunked ? { "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER", "content-encoding": "aws-chunked", "x-amz-decoded-content-length": String(parts * piece.length) } : { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" };
    const headers = await signedHeaders("http://gateway.test", KEY, { method: "PUT", path: "/open/slow.bin", headers: { ...extra, "content-length": String(length) } });
    let index = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (index === chunks.length) return controller.close();
        await new Promise((resolve) => setTimeout(resolve, gapMs));
        controller.enqueue(chunks[index++]!);
      },
    });
    return new Request("http://gateway.test/open/slow.bin", { method: "PUT", headers, body, duplex: "half" } as RequestInit);
  }

  it.each([
    ["a plain", false],
    ["an aws-chunked", true],
  ])("answers %s upload 503 once the backend had its body and stayed silent for backendAnswerTimeoutMs", async (_name, chunked) => {
    const silent = await startAnswerPeer("silent");
    try {
      const handler = createFetchHandler(gatewayOver(bucketAt(silent.url), uploader), { log: () => undefined, backendAnswerTimeoutMs: 300 });
      const started = performance.now();
      const response = await handler(await slowPut(2, 10, chunked));
      expect([response.status, (await response.text()).match(/<Code>(\w+)<\/Code>/)?.[1]]).toEqual([503, "ServiceUnavailable"]);
      expect(performance.now() - started).toBeLessThan(3000);
    } finally {
      await silent.close();
    }
  });

  it.each([
    ["a plain", false],
    ["an aws-chunked", true],
  ])("lets %s upload whose client is slower than backendAnswerTimeoutMs complete", async (_name, chunked) => {
    const origin = await startRecordingOrigin();
    try {
      // (The timeout also bounds the store's answer once the body is in: 1.5 s leaves a loaded machine room for it.)
      const handler = createFetchHandler(gatewayOver(bucketAt(origin.endpoint), uploader), { log: () => undefined, backendAnswerTimeoutMs: 1500 });
      // 6 parts 600 ms apart: 3.6 s of body, more than twice the answer timeout.
      const response = await handler(await slowPut(6, 600, chunked));
      expect(response.status).toBe(200);
      expect(origin.stored.get("/b/slow.bin")?.length).toBe(6000);
    } finally {
      await origin.close();
    }
  });
});

describe("the client's address on the fetch runtime", () => {
  /** A gateway over a bucket that answers 501 without a backend, recording each request's `sourceIp`. */
  function recording() {
    const seen: (string | undefined)[] = [];
    const registries = createStaticRegistries(parseConfig({ buckets: [{ name: "open", backend_type: "s3", anonymous_access: true, backend_options: { endpoint: "http://127.0.0.1:9", region: "us-east-1", bucket_name: "b", skip_signature: "true" } }], roles: [], credentials: [] }));
    const gateway = createGateway<ReadableStream>({
      buckets: registries.buckets,
      credentials: registries.credentials,
      backends: { s3: (bucket) => createS3Backend(bucket.backend_options) as never },
      middleware: [{ name: "recorder", before: (context) => void seen.push(context.sourceIp) }],
    });
    return { gateway, seen };
  }
  const forged = () => new Request("http://gateway.test/open?location", { headers: { "cf-connecting-ip": "203.0.113.66" } });

  it("never takes cf-connecting-ip from a client outside Cloudflare Workers (any client can send it there)", async () => {
    const { gateway, seen } = recording();
    await createFetchHandler(gateway, { log: () => {} })(forged());
    expect(seen).toEqual([undefined]);
  });

  it("takes the address the runtime gives through clientAddress (Deno's info, a Bun or Node wrapper's)", async () => {
    const { gateway, seen } = recording();
    const handler = createFetchHandler(gateway, { log: () => {}, clientAddress: (_request, env) => (env as { remoteAddr: { hostname: string } }).remoteAddr.hostname });
    await handler(forged(), { remoteAddr: { hostname: "198.51.100.9" } });
    expect(seen).toEqual(["198.51.100.9"]);
  });

  it("takes cf-connecting-ip on Cloudflare Workers, where the edge sets it", async () => {
    const { gateway, seen } = recording();
    vi.stubGlobal("navigator", { userAgent: "Cloudflare-Workers" });
    try {
      await createFetchHandler(gateway, { log: () => {} })(forged());
    } finally {
      vi.unstubAllGlobals();
    }
    expect(seen).toEqual(["203.0.113.66"]);
  });
});
