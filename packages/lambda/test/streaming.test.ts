/**
 * The streaming Lambda handler with events shaped as AWS documents them, in front of s3rver. Lambda's runtime is not
 * here, so its `awslambda` API is stood in for as AWS documents its wire format for Function URLs: `streamifyResponse`
 * hands the handler a writable stream, and `HttpResponseStream.from` writes the JSON prelude (status and headers)
 * followed by eight NUL bytes before the body.
 */
import { PassThrough } from "node:stream";
import { createS3Backend } from "@multistore/backend-s3";
import { createStaticRegistries, parseConfig } from "@multistore/config";
import { createGateway } from "@multistore/core";
import { startAnswerPeer, startS3rver, type S3rverHandle } from "@multistore/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLambdaStreamingHandler, type LambdaHttpEvent, type LambdaResponseStream } from "../src/index.js";
import { awslambda } from "./helpers/awslambda.js";

const DOMAIN = "abcdefghij.lambda-url.us-east-1.on.aws";

type StreamingHandler = (event: LambdaHttpEvent, stream: LambdaResponseStream, context: unknown) => Promise<void>;

/** Invokes the handler and splits what it streamed into prelude and body, as Lambda does. */
async function invoke(handler: StreamingHandler, method: string, path: string, headers: Record<string, string> = {}, context: unknown = {}) {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on("data", (chunk: Buffer) => chunks.push(chunk));
  // A response cut mid-body is destroyed with its error (Lambda then breaks the client's response).
  stream.on("error", () => {});
  const ended = new Promise<boolean>((resolve) => {
    stream.once("end", () => resolve(true));
    stream.once("close", () => resolve(stream.readableEnded));
  });
  const event: LambdaHttpEvent = { version: "2.0", rawPath: path, rawQueryString: "", headers: { host: DOMAIN, ...headers }, requestContext: { domainName: DOMAIN, http: { method, sourceIp: "192.0.2.44" } } };
  await handler(event, stream as unknown as LambdaResponseStream, context);
  const complete = await ended;
  const all = Buffer.concat(chunks);
  const delimiter = all.indexOf(Buffer.alloc(8));
  const prelude = JSON.parse(all.subarray(0, delimiter).toString()) as { statusCode: number; headers: Record<string, string> };
  return { ...prelude, body: all.subarray(delimiter + 8), complete };
}

/** A gateway with one anonymous bucket, `open`, on an S3 endpoint (unsigned). */
function openBucketAt(endpoint: string) {
  const config = parseConfig({ buckets: [{ name: "open", backend_type: "s3", anonymous_access: true, backend_options: { endpoint, region: "us-east-1", bucket_name: "b", skip_signature: "true", force_path_style: "true" } }], roles: [], credentials: [] });
  const registries = createStaticRegistries(config);
  return createGateway<ReadableStream>({ buckets: registries.buckets, credentials: registries.credentials, backends: { s3: (bucket) => createS3Backend(bucket.backend_options) as never } });
}

