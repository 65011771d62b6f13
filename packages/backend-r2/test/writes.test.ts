/** r2 backend write paths: known-length bodies, Content-MD5, multipart, copy and batch delete. */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Backend } from "@multistore/core/backend";
import { createR2Backend, type R2Bucket, type R2PutValue } from "../src/index.js";
import { codeOf, fresh, get, installFixedLengthStream, put, run, startR2, TestFixedLengthStream, text } from "./support.js";

let backend: Backend<ReadableStream>;
let bucket: R2Bucket;
let dispose: () => Promise<void>;
beforeAll(async () => {
  ({ bucket, dispose } = await startR2());
  backend = createR2Backend({ bucket });
});
afterAll(() => dispose());
afterEach(() => installFixedLengthStream());

const md5Base64 = async (body: string) => {
  const { createHash } = await import("node:crypto");
  return createHash("md5").update(body).digest("base64");
};

/** A bucket that records what put receives and stores nothing. */
function recordingBucket(received: R2PutValue[]): R2Bucket {
  const stored = { key: "k", size: 0, etag: "e", httpEtag: '"e"', uploaded: new Date(), storageClass: "Standard" };
  return {
    put: async (_key: string, value: R2PutValue) => {
      received.push(value);
      return stored;
    },
    get: async () => null,
    list: async () => ({ objects: [], delimitedPrefixes: [], truncated: false }),
  } as unknown as R2Bucket;
}

describe("request bodies", () => {
  it("sizes stream bodies with FixedLengthStream from the declared length", async () => {
    installFixedLengthStream();
    TestFixedLengthStream.made = [];
    const key = `${fresh()}sized`;
    expect((await put(backend, key, "hello world")).status).toBe(200);
    const chunked = await run(backend, { operation: "PutObject", key, headers: { "content-length": "999", "x-amz-decoded-content-length": "5" } }, "abcde");
    expect(chunked.status).toBe(200);
    expect(TestFixedLengthStream.made).toEqual([11, 5]);
    expect(text((await get(backend, key)).body)).toBe("abcde");
  });

  it("passes the stream as is where FixedLengthStream does not exist", async () => {
    installFixedLengthStream(false);
    const received: R2PutValue[] = [];
    const stub = createR2Backend({ bucket: recordingBucket(received) });
    const body = new ReadableStream<Uint8Array>({ start: (c) => (c.enqueue(new Uint8Array([1, 2, 3])), c.close()) });
    const dispatch = await stub.prepareObject({ operation: "PutObject", key: "k", headers: new Headers({ "content-length": "3" }) });
    if (dispatch.type !== "native") throw new Error("expected a native dispatch");
    await dispatch.execute(body, new AbortController().signal);
    expect(received[0]).toBe(body);
    // The real binding refuses a stream of unknown length (the test bucket does the same): an internal error.
    await expect(put(backend, `${fresh()}unsized`, "abc")).rejects.toThrow(/known length/);
  });

  it("refuses short bodies and bodies of unknown length", async () => {
    installFixedLengthStream();
    const key = `${fresh()}short`;
    const short = await run(backend, { operation: "PutObject", key, headers: { "content-length": "10" } }, "abc");
    expect(codeOf(short)).toBe("IncompleteBody");
    const unknown = await run(backend, { operation: "PutObject", key, headers: {} }, "abc");
    expect(codeOf(unknown)).toBe("MissingContentLength");
    expect((await get(backend, key)).status).toBe(404);
  });
});

describe("Content-MD5", () => {
  it("lets R2 verify the digest: BadDigest on mismatch, nothing stored", async () => {
    installFixedLengthStream();
    const key = `${fresh()}md5`;
    const wrong = await put(backend, key, "payload", { "content-md5": await md5Base64("other") });
    expect(wrong.status).toBe(400);
    expect(codeOf(wrong)).toBe("BadDigest");
    expect((await get(backend, key)).status).toBe(404);
    expect((await put(backend, key, "payload", { "content-md5": await md5Base64("payload") })).status).toBe(200);
    expect(codeOf(await put(backend, key, "payload", { "content-md5": "not base64" }))).toBe("InvalidDigest");
  });
});

