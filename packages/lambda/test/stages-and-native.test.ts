/**
 * The Lambda handlers in front of a local directory (the fs backend, as on an EFS mount): an HTTP API's named stage
 * and a custom domain's base path taken off the path but signed with it, events of the wrong payload format, the
 * response limit of a streamed native answer, and the invocation's deadline reached while the backend works.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { createFsBackend } from "@multistore/backend-fs";
import { createStaticRegistries, parseConfig } from "@multistore/config";
import { createGateway, type Gateway } from "@multistore/core";
import { signedHeaders } from "@multistore/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLambdaHandler, createLambdaStreamingHandler, type LambdaHttpEvent, type LambdaResponseStream } from "../src/index.js";
import { invocationDeadline } from "../src/invocation.js";
import { awslambda } from "./helpers/awslambda.js";

const DOMAIN = "abcdefghij.execute-api.us-east-1.amazonaws.com";
const KEY = { accessKeyId: "AKIALAMBDASTAGE00001", secretAccessKey: "lambda-stage-secret-0000000000000000000001" };
const SIX_MIB = 6 * 1024 * 1024;

let root: string;
let gateway: Gateway<ReadableStream>;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "multistore-lambda-fs-"));
  writeFileSync(join(root, "hello.txt"), "hello from a stage");
  writeFileSync(join(root, "big.bin"), Buffer.alloc(SIX_MIB, 7));
  writeFileSync(join(root, "mid.bin"), Buffer.alloc(SIX_MIB / 2, 3));
  writeFileSync(join(root, "empty.bin"), "");
  const registries = createStaticRegistries(
    parseConfig({
      buckets: [
        { name: "public", backend_type: "fs", anonymous_access: true, backend_options: { root } },
        { name: "private", backend_type: "fs", anonymous_access: false, backend_options: { root } },
      ],
      roles: [],
      credentials: [{ access_key_id: KEY.accessKeyId, secret_access_key: KEY.secretAccessKey, principal_name: "staged", created_at: "2024-01-01T00:00:00Z", enabled: true, allowed_scopes: [{ bucket: "*", prefixes: [], actions: ["get_object", "put_object"] }] }],
    }),
  );
  gateway = createGateway<ReadableStream>({ buckets: registries.buckets, credentials: registries.credentials, backends: { fs: (bucket) => createFsBackend(bucket.backend_options) as never }, keepAlive: false });
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

/** An HTTP API event (payload format 2.0) on `stage`. */
function event(method: string, rawPath: string, stage: string, headers: Record<string, string> = {}, body?: Buffer): LambdaHttpEvent {
  return {
    version: "2.0",
    rawPath,
    rawQueryString: "",
    headers: { host: DOMAIN, ...headers },
    requestContext: { domainName: DOMAIN, stage, http: { method, sourceIp: "192.0.2.7" } },
    ...(body && { body: body.toString("base64"), isBase64Encoded: true }),
  };
}

/** A header-signed event: the client signs the whole path it sent, stage included. */
async function signed(method: string, rawPath: string, stage: string, body?: Buffer): Promise<LambdaHttpEvent> {
  const headers = await signedHeaders(`https://${DOMAIN}`, KEY, { method, path: rawPath, headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" }, ...(body && { body }) });
  return event(method, rawPath, stage, Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value])), body);
}

const text = (result: { body: string; isBase64Encoded: boolean }) => Buffer.from(result.body, result.isBase64Encoded ? "base64" : "utf8").toString();