describe("createLambdaStreamingHandler", () => {
  let s3: S3rverHandle;
  let handler: StreamingHandler;
  let small: StreamingHandler;
  const lines: Record<string, unknown>[] = [];
  const object = Buffer.from(Array.from({ length: 9 * 1024 * 1024 }, (_, index) => index % 253));

  beforeAll(async () => {
    s3 = await startS3rver({ buckets: ["stream"] });
    const backend_options = { endpoint: s3.endpoint, region: "us-east-1", bucket_name: "stream", access_key_id: s3.accessKeyId, secret_access_key: s3.secretAccessKey, force_path_style: "true" };
    const config = parseConfig({ buckets: [{ name: "public", backend_type: "s3", anonymous_access: true, backend_options }], roles: [], credentials: [] });
    const registries = createStaticRegistries(config);
    const gateway = createGateway<ReadableStream>({ buckets: registries.buckets, credentials: registries.credentials, backends: { s3: (bucket) => createS3Backend(bucket.backend_options) as never } });
    handler = createLambdaStreamingHandler(gateway, { awslambda, log: (line) => void lines.push(line) }) as StreamingHandler;
    small = createLambdaStreamingHandler(gateway, { awslambda, maxResponseBytes: 1024 * 1024, log: () => {} }) as StreamingHandler;
    const put = await fetch(`${s3.endpoint}/stream/big.bin`, { method: "PUT", body: object });
    expect(put.status).toBe(200);
  }, 120_000);

  afterAll(async () => {
    await s3?.close();
  });

  it("streams an object larger than a buffered invocation allows, with its status and headers first", async () => {
    const answer = await invoke(handler, "GET", "/public/big.bin");
    expect([answer.statusCode, answer.headers["content-length"], answer.complete]).toEqual([200, String(object.length), true]);
    expect(answer.body.equals(object)).toBe(true);
    expect(answer.headers["x-amz-request-id"]).toMatch(/^[0-9A-F]{16}$/);
    expect(lines.at(-1)).toMatchObject({ method: "GET", status: 200, bytes: object.length });
  });

  it("leaves no listeners behind on its response stream however often it waits for a drain", async () => {
    // A small buffer read slowly: the 9 MiB object waits for many drains.
    const stream = new PassThrough({ highWaterMark: 16 * 1024 });
    const reader = setInterval(() => stream.read(), 1);
    const event: LambdaHttpEvent = { version: "2.0", rawPath: "/public/big.bin", rawQueryString: "", headers: { host: DOMAIN }, requestContext: { domainName: DOMAIN, http: { method: "GET", sourceIp: "192.0.2.44" } } };
    try {
      await handler(event, stream as unknown as LambdaResponseStream, {});
    } finally {
      clearInterval(reader);
    }
    expect([stream.listenerCount("close"), stream.listenerCount("error")].every((count) => count < 5)).toBe(true);
  });

  it("ends the invocation when the response stream closes while full, instead of waiting for a drain", async () => {
    // A stream nobody reads (a small buffer fills at once) that closes a moment later: Lambda's client went away.
    const stream = new PassThrough({ highWaterMark: 1024 });
    setTimeout(() => stream.destroy(), 200);
    const event: LambdaHttpEvent = { version: "2.0", rawPath: "/public/big.bin", rawQueryString: "", headers: { host: DOMAIN }, requestContext: { domainName: DOMAIN, http: { method: "GET", sourceIp: "192.0.2.44" } } };
    const started = performance.now();
    const outcome = await Promise.race([
      handler(event, stream as unknown as LambdaResponseStream, {}).then(
        () => "settled",
        () => "settled",
      ),
      new Promise((resolve) => setTimeout(() => resolve("still waiting"), 5000)),
    ]);
    expect(outcome).toBe("settled");
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it("streams a range, answers HEAD without a body and errors as S3 documents", async () => {
    const ranged = await invoke(handler, "GET", "/public/big.bin", { range: "bytes=1000-1999" });
    expect([ranged.statusCode, ranged.headers["content-range"], ranged.body.equals(object.subarray(1000, 2000))]).toEqual([206, `bytes 1000-1999/${object.length}`, true]);
    const head = await invoke(handler, "HEAD", "/public/big.bin");
    expect([head.statusCode, head.headers["content-length"], head.body.length]).toEqual([200, String(object.length), 0]);
    const missing = await invoke(handler, "GET", "/public/missing.bin");
    expect([missing.statusCode, /<Code>([^<]+)<\/Code>/.exec(missing.body.toString())?.[1]]).toEqual([404, "NoSuchKey"]);
  });

  it("refuses an object past maxResponseBytes before sending anything, with 413 naming the limit", async () => {
    const refused = await invoke(small, "GET", "/public/big.bin");
    expect(refused.statusCode).toBe(413);
    expect(refused.body.toString()).toContain("1048576-byte limit");
  });

  it("answers 503 within backendAnswerTimeoutMs when the backend's error document never ends", async () => {
    const trickle = await startAnswerPeer("trickle", { status: 403 });
    try {
      const gateway = openBucketAt(trickle.url);
      const quick = createLambdaStreamingHandler(gateway, { awslambda, backendAnswerTimeoutMs: 300, log: () => {} }) as StreamingHandler;
      const started = performance.now();
      const answer = await invoke(quick, "GET", "/open/hello.txt");
      expect([answer.statusCode, /<Code>([^<]+)<\/Code>/.exec(answer.body.toString())?.[1]]).toEqual([503, "ServiceUnavailable"]);
      expect(performance.now() - started).toBeLessThan(3000);
    } finally {
      await trickle.close();
    }
  });

  it("cuts a body still trickling at the invocation's deadline (less a margin), rather than being cut by Lambda", async () => {
    const trickle = await startAnswerPeer("trickle", { status: 200 });
    try {
      const gateway = openBucketAt(trickle.url);
      const handler = createLambdaStreamingHandler(gateway, { awslambda, log: () => {} }) as StreamingHandler;
      const started = performance.now();
      // (4 s: the gateway's deadline is then 3 s, time enough for the store's headers on a loaded machine, whose
      // lateness would turn the 200 into a 503.)
      const answer = await invoke(handler, "GET", "/open/slow.txt", {}, { getRemainingTimeInMillis: () => 4000 });
      // Headers went out at once: the body is cut, never ended as if complete.
      expect([answer.statusCode, answer.complete]).toEqual([200, false]);
      // Before Lambda's own cut at 4000 ms.
      expect(performance.now() - started).toBeLessThan(4000);
    } finally {
      await trickle.close();
    }
  });

  it("refuses to start outside Lambda without the runtime's API", () => {
    expect(() => createLambdaStreamingHandler(createGateway({ buckets: { getBucket: () => undefined, listBuckets: () => [] }, credentials: { getCredential: () => undefined }, backends: {} }))).toThrow("awslambda global");
  });
});
