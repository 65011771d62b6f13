/**
 * Listing parts and uploads on Azurite, for both builds, beyond the contract: the latest upload of a part is the one
 * CompleteMultipartUpload takes, an upload's class is listed, and uploads begun by earlier versions of the backend
 * (markers without metadata, block ids without a time) are listed too, or refused where their parts are ambiguous.
 */
import { ContainerClient, StorageSharedKeyCredential } from "@azure/storage-blob";
import { toBase64, type Backend } from "@multistore/core/backend";
import { executeDispatch, startAzurite, type AzuriteHandle } from "@multistore/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newPartTag } from "../src/block-ids.js";
import { MARKER_KEY_METADATA } from "../src/multipart.js";
import { markerName, newUploadId } from "../src/names.js";
import { createAzureBackend as createNodeBackend } from "../src/node.js";
import { createAzureBackend as createWorkerBackend } from "../src/worker.js";

let azurite: AzuriteHandle;
let container: ContainerClient;
let counter = 0;

beforeAll(async () => {
  azurite = await startAzurite();
  await azurite.createContainer("uploads");
  container = new ContainerClient(`${azurite.endpoint}/uploads`, new StorageSharedKeyCredential(azurite.accountName, azurite.accountKey));
});
afterAll(() => azurite.close());

/** A block id as versions before the staging time made them: upload id, part number, tag. */
function earlierBlockId(uploadId: string, partNumber: number, tag: Uint8Array): string {
  const bytes = new Uint8Array(36);
  bytes.set(Buffer.from(uploadId, "hex"), 0);
  new DataView(bytes.buffer).setUint32(16, partNumber);
  bytes.set(tag, 20);
  return toBase64(bytes);
}

for (const [build, create] of [["node", createNodeBackend], ["worker", createWorkerBackend]] as const) {
  describe(`az (${build} build) listing parts and uploads on Azurite`, () => {
    const backend = () => create({ endpoint: azurite.endpoint, account_name: azurite.accountName, access_key: azurite.accountKey, container_name: "uploads" });
    const fresh = () => `${build}-${counter++}/`;
    const uploadPart = async (target: Backend<unknown>, key: string, uploadId: string, partNumber: number, body: string) => {
      const dispatch = await target.prepareObject({ operation: "UploadPart", key, uploadId, partNumber, headers: new Headers({ "content-length": String(body.length) }) });
      const response = await executeDispatch(dispatch, body);
      expect(response.status).toBe(200);
      return response.headers.get("etag")!;
    };

    it("completes with the latest upload of a part only, and lists the upload's class", async () => {
      const target = backend();
      const key = `${fresh()}again.bin`;
      const { uploadId } = await target.createMultipartUpload(key, new Headers({ "x-amz-storage-class": "STANDARD_IA" }));
      const first = await uploadPart(target, key, uploadId, 1, "first");
      const second = await uploadPart(target, key, uploadId, 1, "second");
      const listed = await target.listParts!(key, uploadId, { maxParts: 10, partNumberMarker: 0 });
      expect([listed.storageClass, listed.parts.map((part) => [part.partNumber, part.etag, part.size])]).toEqual(["STANDARD_IA", [[1, second, 6]]]);
      const uploads = await target.listMultipartUploads!({ prefix: key, maxUploads: 10 });
      expect(uploads.uploads.map((upload) => [upload.key, upload.uploadId, upload.storageClass])).toEqual([[key, uploadId, "STANDARD_IA"]]);
      // As on S3: the earlier upload's ETag no longer names the part.
      await expect(target.completeMultipartUpload(key, uploadId, [{ partNumber: 1, etag: first }], new Headers())).rejects.toMatchObject({ code: "InvalidPart" });
      await target.completeMultipartUpload(key, uploadId, [{ partNumber: 1, etag: second }], new Headers());
      expect(Buffer.from(await (await container.getBlobClient(key).downloadToBuffer())).toString()).toBe("second");
      expect((await target.listMultipartUploads!({ prefix: key, maxUploads: 10 })).uploads).toEqual([]);
    });

    it("lists uploads begun by earlier versions, and their parts unless a part's uploads cannot be ordered", async () => {
      const target = backend();
      const key = `${fresh()}earlier ü.bin`;
      const uploadId = newUploadId();
      const marker = JSON.stringify({ v: 1, key, headers: {}, metadata: {} });
      await container.getBlockBlobClient(markerName(uploadId)).upload(marker, marker.length);
      const markerTime = (await container.getBlobClient(markerName(uploadId)).getProperties()).lastModified!;
      const [one, other] = [newPartTag(null), newPartTag(null)];
      await container.getBlockBlobClient(key).stageBlock(earlierBlockId(uploadId, 1, one.tag), "one", 3);

      const uploads = await target.listMultipartUploads!({ prefix: key, maxUploads: 10 });
      expect(uploads.uploads.map((upload) => [upload.key, upload.uploadId, upload.initiated.getTime()])).toEqual([[key, uploadId, markerTime.getTime()]]);
      // Read once, then known (the marker is written once).
      expect((await target.listMultipartUploads!({ prefix: key, maxUploads: 10 })).uploads.map((upload) => upload.uploadId)).toEqual([uploadId]);

      const two = await uploadPart(target, key, uploadId, 2, "two");
      const listed = await target.listParts!(key, uploadId, { maxParts: 10, partNumberMarker: 0 });
      expect(listed.parts.map((part) => [part.partNumber, part.etag, part.size])).toEqual([[1, one.etag, 3], [2, two, 3]]);
      expect(listed.parts[0]!.lastModified.getTime()).toBe(markerTime.getTime());
      expect(Math.abs(listed.parts[1]!.lastModified.getTime() - Date.now())).toBeLessThan(60_000);

      // A second earlier-version upload of part 1 with other bytes: which is the part is not known.
      await container.getBlockBlobClient(key).stageBlock(earlierBlockId(uploadId, 1, other.tag), "uno", 3);
      await expect(target.listParts!(key, uploadId, { maxParts: 10, partNumberMarker: 0 })).rejects.toMatchObject({ code: "NotImplemented" });
      // Uploading it again settles it; a listed ETag completes the upload (part 1 alone: parts but the last are 5 MiB).
      const again = await uploadPart(target, key, uploadId, 1, "ONE");
      const settled = await target.listParts!(key, uploadId, { maxParts: 10, partNumberMarker: 0 });
      expect(settled.parts.map((part) => part.etag)).toEqual([again, two]);
      await target.completeMultipartUpload(key, uploadId, [{ partNumber: 1, etag: settled.parts[0]!.etag }], new Headers());
      expect(Buffer.from(await container.getBlobClient(key).downloadToBuffer()).toString()).toBe("ONE");
    });

    it("lists new uploads from their markers' metadata, without reading the markers", async () => {
      const target = backend();
      const key = `${fresh()}metadata.bin`;
      const { uploadId } = await target.createMultipartUpload(key, new Headers());
      const properties = await container.getBlobClient(markerName(uploadId)).getProperties();
      expect(properties.metadata?.[MARKER_KEY_METADATA]).toBe(encodeURIComponent(key));
      // A marker whose body cannot be read is still listed by its metadata.
      await container.getBlockBlobClient(markerName(uploadId)).upload("not json", 8, { metadata: properties.metadata! });
      expect((await target.listMultipartUploads!({ prefix: key, maxUploads: 10 })).uploads.map((upload) => upload.key)).toEqual([key]);
      await container.deleteBlob(markerName(uploadId));
    });
  });
}
