/** CopyObject (Copy Blob from a SAS URL of the source, within one storage account) and DeleteObjects. */
import { S3Error } from "@multistore/core";
import { checkCopyChangesObject, checkCopySourceConditions, type Backend, type CopyRequest, type DeleteObjectsResult, type ObjectTag, type WriteResult } from "@multistore/core/backend";
import { toS3Failure, azureCall as call } from "./azure-errors.js";
import type { AzureBlobInfo, AzureClient } from "./client.js";
import { partCount, toS3Etag } from "./etag.js";
import { blobPropertiesOf, conditionsOf, metadataValue, PARTS_METADATA } from "./header-mapping.js";
import { checkKey } from "./names.js";
import { accessTierOf, checkOnline } from "./storage-class.js";
import { tagsOfTaggingHeader } from "./tags.js";
import { destinationConditions } from "./write-conditions.js";

/** Deletes in flight at once: fast for 1000 keys, gentle on the account's request rate. */
export const DELETE_CONCURRENCY = 8;

/** How long CopyObject waits for a copy Azure runs asynchronously (same-account copies usually finish at once). */
export const COPY_WAIT_MS = 60_000;

/** What a copy needs of its source backend (an az backend of the same account). */
export interface CopySource extends Backend<unknown> {
  /** Container name: a copy within one container onto the same key is a copy onto itself. */
  readonly containerName: string;
  /** A short-lived URL reading `key`. */
  readUrl(key: string): Promise<string>;
  /** Get Blob Properties of `key`; undefined when it does not exist. */
  blobProperties(key: string): Promise<AzureBlobInfo | undefined>;
}

async function propertiesOf(client: AzureClient, key: string): Promise<AzureBlobInfo> {
  const info = await call(() => client.properties(key));
  if (info === undefined) throw new S3Error("ServiceUnavailable", { cause: new Error(`copied blob ${key} vanished`) });
  return info;
}

