/**
 * UploadPartCopy (what aws-cli and boto3 use to copy objects above 8 MiB): ranges and whole objects copied into
 * parts within and across buckets of one endpoint, the source authorized as a read and the upload's key as a part
 * upload, and S3's refusals of bad ranges, missing sources and unknown uploads.
 */
import { createHash } from "node:crypto";
import { CompleteMultipartUploadCommand, CreateMultipartUploadCommand, GetObjectCommand, PutObjectCommand, UploadPartCopyCommand } from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { sdkClient, signedRawRequest, errorCode } from "./clients.js";
import { BACKEND_BUCKETS, type World } from "./setup.js";

const MiB = 1024 * 1024;
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** Registers the UploadPartCopy tests. */
export function partCopyBehaviour(world: () => World): void {
  describe.each(BACKEND_BUCKETS)("UploadPartCopy on the %s backend", (_kind, bucket, other) => {
    const client = () => sdkClient(world(), world().admin);

    it("copies a range and a whole object into parts, within and across buckets", async () => {
      const source = new Uint8Array(5 * MiB + 100).map((_, i) => (i * 7 + 3) % 251);
      await client().send(new PutObjectCommand({ Bucket: bucket, Key: "part-copy/source.bin", Body: source }));
      await client().send(new PutObjectCommand({ Bucket: bucket, Key: "part-copy/tail.txt", Body: "the tail" }));
      const created = await client().send(new CreateMultipartUploadCommand({ Bucket: other, Key: "part-copy/assembled.bin" }));
      const upload = { Bucket: other, Key: "part-copy/assembled.bin", UploadId: created.UploadId! };
      const first = await client().send(new UploadPartCopyCommand({ ...upload, PartNumber: 1, CopySource: `${bucket}/part-copy/source.bin`, CopySourceRange: "bytes=100-5242979" }));
      const second = await client().send(new UploadPartCopyCommand({ ...upload, PartNumber: 2, CopySource: `/${bucket}/part-copy/tail.txt` }));
      expect(first.CopyPartResult?.ETag).toMatch(/^"[^"]+"$/);
      expect(first.CopyPartResult?.LastModified).toBeInstanceOf(Date);
      const parts = [first, second].map((part, index) => ({ PartNumber: index + 1, ETag: part.CopyPartResult!.ETag! }));
      await client().send(new CompleteMultipartUploadCommand({ ...upload, MultipartUpload: { Parts: parts } }));
      const got = await client().send(new GetObjectCommand({ Bucket: other, Key: "part-copy/assembled.bin" }));
      const bytes = await got.Body!.transformToByteArray();
      expect(bytes.length).toBe(5 * MiB + 8);
      expect(sha256(bytes)).toBe(sha256(Buffer.concat([source.subarray(100), Buffer.from("the tail")])));
    }, 60_000);

    it("authorizes the source as a read and the upload's key as a part upload", async () => {
      const limited = sdkClient(world(), world().limited);
      await client().send(new PutObjectCommand({ Bucket: bucket, Key: "secret/part-source.txt", Body: "secret" }));
      await client().send(new PutObjectCommand({ Bucket: bucket, Key: "allowed/part-source.txt", Body: "fine" }));
      const mine = await limited.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: "allowed/part-copy.txt" }));
      const theirs = await client().send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: "secret/part-copy.txt" }));
      const copy = (key: string, uploadId: string, source: string) => limited.send(new UploadPartCopyCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: 1, CopySource: `${bucket}/${source}` }));
      await expect(copy("allowed/part-copy.txt", mine.UploadId!, "secret/part-source.txt")).rejects.toMatchObject({ $metadata: { httpStatusCode: 403 } });
      await expect(copy("secret/part-copy.txt", theirs.UploadId!, "allowed/part-source.txt")).rejects.toMatchObject({ $metadata: { httpStatusCode: 403 } });
      const part = await copy("allowed/part-copy.txt", mine.UploadId!, "allowed/part-source.txt");
      await limited.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: "allowed/part-copy.txt", UploadId: mine.UploadId!, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.CopyPartResult!.ETag! }] } }));
      const got = await client().send(new GetObjectCommand({ Bucket: bucket, Key: "allowed/part-copy.txt" }));
      expect(await got.Body!.transformToString()).toBe("fine");
    });

    it("refuses bad ranges, a missing source and an unknown upload with S3's errors", async () => {
      await client().send(new PutObjectCommand({ Bucket: bucket, Key: "part-copy/ten.txt", Body: "0123456789" }));
      const created = await client().send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: "part-copy/refused.bin" }));
      const send = (headers: Record<string, string>, query: Record<string, string> = { partNumber: "1", uploadId: created.UploadId! }) =>
        signedRawRequest(world().endpoint, world().admin, { method: "PUT", path: `/${bucket}/part-copy/refused.bin`, query, headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD", "x-amz-copy-source": `/${bucket}/part-copy/ten.txt`, ...headers } });
      for (const [headers, query, status, code] of [
        [{ "x-amz-copy-source-range": "bytes=5-" }, undefined, 400, "InvalidArgument"],
        [{ "x-amz-copy-source-range": "bytes=5-2" }, undefined, 400, "InvalidArgument"],
        [{ "x-amz-copy-source-range": "bytes=5-10" }, undefined, 400, "InvalidArgument"],
        [{ "x-amz-copy-source": `/${bucket}/part-copy/missing.txt` }, undefined, 404, "NoSuchKey"],
        [{}, { partNumber: "1" }, 400, "InvalidRequest"],
        [{}, { partNumber: "0", uploadId: created.UploadId! }, 400, "InvalidArgument"],
        [{}, { partNumber: "1", uploadId: "no-such-upload" }, 404, "NoSuchUpload"],
      ] as const) {
        const refused = await send(headers, query);
        expect([refused.status, errorCode(refused.text)], JSON.stringify({ headers, query })).toEqual([status, code]);
      }
      const copied = await send({ "x-amz-copy-source-range": "bytes=3-6" });
      expect(copied.status).toBe(200);
      expect(copied.text).toMatch(/^<\?xml[^>]*>\s*<CopyPartResult[^>]*><LastModified>[^<]+<\/LastModified><ETag>&quot;[^<]+&quot;<\/ETag><\/CopyPartResult>/);
    });
  });
}
