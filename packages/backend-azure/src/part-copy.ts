/**
 * UploadPartCopy on Azure: Put Block From URL stages the source's bytes (or a range of them) as the part's block,
 * server-side, read through a SAS of the source (any container of the same account).
 */
import { S3Error } from "@multistore/core";
import { checkCopyRange, checkCopySourceConditions, type Backend, type PartCopyRequest, type WriteResult } from "@multistore/core/backend";
import { azureCall as call } from "./azure-errors.js";
import type { AzureBlobInfo, AzureClient } from "./client.js";
import { partCount, toS3Etag } from "./etag.js";
import { metadataValue, PARTS_METADATA } from "./header-mapping.js";
import { readMarker } from "./multipart.js";
import { blockId, newPartTag, stagingTime } from "./block-ids.js";
import { checkKey, checkUploadId } from "./names.js";
import { checkOnline } from "./storage-class.js";

/** What a part copy needs of its source backend (an az backend of the same account). */
export interface PartCopySource extends Backend<unknown> {
  /** A short-lived URL reading `key`. */
  readUrl(key: string): Promise<string>;
  /** Get Blob Properties of `key`; undefined when it does not exist. */
  blobProperties(key: string): Promise<AzureBlobInfo | undefined>;
}

/**
 * Copies the source range into part `partNumber` of the upload (see `Backend.uploadPartCopy`). The source's
 * properties decide the copy-source conditions and the range's validity; they are read again after the copy, and a
 * source replaced in between (its ETag changed: Azure gives every write a new one) fails the copy (503, retried by
 * clients) rather than completing it with bytes the conditions were not checked against. Its block stays
 * uncommitted, unnamed by any ETag, and goes with the upload.
 */
export async function uploadPartCopy(client: AzureClient, self: Backend<unknown>, request: PartCopyRequest<unknown>): Promise<WriteResult> {
  const source = request.sourceBackend as Partial<PartCopySource>;
  if (source.copyDomain !== self.copyDomain || typeof source.readUrl !== "function" || typeof source.blobProperties !== "function") {
    throw new S3Error("NotImplemented", { message: "Copying between buckets on different storage accounts is not supported." });
  }
  checkKey(request.key);
  checkKey(request.sourceKey);
  if (request.sourceVersionId !== undefined && request.sourceVersionId !== "null") {
    throw new S3Error("NotImplemented", { message: "Object versions are not supported by the az backend." });
  }
  checkUploadId(request.uploadId);
  // The marker proves the upload exists (and was not aborted) and belongs to this key.
  await readMarker(client, request.key, request.uploadId);
  const info = await call(() => source.blobProperties!(request.sourceKey));
  if (info === undefined) throw new S3Error("NoSuchKey");
  checkCopySourceConditions(request.headers, toS3Etag(info.etag, partCount(metadataValue(info.metadata, PARTS_METADATA))), info.lastModified);
  // (After the conditions: a failing one is 412 whatever the source's tier, as Copy Blob would answer.)
  checkOnline(info);
  const { start, length } = checkCopyRange(request.range, info.size);
  const part = newPartTag(null);
  const sourceUrl = await source.readUrl(request.sourceKey);
  await call(() => client.stageBlockFromUrl(request.key, blockId(request.uploadId, request.partNumber, part, stagingTime()), sourceUrl, length === 0 ? undefined : { offset: start, count: length }));
  const after = await call(() => source.blobProperties!(request.sourceKey));
  if (after?.etag !== info.etag) {
    throw new S3Error("ServiceUnavailable", { message: "The copy source changed during the copy; please retry.", cause: new Error(`${request.sourceKey} replaced during UploadPartCopy`) });
  }
  return { etag: part.etag, lastModified: new Date() };
}
