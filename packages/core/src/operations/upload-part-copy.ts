/**
 * UploadPartCopy: an object, or a byte range of it, copied into one part of a multipart upload. The source is
 * authorized as a read and the upload's key as a part upload; the backend copies (server-side where its store can).
 */
import { S3Error } from "../errors.js";
import { forwardedRequestHeaders } from "../headers.js";
import { keyPrefixOf } from "../keys.js";
import { xmlDate, xmlResponse } from "../responses.js";
import { parseCopySource } from "../s3-request.js";
import { xmlElement } from "../xml.js";
import type { Backend, BucketConfig, CopyRange, PlainResponse } from "../types.js";
import { inClientTerms, type BucketResolver } from "./copy.js";

/** S3's largest copy source (and so part) of one UploadPartCopy: 5 GiB. */
export const MAX_PART_COPY_BYTES = 5 * 1024 ** 3;

const RANGE_FORM = /^bytes=(\d{1,16})-(\d{1,16})$/;

/** Parses `x-amz-copy-source-range` (`bytes=first-last`, both offsets given, as S3 requires); undefined when absent. */
export function parseCopyRange(value: string | null): CopyRange | undefined {
  if (value === null) return undefined;
  const match = RANGE_FORM.exec(value.trim());
  const first = match ? Number(match[1]) : Number.NaN;
  const last = match ? Number(match[2]) : Number.NaN;
  if (!match || first > last) {
    throw new S3Error("InvalidArgument", {
      message: "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy",
      details: { ArgumentName: "x-amz-copy-source-range", ArgumentValue: value },
    });
  }
  return { first, last };
}

/**
 * The bytes a part copy takes of a source of `size` bytes: its range, or the whole object. Throws S3's errors for a
 * range past the end and for more than 5 GiB. For backends: call it once the source's size is known.
 */
export function checkCopyRange(range: CopyRange | undefined, size: number): { start: number; end: number; length: number } {
  if (range !== undefined && range.last >= size) {
    throw new S3Error("InvalidArgument", {
      message: `Range specified is not valid for source object of size: ${size}`,
      details: { ArgumentName: "x-amz-copy-source-range", ArgumentValue: `bytes=${range.first}-${range.last}` },
    });
  }
  const start = range?.first ?? 0;
  const end = range?.last ?? size - 1;
  const length = end - start + 1;
  if (length > MAX_PART_COPY_BYTES) {
    throw new S3Error("InvalidRequest", { message: `The specified copy source is larger than the maximum allowable size for a copy source: ${MAX_PART_COPY_BYTES}` });
  }
  return { start, end, length };
}

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
export async function uploadPartCopy(target: PartCopyTarget, headers: Headers, copySource: string, resolve: BucketResolver): Promise<PlainResponse<never>> {
  const range = parseCopyRange(headers.get("x-amz-copy-source-range"));
  const source = parseCopySource(copySource);
  const { bucket: sourceBucket, backend: sourceBackend } = await resolve(source.bucket);
  const { backend } = target;
  if (!backend.uploadPartCopy) throw new S3Error("NotImplemented", { message: `UploadPartCopy is not supported by the ${backend.kind} backend.` });
  if (sourceBackend.copyDomain !== backend.copyDomain) {
    throw new S3Error("NotImplemented", { message: "Copying between buckets on different storage endpoints is not supported." });
  }
  const result = await backend
    .uploadPartCopy({
      sourceBackend,
      sourceKey: keyPrefixOf(sourceBucket) + source.key,
      ...(source.versionId !== undefined && { sourceVersionId: source.versionId }),
      ...(range !== undefined && { range }),
      key: keyPrefixOf(target.bucket) + target.key,
      uploadId: target.uploadId,
      partNumber: target.partNumber,
      headers: forwardedRequestHeaders(headers, { copy: true }),
    })
    .catch(inClientTerms(source.key));
  const response = xmlResponse("CopyPartResult", xmlElement("LastModified", xmlDate(result.lastModified ?? new Date())) + xmlElement("ETag", result.etag));
  result.headers?.forEach((value, name) => response.headers.set(name, value));
  return response;
}
