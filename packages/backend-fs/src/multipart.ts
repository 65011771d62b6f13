/**
 * Multipart uploads, staged under `.multistore/uploads/<uploadId>/`: `upload.json` (the key and the headers to
 * store) and `parts/<partNumber>/<md5 hex>`. Naming a part file by its MD5 makes CompleteMultipartUpload's ETag
 * check a plain existence test, and re-uploading a part replaces the previous file (the last upload wins).
 */
import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { S3Error } from "@multistore/core";
import { bareEtag, checkWriteConditions, type CompletedPart, type ListPartsRequest, type ListPartsResult, type PlainResponse, type UploadedPart, type WriteResult } from "@multistore/core/backend";
import { locks } from "./locks-names.js";
import { withLock } from "./locks.js";
import { pickStoredHeaders } from "./metadata.js";
import { STORAGE_CLASS } from "./storage-class.js";
import { statObject } from "./object-read.js";
import { bodySource, contentMd5, expectedLength } from "./object-ops.js";
import { resolveKey, type FsLayout, type KeyPath } from "./paths.js";
import { commitFile, discardStaged, stageBody } from "./write-atomic.js";

/** S3's minimum size of every part but the last. */
export const MIN_PART_SIZE = 5 * 1024 * 1024;

/** S3's maximum object size. */
const MAX_OBJECT_SIZE = 5 * 1024 ** 4;

/**
 * An upload's `upload.json`, written once (exclusively) by CreateMultipartUpload and never changed; the directory it
 * sits in is named by the upload id, which is random and never reused.
 */
export interface UploadRecord {
  /** The key the upload was created for. */
  key: string;
  /** The headers the completed object will carry. */
  headers: Record<string, string>;
  /** When the upload was created (ISO 8601). */
  initiated: string;
}

function noSuchUpload(uploadId: string): S3Error {
  return new S3Error("NoSuchUpload", { details: { UploadId: uploadId } });
}

/** Whether `name` can be one of our upload ids (base64url); a staging directory named otherwise is not an upload. */
export function isUploadId(name: string): boolean {
  return /^[A-Za-z0-9_-]{16,64}$/.test(name);
}

/** The staging directory of `uploadId`; ids are ours (base64url), so anything else cannot exist. */
function uploadDir(layout: FsLayout, uploadId: string): string {
  if (!isUploadId(uploadId)) throw noSuchUpload(uploadId);
  return join(layout.uploadsDir, uploadId);
}

/**
 * The record in staging directory `dir`, or undefined when there is none (never created, or completed or aborted
 * since). A half-written record (its upload being created) throws a SyntaxError.
 */
export async function readUploadRecord(dir: string): Promise<UploadRecord | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, "upload.json"), "utf8")) as UploadRecord;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/** The upload's record; NoSuchUpload when unknown or bound to another key. */
async function readUpload(dir: string, uploadId: string, key: string): Promise<UploadRecord> {
  const record = await readUploadRecord(dir);
  if (record === undefined || record.key !== key) throw noSuchUpload(uploadId);
  return record;
}

/** CreateMultipartUpload: records the key and the headers the completed object will carry. */
export async function createMultipartUpload(layout: FsLayout, key: string, headers: Headers): Promise<{ uploadId: string }> {
  const kp = resolveKey(layout, key);
  if (kp.isFolder) {
    throw new S3Error("InvalidRequest", { message: "The fs backend stores keys ending in `/` only as empty folder markers." });
  }
  // Picked (and its storage class checked) before anything is made.
  const stored = pickStoredHeaders(headers);
  const uploadId = randomBytes(24).toString("base64url");
  const dir = join(layout.uploadsDir, uploadId);
  await mkdir(join(dir, "parts"), { recursive: true });
  const record: UploadRecord = { key, headers: stored, initiated: new Date().toISOString() };
  await writeFile(join(dir, "upload.json"), JSON.stringify(record), { flag: "wx" });
  return { uploadId };
}

/** UploadPart: streams the part to a temp file, then moves it into the upload's staging directory. */
export async function uploadPart(
  layout: FsLayout,
  kp: KeyPath,
  uploadId: string,
  partNumber: number | undefined,
  headers: Headers,
  body: unknown,
  signal: AbortSignal,
  checksums?: () => Record<string, string>,
): Promise<PlainResponse<Readable>> {
  if (partNumber === undefined || !Number.isInteger(partNumber) || partNumber < 1 || partNumber > 10000) {
    throw new S3Error("InvalidArgument", {
      message: "Part number must be an integer between 1 and 10000, inclusive",
      details: { ArgumentName: "partNumber", ArgumentValue: String(partNumber) },
    });
  }
  const dir = uploadDir(layout, uploadId);
  await readUpload(dir, uploadId, kp.key);
  const md5 = contentMd5(headers);
  const length = expectedLength(headers);
  const staged = await stageBody(layout, bodySource(body), {
    signal,
    ...(length === undefined ? {} : { expectedLength: length }),
    ...(md5 === undefined ? {} : { contentMd5: md5 }),
  });
  const hex = staged.md5?.toString("hex") ?? "";
  try {
    await withLock(locks.upload(dir), async () => {
      await readUpload(dir, uploadId, kp.key); // Aborted while the part was streaming?
      const partDir = join(dir, "parts", String(partNumber));
      await mkdir(partDir, { recursive: true });
      await rename(staged.path, join(partDir, hex));
      for (const name of await readdir(partDir)) {
        if (name !== hex) await rm(join(partDir, name), { force: true });
      }
    });
  } finally {
    await discardStaged(staged);
  }
  // S3 echoes the part's verified checksums; SDKs copy them into CompleteMultipartUpload.
  return { status: 200, headers: new Headers({ etag: `"${hex}"`, ...checksums?.() }), body: null };
}

