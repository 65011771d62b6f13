/**
 * UploadPartCopy: an object, or a byte range of it, copied into one part of a multipart upload. The source is
 * authorized as a read and the upload's key as a part upload; the backend copies (server-side where its store can).
 */
import { checksumElements } from "../checksums/copy-checksums.js";
import { forwardedRequestHeaders } from "../headers.js";
import { keyPrefixOf } from "../keys.js";
import { xmlDate, xmlResponse } from "../responses.js";
import { parseCopySource } from "../s3-request.js";
import { xmlElement } from "../xml.js";
import type { Backend, BucketConfig, PlainResponse, WriteResult } from "../types.js";
import { parseCopyRange } from "./copy-range.js";
import { inClientTerms, streamsCopy, type BucketResolver, type CrossCopy } from "./copy.js";
import { streamedCopy } from "./streamed-copy.js";

/** What UploadPartCopy needs of the parsed request. */
export interface PartCopyTarget {
  /** The destination bucket's configuration. */
  bucket: BucketConfig;
  /** The backend serving it. */
  backend: Backend<unknown>;
  /** The upload's key as the client named it (the bucket's prefix is added here). */
  key: string;
  /** The backend's upload id (unwrapped by the gateway). */
  uploadId: string;
  /** The part number (checked). */
  partNumber: number;
}

/** Runs UploadPartCopy (authorized at admission, as a read of the source and a part upload of the key). */
export async function uploadPartCopy(target: PartCopyTarget, headers: Headers, copySource: string, resolve: BucketResolver, cross: CrossCopy): Promise<PlainResponse<never>> {
  const range = parseCopyRange(headers.get("x-amz-copy-source-range"));
  const source = parseCopySource(copySource);
  const { bucket: sourceBucket, backend: sourceBackend } = await resolve(source.bucket);
  const { backend } = target;
  const sourceKey = keyPrefixOf(sourceBucket) + source.key;
  const key = keyPrefixOf(target.bucket) + target.key;
  const versionId = source.versionId !== undefined ? { sourceVersionId: source.versionId } : {};
  let copied: Promise<WriteResult>;
  if (!streamsCopy(sourceBackend, backend, true)) {
    copied = backend.uploadPartCopy!({
      sourceBackend,
      sourceKey,
      ...versionId,
      ...(range !== undefined && { range }),
      key,
      uploadId: target.uploadId,
      partNumber: target.partNumber,
      headers: forwardedRequestHeaders(headers, { copy: true }),
    });
  } else {
    // The stores cannot copy between each other (or the backend has no part copy of its own): the gateway streams
    // the source (range) into the part.
    copied = streamedCopy({
      transport: cross.transport,
      source: { backend: sourceBackend, bucket: sourceBucket.name, key: sourceKey, ...(source.versionId !== undefined && { versionId: source.versionId }) },
      destination: { backend, bucket: target.bucket.name, key, part: { uploadId: target.uploadId, partNumber: target.partNumber } },
      ...(range !== undefined && { range }),
      headers,
      signal: cross.signal,
      maxUploadBytes: cross.maxUploadBytes,
      onStreamed: cross.onStreamed,
    });
  }
  const result = await copied.catch(inClientTerms(source.key));
  const response = xmlResponse("CopyPartResult", xmlElement("LastModified", xmlDate(result.lastModified ?? new Date())) + xmlElement("ETag", result.etag) + checksumElements(result.checksums, null));
  result.headers?.forEach((value, name) => response.headers.set(name, value));
  return response;
}
