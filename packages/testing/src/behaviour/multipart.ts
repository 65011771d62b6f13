/** Multipart uploads: create, upload parts (streamed), complete, abort; special-character keys. */
import { createHash, randomBytes } from "node:crypto";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { sdkClient, signedRawRequest, errorCode, type KeyPair } from "./clients.js";
import { BACKEND_BUCKETS, BACKENDS, BUCKETS, enforcesAll, partEtagIsMd5, type World } from "./setup.js";

const MiB = 1024 * 1024;
const md5 = (bytes: Uint8Array) => createHash("md5").update(bytes).digest("hex");

/** Registers multipart tests. */
export function multipartBehaviour(world: () => World): void {
  describe.each(BACKEND_BUCKETS)("multipart upload ids on the %s backend", (_kind, bucket, otherBucket) => {
    it("are bound to their bucket and key: another principal's id under a permitted key, or another bucket's, is NoSuchUpload", async () => {
      const admin = sdkClient(world(), world().admin);
      const victim = await admin.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: "secret/mp3.bin" }));
      const uploadId = victim.UploadId!;
      const part = (credentials: KeyPair, path: string, id: string) =>
        signedRawRequest(world().endpoint, credentials, { method: "PUT", path, query: { partNumber: "1", uploadId: id }, headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" }, body: "planted" });
      // The limited key may write under allowed/ only: with the victim's id it must not reach the victim's upload.
      const planted = await part(world().limited, `/${bucket}/allowed/mine.bin`, uploadId);
      expect([planted.status, errorCode(planted.text)]).toEqual([404, "NoSuchUpload"]);
      const body = `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"x"</ETag></Part></CompleteMultipartUpload>`;
      const completed = await signedRawRequest(world().endpoint, world().limited, { method: "POST", path: `/${bucket}/allowed/mine.bin`, query: { uploadId }, headers: { "x-amz-content-sha256": createHash("sha256").update(body).digest("hex") }, body });
      expect([completed.status, errorCode(completed.text)]).toEqual([404, "NoSuchUpload"]);
      // Another bucket on the same backend (another tenant), same key: refused too.
      const elsewhere = await part(world().admin, `/${otherBucket}/secret/mp3.bin`, uploadId);
      expect([elsewhere.status, errorCode(elsewhere.text)]).toEqual([404, "NoSuchUpload"]);
      const aborted = await signedRawRequest(world().endpoint, world().admin, { method: "DELETE", path: `/${otherBucket}/secret/mp3.bin`, query: { uploadId }, headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" } });
      expect([aborted.status, errorCode(aborted.text)]).toEqual([404, "NoSuchUpload"]);
      // The owner's upload is untouched and still works.
      const own = await part(world().admin, `/${bucket}/secret/mp3.bin`, uploadId);
      expect(own.status).toBe(200);
      // s3rver answers Abort with 405 (see below): the clean-up is best effort there.
      await admin.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: "secret/mp3.bin", UploadId: uploadId })).catch(() => undefined);
    });
  });

  describe.each(BACKENDS)("multipart on the %s backend", (kind, bucket) => {
    const client = () => sdkClient(world(), world().admin);

    it.each(["multipart/plain.bin", "multipart/spécial ключ (1)+plus=eq&amp.bin"])("uploads %s in parts and reassembles it", async (key) => {
      const parts = [randomBytes(5 * MiB), randomBytes(5 * MiB), randomBytes(1234)];
      const created = await client().send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: "application/x-test", Metadata: { origin: "multipart" } }));
      expect(created.UploadId).toBeTruthy();
      expect(created.Key).toBe(key);
      const etags = [];
      for (const [index, part] of parts.entries()) {
        const uploaded = await client().send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: created.UploadId, PartNumber: index + 1, Body: part }));
        if (partEtagIsMd5(kind, world().exceptions)) expect(uploaded.ETag).toBe(`"${md5(part)}"`);
        else expect(uploaded.ETag).toMatch(/^".+"$/);
        etags.push(uploaded.ETag!);
      }
      const completed = await client().send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: key,
          UploadId: created.UploadId,
          MultipartUpload: { Parts: etags.map((ETag, index) => ({ ETag, PartNumber: index + 1 })) },
        }),
      );
      expect(completed.Key).toBe(key);
      expect(completed.ETag).toBeTruthy();
      if (enforcesAll(kind)) expect(completed.ETag).toMatch(/-3"$/);
      const got = await client().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const bytes = Buffer.from(await got.Body!.transformToByteArray());
      expect(md5(bytes)).toBe(md5(Buffer.concat(parts)));
      expect(got.ContentType).toBe("application/x-test");
      expect(got.Metadata).toEqual({ origin: "multipart" });
    });

    it("refuses parts out of order and malformed completion documents", async () => {
      const key = "multipart/order.bin";
      const created = await client().send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
      const document = (body: string) =>
        signedRawRequest(world().endpoint, world().admin, { method: "POST", path: `/${bucket}/${key}`, query: { uploadId: created.UploadId! }, headers: { "x-amz-content-sha256": createHash("sha256").update(body).digest("hex") }, body });
      const outOfOrder = await document("<CompleteMultipartUpload><Part><PartNumber>2</PartNumber><ETag>\"a\"</ETag></Part><Part><PartNumber>1</PartNumber><ETag>\"b\"</ETag></Part></CompleteMultipartUpload>");
      expect(outOfOrder.status).toBe(400);
      expect(errorCode(outOfOrder.text)).toBe("InvalidPartOrder");
      const malformed = await document("<CompleteMultipartUpload><Part>");
      expect(malformed.status).toBe(400);
      expect(errorCode(malformed.text)).toBe("MalformedXML");
      const entity = await document('<!DOCTYPE x [<!ENTITY a "aaaa">]><CompleteMultipartUpload/>');
      expect(errorCode(entity.text)).toBe("MalformedXML");
    });

    it("refuses a completion document over the size cap", async () => {
      const body = `<CompleteMultipartUpload>${"<Part><PartNumber>1</PartNumber><ETag>x</ETag></Part>".repeat(60_000)}</CompleteMultipartUpload>`;
      const response = await signedRawRequest(world().endpoint, world().admin, { method: "POST", path: `/${bucket}/multipart/huge.bin`, query: { uploadId: "whatever" }, headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" }, body });
      expect(response.status).toBe(400);
      expect(errorCode(response.text)).toBe("EntityTooLarge");
    });
  });

  // s3rver stores a part whatever its Content-MD5 says (real S3 refuses it): every other backend is held to S3.
  describe.each(BACKENDS.filter(([kind]) => enforcesAll(kind)))("part checksums on the %s backend", (_kind, bucket) => {
    const client = () => sdkClient(world(), world().admin);

    it("refuses a part whose Content-MD5 does not match (BadDigest), keeping the part uploaded before", async () => {
      const key = "multipart/md5-part.bin";
      const created = await client().send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
      const good = await client().send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: created.UploadId, PartNumber: 1, Body: "the good part" }));
      const wrongMd5 = createHash("md5").update("another body").digest("base64");
      const bad = await signedRawRequest(world().endpoint, world().admin, {
        method: "PUT",
        path: `/${bucket}/${key}`,
        query: { partNumber: "1", uploadId: created.UploadId! },
        headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD", "content-md5": wrongMd5 },
        body: "the bad part!",
      });
      expect([bad.status, errorCode(bad.text)]).toEqual([400, "BadDigest"]);
      await client().send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: created.UploadId, MultipartUpload: { Parts: [{ ETag: good.ETag!, PartNumber: 1 }] } }));
      const got = await client().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      expect(await got.Body!.transformToString()).toBe("the good part");
    });
  });

  describe("multipart abort and part checks (native backend; s3rver answers Abort with 405 and ignores part ETags)", () => {
    const client = () => sdkClient(world(), world().admin);
    it("aborts an upload and forgets it", async () => {
      const key = "multipart/aborted.bin";
      const created = await client().send(new CreateMultipartUploadCommand({ Bucket: BUCKETS.native, Key: key }));
      await client().send(new UploadPartCommand({ Bucket: BUCKETS.native, Key: key, UploadId: created.UploadId, PartNumber: 1, Body: "part" }));
      const aborted = await client().send(new AbortMultipartUploadCommand({ Bucket: BUCKETS.native, Key: key, UploadId: created.UploadId }));
      expect(aborted.$metadata.httpStatusCode).toBe(204);
      await expect(client().send(new UploadPartCommand({ Bucket: BUCKETS.native, Key: key, UploadId: created.UploadId, PartNumber: 2, Body: "x" }))).rejects.toMatchObject({ name: "NoSuchUpload" });
      await expect(client().send(new GetObjectCommand({ Bucket: BUCKETS.native, Key: key }))).rejects.toMatchObject({ name: "NoSuchKey" });
    });

    it("refuses a completion naming a wrong part ETag", async () => {
      const key = "multipart/wrong-etag.bin";
      const created = await client().send(new CreateMultipartUploadCommand({ Bucket: BUCKETS.native, Key: key }));
      await client().send(new UploadPartCommand({ Bucket: BUCKETS.native, Key: key, UploadId: created.UploadId, PartNumber: 1, Body: "part" }));
      await expect(
        client().send(new CompleteMultipartUploadCommand({ Bucket: BUCKETS.native, Key: key, UploadId: created.UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: '"00000000000000000000000000000000"' }] } })),
      ).rejects.toMatchObject({ name: "InvalidPart" });
    });
  });
}
