/**
 * ListMultipartUploads for the fs backend: the uploads staged under `.multistore/uploads/<uploadId>/`, whose
 * `upload.json` records the key and when the upload was initiated, in S3's order and paged like S3 (core's
 * `pageOfUploads`).
 *
 * Directory names say nothing of keys, so every page needs every upload's key; core reads up to ten pages for one
 * client request. Records are therefore read once and kept (see `ListedUploads`), while the directory itself is read
 * on every page, so which uploads exist is always current.
 */
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { pageOfUploads, type ListedUpload, type ListUploadsRequest, type ListUploadsResult } from "@multistore/core/backend";
import { isUploadId, readUploadRecord } from "./multipart.js";
import type { FsLayout } from "./paths.js";
import { STORAGE_CLASS } from "./storage-class.js";

/** Upload records read at once (a bucket may stage many uploads; each is one small file). */
const READ_CONCURRENCY = 32;

/**
 * What the records of a root's uploads say, by upload id, as read by earlier listings. An entry never goes stale: a
 * record is written once and never changed, and upload ids are random and never reused. Each listing drops the
 * entries of uploads whose directory has gone, so this holds no more than the uploads in progress.
 */
export type ListedUploads = Map<string, ListedUpload>;

/** The upload staged in directory `uploadId`, or undefined when there is none there (yet, or any more). */
async function readUpload(layout: FsLayout, uploadId: string): Promise<ListedUpload | undefined> {
  const record = await readUploadRecord(join(layout.uploadsDir, uploadId)).catch((error: unknown) => {
    // Being created: the record is half written.
    if (error instanceof SyntaxError) return undefined;
    throw error;
  });
  if (record === undefined || typeof record.key !== "string" || typeof record.initiated !== "string") return undefined;
  const initiated = new Date(record.initiated);
  const storageClass = record.headers?.[STORAGE_CLASS];
  if (Number.isNaN(initiated.getTime())) return undefined;
  return { key: record.key, uploadId, initiated, ...(typeof storageClass === "string" && { storageClass }) };
}

/**
 * One page of the uploads in progress under `request.prefix`. `known` (one per root, kept between calls) spares
 * reading again the records earlier pages read; it is updated here.
 */
export async function listMultipartUploads(layout: FsLayout, request: ListUploadsRequest, known: ListedUploads): Promise<ListUploadsResult> {
  const names = (await readdir(layout.uploadsDir)).filter(isUploadId);
  const present = new Set(names);
  for (const uploadId of known.keys()) if (!present.has(uploadId)) known.delete(uploadId);
  const unread = names.filter((name) => !known.has(name));
  for (let index = 0; index < unread.length; index += READ_CONCURRENCY) {
    const read = await Promise.all(unread.slice(index, index + READ_CONCURRENCY).map((name) => readUpload(layout, name)));
    // Only complete records are kept: a directory without one yet is looked at again next time.
    for (const upload of read) if (upload !== undefined) known.set(upload.uploadId, upload);
  }
  const uploads: ListedUpload[] = [];
  for (const name of names) {
    const upload = known.get(name);
    if (upload !== undefined) uploads.push(upload);
  }
  return pageOfUploads(uploads, request);
}
