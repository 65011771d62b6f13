/**
 * Listing parts and uploads on Azurite, for both builds, beyond the contract: a part's latest upload is listed, an
 * upload's class and start too, and uploads begun by earlier builds of the backend (markers without metadata, block
 * ids without a time) are listed as well (their markers given metadata), or refused where their parts are ambiguous.
 */
import { ContainerClient, StorageSharedKeyCredential } from "@azure/storage-blob";
import type { Backend } from "@multistore/core/backend";
import { executeDispatch, startAzurite, type AzuriteHandle } from "@multistore/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newPartTag } from "../src/block-ids.js";
import { MARKER_INITIATED_METADATA, MARKER_KEY_METADATA, markerMetadata } from "../src/multipart.js";
import { markerName, newUploadId } from "../src/names.js";
import { createAzureBackend as createNodeBackend } from "../src/node.js";
import { createAzureBackend as createWorkerBackend } from "../src/worker.js";
import { earlierBlockId } from "./helpers/earlier-block-id.js";

let azurite: AzuriteHandle;
let container: ContainerClient;
let counter = 0;

beforeAll(async () => {
  azurite = await startAzurite();
  await azurite.createContainer("uploads");
  container = new ContainerClient(`${azurite.endpoint}/uploads`, new StorageSharedKeyCredential(azurite.accountName, azurite.accountKey));
});
afterAll(() => azurite.close());

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

    it("lists a part's latest upload and the upload's class; Complete takes the upload a part's ETag names", async () => {
      const target = backend();
      const key = `${fresh()}again.bin`;
      const { uploadId } = await target.createMultipartUpload(key, new Headers({ "x-amz-storage-class": "STANDARD_IA" }));
      const first = await uploadPart(target, key, uploadId, 1, "first");
      const second = await uploadPart(target, key, uploadId, 1, "second");
      const listed = await target.listParts!(key, uploadId, { maxParts: 10, partNumberMarker: 0 });
      expect([listed.storageClass, listed.parts.map((part) => [part.partNumber, part.etag, part.size])]).toEqual(["STANDARD_IA", [[1, second, 6]]]);
      const uploads = await target.listMultipartUploads!({ prefix: key, maxUploads: 10 });
      expect(uploads.uploads.map((upload) => [upload.key, upload.uploadId, upload.storageClass])).toEqual([[key, uploadId, "STANDARD_IA"]]);
      // Where S3 answers InvalidPart: uploads are ordered by gateways' clocks, which may disagree (see blockWithTag).
      await target.completeMultipartUpload(key, uploadId, [{ partNumber: 1, etag: first }], new Headers());
      expect(Buffer.from(await container.getBlobClient(key).downloadToBuffer()).toString()).toBe("first");
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
      // Read once and given the metadata new markers have, so that no listing reads it again.
      expect((await container.getBlobClient(markerName(uploadId)).getProperties()).metadata).toEqual(markerMetadata(key, undefined, markerTime));
      const others = await target.listMultipartUploads!({ prefix: "", maxUploads: 1000 });
      expect(others.uploads.filter((upload) => upload.key === key).map((upload) => upload.initiated.getTime())).toEqual([markerTime.getTime()]);

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

    it("lists new uploads from their markers' metadata (start in milliseconds), without reading the markers", async () => {
      const target = backend();
      const key = `${fresh()}metadata.bin`;
      const before = Date.now();
      const { uploadId } = await target.createMultipartUpload(key, new Headers());
      const properties = await container.getBlobClient(markerName(uploadId)).getProperties();
      expect(properties.metadata?.[MARKER_KEY_METADATA]).toBe(encodeURIComponent(key));
      const started = Number(properties.metadata?.[MARKER_INITIATED_METADATA]);
      expect(started).toBeGreaterThanOrEqual(before);
      expect(started).toBeLessThanOrEqual(Date.now());
      // A marker whose body cannot be read is still listed by its metadata.
      await container.getBlockBlobClient(markerName(uploadId)).upload("not json", 8, { metadata: properties.metadata! });
      const listed = await target.listMultipartUploads!({ prefix: key, maxUploads: 10 });
      expect(listed.uploads.map((upload) => [upload.key, upload.initiated.getTime()])).toEqual([[key, started]]);
      await container.deleteBlob(markerName(uploadId));
    });

    it("keeps what it read of an earlier build's marker, and leaves out a marker it cannot read", async () => {
      const key = `${fresh()}kept.bin`;
      const uploadId = newUploadId();
      const marker = JSON.stringify({ v: 1, key, headers: {}, metadata: {} });
      const blob = container.getBlockBlobClient(markerName(uploadId));
      await blob.upload(marker, marker.length);
      const target = backend();
      expect((await target.listMultipartUploads!({ prefix: key, maxUploads: 10 })).uploads.map((upload) => upload.key)).toEqual([key]);
      // Unreadable now and without metadata: this backend knows it still, a new one leaves it out (no 500).
      await blob.upload("not json", 8);
      expect((await target.listMultipartUploads!({ prefix: key, maxUploads: 10 })).uploads.map((upload) => upload.key)).toEqual([key]);
      expect(await backend().listMultipartUploads!({ prefix: key, maxUploads: 10 })).toEqual({ uploads: [], isTruncated: false });
      await blob.delete();
    });
  });
}
