/** r2 backend reads and writes beyond the shared contract: ranges, conditions, versions, keys, construction. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Backend } from "@multistore/core/backend";
import { createR2Backend, type R2Bucket } from "../src/index.js";
import { codeOf, fresh, get, installFixedLengthStream, put, run, startR2, text } from "./support.js";

installFixedLengthStream();

let backend: Backend<ReadableStream>;
let bucket: R2Bucket;
let dispose: () => Promise<void>;
beforeAll(async () => {
  ({ bucket, dispose } = await startR2());
  backend = createR2Backend({ bucket });
});
afterAll(() => dispose());

describe("construction", () => {
  it("requires a binding", () => {
    expect(() => createR2Backend({ bucket: undefined as never })).toThrow(/binding .*is required for backend_type = r2/);
    expect(() => createR2Backend(undefined as never)).toThrow(/is required for backend_type = r2/);
  });

  it("puts every binding in one copy domain (a Worker can stream between any two)", () => {
    const again = createR2Backend({ bucket });
    expect(again.kind).toBe("r2");
    expect(again.copyDomain).toBe(backend.copyDomain);
    expect(createR2Backend({ bucket: { ...bucket } }).copyDomain).toBe(backend.copyDomain);
  });
});

describe("ranges", () => {
  it("answers 416 with the object size, conditions first", async () => {
    const key = `${fresh()}range`;
    const etag = (await put(backend, key, "0123456789")).headers.get("etag")!;
    for (const range of ["bytes=10-", "bytes=99-100", "bytes=-0"]) {
      const refused = await get(backend, key, { range });
      expect(refused.status, range).toBe(416);
      expect(codeOf(refused)).toBe("InvalidRange");
      expect(refused.headers.get("content-range")).toBe("bytes */10");
    }
    expect((await get(backend, key, { range: "bytes=10-", "if-none-match": etag })).status).toBe(304);
    const head = await run(backend, { operation: "HeadObject", key, headers: { range: "bytes=3-4" } });
    expect(head.status).toBe(206);
    expect(head.headers.get("content-range")).toBe("bytes 3-4/10");
    expect(head.headers.get("content-length")).toBe("2");
  });

  it("serves ranges of empty objects as S3 does", async () => {
    const key = `${fresh()}empty`;
    await put(backend, key, "");
    const suffix = await get(backend, key, { range: "bytes=-5" });
    expect(suffix.status).toBe(200);
    expect(suffix.body.length).toBe(0);
    const open = await get(backend, key, { range: "bytes=0-" });
    expect(open.status).toBe(416);
    expect(open.headers.get("content-range")).toBe("bytes */0");
  });

  it("ignores invalid and multiple ranges", async () => {
    const key = `${fresh()}ignored`;
    await put(backend, key, "abcdef");
    for (const range of ["bytes=4-2", "bytes=0-1,3-4", "items=0-1"]) {
      const response = await get(backend, key, { range });
      expect(response.status, range).toBe(200);
      expect(text(response.body)).toBe("abcdef");
    }
  });
});

