/**
 * Paging of uploads for backends that find every upload at once (a directory of uploads, a container of upload
 * markers) rather than asking a store for a page: S3's order (by key in UTF-8 byte order, then by initiation) and its
 * markers (after `keyMarker`, or after one upload of it).
 */
import { compareUtf8 } from "./list.js";
import type { ListedUpload, ListUploadsRequest, ListUploadsResult } from "../types.js";

/** By key, then by initiation (the upload id settles ties, so the order, and paging, is total). */
function compareUploads(a: ListedUpload, b: ListedUpload): number {
  return compareUtf8(a.key, b.key) || a.initiated.getTime() - b.initiated.getTime() || compareUtf8(a.uploadId, b.uploadId);
}

/** Where a page starts in the ordered uploads. */
function startOf(uploads: readonly ListedUpload[], request: ListUploadsRequest): number {
  const { keyMarker, uploadIdMarker } = request;
  if (keyMarker === undefined) return 0;
  if (uploadIdMarker !== undefined) {
    const marked = uploads.findIndex((upload) => upload.key === keyMarker && upload.uploadId === uploadIdMarker);
    if (marked !== -1) return marked + 1;
  }
  // Without an upload id, after every upload of the key. An upload named as the marker but completed or aborted since
  // leaves no position among its key's uploads: those are listed again rather than skipped.
  const start = uploads.findIndex((upload) => {
    const order = compareUtf8(upload.key, keyMarker);
    return order > 0 || (order === 0 && uploadIdMarker !== undefined);
  });
  return start === -1 ? uploads.length : start;
}

/**
 * The page `request` asks for of every upload in progress: those under `request.prefix`, in S3's order, from after
 * its markers, at most `request.maxUploads`. `uploads` may be in any order and is not changed.
 */
export function pageOfUploads(uploads: readonly ListedUpload[], request: ListUploadsRequest): ListUploadsResult {
  const under = uploads.filter((upload) => upload.key.startsWith(request.prefix)).sort(compareUploads);
  const start = startOf(under, request);
  return { uploads: under.slice(start, start + request.maxUploads), isTruncated: under.length > start + request.maxUploads };
}
