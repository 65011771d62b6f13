/**
 * Payload modes as real clients send them: signed hex payload hashes, SDK checksums in headers and trailers, signed
 * streaming, legacy Signature Version 2, and presigned URLs carrying checksum parameters. A body that fails its check
 * is refused and nothing is stored (an existing object stays as it was).
 */
import { createHash, randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
  type ChecksumAlgorithm as SdkAlgorithm,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { describe, expect, it } from "vitest";
import { errorCode, rawRequest, sdkClient, signedRawRequest } from "./clients.js";
import { checksumOf, sigV2PresignedPath, sigV2Request, signedStreamingUpload, trailerUpload } from "./payload-clients.js";
import { BUCKETS, type World } from "./setup.js";

const MiB = 1024 * 1024;
const ALGORITHMS = ["CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"] as const;
const fieldOf = (algorithm: (typeof ALGORITHMS)[number]) => `Checksum${algorithm}` as const;

/** Registers payload tests. */
export function payloadBehaviour(world: () => World): void {
  describe.each([["s3", BUCKETS.s3], ["native", BUCKETS.native]] as const)("payload verification on the %s backend", (kind, bucket) => {
    const client = () => sdkClient(world(), world().admin);
    const unsigned = { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" };
    const read = (key: string) => signedRawRequest(world().endpoint, world().admin, { method: "GET", path: `/${bucket}/${key}`, headers: unsigned });
    /**
     * Reads what a refused upload left behind. s3rver writes in place as bytes arrive, so a cut upload can leave an
     * entry whose size it announces but whose bytes it lacks: the gateway passes that short body through and the
     * connection is cut (no servable object). The native backend must simply have nothing (or the old object).
     */
    const readLeftover = (key: string) =>
      kind === "native" ? read(key) : read(key).catch((error: Error) => ({ status: 0, headers: {}, body: Buffer.alloc(0), text: `(cut: ${error.message})` }));
    /** The refused body must not be stored: no object at all on the native backend. */
    const expectNotStored = async (key: string, refused: Buffer) => {
      const stored = await readLeftover(key);
      if (kind === "native") return expect(stored.status).toBe(404);
      // s3rver writes an upload in place as it arrives and keeps what came before the connection was cut, where S3
      // discards a body shorter than its Content-Length: what matters is that the backend never got all of it.
      if (stored.status === 200) expect(stored.body.length).toBeLessThan(refused.length);
    };

    it("refuses a body that differs from its signed x-amz-content-sha256 (400, nothing stored, old object kept)", async () => {
      const key = "payload/sha-mismatch.bin";
      const body = randomBytes(3 * MiB);
      const declared = createHash("sha256").update("something else").digest("hex");
      const refused = await signedRawRequest(world().endpoint, world().admin, { method: "PUT", path: `/${bucket}/${key}`, headers: { "x-amz-content-sha256": declared }, body });
      expect([refused.status, errorCode(refused.text)]).toEqual([400, "XAmzContentSHA256Mismatch"]);
      await expectNotStored(key, body);
      const kept = "payload/sha-kept.txt";
      await client().send(new PutObjectCommand({ Bucket: bucket, Key: kept, Body: "original" }));
      const overwrite = await signedRawRequest(world().endpoint, world().admin, { method: "PUT", path: `/${bucket}/${kept}`, headers: { "x-amz-content-sha256": declared }, body: "replacement" });
      expect(overwrite.status).toBe(400);
      const after = (await readLeftover(kept)).text;
      if (kind === "native") expect(after).toBe("original");
      else expect(after).not.toBe("replacement");
      const matching = await signedRawRequest(world().endpoint, world().admin, { method: "PUT", path: `/${bucket}/${key}`, headers: { "x-amz-content-sha256": createHash("sha256").update(body).digest("hex") }, body });
      expect(matching.status).toBe(200);
    });

    it("refuses an x-amz-content-sha256 that is neither a SHA-256 nor a known marker, and a digest on an aws-chunked body", async () => {
      const key = "payload/bad-hash.txt";
      const digest = createHash("sha256").update("hello").digest("hex");
      for (const value of [digest.slice(1), `${digest}0`, "notahash", "STREAMING-BOGUS", "unsigned-payload"]) {
        const refused = await signedRawRequest(world().endpoint, world().admin, { method: "PUT", path: `/${bucket}/${key}`, headers: { "x-amz-content-sha256": value }, body: "hello" });
        expect([refused.status, errorCode(refused.text)], value).toEqual([400, "InvalidArgument"]);
      }
      // "hello" framed as one aws-chunked chunk, with the digest of the decoded bytes: never checked, so refused.
      const framed = "5\r\nhello\r\n0\r\n\r\n";
      const chunked = await signedRawRequest(world().endpoint, world().admin, {
        method: "PUT",
        path: `/${bucket}/${key}`,
        headers: { "x-amz-content-sha256": digest, "content-encoding": "aws-chunked", "x-amz-decoded-content-length": "5" },
        body: framed,
      });
      expect([chunked.status, errorCode(chunked.text)]).toEqual([400, "InvalidArgument"]);
      expect((await readLeftover(key)).status).toBe(404);
    });

    it.each(ALGORITHMS)("stores SDK uploads checksummed with %s, streamed (trailer) and buffered (header), and returns the checksum when asked", async (algorithm) => {
      const body = randomBytes(200_000);
      const expected = await checksumOf(algorithm.toLowerCase() as never, body);
      for (const [form, payload] of [["trailer", () => Readable.from([body.subarray(0, 90_000), body.subarray(90_000)])], ["header", () => body]] as const) {
        const key = `payload/sdk-${algorithm}-${form}.bin`;
        await client().send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: payload(), ContentLength: body.length, ChecksumAlgorithm: algorithm as SdkAlgorithm }));
        // With ChecksumMode the SDK also validates the body against any checksum returned.
        const got = await client().send(new GetObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: "ENABLED" }));
        expect(Buffer.from(await got.Body!.transformToByteArray()).equals(body)).toBe(true);
        const returned = got[fieldOf(algorithm)];
        // s3rver keeps no checksums, so the s3 backend (which forwards x-amz-checksum-mode) has none to return here.
        if (kind === "s3") continue;
        const r2Keeps = form === "header" && (algorithm === "SHA1" || algorithm === "SHA256");
        if (world().exceptions.nativeChecksumsShaHeadersOnly && !r2Keeps) expect(returned).toBeUndefined();
        else expect(returned).toBe(expected);
        const head = await client().send(new HeadObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: "ENABLED" }));
        expect(head[fieldOf(algorithm)]).toBe(returned);
      }
    });

    it("keeps the source's checksum on a copy (CopyObjectResult shows it), computes one the copy names, and refuses an algorithm S3 does not know", async () => {
      const body = randomBytes(50_000);
      const sha256 = await checksumOf("sha256", body);
      await client().send(new PutObjectCommand({ Bucket: bucket, Key: "payload/copy-src.bin", Body: body, ChecksumAlgorithm: "SHA256" }));
      const copied = await client().send(new CopyObjectCommand({ Bucket: bucket, Key: "payload/copy-dst.bin", CopySource: `${bucket}/payload/copy-src.bin` }));
      const refused = await signedRawRequest(world().endpoint, world().admin, { method: "PUT", path: `/${bucket}/payload/copy-refused.bin`, headers: { ...unsigned, "x-amz-copy-source": `/${bucket}/payload/copy-src.bin`, "x-amz-checksum-algorithm": "MD4" } });
      expect([refused.status, errorCode(refused.text)]).toEqual([400, "InvalidRequest"]);
      // s3rver keeps no checksums to copy.
      if (kind === "s3") return;
      expect([copied.CopyObjectResult?.ChecksumSHA256, copied.CopyObjectResult?.ChecksumType]).toEqual([sha256, "FULL_OBJECT"]);
      const head = await client().send(new HeadObjectCommand({ Bucket: bucket, Key: "payload/copy-dst.bin", ChecksumMode: "ENABLED" }));
      expect(head.ChecksumSHA256).toBe(sha256);
      // A copy naming another algorithm keeps that one alone, computed while copying (fs); R2 keeps no CRC, so such a
      // copy is refused rather than made without it.
      const renaming = new CopyObjectCommand({ Bucket: bucket, Key: "payload/copy-crc.bin", CopySource: `${bucket}/payload/copy-src.bin`, ChecksumAlgorithm: "CRC32" });
      if (world().exceptions.nativeChecksumsShaHeadersOnly) {
        await expect(client().send(renaming)).rejects.toMatchObject({ name: "NotImplemented", $metadata: { httpStatusCode: 501 } });
        return;
      }
      const renamed = await client().send(renaming);
      const crc32 = await checksumOf("crc32", body);
      expect([renamed.CopyObjectResult?.ChecksumCRC32, renamed.CopyObjectResult?.ChecksumSHA256]).toEqual([crc32, undefined]);
      expect((await client().send(new GetObjectCommand({ Bucket: bucket, Key: "payload/copy-crc.bin", ChecksumMode: "ENABLED" }))).ChecksumCRC32).toBe(crc32);
    });

    it("refuses a tampered trailer checksum with BadDigest and stores nothing", async () => {
      const data = randomBytes(100_000);
      const good = await trailerUpload(world().endpoint, world().admin, `/${bucket}/payload/trailer-good.bin`, data, { name: "x-amz-checksum-crc32", value: await checksumOf("crc32", data) });
      expect(good.status).toBe(200);
      expect((await read("payload/trailer-good.bin")).body.equals(data)).toBe(true);
      const key = "payload/trailer-bad.bin";
      const bad = await trailerUpload(world().endpoint, world().admin, `/${bucket}/${key}`, data, { name: "x-amz-checksum-crc32", value: await checksumOf("crc32", randomBytes(8)) });
      expect([bad.status, errorCode(bad.text)]).toEqual([400, "BadDigest"]);
      await expectNotStored(key, data);
      const sha = await trailerUpload(world().endpoint, world().admin, `/${bucket}/${key}`, data, { name: "x-amz-checksum-sha256", value: await checksumOf("sha256", Buffer.from("x")) });
      expect([sha.status, errorCode(sha.text)]).toEqual([400, "BadDigest"]);
      await expectNotStored(key, data);
      const empty = await trailerUpload(world().endpoint, world().admin, `/${bucket}/payload/trailer-empty.bin`, Buffer.alloc(0), { name: "x-amz-checksum-crc32", value: await checksumOf("crc32", data) });
      expect([empty.status, errorCode(empty.text)]).toEqual([400, "BadDigest"]);
      const emptyRead = await readLeftover("payload/trailer-empty.bin");
      // s3rver may keep a broken entry for a cut upload (its reads then fail): nothing servable may be stored.
      if (kind === "native") expect(emptyRead.status).toBe(404);
      else expect(emptyRead.status).not.toBe(200);
    });

    it("refuses a trailer section that does not end (a flood of trailer lines) with 400 and stores nothing", async () => {
      const key = "payload/trailer-flood.bin";
      // A valid checksum trailer first: what follows is all that is wrong with this body.
      const lines = [`x-amz-checksum-crc32:${await checksumOf("crc32", Buffer.from("abc"))}`, ...Array.from({ length: 2000 }, () => "x-a:b")].join("\r\n");
      const body = Buffer.from(`3\r\nabc\r\n0\r\n${lines}\r\n\r\n`);
      const flood = await signedRawRequest(world().endpoint, world().admin, {
        method: "PUT",
        path: `/${bucket}/${key}`,
        headers: { "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER", "content-encoding": "aws-chunked", "x-amz-decoded-content-length": "3", "x-amz-trailer": "x-amz-checksum-crc32" },
        body,
      });
      expect([flood.status, errorCode(flood.text)]).toEqual([400, "MalformedTrailerError"]);
      await expectNotStored(key, Buffer.from("abc"));
    });

    it("refuses an aws-chunked upload whose body is empty, with no framing at all (400 IncompleteBody, nothing stored)", async () => {
      const key = "payload/unframed-empty.bin";
      const empty = await signedRawRequest(world().endpoint, world().admin, {
        method: "PUT",
        path: `/${bucket}/${key}`,
        headers: { "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER", "content-encoding": "aws-chunked", "x-amz-decoded-content-length": "0" },
        body: Buffer.alloc(0),
      });
      expect([empty.status, errorCode(empty.text)]).toEqual([400, "IncompleteBody"]);
      expect((await readLeftover(key)).status).toBe(404);
      // The smallest framing there is, for an empty object, is accepted.
      const framed = await signedRawRequest(world().endpoint, world().admin, {
        method: "PUT",
        path: `/${bucket}/${key}`,
        headers: { "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER", "content-encoding": "aws-chunked", "x-amz-decoded-content-length": "0" },
        body: Buffer.from("0\r\n\r\n"),
      });
      expect(framed.status).toBe(200);
      const stored = await read(key);
      expect([stored.status, stored.body.length]).toEqual([200, 0]);
    });

    it("refuses signed streaming with a tampered chunk (SignatureDoesNotMatch) and stores nothing", async () => {
      const chunks = [randomBytes(64 * 1024), randomBytes(10_000)];
      const good = await signedStreamingUpload(world().endpoint, world().admin, `/${bucket}/payload/signed-good.bin`, chunks);
      expect(good.status).toBe(200);
      expect((await read("payload/signed-good.bin")).body.equals(Buffer.concat(chunks))).toBe(true);
      const key = "payload/signed-bad.bin";
      const bad = await signedStreamingUpload(world().endpoint, world().admin, `/${bucket}/${key}`, chunks, true);
      expect([bad.status, errorCode(bad.text)]).toEqual([403, "SignatureDoesNotMatch"]);
      await expectNotStored(key, Buffer.concat(chunks));
    });

    it("keeps a multipart upload's checksums through CompleteMultipartUpload (SDK with ChecksumAlgorithm)", async () => {
      const key = "payload/multipart-crc32.bin";
      const parts = [randomBytes(5 * MiB), randomBytes(1000)];
      const created = await client().send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ChecksumAlgorithm: "CRC32" }));
      const completedParts = [];
      for (const [index, part] of parts.entries()) {
        const uploaded = await client().send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: created.UploadId, PartNumber: index + 1, Body: part, ChecksumAlgorithm: "CRC32" }));
        // The native backends echo the part checksum they verified, as S3 does (s3rver keeps none).
        if (kind === "native") expect(uploaded.ChecksumCRC32).toBe(await checksumOf("crc32", part));
        completedParts.push({ PartNumber: index + 1, ETag: uploaded.ETag!, ...(uploaded.ChecksumCRC32 && { ChecksumCRC32: uploaded.ChecksumCRC32 }) });
      }
      await client().send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: created.UploadId, MultipartUpload: { Parts: completedParts } }));
      const got = await client().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      expect(Buffer.from(await got.Body!.transformToByteArray()).equals(Buffer.concat(parts))).toBe(true);
    });
  });

  describe.each([["s3", BUCKETS.s3], ["native", BUCKETS.native]] as const)("Signature Version 2 on the %s backend", (_kind, bucket) => {
    const admin = () => world().admin;

    it("accepts header-signed PUT, GET, HEAD and DELETE, and refuses tampered, skewed and expired-key requests", async () => {
      const path = `/${bucket}/sigv2/header.txt`;
      const put = await sigV2Request(world().endpoint, admin(), { method: "PUT", path, headers: { "content-type": "text/plain", "x-amz-meta-legacy": "yes" }, body: "signed with v2" });
      expect(put.status).toBe(200);
      const got = await sigV2Request(world().endpoint, admin(), { method: "GET", path });
      expect([got.status, got.text, got.headers["x-amz-meta-legacy"]]).toEqual([200, "signed with v2", "yes"]);
      // The x-amz-date form: an empty Date position, x-amz-date signed among the amz headers.
      const head = await sigV2Request(world().endpoint, admin(), { method: "HEAD", path, headers: { "x-amz-date": new Date().toUTCString() } });
      expect([head.status, head.headers["content-length"]]).toEqual([200, "14"]);
      const tampered = await sigV2Request(world().endpoint, admin(), { method: "GET", path, tamper: (text) => text.replace("/sigv2/", "/other/") });
      expect([tampered.status, errorCode(tampered.text)]).toEqual([403, "SignatureDoesNotMatch"]);
      const skewed = await sigV2Request(world().endpoint, admin(), { method: "GET", path, date: new Date(Date.now() - 20 * 60_000) });
      expect([skewed.status, errorCode(skewed.text)]).toEqual([403, "RequestTimeTooSkewed"]);
      const expiredKey = await sigV2Request(world().endpoint, world().expired, { method: "GET", path });
      expect([expiredKey.status, errorCode(expiredKey.text)]).toEqual([403, "AccessDenied"]);
      expect((await sigV2Request(world().endpoint, admin(), { method: "DELETE", path })).status).toBe(204);
      expect((await sigV2Request(world().endpoint, admin(), { method: "GET", path })).status).toBe(404);
    });

    it("accepts presigned GET and PUT URLs until they expire, and refuses tampered ones", async () => {
      const path = `/${bucket}/sigv2/presigned.txt`;
      const expires = Math.floor(Date.now() / 1000) + 300;
      const put = await rawRequest(world().endpoint, { method: "PUT", path: sigV2PresignedPath(admin(), { method: "PUT", path, expires }), body: "presigned v2" });
      expect(put.status).toBe(200);
      const get = await rawRequest(world().endpoint, { method: "GET", path: sigV2PresignedPath(admin(), { method: "GET", path, expires }) });
      expect([get.status, get.text]).toEqual([200, "presigned v2"]);
      const override = sigV2PresignedPath(admin(), { method: "GET", path: `${path}?response-content-type=text%2Fx-legacy`, resource: `${path}?response-content-type=text/x-legacy`, expires });
      const withOverride = await rawRequest(world().endpoint, { method: "GET", path: override });
      expect([withOverride.status, withOverride.headers["content-type"]]).toEqual([200, "text/x-legacy"]);
      const tampered = await rawRequest(world().endpoint, { method: "GET", path: sigV2PresignedPath(admin(), { method: "GET", path, expires }).replace("presigned.txt", "other.txt") });
      expect([tampered.status, errorCode(tampered.text)]).toEqual([403, "SignatureDoesNotMatch"]);
      const expired = await rawRequest(world().endpoint, { method: "GET", path: sigV2PresignedPath(admin(), { method: "GET", path, expires: Math.floor(Date.now() / 1000) - 10 }) });
      expect([expired.status, errorCode(expired.text)]).toEqual([403, "AccessDenied"]);
    });

    it("signs multipart sub-resources (?uploads, ?partNumber=&uploadId=, ?uploadId=)", async () => {
      const path = `/${bucket}/sigv2/multipart.bin`;
      const created = await sigV2Request(world().endpoint, admin(), { method: "POST", path: `${path}?uploads` });
      expect(created.status).toBe(200);
      const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(created.text)![1]!;
      const part = await sigV2Request(world().endpoint, admin(), { method: "PUT", path: `${path}?partNumber=1&uploadId=${uploadId}`, body: "the only part" });
      expect(part.status).toBe(200);
      const document = `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${part.headers.etag}</ETag></Part></CompleteMultipartUpload>`;
      const completed = await sigV2Request(world().endpoint, admin(), { method: "POST", path: `${path}?uploadId=${uploadId}`, headers: { "content-type": "application/xml" }, body: document });
      expect(completed.status).toBe(200);
      expect((await sigV2Request(world().endpoint, admin(), { method: "GET", path })).text).toBe("the only part");
    });
  });

  describe.each([["s3", BUCKETS.s3], ["native", BUCKETS.native]] as const)("presigned URLs with checksum parameters on the %s backend", (_kind, bucket) => {
    it("PUT through a presigner URL carrying x-amz-checksum-* / x-amz-sdk-checksum-algorithm, then HEAD and GET by URL", async () => {
      const admin = sdkClient(world(), world().admin);
      const key = "presigned/checksum-params.txt";
      const putUrl = await getSignedUrl(admin, new PutObjectCommand({ Bucket: bucket, Key: key, ChecksumAlgorithm: "SHA256" }), { expiresIn: 60 });
      expect(putUrl).toContain("x-amz-sdk-checksum-algorithm=SHA256");
      // S3 presigned URLs do not support these checksums (AWS documents it): the body is not checked against them.
      expect((await fetch(putUrl, { method: "PUT", body: "checksum params" })).status).toBe(200);
      const headUrl = await getSignedUrl(admin, new HeadObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: 60 });
      const head = await fetch(headUrl, { method: "HEAD" });
      expect([head.status, head.headers.get("content-length")]).toEqual([200, "15"]);
      const getUrl = await getSignedUrl(admin, new GetObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: "ENABLED" }), { expiresIn: 60 });
      expect(getUrl).toContain("x-amz-checksum-mode=ENABLED");
      const got = await fetch(getUrl);
      expect([got.status, await got.text()]).toEqual([200, "checksum params"]);
    });
  });
}
