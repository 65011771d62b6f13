/**
 * Copies between stores that cannot copy between each other (every pair of backend kinds): CopyObject and
 * UploadPartCopy stream the source into the destination through the gateway, keeping or replacing metadata as S3
 * does, checking the source's conditions and range, and refusing as S3 refuses.
 */
import { createHash } from "node:crypto";
import { CompleteMultipartUploadCommand, CopyObjectCommand, CreateMultipartUploadCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, UploadPartCopyCommand } from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { errorCode, sdkClient, signedRawRequest } from "./clients.js";
import { BACKEND_BUCKETS, enforcesAll, type World } from "./setup.js";

const MiB = 1024 * 1024;
const CHECKSUM_FIELDS = ["ChecksumCRC32", "ChecksumCRC32C", "ChecksumCRC64NVME", "ChecksumSHA1", "ChecksumSHA256"] as const;
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
/** A part-sized source (S3's smallest part is 5 MiB), the same bytes in every store. */
const LARGE = new Uint8Array(5 * MiB + 300).map((_, index) => (index * 13 + 5) % 251);

/** Every ordered pair of different backend kinds: `[source kind, source bucket, destination kind, destination bucket]`. */
const PAIRS = BACKEND_BUCKETS.flatMap(([sourceKind, source]) =>
  BACKEND_BUCKETS.filter(([kind]) => kind !== sourceKind).map(([destinationKind, destination]) => [sourceKind, source, destinationKind, destination] as const),
);