describe("paths under a base path", () => {
  it("takes a named stage off the path and verifies the signature over the path the client signed", async () => {
    const handler = createLambdaHandler(gateway, { log: () => {} });
    const anonymous = await handler(event("GET", "/prod/public/hello.txt", "prod"));
    expect([anonymous.statusCode, text(anonymous)]).toEqual([200, "hello from a stage"]);
    const put = await handler(await signed("PUT", "/prod/private/staged.txt", "prod", Buffer.from("signed under a stage")));
    expect(put.statusCode).toBe(200);
    const get = await handler(await signed("GET", "/prod/private/staged.txt", "prod"));
    expect([get.statusCode, text(get)]).toEqual([200, "signed under a stage"]);
    // A signature over the path without its stage is not the client's.
    const unstaged = await signed("GET", "/private/staged.txt", "prod");
    expect((await handler({ ...unstaged, rawPath: "/prod/private/staged.txt" })).statusCode).toBe(403);
    // `$default` has no stage in its paths; a segment that only starts with the stage's name is no stage.
    expect((await handler(event("GET", "/public/hello.txt", "$default"))).statusCode).toBe(200);
    expect(text(await handler(event("GET", "/production/x", "prod")))).toContain("<BucketName>production</BucketName>");
  });

  it("takes a custom domain's base path off instead when given one, and none when given an empty one", async () => {
    const mapped = createLambdaHandler(gateway, { basePath: "/s3/v1", log: () => {} });
    expect((await mapped(await signed("GET", "/s3/v1/private/staged.txt", "prod"))).statusCode).toBe(200);
    const none = createLambdaHandler(gateway, { basePath: "", log: () => {} });
    expect(text(await none(event("GET", "/prod/public/hello.txt", "prod")))).toContain("<BucketName>prod</BucketName>");
    for (const basePath of ["s3", "/s3/", "/s3?x", "/"]) expect(() => createLambdaHandler(gateway, { basePath })).toThrow("basePath must be");
  });
});

