/** Object round trips, ranges, conditionals, content headers and metadata, aws-chunked uploads. */
import { createHash, randomBytes } from "node:crypto";
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from "node:zlib";
import { Readable } from "node:stream";
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, DeleteObjectCommand } from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { errorCode, rawRequest, sdkClient, signedRawRequest } from "./clients.js";
import { BACKENDS, BUCKETS, enforcesAll, etagIsMd5, type World } from "./setup.js";
import { requireTool, runTool, whichTool } from "../clients/tools.js";

const MiB = 1024 * 1024;
const md5 = (bytes: Uint8Array) => createHash("md5").update(bytes).digest("hex");

/** Registers object tests; `world()` gives the started world. */
export function objectBehaviour(world: () => World): void {
  describe.each(BACKENDS)("objects on the %s backend", (kind, bucket) => {
    const client = () => sdkClient(world(), world().admin);
    const whenWhenRequired = () => sdkClient(world(), world().admin, { requestChecksumCalculation: "WHEN_REQUIRED", responseChecksumValidation: "WHEN_REQUIRED" });

    it.each([
      ["small", 1234],
      ["20 MiB", 20 * MiB],
    ])("round-trips a %s object byte for byte", async (_label, size) => {
      const body = randomBytes(size);
      const key = `round-trip/${size}.bin`;
      const put = await whenWhenRequired().send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
      if (etagIsMd5(kind)) expect(put.ETag).toBe(`"${md5(body)}"`);
      else expect(put.ETag).toMatch(/^".+"$/);
      const got = await client().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const bytes = Buffer.from(await got.Body!.transformToByteArray());
      expect(bytes.length).toBe(size);
      expect(md5(bytes)).toBe(md5(body));
      expect(got.ContentLength).toBe(size);
    });

    it.each([
      ["gzip", gzipSync, gunzipSync],
      ["br", brotliCompressSync, brotliDecompressSync],
    ])("serves an object stored with Content-Encoding %s byte for byte, whole and ranged", async (encoding, compress, decompress) => {
      const text = Buffer.from("a compressible line of text\n".repeat(200));
      const stored = compress(text);
      const key = `encoded/${encoding}.txt`;
      const unsigned = { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" };
      const put = await signedRawRequest(world().endpoint, world().admin, { method: "PUT", path: `/${bucket}/${key}`, headers: { ...unsigned, "content-encoding": encoding, "content-type": "text/plain" }, body: stored });
      expect(put.status).toBe(200);
      // As S3 sends it to SDKs (no Accept-Encoding) and to clients that accept the encoding.
      for (const accept of [undefined, encoding]) {
        const headers = { ...unsigned, ...(accept && { "accept-encoding": accept }) };
        const whole = await signedRawRequest(world().endpoint, world().admin, { method: "GET", path: `/${bucket}/${key}`, headers });
        expect([whole.status, whole.headers["content-encoding"], whole.headers["content-length"], whole.body.equals(stored)], `Accept-Encoding: ${accept}`).toEqual([200, encoding, String(stored.length), true]);
        const ranged = await signedRawRequest(world().endpoint, world().admin, { method: "GET", path: `/${bucket}/${key}`, headers: { ...headers, range: "bytes=0-9" } });
        expect([ranged.status, ranged.headers["content-range"], ranged.body.equals(stored.subarray(0, 10))], `range, Accept-Encoding: ${accept}`).toEqual([206, `bytes 0-9/${stored.length}`, true]);
      }
      // A client refusing the encoding gets the stored bytes (S3, the Node server) or, where the platform negotiates
      // (workerd), the decoded text without the header: either way what it reads is the object.
      const refusing = await signedRawRequest(world().endpoint, world().admin, { method: "GET", path: `/${bucket}/${key}`, headers: { ...unsigned, "accept-encoding": "identity" } });
      expect(refusing.status).toBe(200);
      const served = refusing.headers["content-encoding"] === encoding ? decompress(refusing.body) : refusing.body;
      expect([refusing.headers["content-encoding"] ?? "identity", served.equals(text)]).toEqual([expect.stringMatching(new RegExp(`^(${encoding}|identity)$`)), true]);
    });

    it("stores a streamed upload from the SDK with default settings (aws-chunked with a trailer) without the framing", async () => {
      const body = randomBytes(300_000);
      const key = "chunked/stream.bin";
      await client().send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: Readable.from([body.subarray(0, 100_000), body.subarray(100_000)]), ContentLength: body.length }));
      const got = await client().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const bytes = Buffer.from(await got.Body!.transformToByteArray());
      expect(bytes.length).toBe(body.length);
      expect(md5(bytes)).toBe(md5(body));
    });

    it("serves ranges (206) including open and suffix ranges", async () => {
      const key = "range/digits.txt";
      await client().send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: "0123456789" }));
      const range = async (value: string) => {
        const got = await client().send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: value }));
        return { text: await got.Body!.transformToString(), contentRange: got.ContentRange, status: got.$metadata.httpStatusCode };
      };
      expect(await range("bytes=2-5")).toEqual({ text: "2345", contentRange: "bytes 2-5/10", status: 206 });
      expect(await range("bytes=7-")).toEqual({ text: "789", contentRange: "bytes 7-9/10", status: 206 });
      // s3rver answers suffix ranges from the start of the object (its bug); the native backend (fs or R2) is the proof here.
      if (enforcesAll(kind)) expect(await range("bytes=-3")).toEqual({ text: "789", contentRange: "bytes 7-9/10", status: 206 });
      const unsatisfiable = await signedRawRequest(world().endpoint, world().admin, { method: "GET", path: `/${bucket}/${key}`, headers: { range: "bytes=50-60", "x-amz-content-sha256": "UNSIGNED-PAYLOAD" } });
      expect(unsatisfiable.status).toBe(416);
      expect(errorCode(unsatisfiable.text)).toBe("InvalidRange");
      // No range of an empty object is satisfiable, as S3 answers (a 206 would announce `bytes 0--1/0`).
      await client().send(new PutObjectCommand({ Bucket: bucket, Key: "range/empty", Body: "" }));
      if (enforcesAll(kind)) {
        for (const range of ["bytes=0-", "bytes=0-0", "bytes=0-5"]) {
          const empty = await signedRawRequest(world().endpoint, world().admin, { method: "GET", path: `/${bucket}/range/empty`, headers: { range, "x-amz-content-sha256": "UNSIGNED-PAYLOAD" } });
          expect([empty.status, errorCode(empty.text)], range).toEqual([416, "InvalidRange"]);
        }
      }
    });

    it("answers conditional GETs with 304 and 412", async () => {
      const key = "conditional/get.txt";
      const put = await client().send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: "conditional" }));
      const request = (headers: Record<string, string>) =>
        signedRawRequest(world().endpoint, world().admin, { method: "GET", path: `/${bucket}/${key}`, headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD", ...headers } });
      const notModified = await request({ "if-none-match": put.ETag! });
      expect(notModified.status).toBe(304);
      expect(notModified.body.length).toBe(0);
      // The validators a cache revalidates with, as S3 sends them (RFC 9110, 15.4.5); s3rver's 304 has none.
      if (enforcesAll(kind)) {
        expect(notModified.headers.etag).toBe(put.ETag);
        expect(notModified.headers["last-modified"]).toMatch(/ GMT$/);
      }
      expect((await request({ "if-none-match": '"0000"' })).status).toBe(200);
      // s3rver ignores If-Match; the native backend (fs or R2) proves the 412 path.
      if (enforcesAll(kind)) {
        const failed = await request({ "if-match": '"0000"' });
        expect(failed.status).toBe(412);
        expect(errorCode(failed.text)).toBe("PreconditionFailed");
        expect((await request({ "if-match": put.ETag! })).status).toBe(200);
        // As S3 reads them: If-None-Match: * matches any object, an ETag with or without quotes or in a list, and
        // dates that are no dates are ignored (RFC 9110, 13.1.3).
        expect((await request({ "if-none-match": "*" })).status).toBe(304);
        expect((await request({ "if-match": put.ETag!.replaceAll('"', "") })).status).toBe(200);
        expect((await request({ "if-match": `"0000", ${put.ETag!}` })).status).toBe(200);
        expect((await request({ "if-none-match": `"0000", ${put.ETag!}` })).status).toBe(304);
        expect((await request({ "if-modified-since": "garbage" })).status).toBe(200);
        expect((await request({ "if-unmodified-since": "garbage" })).status).toBe(200);
      }
    });

    it("refuses a Content-MD5 that is no MD5 (InvalidDigest) or not the body's (BadDigest), storing nothing", async () => {
      const key = "digest/put.txt";
      const put = (contentMd5: string) =>
        signedRawRequest(world().endpoint, world().admin, { method: "PUT", path: `/${bucket}/${key}`, headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD", "content-md5": contentMd5 }, body: Buffer.from("digest") });
      for (const malformed of ["garbage", "AAAA", ""]) {
        const refused = await put(malformed);
        expect([refused.status, errorCode(refused.text)], malformed).toEqual([400, "InvalidDigest"]);
      }
      // (s3rver does not check Content-MD5.)
      if (enforcesAll(kind)) {
        const wrong = await put(createHash("md5").update("another body").digest("base64"));
        expect([wrong.status, errorCode(wrong.text)]).toEqual([400, "BadDigest"]);
      }
      await expect(client().send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
      expect((await put(createHash("md5").update("digest").digest("base64"))).status).toBe(200);
    });

    it("preserves content headers and user metadata", async () => {
      const key = "headers/meta.txt";
      await client().send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: "<p>hi</p>",
          ContentType: "text/html; charset=utf-8",
          ContentDisposition: 'attachment; filename="meta.txt"',
          CacheControl: "max-age=60",
          ContentLanguage: "en",
          Metadata: { colour: "blue", "multi-word": "x y z" },
        }),
      );
      for (const command of [new HeadObjectCommand({ Bucket: bucket, Key: key }), new GetObjectCommand({ Bucket: bucket, Key: key })]) {
        const got = await client().send(command as GetObjectCommand);
        expect(got.ContentType).toBe("text/html; charset=utf-8");
        expect(got.ContentDisposition).toBe('attachment; filename="meta.txt"');
        expect(got.CacheControl).toBe("max-age=60");
        expect(got.ContentLanguage).toBe("en");
        expect(got.Metadata).toEqual({ colour: "blue", "multi-word": "x y z" });
        expect(got.$metadata.requestId).toMatch(/^[0-9A-F]{16}$/);
      }
      // A header the client did not send is not stored: no runtime adds one of its own (a cache directive) on the way.
      await client().send(new PutObjectCommand({ Bucket: bucket, Key: "headers/plain.txt", Body: "plain" }));
      const plain = await client().send(new HeadObjectCommand({ Bucket: bucket, Key: "headers/plain.txt" }));
      expect([plain.CacheControl, plain.Expires, plain.ContentLanguage, plain.ContentDisposition, plain.Metadata]).toEqual([undefined, undefined, undefined, undefined, {}]);
    });

    it("keeps metadata a SigV4 client sends as raw UTF-8 (curl --aws-sigv4), answered as RFC 2047 words as S3 does", async () => {
      requireTool("curl", () => whichTool("curl") !== undefined, "apt-get install -y curl");
      const { accessKeyId, secretAccessKey } = world().admin;
      // curl signs the headers' bytes as sent: UTF-8, where Node hands header values over as Latin-1 and workerd as
      // text. "à" and "Р" hold the byte 0xA0, which is no space.
      const curl = (path: string, headers: string[], data = "raw utf-8") =>
        runTool("curl", ["-sS", "-w", "%{http_code}", "-X", "PUT", "--data-binary", data, "--aws-sigv4", "aws:amz:us-east-1:s3", "--user", `${accessKeyId}:${secretAccessKey}`,
          ...["x-amz-content-sha256: UNSIGNED-PAYLOAD", "content-type: text/plain", ...headers].flatMap((header) => ["-H", header]), `${world().endpoint}/${bucket}/${path}`]);
      const text = "café ☕ ключ, voilà Рим 東京\u3000タワー a\u00a0b";
      const put = await curl("meta/utf8.txt", [`x-amz-meta-name: ${text}`, "x-amz-meta-plain: ascii"]);
      expect(put.stdout.slice(-3), put.stdout).toBe("200");
      const head = await client().send(new HeadObjectCommand({ Bucket: bucket, Key: "meta/utf8.txt" }));
      const word = /^=\?UTF-8\?B\?([A-Za-z0-9+/=]+)\?=$/.exec(head.Metadata?.name ?? "");
      expect([head.Metadata?.plain, word && Buffer.from(word[1]!, "base64").toString("utf8")], JSON.stringify(head.Metadata)).toEqual(["ascii", text]);
      // A copy source sent as raw UTF-8 names the key it spells.
      await client().send(new PutObjectCommand({ Bucket: bucket, Key: "meta/ключ voilà.txt", Body: "source" }));
      const copied = await curl("meta/copied.txt", [`x-amz-copy-source: /${bucket}/meta/ключ voilà.txt`], "");
      expect(copied.stdout.slice(-3), copied.stdout).toBe("200");
      expect(await (await client().send(new GetObjectCommand({ Bucket: bucket, Key: "meta/copied.txt" }))).Body!.transformToString()).toBe("source");
    });

    it("answers NoSuchKey for missing objects and deletes idempotently", async () => {
      await expect(client().send(new GetObjectCommand({ Bucket: bucket, Key: "missing/nothing.txt" }))).rejects.toMatchObject({ name: "NoSuchKey", $metadata: { httpStatusCode: 404 } });
      await client().send(new PutObjectCommand({ Bucket: bucket, Key: "delete/me.txt", Body: "x" }));
      expect((await client().send(new DeleteObjectCommand({ Bucket: bucket, Key: "delete/me.txt" }))).$metadata.httpStatusCode).toBe(204);
      expect((await client().send(new DeleteObjectCommand({ Bucket: bucket, Key: "delete/me.txt" }))).$metadata.httpStatusCode).toBe(204);
      await expect(client().send(new HeadObjectCommand({ Bucket: bucket, Key: "delete/me.txt" }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
    });

    it("takes response-* overrides from signed requests only, refusing control characters, sending text past ASCII as UTF-8", async () => {
      const key = "overrides/report.txt";
      await client().send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: "report" }));
      const get = (query: Record<string, string>) => signedRawRequest(world().endpoint, world().admin, { method: "GET", path: `/${bucket}/${key}`, query, headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" } });
      const overridden = await get({ "response-content-type": "text/x-report", "response-content-disposition": "inline" });
      expect([overridden.status, overridden.headers["content-type"], overridden.headers["content-disposition"]]).toEqual([200, "text/x-report", "inline"]);
      for (const value of ["a\nb", "a\rb", "a\u0000b", "a\u0001b", "a\u007fb"]) {
        const refused = await get({ "response-content-disposition": value });
        expect([refused.status, errorCode(refused.text)], JSON.stringify(value)).toEqual([400, "InvalidArgument"]);
      }
      if (enforcesAll(kind)) {
        // A non-ASCII file name as RFC 6266 has it (s3rver answers this one with a 500 of its own).
        const named = await get({ "response-content-disposition": "attachment; filename*=UTF-8''%C3%A9t%C3%A9.txt" });
        expect([named.status, named.headers["content-disposition"]]).toEqual([200, "attachment; filename*=UTF-8''%C3%A9t%C3%A9.txt"]);
        // Raw text past ASCII, as web apps name downloads: S3 sends its UTF-8 bytes (the client reads them as Latin-1).
        const raw = 'attachment; filename="été ключ €.txt"';
        const utf8 = await get({ "response-content-disposition": raw });
        expect([utf8.status, Buffer.from(String(utf8.headers["content-disposition"]), "latin1").toString("utf8")]).toEqual([200, raw]);
      }
      // An anonymous-read twin of the bucket: anonymous reads are allowed there, overrides not (as S3).
      const publicBucket = kind === "s3" ? BUCKETS.publicS3 : kind === "native" ? BUCKETS.publicNative : undefined;
      if (publicBucket !== undefined) {
        const anonymous = await rawRequest(world().endpoint, { method: "GET", path: `/${publicBucket}/anything.txt?response-content-type=text%2Fhtml` });
        expect([anonymous.status, errorCode(anonymous.text)]).toEqual([400, "InvalidRequest"]);
      }
    });

    it("carries x-amz-request-id and Server-Timing on every response", async () => {
      const response = await signedRawRequest(world().endpoint, world().admin, { method: "GET", path: `/${bucket}/missing/x`, headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" } });
      expect(response.status).toBe(404);
      expect(response.headers["x-amz-request-id"]).toMatch(/^[0-9A-F]{16}$/);
      expect(response.headers["server-timing"]).toMatch(/total;dur=/);
      expect(response.text).toContain(`<RequestId>${response.headers["x-amz-request-id"]}</RequestId>`);
    });
  });

  describe("conditional writes (native backend; s3rver does not enforce them)", () => {
    const client = () => sdkClient(world(), world().admin);
    it("refuses If-None-Match: * over an existing object and If-Match with a stale ETag", async () => {
      const key = "conditional/put.txt";
      await client().send(new PutObjectCommand({ Bucket: BUCKETS.native, Key: key, Body: "first", IfNoneMatch: "*" }));
      await expect(client().send(new PutObjectCommand({ Bucket: BUCKETS.native, Key: key, Body: "second", IfNoneMatch: "*" }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 412 } });
      await expect(client().send(new PutObjectCommand({ Bucket: BUCKETS.native, Key: key, Body: "third", IfMatch: '"00000000000000000000000000000000"' }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 412 } });
      const head = await client().send(new HeadObjectCommand({ Bucket: BUCKETS.native, Key: key }));
      await client().send(new PutObjectCommand({ Bucket: BUCKETS.native, Key: key, Body: "fourth", IfMatch: head.ETag! }));
      const got = await client().send(new GetObjectCommand({ Bucket: BUCKETS.native, Key: key }));
      expect(await got.Body!.transformToString()).toBe("fourth");
    });
  });
}
