/**
 * Storage classes: a write, a copy or an upload asking `x-amz-storage-class` lands in the store's counterpart of the
 * class (a GCS class, an Azure access tier), and HeadObject, GetObjectAttributes and listings show it as S3 names it.
 * A class the store has no counterpart of is `400 InvalidStorageClass`, before anything is written. fs keeps S3's
 * (its archive classes as GLACIER_IR: a directory serves every object at once), an S3 store keeps its own, and R2
 * keeps R2's (but miniflare's local R2 keeps none: the r2 package's tests check the options it is sent).
 */
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  GetObjectAttributesCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  UploadPartCommand,
  type StorageClass,
} from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { sdkClient } from "./clients.js";
import { BUCKETS, type World } from "./setup.js";

/** The stores that keep classes, with a class each has no counterpart of and one it keeps as another name. */
const KEEPING = [
  ["gcs", BUCKETS.gcs, "EXPRESS_ONEZONE", ["DEEP_ARCHIVE", "GLACIER_IR"]],
  ["az", BUCKETS.az, "GLACIER", ["ONEZONE_IA", "STANDARD_IA"]],
  ["native", BUCKETS.native, "OUTPOSTS", ["DEEP_ARCHIVE", "GLACIER_IR"]],
] as const;

/** Registers the storage-class tests. */
export function storageClassBehaviour(world: () => World): void {
  describe.each(KEEPING)("storage classes on the %s backend", (kind, bucket, refusedClass, [askedClass, shownClass]) => {
    const client = () => sdkClient(world(), world().admin);
    const prefix = `allowed/classes-${kind}`;
    const classOf = async (key: string) => (await client().send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).StorageClass;
    // Where the native store keeps no class (see `nativeKeepsNoStorageClass`), a write in one is still taken.
    const keeps = () => kind !== "native" || world().exceptions.nativeKeepsNoStorageClass === undefined;
    const kept = (shown: string) => (keeps() ? shown : undefined);

    it("writes, copies and completes uploads in the class asked for, and shows it", async () => {
      await client().send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/put.txt`, Body: "infrequent", StorageClass: "STANDARD_IA" }));
      expect(await classOf(`${prefix}/put.txt`)).toBe(kept("STANDARD_IA"));
      const attributes = await client().send(new GetObjectAttributesCommand({ Bucket: bucket, Key: `${prefix}/put.txt`, ObjectAttributes: ["StorageClass"] }));
      expect(attributes.StorageClass).toBe(kept("STANDARD_IA") ?? "STANDARD");
      const listed = await client().send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${prefix}/put.txt` }));
      // Azure lists each blob's tier and fs each object's class; GCS's XML listing names none (shown as STANDARD).
      expect(listed.Contents?.map((object) => object.StorageClass)).toEqual([kind !== "gcs" && keeps() ? "STANDARD_IA" : "STANDARD"]);
      await client().send(new CopyObjectCommand({ Bucket: bucket, Key: `${prefix}/copy.txt`, CopySource: `${bucket}/${prefix}/put.txt`, StorageClass: "GLACIER_IR" }));
      expect(await classOf(`${prefix}/copy.txt`)).toBe(kept("GLACIER_IR"));
      // Onto itself, as `aws s3 cp s3://b/k s3://b/k --storage-class STANDARD` changes an object's class.
      await client().send(new CopyObjectCommand({ Bucket: bucket, Key: `${prefix}/put.txt`, CopySource: `${bucket}/${prefix}/put.txt`, StorageClass: "STANDARD" }));
      expect(await classOf(`${prefix}/put.txt`)).toBeUndefined();
      const upload = { Bucket: bucket, Key: `${prefix}/parts.bin` };
      const { UploadId } = await client().send(new CreateMultipartUploadCommand({ ...upload, StorageClass: askedClass as StorageClass }));
      const part = await client().send(new UploadPartCommand({ ...upload, UploadId, PartNumber: 1, Body: "one part" }));
      // The stores that list uploads and their parts (all but R2) show the class the upload will have.
      if (kind !== "native" || world().exceptions.nativeListPartsUnsupported === undefined) {
        expect((await client().send(new ListPartsCommand({ ...upload, UploadId }))).StorageClass).toBe(shownClass);
        const uploads = await client().send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: upload.Key }));
        expect(uploads.Uploads?.map((listed) => listed.StorageClass)).toEqual([shownClass]);
      }
      await client().send(new CompleteMultipartUploadCommand({ ...upload, UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag! }] } }));
      expect(await classOf(upload.Key)).toBe(kept(shownClass));
    });

    it("refuses a class the store has no counterpart of, writing nothing", async () => {
      const key = `${prefix}/refused.txt`;
      const refused = await client().send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: "x", StorageClass: refusedClass })).catch((error: unknown) => error);
      expect(refused).toMatchObject({ name: "InvalidStorageClass", $metadata: { httpStatusCode: 400 } });
      await expect(client().send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
      const create = await client().send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, StorageClass: refusedClass })).catch((error: unknown) => error);
      expect(create).toMatchObject({ name: "InvalidStorageClass" });
    });
  });
}
