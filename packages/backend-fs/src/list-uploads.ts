/**
 * ListMultipartUploads for the fs backend: the uploads staged under `.multistore/uploads/<uploadId>/`, whose
 * `upload.json` records the key and when the upload was initiated, in S3's order (by key in UTF-8 byte order, then
 * by initiation) and paged like S3 (after `keyMarker`, or after one upload of it).
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { compareUtf8, type ListedUpload, type ListUploadsRequest, type ListUploadsResult } from "@multistore/core/backend";
import type { FsLayout } from "./paths.js";

/** Upload records read at once (a bucket may stage many uploads; each is one small file). */
const READ_CONCURRENCY = 32;

/** The upload staged in directory `uploadId`, or undefined when there is none there (yet, or any more). */
async function readUpload(layout: FsLayout, uploadId: string): Promise<ListedUpload | undefined> {
  let record: { key?: unknown; initiated?: unknown };
  try {
    record = JSON.parse(await readFile(join(layout.uploadsDir, uploadId, "upload.json"), "utf8")) as typeof record;
  } catch (error) {
    // Being created (no record yet, or half written), or completed or aborted since the directory was listed.
    if ((error as NodeJS.ErrnoException).code === "ENOENT" || error instanceof SyntaxError) return undefined;
    throw error;
  }
  if (typeof record.key !== "string" || typeof record.initiated !== "string") return undefined;
  const initiated = new Date(record.initiated);
  return Number.isNaN(initiated.getTime()) ? undefined : { key: record.key, uploadId, initiated };
}

/** By key, then by initiation (the upload id settles ties, so the order, and paging, is total). */
function compareUploads(a: ListedUpload, b: ListedUpload): number {
  return compareUtf8(a.key, b.key) || a.initiated.getTime() - b.initiated.getTime() || compareUtf8(a.uploadId, b.uploadId);
}

/** Where a page starts in the ordered uploads. */
function startOf(uploads: ListedUpload[], request: ListUploadsRequest): number {
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

/** One page of the uploads in progress under `request.prefix`. */
export async function listMultipartUploads(layout: FsLayout, request: ListUploadsRequest): Promise<ListUploadsResult> {
  // Staging directories are named by our ids (base64url); anything else there is not an upload.
  const names = (await readdir(layout.uploadsDir)).filter((name) => /^[A-Za-z0-9_-]{16,64}$/.test(name));
  const uploads: ListedUpload[] = [];
  for (let index = 0; index < names.length; index += READ_CONCURRENCY) {
    const read = await Promise.all(names.slice(index, index + READ_CONCURRENCY).map((name) => readUpload(layout, name)));
    for (const upload of read) if (upload !== undefined && upload.key.startsWith(request.prefix)) uploads.push(upload);
  }
  uploads.sort(compareUploads);
  const start = startOf(uploads, request);
  return { uploads: uploads.slice(start, start + request.maxUploads), isTruncated: uploads.length > start + request.maxUploads };
}