/** Registers the copies between stores. */
export function crossStoreCopyBehaviour(world: () => World): void {
  describe.each(PAIRS)("copies from the %s backend (%s) to the %s backend (%s)", (sourceKind, source, destinationKind, destination) => {
    const client = () => sdkClient(world(), world().admin);
    const prefix = `cross/${sourceKind}-to-${destinationKind}`;

    it("copies an object, keeping its content headers and metadata or replacing them", async () => {
      await client().send(new PutObjectCommand({ Bucket: source, Key: `${prefix}/source.txt`, Body: "from one store to another", ContentType: "text/x-copied", CacheControl: "max-age=60", Metadata: { origin: sourceKind } }));
      const copied = await client().send(new CopyObjectCommand({ Bucket: destination, Key: `${prefix}/copy.txt`, CopySource: `${source}/${prefix}/source.txt` }));
      const got = await client().send(new GetObjectCommand({ Bucket: destination, Key: `${prefix}/copy.txt` }));
      expect(await got.Body!.transformToString()).toBe("from one store to another");
      expect([got.ContentType, got.CacheControl, got.Metadata]).toEqual(["text/x-copied", "max-age=60", { origin: sourceKind }]);
      expect(copied.CopyObjectResult?.ETag).toBe(got.ETag);
      expect(copied.CopyObjectResult?.LastModified).toBeInstanceOf(Date);
      await client().send(new CopyObjectCommand({ Bucket: destination, Key: `${prefix}/replaced.txt`, CopySource: `${source}/${prefix}/source.txt`, MetadataDirective: "REPLACE", ContentType: "text/x-new", Metadata: { origin: "replaced" } }));
      const head = await client().send(new HeadObjectCommand({ Bucket: destination, Key: `${prefix}/replaced.txt` }));
      expect([head.ContentType, head.CacheControl, head.Metadata, head.ContentLength]).toEqual(["text/x-new", undefined, { origin: "replaced" }, 25]);
    });

    it("gives the destination the source's checksums to verify and keep, and shows those it kept", async () => {
      const key = `${prefix}/summed.txt`;
      await client().send(new PutObjectCommand({ Bucket: source, Key: key, Body: "checksummed across stores", ChecksumAlgorithm: "SHA256" }));
      const sourceHead = await client().send(new HeadObjectCommand({ Bucket: source, Key: key, ChecksumMode: "ENABLED" }));
      // The stores that keep checksums have one to give: fs and R2 the SHA-256 sent, gcs its own CRC32C.
      if (sourceKind === "native") expect(sourceHead.ChecksumSHA256).toBeDefined();
      if (sourceKind === "gcs") expect(sourceHead.ChecksumCRC32C).toBeDefined();
      const copied = await client().send(new CopyObjectCommand({ Bucket: destination, Key: `${prefix}/summed-copy.txt`, CopySource: `${source}/${key}` }));
      const head = await client().send(new HeadObjectCommand({ Bucket: destination, Key: `${prefix}/summed-copy.txt`, ChecksumMode: "ENABLED" }));
      for (const field of CHECKSUM_FIELDS) {
        // What the copy says it kept, the destination has.
        if (copied.CopyObjectResult?.[field] !== undefined) expect(head[field], field).toBe(copied.CopyObjectResult[field]);
      }
      // fs keeps every checksum it is given (gcs's CRC32C, say), having verified it; R2 keeps SHAs only.
      if (destinationKind === "native" && !world().exceptions.nativeChecksumsShaHeadersOnly) {
        for (const field of CHECKSUM_FIELDS) expect([field, head[field]]).toEqual([field, sourceHead[field]]);
      }
    });

    it("copies a range and a whole object into the parts of an upload", async () => {
      await client().send(new PutObjectCommand({ Bucket: source, Key: `${prefix}/large.bin`, Body: LARGE }));
      await client().send(new PutObjectCommand({ Bucket: source, Key: `${prefix}/tail.txt`, Body: "the tail" }));
      const upload = { Bucket: destination, Key: `${prefix}/assembled.bin`, UploadId: (await client().send(new CreateMultipartUploadCommand({ Bucket: destination, Key: `${prefix}/assembled.bin` }))).UploadId! };
      const first = await client().send(new UploadPartCopyCommand({ ...upload, PartNumber: 1, CopySource: `${source}/${prefix}/large.bin`, CopySourceRange: `bytes=200-${LARGE.length - 1}` }));
      const second = await client().send(new UploadPartCopyCommand({ ...upload, PartNumber: 2, CopySource: `${source}/${prefix}/tail.txt` }));
      const parts = [first, second].map((part, index) => ({ PartNumber: index + 1, ETag: part.CopyPartResult!.ETag! }));
      await client().send(new CompleteMultipartUploadCommand({ ...upload, MultipartUpload: { Parts: parts } }));
      const got = await client().send(new GetObjectCommand({ Bucket: destination, Key: `${prefix}/assembled.bin` }));
      const bytes = await got.Body!.transformToByteArray();
      expect(bytes.length).toBe(LARGE.length - 200 + 8);
      expect(sha256(bytes)).toBe(sha256(Buffer.concat([LARGE.subarray(200), Buffer.from("the tail")])));
    }, 60_000);

    it("refuses a failed source condition, a range past the end and a missing source, writing nothing", async () => {
      await client().send(new PutObjectCommand({ Bucket: source, Key: `${prefix}/ten.txt`, Body: "0123456789" }));
      const etag = (await client().send(new HeadObjectCommand({ Bucket: source, Key: `${prefix}/ten.txt` }))).ETag!;
      const unsigned = { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" };
      const copy = (key: string, headers: Record<string, string>) => signedRawRequest(world().endpoint, world().admin, { method: "PUT", path: `/${destination}/${key}`, headers: { ...unsigned, "x-amz-copy-source": `/${source}/${prefix}/ten.txt`, ...headers } });
      for (const [headers, status, code] of [
        [{ "x-amz-copy-source-if-match": '"0123456789abcdef0123456789abcdef"' }, 412, "PreconditionFailed"],
        [{ "x-amz-copy-source-if-none-match": etag }, 412, "PreconditionFailed"],
        [{ "x-amz-copy-source-if-modified-since": new Date(Date.now() + 3_600_000).toUTCString() }, 412, "PreconditionFailed"],
        [{ "x-amz-copy-source": `/${source}/${prefix}/missing.txt` }, 404, "NoSuchKey"],
      ] as const) {
        const refused = await copy(`${prefix}/refused.txt`, headers);
        expect([refused.status, errorCode(refused.text)], JSON.stringify(headers)).toEqual([status, code]);
        if (code === "NoSuchKey") expect(refused.text).toContain(`<Key>${prefix}/missing.txt</Key>`);
      }
      await expect(client().send(new HeadObjectCommand({ Bucket: destination, Key: `${prefix}/refused.txt` }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
      expect((await copy(`${prefix}/matched.txt`, { "x-amz-copy-source-if-match": etag })).status).toBe(200);
      // The destination's own write condition holds as on a copy within one store (s3rver ignores it).
      if (enforcesAll(destinationKind)) {
        await client().send(new PutObjectCommand({ Bucket: destination, Key: `${prefix}/kept.txt`, Body: "precious" }));
        const kept = await copy(`${prefix}/kept.txt`, { "if-none-match": "*" });
        expect([kept.status, errorCode(kept.text)]).toEqual([412, "PreconditionFailed"]);
        expect(await (await client().send(new GetObjectCommand({ Bucket: destination, Key: `${prefix}/kept.txt` }))).Body!.transformToString()).toBe("precious");
      }
      const created = await client().send(new CreateMultipartUploadCommand({ Bucket: destination, Key: `${prefix}/ranges.bin` }));
      const part = (range: string) =>
        signedRawRequest(world().endpoint, world().admin, { method: "PUT", path: `/${destination}/${prefix}/ranges.bin`, query: { partNumber: "1", uploadId: created.UploadId! }, headers: { ...unsigned, "x-amz-copy-source": `/${source}/${prefix}/ten.txt`, "x-amz-copy-source-range": range } });
      for (const range of ["bytes=5-10", "bytes=10-12"]) {
        const refused = await part(range);
        expect([refused.status, errorCode(refused.text)], range).toEqual([400, "InvalidArgument"]);
      }
      expect((await part("bytes=3-6")).status).toBe(200);
    });
  });
}
