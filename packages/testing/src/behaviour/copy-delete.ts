/**
 * CopyObject within and across buckets of one endpoint, DeleteObjects with per-key authorization, and the write
 * headers S3 checks before it stores anything.
 */
import { createHash } from "node:crypto";
import { CopyObjectCommand, DeleteObjectsCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { sdkClient, signedRawRequest, errorCode } from "./clients.js";
import { BACKEND_BUCKETS, BUCKETS, enforcesAll, etagIsMd5, type World } from "./setup.js";

/** Registers copy and batch-delete tests. */
export function copyDeleteBehaviour(world: () => World): void {
  describe.each(BACKEND_BUCKETS)("copy and batch delete on the %s backend", (kind, bucket, other) => {
    const client = () => sdkClient(world(), world().admin);

    it("copies within a bucket and across buckets, keeping metadata", async () => {
      await client().send(new PutObjectCommand({ Bucket: bucket, Key: "copy/source.txt", Body: "copy me", ContentType: "text/plain", Metadata: { tag: "one" } }));
      const within = await client().send(new CopyObjectCommand({ Bucket: bucket, Key: "copy/target.txt", CopySource: `${bucket}/copy/source.txt` }));
      expect(within.CopyObjectResult?.ETag).toBeTruthy();
      const across = await client().send(new CopyObjectCommand({ Bucket: other, Key: "copied/target.txt", CopySource: `${bucket}/copy/source.txt` }));
      // A copy keeps the content's MD5 ETag; Azure gives every blob version its own opaque ETag.
      if (etagIsMd5(kind)) expect(across.CopyObjectResult?.ETag).toBe(within.CopyObjectResult?.ETag);
      for (const [targetBucket, key] of [[bucket, "copy/target.txt"], [other, "copied/target.txt"]] as const) {
        const got = await client().send(new GetObjectCommand({ Bucket: targetBucket, Key: key }));
        expect(await got.Body!.transformToString()).toBe("copy me");
        expect(got.Metadata).toEqual({ tag: "one" });
      }
      const replaced = await client().send(new CopyObjectCommand({ Bucket: bucket, Key: "copy/replaced.txt", CopySource: `${bucket}/copy/source.txt`, MetadataDirective: "REPLACE", Metadata: { tag: "two" }, ContentType: "text/x-new" }));
      expect(replaced.$metadata.httpStatusCode).toBe(200);
      const head = await client().send(new HeadObjectCommand({ Bucket: bucket, Key: "copy/replaced.txt" }));
      expect(head.Metadata).toEqual({ tag: "two" });
      expect(head.ContentType).toBe("text/x-new");
    });

    it("refuses a copy of an object onto itself that changes nothing, and copies one that replaces its metadata or storage class", async () => {
      await client().send(new PutObjectCommand({ Bucket: bucket, Key: "copy/self.txt", Body: "myself", Metadata: { tag: "one" } }));
      const refused = await client().send(new CopyObjectCommand({ Bucket: bucket, Key: "copy/self.txt", CopySource: `${bucket}/copy/self.txt` })).then(() => undefined, (error: { name?: string; $metadata?: { httpStatusCode?: number } }) => error);
      expect([refused?.name, refused?.$metadata?.httpStatusCode]).toEqual(["InvalidRequest", 400]);
      await client().send(new CopyObjectCommand({ Bucket: bucket, Key: "copy/self.txt", CopySource: `${bucket}/copy/self.txt`, MetadataDirective: "REPLACE", Metadata: { tag: "two" }, ContentType: "text/x-self", CacheControl: "max-age=60" }));
      const head = await client().send(new HeadObjectCommand({ Bucket: bucket, Key: "copy/self.txt" }));
      expect([head.Metadata, head.ContentType, head.CacheControl]).toEqual([{ tag: "two" }, "text/x-self", "max-age=60"]);
      // A storage class asked for is a change too (`aws s3 cp s3://b/k s3://b/k --storage-class ...`): the object is
      // written again, its metadata kept, and Last-Modified moves. (s3rver, standing for S3, refuses it; S3 takes it.)
      if (kind === "s3") return;
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const copied = await client().send(new CopyObjectCommand({ Bucket: bucket, Key: "copy/self.txt", CopySource: `${bucket}/copy/self.txt`, StorageClass: "STANDARD" }));
      const rewritten = await client().send(new GetObjectCommand({ Bucket: bucket, Key: "copy/self.txt" }));
      expect([rewritten.Metadata, rewritten.ContentType, rewritten.CacheControl, await rewritten.Body!.transformToString()]).toEqual([{ tag: "two" }, "text/x-self", "max-age=60", "myself"]);
      expect(copied.CopyObjectResult!.LastModified!.getTime()).toBeGreaterThan(head.LastModified!.getTime());
      expect(rewritten.LastModified!.getTime()).toBeGreaterThan(head.LastModified!.getTime());
    });

    it("authorizes the copy source as a read and the destination as a write", async () => {
      const limited = sdkClient(world(), world().limited);
      await client().send(new PutObjectCommand({ Bucket: bucket, Key: "secret/source.txt", Body: "secret" }));
      await client().send(new PutObjectCommand({ Bucket: bucket, Key: "allowed/source.txt", Body: "fine" }));
      await expect(limited.send(new CopyObjectCommand({ Bucket: bucket, Key: "allowed/stolen.txt", CopySource: `${bucket}/secret/source.txt` }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 403 } });
      await expect(limited.send(new CopyObjectCommand({ Bucket: bucket, Key: "secret/planted.txt", CopySource: `${bucket}/allowed/source.txt` }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 403 } });
      await limited.send(new CopyObjectCommand({ Bucket: bucket, Key: "allowed/copy.txt", CopySource: `${bucket}/allowed/source.txt` }));
    });

    it("refuses a storage class, canned ACL or copy directive S3 does not know, on every write, storing nothing", async () => {
      await client().send(new PutObjectCommand({ Bucket: bucket, Key: "headers/source.txt", Body: "x" }));
      const unsigned = { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" };
      const put = (key: string, headers: Record<string, string>) => signedRawRequest(world().endpoint, world().admin, { method: "PUT", path: `/${bucket}/${key}`, headers: { ...unsigned, ...headers }, body: "y" });
      const copy = (key: string, headers: Record<string, string>) => signedRawRequest(world().endpoint, world().admin, { method: "PUT", path: `/${bucket}/${key}`, headers: { ...unsigned, "x-amz-copy-source": `/${bucket}/headers/source.txt`, ...headers } });
      const create = (key: string, headers: Record<string, string>) => signedRawRequest(world().endpoint, world().admin, { method: "POST", path: `/${bucket}/${key}`, query: { uploads: "" }, headers: { ...unsigned, ...headers } });
      // An S3-compatible backend judges storage classes itself: it may have classes of its own.
      const classes = kind === "s3" ? [] : ([
        [put, { "x-amz-storage-class": "FAST" }, "InvalidStorageClass", undefined],
        [put, { "x-amz-storage-class": "standard" }, "InvalidStorageClass", undefined],
        [copy, { "x-amz-storage-class": "FAST" }, "InvalidStorageClass", undefined],
        [create, { "x-amz-storage-class": "FAST" }, "InvalidStorageClass", undefined],
      ] as const);
      for (const [send, headers, code, argument] of [
        ...classes,
        [put, { "x-amz-acl": "public" }, "InvalidArgument", "x-amz-acl"],
        [copy, { "x-amz-metadata-directive": "MERGE" }, "InvalidArgument", "x-amz-metadata-directive"],
        [copy, { "x-amz-tagging-directive": "KEEP" }, "InvalidArgument", "x-amz-tagging-directive"],
        [create, { "x-amz-acl": "everyone" }, "InvalidArgument", "x-amz-acl"],
      ] as const) {
        const refused = await send("headers/refused.txt", headers);
        expect([refused.status, errorCode(refused.text)], JSON.stringify(headers)).toEqual([400, code]);
        if (argument !== undefined) expect(refused.text).toContain(`<ArgumentName>${argument}</ArgumentName>`);
      }
      await expect(client().send(new HeadObjectCommand({ Bucket: bucket, Key: "headers/refused.txt" }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
      // What clients send by default (rclone's `x-amz-acl: private`, aws-cli's storage class) is taken.
      expect((await put("headers/taken.txt", { "x-amz-storage-class": "STANDARD", "x-amz-acl": "private" })).status).toBe(200);
      expect((await copy("headers/copied.txt", { "x-amz-metadata-directive": "COPY", "x-amz-acl": "bucket-owner-full-control" })).status).toBe(200);
    });

    it("deletes a batch, reporting AccessDenied per key where the caller may not delete", async () => {
      for (const key of ["allowed/d1.txt", "allowed/d2.txt", "secret/d3.txt"]) await client().send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: "x" }));
      const limited = sdkClient(world(), world().limited);
      const result = await limited.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [{ Key: "allowed/d1.txt" }, { Key: "secret/d3.txt" }, { Key: "allowed/d2.txt" }] } }));
      expect((result.Deleted ?? []).map((entry) => entry.Key).sort()).toEqual(["allowed/d1.txt", "allowed/d2.txt"]);
      expect(result.Errors).toEqual([expect.objectContaining({ Key: "secret/d3.txt", Code: "AccessDenied" })]);
      await expect(client().send(new HeadObjectCommand({ Bucket: bucket, Key: "allowed/d1.txt" }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
      expect((await client().send(new HeadObjectCommand({ Bucket: bucket, Key: "secret/d3.txt" }))).$metadata.httpStatusCode).toBe(200);
    });

    it("deletes only the version a batch entry names: an unknown version is reported and the object kept", async () => {
      await client().send(new PutObjectCommand({ Bucket: bucket, Key: "versions/kept.txt", Body: "x" }));
      const unknown = await client().send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [{ Key: "versions/kept.txt", VersionId: "3HL4kqtJlcpXroDTDmJ" }] } }));
      // (s3rver, behind the "s3" kind, ignores VersionId and deletes the object: the s3 backend's request is checked
      // in its own tests.)
      if (enforcesAll(kind)) {
        expect(unknown.Deleted ?? []).toEqual([]);
        // GCS versions are generations (numbers): an id that cannot be one is an invalid argument.
        expect(unknown.Errors).toEqual([expect.objectContaining({ Key: "versions/kept.txt", VersionId: "3HL4kqtJlcpXroDTDmJ", Code: kind === "gcs" ? "InvalidArgument" : "NoSuchVersion" })]);
        expect((await client().send(new HeadObjectCommand({ Bucket: bucket, Key: "versions/kept.txt" }))).$metadata.httpStatusCode).toBe(200);
      }
      // Version "null" is the object of an unversioned bucket.
      await client().send(new PutObjectCommand({ Bucket: bucket, Key: "versions/gone.txt", Body: "x" }));
      const deleted = await client().send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [{ Key: "versions/gone.txt", VersionId: "null" }] } }));
      expect(deleted.Deleted).toEqual([expect.objectContaining({ Key: "versions/gone.txt" })]);
      if (enforcesAll(kind)) expect(deleted.Deleted![0]!.VersionId).toBe("null");
      await expect(client().send(new HeadObjectCommand({ Bucket: bucket, Key: "versions/gone.txt" }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
    });

    it("refuses a batch delete whose body does not match its Content-MD5 or checksum header, deleting nothing", async () => {
      await client().send(new PutObjectCommand({ Bucket: bucket, Key: "digest/kept.txt", Body: "x" }));
      const body = "<Delete><Object><Key>digest/kept.txt</Key></Object></Delete>";
      for (const [headers, code] of [
        [{ "content-md5": createHash("md5").update("another body").digest("base64") }, "BadDigest"],
        [{ "content-md5": "zz" }, "InvalidDigest"],
        [{ "x-amz-checksum-sha256": createHash("sha256").update("another body").digest("base64") }, "BadDigest"],
      ] as const) {
        const refused = await signedRawRequest(world().endpoint, world().admin, { method: "POST", path: `/${bucket}`, query: { delete: "" }, headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD", ...headers }, body });
        expect([refused.status, errorCode(refused.text)], JSON.stringify(headers)).toEqual([400, code]);
      }
      expect((await client().send(new HeadObjectCommand({ Bucket: bucket, Key: "digest/kept.txt" }))).$metadata.httpStatusCode).toBe(200);
      const md5 = createHash("md5").update(body).digest("base64");
      const deleted = await signedRawRequest(world().endpoint, world().admin, { method: "POST", path: `/${bucket}`, query: { delete: "" }, headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD", "content-md5": md5 }, body });
      expect(deleted.status).toBe(200);
      await expect(client().send(new HeadObjectCommand({ Bucket: bucket, Key: "digest/kept.txt" }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
    });

    it("refuses batch deletes over 1000 keys and anonymous batch deletes", async () => {
      const objects = Array.from({ length: 1001 }, (_, index) => `<Object><Key>k${index}</Key></Object>`).join("");
      const body = `<Delete>${objects}</Delete>`;
      const tooMany = await signedRawRequest(world().endpoint, world().admin, { method: "POST", path: `/${bucket}`, query: { delete: "" }, headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" }, body });
      expect(tooMany.status).toBe(400);
      expect(errorCode(tooMany.text)).toBe("MalformedXML");
    });
  });

  describe("anonymous batch delete", () => {
    it("is refused on an anonymous-read bucket", async () => {
      const anonymous = sdkClient(world());
      await expect(anonymous.send(new DeleteObjectsCommand({ Bucket: BUCKETS.publicNative, Delete: { Objects: [{ Key: "x" }] } }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 403 } });
    });
  });
}
