/**
 * S3 headers <-> R2 metadata: content headers live in R2's `httpMetadata`, `x-amz-meta-*` in `customMetadata`
 * (keyed by the name after the prefix, lowercased as HTTP header names are).
 */
import type { R2HTTPMetadata, R2Object } from "./r2-types.js";
import { s3StorageClassOf } from "./storage-class.js";

/** Default Content-Type of objects stored without one, as S3 answers. */
export const DEFAULT_CONTENT_TYPE = "binary/octet-stream";

const META_PREFIX = "x-amz-meta-";

/** Content-Encoding without `aws-chunked`: the runtime removed that framing, it describes the upload only. */
function storedEncoding(value: string | null): string | undefined {
  if (value === null) return undefined;
  const tokens = value.split(",").map((token) => token.trim()).filter((token) => token !== "" && token.toLowerCase() !== "aws-chunked");
  return tokens.length === 0 ? undefined : tokens.join(", ");
}

/** The httpMetadata to store from a PutObject / CreateMultipartUpload / CopyObject (REPLACE) request. */
export function httpMetadataFrom(headers: Headers): R2HTTPMetadata {
  const metadata: R2HTTPMetadata = {};
  const contentType = headers.get("content-type");
  if (contentType !== null) metadata.contentType = contentType;
  const encoding = storedEncoding(headers.get("content-encoding"));
  if (encoding !== undefined) metadata.contentEncoding = encoding;
  const disposition = headers.get("content-disposition");
  if (disposition !== null) metadata.contentDisposition = disposition;
  const language = headers.get("content-language");
  if (language !== null) metadata.contentLanguage = language;
  const cacheControl = headers.get("cache-control");
  if (cacheControl !== null) metadata.cacheControl = cacheControl;
  // R2 stores Expires as a date; a value that is not one cannot be stored and is dropped.
  const expires = Date.parse(headers.get("expires") ?? "");
  if (!Number.isNaN(expires)) metadata.cacheExpiry = new Date(expires);
  return metadata;
}

/** The customMetadata to store: every `x-amz-meta-*` header. */
export function customMetadataFrom(headers: Headers): Record<string, string> {
  const metadata: Record<string, string> = {};
  headers.forEach((value, name) => {
    if (name.startsWith(META_PREFIX) && name.length > META_PREFIX.length) metadata[name.slice(META_PREFIX.length)] = value;
  });
  return metadata;
}

/** Sets a header, skipping values a Headers object refuses (metadata written by other R2 clients may hold any text). */
function setSafely(headers: Headers, name: string, value: string): void {
  try {
    headers.set(name, value);
  } catch {
    // Not representable as an HTTP header: leaving it out beats failing the whole read.
  }
}

/** Response headers of GetObject / HeadObject (before range and overrides). */
export function objectHeaders(object: R2Object): Headers {
  const headers = new Headers();
  const http = object.httpMetadata ?? {};
  headers.set("content-type", http.contentType ?? DEFAULT_CONTENT_TYPE);
  if (http.contentEncoding !== undefined) setSafely(headers, "content-encoding", http.contentEncoding);
  if (http.contentDisposition !== undefined) setSafely(headers, "content-disposition", http.contentDisposition);
  if (http.contentLanguage !== undefined) setSafely(headers, "content-language", http.contentLanguage);
  if (http.cacheControl !== undefined) setSafely(headers, "cache-control", http.cacheControl);
  if (http.cacheExpiry !== undefined) headers.set("expires", new Date(http.cacheExpiry).toUTCString());
  for (const [name, value] of Object.entries(object.customMetadata ?? {})) setSafely(headers, `${META_PREFIX}${name}`, value);
  headers.set("etag", object.httpEtag);
  headers.set("last-modified", new Date(object.uploaded).toUTCString());
  headers.set("accept-ranges", "bytes");
  // S3 names a class other than STANDARD.
  const storageClass = s3StorageClassOf(object.storageClass);
  if (storageClass !== undefined) headers.set("x-amz-storage-class", storageClass);
  return headers;
}
