/**
 * ListMultipartUploads on Azure: the uploads in progress are the marker blobs under `.multistore-uploads/` (see
 * multipart.ts), listed with their metadata, which holds each upload's key and tier; its last modification is when
 * the upload began (a marker is written once). Marker names say nothing of keys, so every page lists every marker
 * (5000 per List Blobs request) and core's `pageOfUploads` orders and pages them as S3 does.
 *
 * Markers written by earlier versions carry no metadata: they are read once and kept (see `ListedMarkers`).
 */
import { S3Error } from "@multistore/core";
import { pageOfUploads, type ListedUpload, type ListUploadsRequest, type ListUploadsResult } from "@multistore/core/backend";
import { azureCall as call } from "./azure-errors.js";
import type { AzureClient, AzureListedBlob } from "./client.js";
import { metadataValue } from "./header-mapping.js";
import { loadMarker, MARKER_KEY_METADATA, MARKER_TIER_METADATA } from "./multipart.js";
import { isUploadId, UPLOADS_PREFIX } from "./names.js";
import { s3StorageClassOf } from "./storage-class.js";

/** Markers per List Blobs request (Azure's largest page). */
const MARKERS_PER_PAGE = 5000;

/**
 * List Blobs requests one listing makes at most (100,000 uploads in progress): beyond, it is refused rather than
 * taking ever longer, since uploads cannot be put in order without every marker.
 */
export const MAX_MARKER_PAGES = 20;

/** Markers of earlier versions read at once. */
const READ_CONCURRENCY = 16;

/**
 * What the markers of earlier versions say, by upload id, as read by earlier listings. Markers are written once, and
 * upload ids never reused, so an entry never goes stale; each listing drops those of markers gone.
 */
export type ListedMarkers = Map<string, ListedUpload>;

/** The upload a listed marker stands for, from its metadata; undefined when it has none (an earlier version's). */
function uploadOfMetadata(blob: AzureListedBlob, uploadId: string): ListedUpload | undefined {
  const encoded = metadataValue(blob.metadata, MARKER_KEY_METADATA);
  if (encoded === undefined) return undefined;
  let key: string;
  try {
    key = decodeURIComponent(encoded);
  } catch {
    return undefined;
  }
  const storageClass = s3StorageClassOf(metadataValue(blob.metadata, MARKER_TIER_METADATA));
  return { key, uploadId, initiated: blob.lastModified, ...(storageClass !== undefined && { storageClass }) };
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

/** One page of the uploads in progress under `request.prefix`; `known` is kept between calls and updated here. */
export async function listMultipartUploads(client: AzureClient, request: ListUploadsRequest, known: ListedMarkers): Promise<ListUploadsResult> {
  const uploads: ListedUpload[] = [];
  const unread: AzureListedBlob[] = [];
  const present = new Set<string>();
  for (const blob of await listMarkers(client)) {
    const uploadId = blob.name.slice(UPLOADS_PREFIX.length);
    if (!isUploadId(uploadId)) continue;
    present.add(uploadId);
    const upload = uploadOfMetadata(blob, uploadId) ?? known.get(uploadId);
    if (upload !== undefined) uploads.push(upload);
    else unread.push(blob);
  }
  for (const uploadId of known.keys()) if (!present.has(uploadId)) known.delete(uploadId);
  for (let index = 0; index < unread.length; index += READ_CONCURRENCY) {
    const batch = unread.slice(index, index + READ_CONCURRENCY);
    const markers = await Promise.all(batch.map((blob) => loadMarker(client, blob.name.slice(UPLOADS_PREFIX.length))));
    for (const [position, marker] of markers.entries()) {
      // Gone since it was listed: completed or aborted.
      if (marker === undefined) continue;
      const uploadId = batch[position]!.name.slice(UPLOADS_PREFIX.length);
      const storageClass = s3StorageClassOf(marker.tier);
      const upload = { key: marker.key, uploadId, initiated: batch[position]!.lastModified, ...(storageClass !== undefined && { storageClass }) };
      known.set(uploadId, upload);
      uploads.push(upload);
    }
  }
  return pageOfUploads(uploads, request);
}
