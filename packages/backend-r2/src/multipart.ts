/**
 * Multipart uploads on R2's own multipart API: R2 keeps the parts and the upload's metadata, so the backend holds
 * no state. Part ETags are R2's (the part's MD5 on real R2), returned quoted and passed back bare on completion.
 */
import { S3Error } from "@multistore/core";
import {
  bareEtag,
  checkWriteConditions,
  hasWriteConditions,
  type CompletedPart,
  type ObjectRequest,
  type PlainResponse,
  type WriteResult,
} from "@multistore/core/backend";
import { contentMd5Hex, knownLengthBody } from "./body.js";
import { checkKey } from "./keys.js";
import { md5Checked } from "./md5-check.js";
import { customMetadataFrom, httpMetadataFrom } from "./metadata.js";
import { r2Call } from "./r2-errors.js";
import type { R2Bucket, R2UploadedPart } from "./r2-types.js";
import { storageClassOption } from "./storage-class.js";

/** CreateMultipartUpload: R2 stores the content headers and metadata the completed object will carry. */
export async function createMultipartUpload(bucket: R2Bucket, key: string, headers: Headers): Promise<{ uploadId: string }> {
  checkKey(key);
  const options = { httpMetadata: httpMetadataFrom(headers), customMetadata: customMetadataFrom(headers), ...storageClassOption(headers) };
  const upload = await r2Call(() => bucket.createMultipartUpload(key, options), { key });
  return { uploadId: upload.uploadId };
}

function checkPartNumber(partNumber: number | undefined): number {
  if (partNumber === undefined || !Number.isInteger(partNumber) || partNumber < 1 || partNumber > 10000) {
    throw new S3Error("InvalidArgument", {
      message: "Part number must be an integer between 1 and 10000, inclusive",
      details: { ArgumentName: "partNumber", ArgumentValue: String(partNumber) },
    });
  }
  return partNumber;
}

/**
 * UploadPart. R2's uploadPart takes no checksum: a streamed body's Content-MD5 is checked as it streams where the
 * runtime can hash natively (workerd, see md5-check.ts), so a part that does not match is never stored; otherwise it
 * is compared with the part's ETag afterwards (real R2 part ETags are the part's MD5), when the part has already
 * replaced any earlier upload of that number. ETags that are not an MD5 (miniflare's opaque ids) cannot be compared.
 */
export async function uploadPart(bucket: R2Bucket, request: ObjectRequest, body: unknown, signal: AbortSignal): Promise<PlainResponse<ReadableStream>> {
  const { key, headers } = request;
  const uploadId = request.uploadId ?? "";
  const partNumber = checkPartNumber(request.partNumber);
  const md5 = contentMd5Hex(headers);
  const checked = md5 !== undefined && body instanceof ReadableStream ? md5Checked(body, md5) : undefined;
  const value = knownLengthBody(checked?.body ?? body, headers, signal) ?? new Uint8Array();
  let part: R2UploadedPart;
  try {
    part = await r2Call(() => bucket.resumeMultipartUpload(key, uploadId).uploadPart(partNumber, value), { key, uploadId });
  } catch (error) {
    if (checked?.failed()) throw new S3Error("BadDigest", { message: "The Content-MD5 you specified did not match what we received.", cause: error });
    throw error;
  }
  const etag = bareEtag(part.etag);
  if (md5 !== undefined && /^[0-9a-f]{32}$/i.test(etag) && etag.toLowerCase() !== md5) {
    throw new S3Error("BadDigest", { message: "The Content-MD5 you specified did not match what we received." });
  }
  // S3 echoes the part's verified checksums; SDKs copy them into CompleteMultipartUpload (R2 ignores them there).
  return { status: 200, headers: new Headers({ etag: `"${etag}"`, ...request.verifiedChecksums?.() }), body: null };
}

/** Validates the part list as S3 does before anything is assembled. */
function checkParts(parts: CompletedPart[]): void {
  if (parts.length === 0) throw new S3Error("MalformedXML", { message: "You must specify at least one part." });
  for (const [index, part] of parts.entries()) {
    if (!Number.isInteger(part.partNumber) || part.partNumber < 1 || part.partNumber > 10000) {
      throw new S3Error("InvalidPart", { details: { PartNumber: String(part.partNumber), ETag: part.etag } });
    }
    const previous = parts[index - 1];
    if (previous !== undefined && part.partNumber <= previous.partNumber) throw new S3Error("InvalidPartOrder");
  }
}

/**
 * CompleteMultipartUpload. R2's complete takes no preconditions, so `If-None-Match: *` / `If-Match` are checked
 * against a head() just before: NOT atomic, a write landing between the check and the completion is overwritten.
 */
export async function completeMultipartUpload(
  bucket: R2Bucket,
  key: string,
  uploadId: string,
  parts: CompletedPart[],
  headers: Headers,
): Promise<WriteResult> {
  checkParts(parts);
  if (hasWriteConditions(headers)) checkWriteConditions(headers, key, (await r2Call(() => bucket.head(key), { key }))?.etag);
  const uploaded = parts.map((part) => ({ partNumber: part.partNumber, etag: bareEtag(part.etag) }));
  const object = await r2Call(() => bucket.resumeMultipartUpload(key, uploadId).complete(uploaded), { key, uploadId });
  return { etag: object.httpEtag, lastModified: new Date(object.uploaded) };
}

/** AbortMultipartUpload: R2 drops the parts. */
export async function abortMultipartUpload(bucket: R2Bucket, key: string, uploadId: string): Promise<void> {
  await r2Call(() => bucket.resumeMultipartUpload(key, uploadId).abort(), { key, uploadId });
}