/** Waits until Azure reports the copy done; the destination's properties then. */
async function waitForCopy(client: AzureClient, key: string, status: string): Promise<AzureBlobInfo> {
  const deadline = Date.now() + COPY_WAIT_MS;
  for (let delay = 100; ; delay = Math.min(delay * 2, 2000)) {
    if (status !== "pending") {
      const info = await propertiesOf(client, key);
      const final = info.copyStatus ?? "success";
      if (final === "success") return info;
      if (final !== "pending") throw new S3Error("ServiceUnavailable", { cause: new Error(`copy into ${key} ended ${final}`) });
    }
    if (Date.now() + delay > deadline) {
      throw new S3Error("ServiceUnavailable", { message: "The copy is still in progress on the storage backend.", cause: new Error(`copy into ${key} pending`) });
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
    status = "polled";
  }
}

/**
 * The copy's tags: the request's with `x-amz-tagging-directive: REPLACE`, else the source's (S3's default, COPY). Copy
 * Blob copies none of the source's, so they are read first and set with the copy; a source that changes in between
 * gives its tags of a moment before. Get Blob Tags is asked only of a source whose properties count tags: it needs a
 * permission of its own (the SAS's `t`, an identity's `tags/read`) that copies of untagged blobs then do without. A
 * tagged source whose tags cannot be read fails the copy: dropping them silently would lose them.
 */
async function copiedTags(source: CopySource, request: CopyRequest<unknown>, info: AzureBlobInfo): Promise<readonly ObjectTag[]> {
  if (request.headers.get("x-amz-tagging-directive")?.toUpperCase() === "REPLACE") return tagsOfTaggingHeader(request.headers.get("x-amz-tagging"));
  if (source.getObjectTagging === undefined) return [];
  return info.tagCount === undefined ? [] : (await source.getObjectTagging(request.sourceKey)).tags;
}

/**
 * Copies with Copy Blob: the source URL carries a read SAS, `x-amz-copy-source-if-*` become `x-ms-source-if-*`.
 * With `x-amz-metadata-directive: REPLACE` the destination then gets the request's content headers and metadata. Tags
 * are copied as S3 copies them (`copiedTags`).
 */
export async function copyObject(client: AzureClient, self: CopySource, request: CopyRequest<unknown>): Promise<WriteResult> {
  const candidate = request.sourceBackend as Partial<CopySource>;
  if (candidate.copyDomain !== self.copyDomain || typeof candidate.readUrl !== "function" || typeof candidate.blobProperties !== "function" || typeof candidate.containerName !== "string") {
    throw new S3Error("NotImplemented", { message: "Copying between buckets on different storage accounts is not supported." });
  }
  const source = candidate as CopySource;
  checkKey(request.key);
  checkKey(request.sourceKey);
  if (request.sourceVersionId !== undefined && request.sourceVersionId !== "null") {
    throw new S3Error("NotImplemented", { message: "Object versions are not supported by the az backend." });
  }
  // Azure copies a blob onto itself whatever is asked; S3 refuses a copy that changes nothing.
  if (source.containerName === self.containerName && request.sourceKey === request.key) checkCopyChangesObject(request.headers, request.changesObject);
  // The class asked for, whatever the directive; without one, the tier Copy Blob gives the copy.
  const tier = accessTierOf(request.headers, true);
  // The source's properties: its tags (see `copiedTags`), and whether it is online at all.
  const info = await call(() => source.blobProperties(request.sourceKey));
  if (info === undefined) throw new S3Error("NoSuchKey");
  // A failing source condition is 412 whatever the tier (Copy Blob evaluates them again, atomically).
  checkCopySourceConditions(request.headers, toS3Etag(info.etag, partCount(metadataValue(info.metadata, PARTS_METADATA))), info.lastModified);
  checkOnline(info);
  const tags = await copiedTags(source, request, info);
  const sourceUrl = await source.readUrl(request.sourceKey);
  const replace = request.headers.get("x-amz-metadata-directive")?.toUpperCase() === "REPLACE";
  const properties = replace ? blobPropertiesOf(request.headers) : undefined;
  // Copy Blob keeps the source's metadata unless it is given some.
  const metadata = properties && Object.keys(properties.metadata).length > 0 ? properties.metadata : undefined;
  const sourceConditions = conditionsOf(request.headers, "x-amz-copy-source-");
  const conditions = await destinationConditions(client, request.key, request.headers);
  const status = await call(() => client.startCopy(request.key, sourceUrl, sourceConditions, metadata, conditions, tags, tier));
  let copied = await waitForCopy(client, request.key, status);
  if (properties) {
    // Copy Blob takes no content headers: set them (all of them, unset ones cleared, as S3's REPLACE does; a type left
    // out is the default type, as for a PUT without one).
    await call(() => client.setContentHeaders(request.key, { "content-type": "application/octet-stream", ...properties.headers }));
    if (metadata === undefined) await call(() => client.setMetadata(request.key, {}));
    copied = await propertiesOf(client, request.key);
  }
  return { etag: toS3Etag(copied.etag, partCount(metadataValue(copied.metadata, PARTS_METADATA))), lastModified: copied.lastModified };
}

/** Deletes up to 1000 keys, `DELETE_CONCURRENCY` at a time; keys that do not exist count as deleted. */
export async function deleteObjects(client: AzureClient, keys: string[]): Promise<DeleteObjectsResult> {
  const outcomes: ({ error?: undefined } | { error: { code: string; message: string } })[] = new Array(keys.length);
  let next = 0;
  async function worker(): Promise<void> {
    while (next < keys.length) {
      const index = next++;
      const key = keys[index]!;
      // Refused as the single operations refuse it: a reserved key, and a backslash Azure would read as "/" (another
      // key's blob would be deleted).
      try {
        checkKey(key);
      } catch (error) {
        const refused = toS3Failure(error);
        outcomes[index] = { error: { code: refused.code, message: refused.message } };
        continue;
      }
      try {
        await client.deleteBlob(key);
        outcomes[index] = {};
      } catch (error) {
        const failure = toS3Failure(error);
        outcomes[index] = { error: { code: failure.code, message: failure.status >= 500 ? "We encountered an internal error. Please try again." : failure.message } };
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(DELETE_CONCURRENCY, keys.length) }, worker));
  const result: DeleteObjectsResult = { deleted: [], errors: [] };
  keys.forEach((key, index) => {
    const outcome = outcomes[index]!;
    if (outcome.error) result.errors.push({ key, ...outcome.error });
    else result.deleted.push(key);
  });
  return result;
}
