/**
 * Multipart uploads on block blobs. CreateMultipartUpload writes a small marker blob
 * (`.multistore-uploads/<uploadId>`) holding the key and the object's content headers, metadata and tags, so every
 * request and isolate sees the upload without in-memory state. Parts are blocks staged on the destination blob
 * (UploadPart is a forward; see block-ids.ts). CompleteMultipartUpload checks the list against Azure's uncommitted
 * blocks and commits it with Put Block List; Abort deletes the marker and lets Azure expire the blocks (7 days).
 *
 * Azure discards a blob's uncommitted blocks whenever it is committed or overwritten, so a PutObject or another
 * CompleteMultipartUpload of the same key while an upload is in progress makes that upload's Complete fail with
 * InvalidPart (never mixing data: block ids carry the upload id).
 */
import { S3Error } from "@multistore/core";
import type { CompletedPart, WriteResult } from "@multistore/core/backend";
import { azureCall as call } from "./azure-errors.js";
import type { AzureClient, ContentHeaders } from "./client.js";
import { toS3Etag } from "./etag.js";
import { blobPropertiesOf, conditionsOf, PARTS_METADATA } from "./header-mapping.js";
import { tagOfPartEtag } from "./block-ids.js";
import { checkKey, checkUploadId, markerName, newUploadId } from "./names.js";
import { blockWithTag, partsOfUpload, type StagedPart } from "./staged-parts.js";
import { accessTierOf } from "./storage-class.js";
import { tagsOfTaggingHeader } from "./tags.js";

/** S3's minimum size of every part but the last. */
export const MIN_PART_SIZE = 5 * 1024 * 1024;

/** The metadata of a marker blob holding the upload's key (URI-encoded: metadata values are header values). */
export const MARKER_KEY_METADATA = "multistore_upload_key";
/** The metadata of a marker blob holding the object's access tier, when the upload asked for one. */
export const MARKER_TIER_METADATA = "multistore_upload_tier";
/** The metadata of a marker blob holding when the upload began, in milliseconds (Last-Modified has whole seconds). */
export const MARKER_INITIATED_METADATA = "multistore_upload_initiated";

/** The metadata a marker carries for ListMultipartUploads. */
export function markerMetadata(key: string, tier: string | undefined, initiated: Date): Record<string, string> {
  return { [MARKER_KEY_METADATA]: encodeURIComponent(key), [MARKER_INITIATED_METADATA]: String(initiated.getTime()), ...(tier !== undefined && { [MARKER_TIER_METADATA]: tier }) };
}

/** What a marker blob holds. */
export interface UploadMarker {
  /** Format version. */
  v: 1;
  /** Full backend key of the upload. */
  key: string;
  /** Content headers for the object, by S3 name. */
  headers: ContentHeaders;
  /** Metadata for the object, by Azure name. */
  metadata: Record<string, string>;
  /** Tags for the object (`x-amz-tagging`) as key / value pairs; absent for none (and in markers of older versions). */
  tags?: [string, string][];
  /** The object's access tier (`x-amz-storage-class`'s); absent for the account's default. */
  tier?: string;
}

function isTagPairs(value: unknown): value is [string, string][] {
  return Array.isArray(value) && value.every((pair) => Array.isArray(pair) && pair.length === 2 && typeof pair[0] === "string" && typeof pair[1] === "string");
}

function isRecordOfStrings(value: unknown): value is Record<string, string> {
  return typeof value === "object" && value !== null && Object.values(value).every((item) => typeof item === "string");
}

/**
 * The marker of upload `uploadId` (an id this backend can have issued: the caller checks, since it names the blob);
 * undefined when there is none. A marker that cannot be read is InternalError.
 */
export async function loadMarker(client: AzureClient, uploadId: string): Promise<UploadMarker | undefined> {
  const text = await call(() => client.getText(markerName(uploadId)));
  if (text === undefined) return undefined;
  let marker: Partial<UploadMarker>;
  try {
    marker = JSON.parse(text) as Partial<UploadMarker>;
  } catch (error) {
    throw new S3Error("InternalError", { cause: new Error(`unreadable upload marker ${uploadId}`, { cause: error }) });
  }
  if (marker.v !== 1 || typeof marker.key !== "string" || !isRecordOfStrings(marker.headers) || !isRecordOfStrings(marker.metadata) || (marker.tags !== undefined && !isTagPairs(marker.tags)) || (marker.tier !== undefined && typeof marker.tier !== "string")) {
    throw new S3Error("InternalError", { cause: new Error(`malformed upload marker ${uploadId}`) });
  }
  return marker as UploadMarker;
}

