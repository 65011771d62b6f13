/** The fs backend: a bucket served from a local directory. */
import { mkdirSync, realpathSync } from "node:fs";
import { readdir, rm, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { Readable } from "node:stream";
import { isS3Error, type Backend, type ObjectDispatch, type ObjectRequest, type PlainResponse } from "@multistore/core";
import { checkVersionId, copyObject, FS_COPY_DOMAIN, fsLayouts } from "./copy.js";
import { listObjects } from "./list.js";
import { abortMultipartUpload, completeMultipartUpload, createMultipartUpload, uploadPart } from "./multipart.js";
import { deleteKey, deleteObject, putObject, readObject } from "./object-ops.js";
import { layoutOf, resolveKey, type FsLayout, type KeyPath } from "./paths.js";

/** Options of `createFsBackend` (the bucket's `backend_options`). */
export interface FsBackendOptions {
  /** Directory holding the bucket's objects; created when absent. */
  root: string;
}

/**
 * Makes a backend that stores a bucket in the directory `options.root`: key `a/b/c.txt` is the file
 * `<root>/a/b/c.txt`, so files dropped into the directory are objects too. Bookkeeping (metadata sidecars, temp
 * files, multipart staging) lives in `<root>/.multistore/`, which is not reachable through the gateway. Operations
 * run in process (`native` dispatch) and stream; writes are atomic. Throws a plain Error for invalid options.
 */
export function createFsBackend(options: FsBackendOptions): Backend<Readable> {
  if (typeof options?.root !== "string" || options.root.trim() === "") {
    throw new Error("root is required for backend_type = fs");
  }
  mkdirSync(options.root, { recursive: true });
  // The real path, so symlink checks of keys compare against what realpath() returns.
  const layout = layoutOf(realpathSync(resolve(options.root)));
  for (const dir of [layout.metaDir, layout.tmpDir, layout.uploadsDir]) mkdirSync(dir, { recursive: true });
  void sweepTempFiles(layout);

  const backend: Backend<Readable> = {
    kind: "fs",
    copyDomain: FS_COPY_DOMAIN,
    async prepareObject(request: ObjectRequest): Promise<ObjectDispatch<Readable>> {
      const kp = resolveKey(layout, request.key);
      if (request.operation !== "PutObject" && request.operation !== "UploadPart") checkVersionId(request.versionId);
      return {
        type: "native",
        execute: (body, signal) => execute(layout, kp, request, body, signal),
      };
    },
    listObjects: (request) => listObjects(layout, request),
    createMultipartUpload: (key, headers) => createMultipartUpload(layout, key, headers),
    completeMultipartUpload: (key, uploadId, parts, headers) => completeMultipartUpload(layout, key, uploadId, parts, headers),
    abortMultipartUpload: (key, uploadId) => abortMultipartUpload(layout, key, uploadId),
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
      return deleteObject(layout, kp);
    case "UploadPart":
      return uploadPart(layout, kp, request.uploadId ?? "", request.partNumber, request.headers, body, signal, request.verifiedChecksums);
  }
}

/** Temp files older than this were left by a crash (a live write renames or removes its file long before). */
const STALE_TEMP_MS = 24 * 60 * 60 * 1000;

/** Best effort, in the background: removes temp files a crashed process left behind. */
async function sweepTempFiles(layout: FsLayout): Promise<void> {
  try {
    for (const name of await readdir(layout.tmpDir)) {
      const path = join(layout.tmpDir, name);
      const { mtimeMs } = await stat(path).catch(() => ({ mtimeMs: Date.now() }));
      if (Date.now() - mtimeMs > STALE_TEMP_MS) await rm(path, { force: true });
    }
  } catch {
    // Never fatal: the files only take space.
  }
}
