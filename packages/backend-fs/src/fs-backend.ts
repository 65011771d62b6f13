/** The fs backend: a bucket served from a local directory. */
import { mkdirSync, realpathSync } from "node:fs";
import { resolve } from "node:path";
import type { Readable } from "node:stream";
import { isS3Error } from "@multistore/core";
import type { Backend, ObjectDispatch, ObjectRequest, PlainResponse } from "@multistore/core/backend";
import { checkVersionId, copyObject, FS_COPY_DOMAIN, fsLayouts } from "./copy.js";
import { uploadPartCopy } from "./part-copy.js";
import { listObjects } from "./list.js";
import { listMultipartUploads, type ListedUploads } from "./list-uploads.js";
import { keptStorageClass } from "./storage-class.js";
import { abortMultipartUpload, completeMultipartUpload, createMultipartUpload, listParts, uploadPart } from "./multipart.js";
import { deleteKey, deleteObject, putObject, readObject } from "./object-ops.js";
import { layoutOf, resolveKey, type FsLayout, type KeyPath } from "./paths.js";
import { startSweeping } from "./sweep.js";
import { taggingMethods } from "./tagging.js";

/** Options of `createFsBackend` (the bucket's `backend_options`, strings as in the TOML format). */
export interface FsBackendOptions {
  /** Directory holding the bucket's objects; created when absent. */
  root: string;
  /** Temp files older than this many seconds are swept (default 86400). */
  temp_max_age_secs?: string;
  /** Multipart uploads started longer ago than this many seconds are aborted by the sweep (default 604800). */
  multipart_max_age_secs?: string;
  /** Seconds between sweeps while the process runs (default 3600). */
  sweep_interval_secs?: string;
  /** `"true"` when the root is on storage encrypted at rest: SSE-S3 writes are taken (default `"false"`). */
  encrypted_at_rest?: string;
}

function seconds(options: FsBackendOptions, name: "temp_max_age_secs" | "multipart_max_age_secs" | "sweep_interval_secs", fallback: number): number {
  const value = options[name];
  if (value === undefined) return fallback * 1000;
  if (!/^[1-9]\d{0,9}$/.test(String(value))) throw new Error(`${name} must be a whole number of seconds, at least 1, for backend_type = fs`);
  return Number(value) * 1000;
}

/**
 * Makes a backend that stores a bucket in the directory `options.root`: key `a/b/c.txt` is the file
 * `<root>/a/b/c.txt`, so files dropped into the directory are objects too. Bookkeeping (metadata sidecars, temp
 * files, multipart staging) lives in `<root>/.multistore/`, which is not reachable through the gateway. Operations
 * run in process (`native` dispatch) and stream; writes are atomic. Throws a plain Error for invalid options.
 */
export function createFsBackend(input: FsBackendOptions | Readonly<Record<string, string>>): Backend<Readable> {
  // A bucket's `backend_options` as configured is accepted as it is; the options are checked here, naming the field.
  const options = input as FsBackendOptions;
  if (typeof options?.root !== "string" || options.root.trim() === "") {
    throw new Error("root is required for backend_type = fs");
  }
  let layout: ReturnType<typeof layoutOf>;
  try {
    mkdirSync(options.root, { recursive: true });
    // The real path, so symlink checks of keys compare against what realpath() returns.
    layout = layoutOf(realpathSync(resolve(options.root)));
    for (const dir of [layout.metaDir, layout.tmpDir, layout.uploadsDir]) mkdirSync(dir, { recursive: true });
  } catch (error) {
    // A file where the directory should be, no permission, a read-only disk: say which option to fix.
    const reason = (error as NodeJS.ErrnoException).code === "EEXIST" || (error as NodeJS.ErrnoException).code === "ENOTDIR" ? "is not a directory" : "cannot be used";
    throw new Error(`root ${reason} for backend_type = fs: ${(error as Error).message}`, { cause: error });
  }
  const encrypted = options.encrypted_at_rest;
  if (encrypted !== undefined && encrypted !== "true" && encrypted !== "false") throw new Error('encrypted_at_rest must be "true" or "false" for backend_type = fs');
  const ages = { tempMaxAgeMs: seconds(options, "temp_max_age_secs", 86_400), uploadMaxAgeMs: seconds(options, "multipart_max_age_secs", 604_800) };
  startSweeping(layout, ages, seconds(options, "sweep_interval_secs", 3600));
  // Upload records read by listings, so that the pages of one client request do not each read them all again.
  const listedUploads: ListedUploads = new Map();

  const backend: Backend<Readable> = {
    kind: "fs",
    copyDomain: FS_COPY_DOMAIN,
    // Said by the operator, who knows the disk: the gateway itself writes plain files.
    encryptsAtRest: encrypted === "true",
    async prepareObject(request: ObjectRequest): Promise<ObjectDispatch<Readable>> {
      const kp = resolveKey(layout, request.key);
      if (request.operation !== "PutObject" && request.operation !== "UploadPart") checkVersionId(request.versionId);
      // Refused before the body is given (a copy streamed in from another store is charged once it is).
      if (request.operation === "PutObject") keptStorageClass(request.headers);
      return {
        type: "native",
        execute: (body, signal) => execute(layout, kp, request, body, signal),
      };
    },
    listObjects: (request) => listObjects(layout, request),
    createMultipartUpload: (key, headers) => createMultipartUpload(layout, key, headers),
    completeMultipartUpload: (key, uploadId, parts, headers) => completeMultipartUpload(layout, key, uploadId, parts, headers),
    abortMultipartUpload: (key, uploadId) => abortMultipartUpload(layout, key, uploadId),
    listParts: (key, uploadId, request) => listParts(layout, key, uploadId, request),
    listMultipartUploads: (request) => listMultipartUploads(layout, request, listedUploads),
    async deleteObjects(keys) {
      const result: Awaited<ReturnType<Backend["deleteObjects"]>> = { deleted: [], errors: [] };
      for (const key of keys) {
        try {
          await deleteKey(layout, resolveKey(layout, key));
          result.deleted.push(key);
        } catch (error) {
          if (!isS3Error(error)) throw error;
          result.errors.push({ key, code: error.code, message: error.message });
        }
      }
      return result;
    },
    copyObject: (request) => copyObject(layout, request),
    uploadPartCopy: (request) => uploadPartCopy(layout, request),
    ...taggingMethods(layout),
  };
  fsLayouts.set(backend, layout);
  return backend;
}

function execute(layout: FsLayout, kp: KeyPath, request: ObjectRequest, body: Readable | null, signal: AbortSignal): Promise<PlainResponse<Readable>> {
  switch (request.operation) {
    case "GetObject":
    case "HeadObject":
      return readObject(layout, kp, request, signal);
    case "PutObject":
      return putObject(layout, kp, request.headers, body, signal, request.verifiedChecksums);
    case "DeleteObject":
      return deleteObject(layout, kp, request.headers);
    case "UploadPart":
      return uploadPart(layout, kp, request.uploadId ?? "", request.partNumber, request.headers, body, signal, request.verifiedChecksums);
  }
}