/** Reads the given files one after the other, a chunk at a time. */
async function* concatenate(paths: string[]): AsyncGenerator<Buffer> {
  for (const path of paths) {
    for await (const chunk of createReadStream(path)) yield chunk as Buffer;
  }
}

/** CompleteMultipartUpload: validates the part list, assembles the parts by streaming and commits atomically. */
export async function completeMultipartUpload(
  layout: FsLayout,
  key: string,
  uploadId: string,
  parts: CompletedPart[],
  headers: Headers,
): Promise<WriteResult> {
  const kp = resolveKey(layout, key);
  const dir = uploadDir(layout, uploadId);
  return withLock(locks.upload(dir), async () => {
    const record = await readUpload(dir, uploadId, key);
    if (parts.length === 0) throw new S3Error("MalformedXML", { message: "You must specify at least one part." });
    for (const [index, part] of parts.entries()) {
      const previous = parts[index - 1];
      if (previous !== undefined && part.partNumber <= previous.partNumber) throw new S3Error("InvalidPartOrder");
    }
    const paths: string[] = [];
    const digests: Buffer[] = [];
    const sizes: number[] = [];
    for (const part of parts) {
      const hex = bareEtag(part.etag).toLowerCase();
      const invalid = new S3Error("InvalidPart", { details: { PartNumber: String(part.partNumber), ETag: part.etag } });
      if (!/^[0-9a-f]{32}$/.test(hex) || !Number.isInteger(part.partNumber)) throw invalid;
      const path = join(dir, "parts", String(part.partNumber), hex);
      let size: number;
      try {
        size = (await stat(path)).size;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") throw invalid;
        throw error;
      }
      paths.push(path);
      digests.push(Buffer.from(hex, "hex"));
      sizes.push(size);
    }
    // Sizes are checked once every part is known to exist, as a wrong ETag is the more useful error.
    for (const [index, part] of parts.slice(0, -1).entries()) {
      const size = sizes[index] ?? 0;
      if (size < MIN_PART_SIZE) {
        throw new S3Error("EntityTooSmall", {
          details: { PartNumber: String(part.partNumber), ETag: part.etag, ProposedSize: String(size), MinSizeAllowed: String(MIN_PART_SIZE) },
        });
      }
    }
    // Refuse before copying gigabytes when a precondition already fails; commitFile checks again under the lock.
    if (headers.has("if-none-match") || headers.has("if-match")) {
      checkWriteConditions(headers, key, (await statObject(layout, kp))?.etag);
    }
    const staged = await stageBody(layout, concatenate(paths), { hash: false, maxSize: MAX_OBJECT_SIZE });
    const etag = `"${createHash("md5").update(Buffer.concat(digests)).digest("hex")}-${parts.length}"`;
    const lastModified = await commitFile(layout, kp, staged, { etag, headers: record.headers, conditions: headers });
    await rm(dir, { recursive: true, force: true });
    return { etag, lastModified };
  });
}

/** AbortMultipartUpload: removes the staging directory. */
export async function abortMultipartUpload(layout: FsLayout, key: string, uploadId: string): Promise<void> {
  resolveKey(layout, key);
  const dir = uploadDir(layout, uploadId);
  await withLock(locks.upload(dir), async () => {
    await readUpload(dir, uploadId, key);
    await rm(dir, { recursive: true, force: true });
  });
}

/** ListParts: the staged parts after `partNumberMarker`, each's ETag being the MD5 its file is named by. */
export async function listParts(layout: FsLayout, key: string, uploadId: string, request: ListPartsRequest): Promise<ListPartsResult> {
  resolveKey(layout, key);
  const dir = uploadDir(layout, uploadId);
  return withLock(locks.upload(dir), async () => {
    const record = await readUpload(dir, uploadId, key);
    const storageClass = record.headers?.[STORAGE_CLASS];
    const classed = typeof storageClass === "string" ? { storageClass } : {};
    const numbers = (await readdir(join(dir, "parts")))
      .filter((name) => /^\d{1,5}$/.test(name))
      .map(Number)
      .filter((number) => number > request.partNumberMarker)
      .sort((a, b) => a - b);
    const parts: UploadedPart[] = [];
    for (const partNumber of numbers) {
      if (parts.length === request.maxParts) return { parts, isTruncated: true, ...classed };
      const partDir = join(dir, "parts", String(partNumber));
      // Under the upload's lock a part directory holds its one file (a replaced part's old file is gone).
      const hex = (await readdir(partDir)).find((name) => /^[0-9a-f]{32}$/.test(name));
      if (hex === undefined) continue;
      const info = await stat(join(partDir, hex));
      parts.push({ partNumber, etag: `"${hex}"`, size: info.size, lastModified: info.mtime });
    }
    return { parts, isTruncated: false, ...classed };
  });
}