describe("multipart", () => {
  it("checks part numbers, unknown uploads and write conditions", async () => {
    installFixedLengthStream();
    const key = `${fresh()}mpu`;
    await put(backend, key, "existing");
    const { uploadId } = await backend.createMultipartUpload(key, new Headers({ "content-type": "text/x-parts" }));
    const bad = await run(backend, { operation: "UploadPart", key, uploadId, partNumber: 0, headers: { "content-length": "1" } }, "x");
    expect(codeOf(bad)).toBe("InvalidArgument");
    const unknown = await run(backend, { operation: "UploadPart", key, uploadId: "nope", partNumber: 1, headers: { "content-length": "1" } }, "x");
    expect(codeOf(unknown)).toBe("NoSuchUpload");
    const part = await run(backend, { operation: "UploadPart", key, uploadId, partNumber: 1, headers: { "content-length": "4" } }, "data");
    expect(part.headers.get("etag")).toMatch(/^"[^"]+"$/);
    const parts = [{ partNumber: 1, etag: part.headers.get("etag")! }];
    await expect(backend.completeMultipartUpload(key, uploadId, [], new Headers())).rejects.toMatchObject({ code: "MalformedXML" });
    await expect(backend.completeMultipartUpload(key, uploadId, parts, new Headers({ "if-none-match": "*" }))).rejects.toMatchObject({ code: "PreconditionFailed" });
    const current = (await bucket.head(key))!.httpEtag;
    const done = await backend.completeMultipartUpload(key, uploadId, parts, new Headers({ "if-match": current }));
    expect(done.etag).toMatch(/^"[0-9a-f]{32}-1"$/);
    const got = await get(backend, key);
    expect(text(got.body)).toBe("data");
    expect(got.headers.get("content-type")).toBe("text/x-parts");
    await expect(backend.completeMultipartUpload(key, uploadId, parts, new Headers())).rejects.toMatchObject({ code: "NoSuchUpload" });
  });
});

