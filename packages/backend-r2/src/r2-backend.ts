/** The r2 backend: a bucket served straight from an R2 bucket binding (Workers only). */
import { isS3Error } from "@multistore/core";
import type { Backend, DeleteObjectsResult, ObjectDispatch, ObjectRequest, PlainResponse } from "@multistore/core/backend";
import { copyDomainOf, copyObject, r2Buckets } from "./copy.js";
import { uploadPartCopy } from "./part-copy.js";
import { checkKey, checkVersionId } from "./keys.js";
import { listObjects } from "./list.js";
import { abortMultipartUpload, completeMultipartUpload, createMultipartUpload, uploadPart } from "./multipart.js";
import { getObject, headObject } from "./object-read.js";
import { deleteObject, putObject } from "./object-write.js";
import { mapR2Error } from "./r2-errors.js";
import type { R2Bucket } from "./r2-types.js";

/** Options of `createR2Backend`. */
export interface R2BackendOptions {
  /** The R2 bucket binding (`env.MY_BUCKET`, declared under `r2_buckets` in the Wrangler file). */
  bucket: R2Bucket;
}

function isBinding(value: unknown): value is R2Bucket {
  const candidate = value as Partial<R2Bucket> | null | undefined;
  return typeof candidate?.get === "function" && typeof candidate.put === "function" && typeof candidate.list === "function";
}

/**
 * Makes a backend that serves a bucket from an R2 binding. Every operation runs in the Worker through the binding
 * (`native` dispatch, web ReadableStream bodies): reads with ranges and conditions, writes with metadata, Content-MD5
 * and conditional writes, listings, multipart uploads, copies within the binding and batch deletes. Throws a plain
 * Error when the binding is missing (a configuration error).
 */
export function createR2Backend(options: R2BackendOptions): Backend<ReadableStream> {
  const bucket = options?.bucket;
  if (!isBinding(bucket)) throw new Error("an R2 bucket binding (options.bucket) is required for backend_type = r2");

  const backend: Backend<ReadableStream> = {
    kind: "r2",
    copyDomain: copyDomainOf(bucket),
    // R2 verifies and stores a SHA digest given with the put (`shaOption`), and no CRC.
    keptChecksums: ["sha256", "sha1"],
    async prepareObject(request: ObjectRequest): Promise<ObjectDispatch<ReadableStream>> {
      checkKey(request.key);
      if (request.operation !== "PutObject" && request.operation !== "UploadPart") checkVersionId(request.versionId);
      return { type: "native", execute: (body, signal) => execute(bucket, request, body, signal) };
    },
    listObjects: (request) => listObjects(bucket, request),
    createMultipartUpload: (key, headers) => createMultipartUpload(bucket, key, headers),
    completeMultipartUpload: (key, uploadId, parts, headers) => completeMultipartUpload(bucket, key, uploadId, parts, headers),
    abortMultipartUpload: (key, uploadId) => abortMultipartUpload(bucket, key, uploadId),
    deleteObjects: (keys) => deleteObjects(bucket, keys),
    copyObject: (request) => copyObject(bucket, request),
    uploadPartCopy: (request) => uploadPartCopy(bucket, request),
  };
  r2Buckets.set(backend, bucket);
  return backend;
}

function execute(bucket: R2Bucket, request: ObjectRequest, body: ReadableStream | null, signal: AbortSignal): Promise<PlainResponse<ReadableStream>> {
  switch (request.operation) {
    case "GetObject":
      return getObject(bucket, request);
    case "HeadObject":
      return headObject(bucket, request);
    case "PutObject":
      return putObject(bucket, request, body, signal);
    case "DeleteObject":
      return deleteObject(bucket, request.key, request.headers);
    case "UploadPart":
      return uploadPart(bucket, request, body, signal);
  }
}

/** DeleteObjects in one binding call (R2 deletes up to 1000 keys at once; missing keys are not an error). */
async function deleteObjects(bucket: R2Bucket, keys: string[]): Promise<DeleteObjectsResult> {
  const result: DeleteObjectsResult = { deleted: [], errors: [] };
  const valid: string[] = [];
  for (const key of keys) {
    try {
      checkKey(key);
      valid.push(key);
    } catch (error) {
      if (!isS3Error(error)) throw error;
      result.errors.push({ key, code: error.code, message: error.message });
    }
  }
  if (valid.length === 0) return result;
  try {
    await bucket.delete(valid);
    result.deleted.push(...valid);
  } catch (error) {
    // One call for all keys: its failure is every key's, reported per key as S3's batch delete does.
    const mapped = mapR2Error(error);
    const code = isS3Error(mapped) ? mapped.code : "InternalError";
    const message = isS3Error(mapped) && mapped.status < 500 ? mapped.message : "We encountered an internal error. Please try again.";
    for (const key of valid) result.errors.push({ key, code, message });
  }
  return result;
}
