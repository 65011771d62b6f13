/**
 * ListMultipartUploads on Azure: the uploads in progress are the marker blobs under `.multistore-uploads/` (see
 * multipart.ts), listed with their metadata, which holds each upload's key, tier and start. Marker names say nothing
 * of keys, so every page lists every marker (5000 per List Blobs request) and core's `pageOfUploads` orders and pages
 * them as S3 does.
 *
 * Markers written by earlier builds carry no metadata: each is read once, given the metadata (so that no listing reads
 * it again, here or in any other process) and kept (see `ListedMarkers`, for where writing it is refused).
 */
import { isS3Error, S3Error } from "@multistore/core";
import { pageOfUploads, type ListedUpload, type ListUploadsRequest, type ListUploadsResult } from "@multistore/core/backend";
import { azureCall as call } from "./azure-errors.js";
import type { AzureClient, AzureListedBlob } from "./client.js";
import { metadataValue } from "./header-mapping.js";
import { loadMarker, MARKER_INITIATED_METADATA, MARKER_KEY_METADATA, MARKER_TIER_METADATA, markerMetadata } from "./multipart.js";
import { isUploadId, UPLOADS_PREFIX } from "./names.js";
import { s3StorageClassOf } from "./storage-class.js";

/** Markers per List Blobs request (Azure's largest page). */
const MARKERS_PER_PAGE = 5000;

/**
 * List Blobs requests one listing makes at most (100,000 uploads in progress): beyond, it is refused rather than
 * taking ever longer, since uploads cannot be put in order without every marker.
 */
export const MAX_MARKER_PAGES = 20;

/** Markers of earlier builds read at once. */
const READ_CONCURRENCY = 16;

/**
 * What the markers of earlier builds say, by upload id, as read by earlier listings. Markers are written once, and
 * upload ids never reused, so an entry never goes stale; each listing drops those of markers gone.
 */
export type ListedMarkers = Map<string, ListedUpload>;

/** A listed upload, its class named as S3 names the access tier (none for Hot or the account's default). */
function listedUpload(key: string, uploadId: string, initiated: Date, tier: string | undefined): ListedUpload {
  const storageClass = s3StorageClassOf(tier);
  return { key, uploadId, initiated, ...(storageClass !== undefined && { storageClass }) };
}

/** The upload a listed marker stands for, from its metadata; undefined when it has none (an earlier build's). */
function uploadOfMetadata(blob: AzureListedBlob, uploadId: string): ListedUpload | undefined {
  const encoded = metadataValue(blob.metadata, MARKER_KEY_METADATA);
  if (encoded === undefined) return undefined;
  let key: string;
  try {
    key = decodeURIComponent(encoded);
  } catch {
    return undefined;
  }
  const started = Number(metadataValue(blob.metadata, MARKER_INITIATED_METADATA));
  return listedUpload(key, uploadId, Number.isSafeInteger(started) && started > 0 ? new Date(started) : blob.lastModified, metadataValue(blob.metadata, MARKER_TIER_METADATA));
}

/** Every marker blob of the container, by List Blobs. */
async function listMarkers(client: AzureClient): Promise<AzureListedBlob[]> {
  const blobs: AzureListedBlob[] = [];
  let marker: string | undefined;
  for (let page = 0; page < MAX_MARKER_PAGES; page++) {
    const listed = await call(() => client.listBlobs({ prefix: UPLOADS_PREFIX, maxResults: MARKERS_PER_PAGE, ...(marker !== undefined && { marker }) }));
    blobs.push(...listed.blobs);
    if (listed.nextMarker === undefined) return blobs;
    marker = listed.nextMarker;
  }
  throw new S3Error("NotImplemented", { message: `More than ${MAX_MARKER_PAGES * MARKERS_PER_PAGE} multipart uploads are in progress in this container, more than the az backend lists; complete or abort some.` });
}

/**
 * The upload an earlier build's marker stands for, read from the marker and written back as its metadata; undefined
 * when it is gone (completed or aborted since it was listed) or unreadable (not an upload this backend can list).
 */
async function readEarlierMarker(client: AzureClient, blob: AzureListedBlob, uploadId: string): Promise<ListedUpload | undefined> {
  const marker = await loadMarker(client, uploadId).catch((error: unknown) => {
    // A malformed marker is left out rather than failing every listing of the container.
    if (isS3Error(error) && error.code === "InternalError") return undefined;
    throw error;
  });
  if (marker === undefined) return undefined;
  // Best effort: credentials that may not write metadata leave it to the next process to read the marker again.
  await client.setMetadata(blob.name, markerMetadata(marker.key, marker.tier, blob.lastModified)).catch(() => undefined);
  return listedUpload(marker.key, uploadId, blob.lastModified, marker.tier);
}

/** One page of the uploads in progress under `request.prefix`; `known` is kept between calls and updated here. */
export async function listMultipartUploads(client: AzureClient, request: ListUploadsRequest, known: ListedMarkers): Promise<ListUploadsResult> {
  const uploads: ListedUpload[] = [];
  const unread: [AzureListedBlob, string][] = [];
  const present = new Set<string>();
  for (const blob of await listMarkers(client)) {
    const uploadId = blob.name.slice(UPLOADS_PREFIX.length);
    if (!isUploadId(uploadId)) continue;
    present.add(uploadId);
    const upload = uploadOfMetadata(blob, uploadId) ?? known.get(uploadId);
    if (upload !== undefined) uploads.push(upload);
    else unread.push([blob, uploadId]);
  }
  for (const uploadId of known.keys()) if (!present.has(uploadId)) known.delete(uploadId);
  for (let index = 0; index < unread.length; index += READ_CONCURRENCY) {
    const batch = unread.slice(index, index + READ_CONCURRENCY);
    for (const upload of await Promise.all(batch.map(([blob, uploadId]) => readEarlierMarker(client, blob, uploadId)))) {
      if (upload === undefined) continue;
      known.set(upload.uploadId, upload);
      uploads.push(upload);
    }
  }
  return pageOfUploads(uploads, request);
}