describe("copy", () => {
  it("refuses copies onto itself unless metadata is replaced", async () => {
    installFixedLengthStream();
    const key = `${fresh()}self`;
    await put(backend, key, "body", { "content-type": "text/a" });
    const copy = (headers: Record<string, string>) => backend.copyObject({ sourceBackend: backend, sourceKey: key, key, headers: new Headers(headers) });
    await expect(copy({})).rejects.toMatchObject({ code: "InvalidRequest" });
    await expect(copy({ "x-amz-metadata-directive": "MOVE" })).rejects.toMatchObject({ code: "InvalidArgument" });
    await copy({ "x-amz-metadata-directive": "REPLACE", "content-type": "text/b" });
    const got = await get(backend, key);
    expect(got.headers.get("content-type")).toBe("text/b");
    expect(text(got.body)).toBe("body");
    // A new storage class or encryption asked for is a change, as on S3: the object is written again as it is.
    for (const headers of [{ "x-amz-storage-class": "STANDARD" }, { "x-amz-server-side-encryption": "AES256" }] as Record<string, string>[]) {
      await copy(headers);
      const again = await get(backend, key);
      expect([again.headers.get("content-type"), text(again.body)], JSON.stringify(headers)).toEqual(["text/b", "body"]);
    }
  });

  it("applies source and destination conditions", async () => {
    installFixedLengthStream();
    const prefix = fresh();
    const etag = (await put(backend, `${prefix}src`, "source")).headers.get("etag")!;
    await put(backend, `${prefix}dst`, "old");
    const copy = (headers: Record<string, string>) => backend.copyObject({ sourceBackend: backend, sourceKey: `${prefix}src`, key: `${prefix}dst`, headers: new Headers(headers) });
    await expect(copy({ "x-amz-copy-source-if-none-match": etag })).rejects.toMatchObject({ code: "PreconditionFailed" });
    const future = new Date(Date.now() + 86_400_000).toUTCString();
    await expect(copy({ "x-amz-copy-source-if-modified-since": future })).rejects.toMatchObject({ code: "PreconditionFailed" });
    await expect(copy({ "if-none-match": "*" })).rejects.toMatchObject({ code: "PreconditionFailed" });
    expect(text((await get(backend, `${prefix}dst`)).body)).toBe("old");
    const result = await copy({ "x-amz-copy-source-if-match": etag });
    expect(result.etag).toBe(etag);
    expect(text((await get(backend, `${prefix}dst`)).body)).toBe("source");
  });

  it("keeps the source's SHA digest unless the copy names another algorithm, and refuses one S3 does not know", async () => {
    installFixedLengthStream();
    const { createHash } = await import("node:crypto");
    const prefix = fresh();
    const sha256 = createHash("sha256").update("digested").digest("base64");
    expect((await put(backend, `${prefix}src`, "digested", { "x-amz-checksum-sha256": sha256 })).status).toBe(200);
    const copy = (key: string, headers: Record<string, string>) => backend.copyObject({ sourceBackend: backend, sourceKey: `${prefix}src`, key: `${prefix}${key}`, headers: new Headers(headers) });
    const checksumOf = async (key: string) => (await get(backend, `${prefix}${key}`, { "x-amz-checksum-mode": "ENABLED" })).headers.get("x-amz-checksum-sha256");
    expect((await copy("kept", {})).checksums).toEqual({ "x-amz-checksum-sha256": sha256 });
    expect(await checksumOf("kept")).toBe(sha256);
    expect((await copy("same", { "x-amz-checksum-algorithm": "SHA256" })).checksums).toEqual({ "x-amz-checksum-sha256": sha256 });
    // R2 keeps no CRC and cannot compute a digest before the put: a copy naming one it cannot keep is refused, and so
    // is one naming a SHA the source lacks (core refuses the CRCs before asking R2).
    await expect(copy("crc", { "x-amz-checksum-algorithm": "CRC32" })).rejects.toMatchObject({ code: "NotImplemented" });
    await expect(copy("sha1", { "x-amz-checksum-algorithm": "SHA1" })).rejects.toMatchObject({ code: "NotImplemented", status: 501 });
    for (const key of ["crc", "sha1"]) expect((await get(backend, `${prefix}${key}`)).status).toBe(404);
    await expect(copy("refused", { "x-amz-checksum-algorithm": "MD4" })).rejects.toMatchObject({ code: "InvalidRequest" });
    expect((await get(backend, `${prefix}refused`)).status).toBe(404);
  });

  it("echoes a SHA digest R2 verified itself, as a copy streamed from another store gives one", async () => {
    installFixedLengthStream();
    const { createHash } = await import("node:crypto");
    const key = `${fresh()}given-sha`;
    const sha256 = createHash("sha256").update("given").digest("base64");
    const written = await put(backend, key, "given", { "x-amz-checksum-sha256": sha256 });
    expect([written.status, written.headers.get("x-amz-checksum-sha256")]).toEqual([200, sha256]);
    const wrong = await put(backend, `${key}-wrong`, "other", { "x-amz-checksum-sha256": sha256 });
    expect(wrong.status).toBe(400);
    expect((await get(backend, `${key}-wrong`)).status).toBe(404);
  });

  it("copies from another binding, and refuses a source that is not an R2 backend", async () => {
    const other = createR2Backend({ bucket: { ...bucket } });
    const key = `${fresh()}cross-binding`;
    await put(backend, key, "across");
    await other.copyObject({ sourceBackend: backend, sourceKey: key, key: `${key}-copy`, headers: new Headers() });
    expect((await get(other, `${key}-copy`)).status).toBe(200);
    const foreign = { ...backend, kind: "s3" } as typeof backend;
    await expect(other.copyObject({ sourceBackend: foreign, sourceKey: key, key: "b", headers: new Headers() })).rejects.toMatchObject({ code: "NotImplemented" });
  });
});

describe("batch delete", () => {
  it("reports per-key errors when the binding fails", async () => {
    const failing = createR2Backend({ bucket: { ...recordingBucket([]), delete: async () => Promise.reject(new Error("delete: We encountered an internal error. (10001)")) } as R2Bucket });
    const result = await failing.deleteObjects(["a", "b", "é".repeat(600)]);
    expect(result.deleted).toEqual([]);
    expect(result.errors.map((error) => [error.key.slice(0, 1), error.code])).toEqual([["é", "KeyTooLongError"], ["a", "InternalError"], ["b", "InternalError"]]);
  });
});