describe("conditional reads", () => {
  it("evaluates ETag lists and weak ETags, which R2's conditional cannot express", async () => {
    const key = `${fresh()}lists`;
    const etag = (await put(backend, key, "content")).headers.get("etag")!;
    const other = '"0123456789abcdef0123456789abcdef"';
    expect((await get(backend, key, { "if-match": `${other}, ${etag}` })).status).toBe(200);
    expect((await get(backend, key, { "if-match": `W/${etag}` })).status).toBe(200);
    expect((await get(backend, key, { "if-match": `${other}, "x"` })).status).toBe(412);
    expect((await get(backend, key, { "if-none-match": `${other}, ${etag}` })).status).toBe(304);
    expect((await get(backend, key, { "if-none-match": "*" })).status).toBe(304);
    expect((await get(backend, key, { "if-match": "*" })).status).toBe(200);
  });

  it("compares dates in whole seconds, as HTTP dates are", async () => {
    const key = `${fresh()}dates`;
    await put(backend, key, "content");
    const lastModified = (await run(backend, { operation: "HeadObject", key })).headers.get("last-modified")!;
    expect((await get(backend, key, { "if-modified-since": lastModified })).status).toBe(304);
    expect((await get(backend, key, { "if-unmodified-since": lastModified })).status).toBe(200);
    const before = new Date(Date.parse(lastModified) - 1000).toUTCString();
    expect((await get(backend, key, { "if-modified-since": before })).status).toBe(200);
    expect((await get(backend, key, { "if-unmodified-since": before })).status).toBe(412);
    expect((await get(backend, key, { "if-modified-since": "not a date" })).status).toBe(200);
    // A present If-None-Match makes If-Modified-Since irrelevant.
    expect((await get(backend, key, { "if-none-match": '"other"', "if-modified-since": lastModified })).status).toBe(200);
    // Dates R2 does not take (after 2189, before 1970) decide as the nearest it takes: no 500 from its TypeError.
    const far = "Fri, 31 Dec 9999 23:59:59 GMT";
    const early = "Mon, 01 Jan 1900 00:00:00 GMT";
    expect((await get(backend, key, { "if-modified-since": far })).status).toBe(304);
    expect((await get(backend, key, { "if-unmodified-since": far })).status).toBe(200);
    expect((await get(backend, key, { "if-modified-since": early })).status).toBe(200);
    expect((await get(backend, key, { "if-unmodified-since": early })).status).toBe(412);
  });

  it("answers 304 with the validators a cache needs", async () => {
    const key = `${fresh()}304`;
    const etag = (await put(backend, key, "content")).headers.get("etag")!;
    const response = await get(backend, key, { "if-none-match": etag });
    expect(response.status).toBe(304);
    expect(response.headers.get("etag")).toBe(etag);
    expect(response.headers.get("last-modified")).toBeTruthy();
  });
});

describe("conditional writes", () => {
  it("answers NoSuchKey to If-Match on a missing key and checks If-Match lists", async () => {
    const key = `${fresh()}cas`;
    const missing = await put(backend, key, "v1", { "if-match": '"0123456789abcdef0123456789abcdef"' });
    expect(missing.status).toBe(404);
    expect(codeOf(missing)).toBe("NoSuchKey");
    const etag = (await put(backend, key, "v1")).headers.get("etag")!;
    expect((await put(backend, key, "v2", { "if-match": `"aaa", ${etag}` })).status).toBe(200);
    expect((await put(backend, key, "v3", { "if-match": `"aaa", ${etag}` })).status).toBe(412);
    expect((await put(backend, key, "v4", { "if-match": "*" })).status).toBe(200);
    const refused = await put(backend, key, "v5", { "if-none-match": '"abc"' });
    expect(codeOf(refused)).toBe("NotImplemented");
    expect(text((await get(backend, key)).body)).toBe("v4");
  });
});

describe("keys, versions and metadata", () => {
  it("refuses keys longer than 1024 bytes and version ids other than null", async () => {
    const long = await put(backend, "é".repeat(513), "x");
    expect(codeOf(long)).toBe("KeyTooLongError");
    const key = `${fresh()}versioned`;
    await put(backend, key, "x");
    expect((await run(backend, { operation: "GetObject", key, versionId: "null" })).status).toBe(200);
    const version = await run(backend, { operation: "GetObject", key, versionId: "abc" });
    expect(codeOf(version)).toBe("NoSuchVersion");
  });

  it("stores content headers in httpMetadata and user metadata in customMetadata", async () => {
    const key = `${fresh()}meta`;
    await put(backend, key, "x", { "content-type": "text/plain", "content-encoding": "gzip, aws-chunked", "x-amz-meta-Color": "blue", expires: "nonsense" });
    const stored = (await bucket.head(key))!;
    expect(stored.httpMetadata).toMatchObject({ contentType: "text/plain", contentEncoding: "gzip" });
    expect(stored.httpMetadata?.cacheExpiry).toBeUndefined();
    expect(stored.customMetadata).toEqual({ color: "blue" });
    const got = await get(backend, key);
    expect(got.headers.get("content-encoding")).toBe("gzip");
    expect(got.headers.get("x-amz-meta-color")).toBe("blue");
    expect(got.headers.get("accept-ranges")).toBe("bytes");
  });

  it("serves objects written by other R2 clients", async () => {
    const key = `${fresh()}foreign`;
    await bucket.put(key, "hello", { customMetadata: { "Odd Name": "v" } });
    const got = await get(backend, key);
    expect(got.status).toBe(200);
    expect(got.headers.get("content-type")).toBe("binary/octet-stream");
    expect(text(got.body)).toBe("hello");
  });
});
