/**
 * UploadPartCopy between R2 bindings of one Worker. The binding has no server-side part copy, so the source range is
 * streamed into the part (sized, as R2 requires); the bytes pass through the Worker once.
 */
import { S3Error } from "@multistore/core";
import { bareEtag, checkCopyRange, checkCopySourceConditions, type PartCopyRequest, type WriteResult } from "@multistore/core/backend";
import { sizedStream } from "./body.js";
import { r2Buckets } from "./copy.js";
import { checkKey, checkVersionId, noSuchKey } from "./keys.js";
import { r2Call } from "./r2-errors.js";
import type { R2Bucket, R2UploadedPart } from "./r2-types.js";

/** Copies the source range into part `partNumber` of the upload (see `Backend.uploadPartCopy`). */
export async function uploadPartCopy(bucket: R2Bucket, request: PartCopyRequest<ReadableStream>): Promise<WriteResult> {
  const source = r2Buckets.get(request.sourceBackend);
  if (source === undefined) throw new S3Error("NotImplemented", { message: "Copying between these buckets is not supported." });
  const { key, sourceKey, uploadId, partNumber } = request;
  checkKey(key);
  checkVersionId(request.sourceVersionId);
  // The size first (the range is checked against it), and the ETag the read is then pinned to.
  const described = await r2Call(() => source.head(sourceKey), { key: sourceKey });
  if (described === null) throw noSuchKey(sourceKey);
  checkCopySourceConditions(request.headers, described.etag, described.uploaded);
  const { start, length } = checkCopyRange(request.range, described.size);
  let value: ReadableStream<Uint8Array> | Uint8Array = new Uint8Array();
  // Aborted when the part is refused: the read of the source is cancelled (uploadPart may hold the sized stream
  // locked, unread, so cancelling that would do nothing).
  const released = new AbortController();
  if (length > 0) {
    const object = await r2Call(() => source.get(sourceKey, { range: { offset: start, length }, onlyIf: { etagMatches: described.etag } }), { key: sourceKey });
    if (object === null) throw noSuchKey(sourceKey);
    if (!("body" in object) || !object.body) {
      // Replaced between the two calls: what was checked is gone; the client retries a 503.
      throw new S3Error("ServiceUnavailable", { message: "The copy source changed during the copy; please retry.", cause: new Error(`${sourceKey} replaced during UploadPartCopy`) });
    }
    value = sizedStream(object.body, length, released.signal);
  }
  let part: R2UploadedPart;
  try {
    part = await r2Call(() => bucket.resumeMultipartUpload(key, uploadId).uploadPart(partNumber, value), { key, uploadId });
  } catch (error) {
    released.abort(error);
    throw error;
  }
  return { etag: `"${bareEtag(part.etag)}"`, lastModified: new Date() };
}