/** The marker of an upload of `key`; NoSuchUpload when it is unknown, aborted, completed or of another key. */
export async function readMarker(client: AzureClient, key: string, uploadId: string): Promise<UploadMarker> {
  checkUploadId(uploadId);
  const marker = await loadMarker(client, uploadId);
  if (marker?.key !== key) throw new S3Error("NoSuchUpload");
  return marker;
}

/** Starts an upload: a fresh id and its marker. */
export async function createMultipartUpload(client: AzureClient, key: string, headers: Headers): Promise<{ uploadId: string }> {
  checkKey(key);
  // Tags are checked now, not when the upload completes: S3 refuses them here.
  const tags = tagsOfTaggingHeader(headers.get("x-amz-tagging"));
  const tier = accessTierOf(headers);
  const uploadId = newUploadId();
  const properties = blobPropertiesOf(headers);
  const marker: UploadMarker = {
    v: 1,
    key,
    headers: properties.headers,
    metadata: properties.metadata,
    ...(tags.length > 0 && { tags: tags.map((tag): [string, string] => [tag.key, tag.value]) }),
    ...(tier !== undefined && { tier }),
  };
  // The key and tier again as the marker's metadata, which List Blobs returns: ListMultipartUploads reads no marker.
  await call(() => client.putText(markerName(uploadId), JSON.stringify(marker), markerMetadata(key, tier, new Date())));
  return { uploadId };
}

/**
 * The block ids to commit, in order; throws InvalidPart or EntityTooSmall as S3 does. A part's ETag names one of
 * its uploads (see `blockWithTag`: an earlier upload's too).
 */
function blockIdsOf(uploadId: string, parts: CompletedPart[], staged: Map<number, StagedPart[]>): string[] {
  if (parts.length === 0) throw new S3Error("MalformedXML", { message: "The list of parts must not be empty." });
  return parts.map((part, index) => {
    const details = { PartNumber: String(part.partNumber), ETag: part.etag };
    const tag = tagOfPartEtag(part.etag);
    const block = tag && blockWithTag(staged.get(part.partNumber), tag);
    if (block === undefined) throw new S3Error("InvalidPart", { details });
    if (index < parts.length - 1 && block.size < MIN_PART_SIZE) {
      throw new S3Error("EntityTooSmall", { details: { ...details, ProposedSize: String(block.size), MinSizeAllowed: String(MIN_PART_SIZE) } });
    }
    return block.id;
  });
}

/** Commits the parts; honours `if-match` / `if-none-match`. The upload stays usable when this fails. */
export async function completeMultipartUpload(client: AzureClient, key: string, uploadId: string, parts: CompletedPart[], headers: Headers): Promise<WriteResult> {
  checkKey(key);
  const marker = await readMarker(client, key, uploadId);
  // Order is checked before asking Azure anything: S3 refuses a misordered list whatever the parts are.
  for (let index = 1; index < parts.length; index++) {
    if (parts[index]!.partNumber <= parts[index - 1]!.partNumber) throw new S3Error("InvalidPartOrder");
  }
  const staged = partsOfUpload(await call(() => client.uncommittedBlocks(key)), uploadId);
  const ids = blockIdsOf(uploadId, parts, staged);
  const { ifMatch, ifNoneMatch } = conditionsOf(headers);
  const metadata = { ...marker.metadata, [PARTS_METADATA]: String(parts.length) };
  const tags = (marker.tags ?? []).map(([tagKey, value]) => ({ key: tagKey, value }));
  const committed = await call(() => client.commitBlocks(key, ids, marker.headers, metadata, { ...(ifMatch && { ifMatch }), ...(ifNoneMatch && { ifNoneMatch }) }, tags, marker.tier));
  // The object exists now; a marker left behind only keeps the id answering InvalidPart instead of NoSuchUpload.
  await client.deleteBlob(markerName(uploadId)).catch(() => undefined);
  return { etag: toS3Etag(committed.etag, parts.length), ...(committed.lastModified && { lastModified: committed.lastModified }) };
}

/** Forgets an upload: its marker goes, its staged blocks expire in Azure. */
export async function abortMultipartUpload(client: AzureClient, key: string, uploadId: string): Promise<void> {
  checkKey(key);
  await readMarker(client, key, uploadId);
  if (!(await call(() => client.deleteBlob(markerName(uploadId))))) throw new S3Error("NoSuchUpload");
}