describe("header values past ASCII", () => {
  it("takes the text an event carries as the UTF-8 its client sent: a signature over it verifies, metadata is kept", async () => {
    const handler = createLambdaHandler(gateway, { log: () => {} });
    const headers = await signedHeaders(`https://${DOMAIN}`, KEY, { method: "PUT", path: "/private/meta.txt", headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD", "x-amz-meta-city": "Srīperumbūdūr, voilà" }, body: Buffer.from("metadata") });
    const lowercase = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
    // A CDN's geo header past U+00FF, unsigned, beside them.
    const put = await handler(event("PUT", "/private/meta.txt", "$default", { ...lowercase, "cf-ipcity": "Srīperumbūdūr" }, Buffer.from("metadata")));
    expect(put.statusCode, text(put)).toBe(200);
    const head = await handler(event("HEAD", "/public/meta.txt", "$default"));
    expect(head.headers["x-amz-meta-city"]).toBe(`=?UTF-8?B?${Buffer.from("Srīperumbūdūr, voilà").toString("base64")}?=`);
  });
});

describe("events of another payload format", () => {
  it("answers a REST API's, an ALB's or an empty event 500, and logs at error level that payload format 2.0 is needed", async () => {
    const lines: Record<string, unknown>[] = [];
    const handler = createLambdaHandler(gateway, { log: (line) => void lines.push(line) });
    const rest = { resource: "/{proxy+}", path: "/public/hello.txt", httpMethod: "GET", headers: {}, requestContext: { stage: "prod" } };
    for (const wrong of [rest, { httpMethod: "GET", path: "/", requestContext: { elb: {} } }, {}, null]) {
      const result = await handler(wrong as unknown as LambdaHttpEvent);
      expect([result.statusCode, text(result)]).toEqual([500, expect.stringContaining("<Code>InternalError</Code>")]);
    }
    expect(lines).toHaveLength(4);
    expect(lines.every((line) => line.level === "error" && line.status === 500 && String(line.msg).includes("payload format 2.0"))).toBe(true);
    // A header HTTP forbids is the client's: 400, at info level.
    const forbidden = await handler(event("GET", "/public/hello.txt", "$default", { "x-bad": "line\nbreak" }));
    expect([forbidden.statusCode, lines.at(-1)?.level]).toEqual([400, "info"]);
  });
});

/** The bytes a streamed invocation wrote: the prelude (status and headers), then the body. */
class Recorded extends Writable {
  chunks: Buffer[] = [];
  destroyedWith: Error | null | undefined;
  override _write(chunk: Buffer, _encoding: string, done: () => void) {
    this.chunks.push(chunk);
    done();
  }
  override _destroy(error: Error | null, done: (error?: Error | null) => void) {
    this.destroyedWith = error;
    done();
  }
  get prelude(): { statusCode: number } {
    return JSON.parse(this.chunks[0]!.toString()) as { statusCode: number };
  }
}

describe("a native backend's answer on Lambda", () => {
  it("refuses a streamed object past maxResponseBytes with 413 before anything is sent", async () => {
    const lines: Record<string, unknown>[] = [];
    const handler = createLambdaStreamingHandler(gateway, { awslambda, maxResponseBytes: 1024 * 1024, log: (line) => void lines.push(line) }) as (event: LambdaHttpEvent, stream: LambdaResponseStream, context: unknown) => Promise<void>;
    const out = new Recorded();
    await handler(event("GET", "/public/big.bin", "$default"), out as unknown as LambdaResponseStream, {});
    expect(out.prelude.statusCode).toBe(413);
    expect(Buffer.concat(out.chunks).toString()).toContain("<Code>EntityTooLarge</Code>");
    expect(lines.at(-1)).toMatchObject({ status: 413 });
  });

  it("logs a streamed body cut by the invocation's deadline as the failure it is, behind the 200 that was sent", async () => {
    const lines: Record<string, unknown>[] = [];
    const handler = createLambdaStreamingHandler(gateway, { awslambda, log: (line) => void lines.push(line) }) as (event: LambdaHttpEvent, stream: LambdaResponseStream, context: unknown) => Promise<void>;
    // A client reading slowly: the deadline comes while the body is on its way.
    const out = new Recorded();
    const write = out._write.bind(out);
    out._write = (chunk, encoding, done) => void setTimeout(() => write(chunk, encoding, done), 20);
    await handler(event("GET", "/public/big.bin", "$default"), out as unknown as LambdaResponseStream, { getRemainingTimeInMillis: () => 1000 });
    expect(out.prelude.statusCode).toBe(200);
    expect(out.destroyedWith).toBeInstanceOf(Error);
    expect(lines.at(-1)).toMatchObject({ level: "error", status: 200, errorCode: "ServiceUnavailable" });
    expect(lines.at(-1)!.bytes).toBeLessThan(SIX_MIB);
  });

  it("takes a deadline already passed as passed, at once: no timer to race a quick backend's answer", () => {
    expect(invocationDeadline({ getRemainingTimeInMillis: () => 0 })?.aborted).toBe(true);
    expect(invocationDeadline({ getRemainingTimeInMillis: () => 1 })?.aborted).toBe(true);
    expect(invocationDeadline({ getRemainingTimeInMillis: () => 5000 })?.aborted).toBe(false);
    expect(invocationDeadline({})).toBeUndefined();
  });

  it("answers a body the fs store gives without looking at the deadline (an empty object) 503 once the deadline passed, on both handlers", async () => {
    const expired = { getRemainingTimeInMillis: () => 0 };
    const lines: Record<string, unknown>[] = [];
    const buffered = createLambdaHandler(gateway, { log: (line) => void lines.push(line) });
    expect((await buffered(event("GET", "/public/empty.bin", "$default"), expired)).statusCode).toBe(503);
    const streaming = createLambdaStreamingHandler(gateway, { awslambda, log: (line) => void lines.push(line) }) as (event: LambdaHttpEvent, stream: LambdaResponseStream, context: unknown) => Promise<void>;
    const out = new Recorded();
    await streaming(event("GET", "/public/empty.bin", "$default"), out as unknown as LambdaResponseStream, expired);
    expect(out.prelude.statusCode).toBe(503);
    expect(lines.map((line) => [line.level, line.status, line.errorCode])).toEqual([["error", 503, "ServiceUnavailable"], ["error", 503, "ServiceUnavailable"]]);
  });

  it("answers a backend stopped by the invocation's deadline 503, as a forward's, never 500", async () => {
    const expired = { getRemainingTimeInMillis: () => 0 };
    const handler = createLambdaHandler(gateway, { log: () => {} });
    const statuses = new Set<number>();
    for (let attempt = 0; attempt < 5; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      statuses.add((await handler(event("GET", "/public/mid.bin", "$default"), expired)).statusCode);
      statuses.add((await handler(await signed("PUT", "/private/late.bin", "$default", Buffer.alloc(3 * 1024 * 1024, 1)), expired)).statusCode);
    }
    expect([...statuses]).toEqual([503]);
  });
});
