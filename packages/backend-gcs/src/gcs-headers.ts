/**
 * Header translation between S3 (what clients send and expect) and the GCS XML API: `x-amz-meta-*` <->
 * `x-goog-meta-*`, content headers, read preconditions and the response headers clients may see.
 */
import { applyResponseOverrides, setChecksumHeaders, type ObjectOperation } from "@multistore/core/backend";
import { s3StorageClassOf } from "./storage-class.js";

/**
 * GCS has no `Expires` object metadata (only Cache-Control, Content-Disposition, -Encoding, -Language, -Type), so
 * an S3 `Expires` is kept as this custom metadata and served back as `Expires`.
 */
export const EXPIRES_METADATA = "x-goog-meta-multistore-expires";

/** Content headers GCS stores as object metadata under the same names. */
const STORED_CONTENT_HEADERS = new Set(["content-type", "content-encoding", "content-disposition", "content-language", "cache-control"]);

/**
 * Content headers and user metadata of a write (PutObject, CreateMultipartUpload, CopyObject with REPLACE) in GCS
 * names. S3-only headers are dropped on purpose: a storage class is no metadata (see `gcsStorageClassHeader`), GCS
 * has no object tags, and the runtime verifies `x-amz-checksum-*` and `x-amz-content-sha256` itself.
 */
export function gcsMetadataHeaders(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of headers) {
    if (STORED_CONTENT_HEADERS.has(name)) out[name] = value;
    else if (name === "expires") out[EXPIRES_METADATA] = value;
    else if (name.startsWith("x-amz-meta-")) out[`x-goog-meta-${name.slice("x-amz-meta-".length)}`] = value;
  }
  return out;
}

/** The Cache-Control GCS serves for an object that has none set (public, and private objects): not the object's. */
const SERVED_CACHE_CONTROL = new Set(["public, max-age=3600", "private, max-age=0"]);

/**
 * What a GCS object keeps, from its HEAD, as a copy with REPLACE sets it again: its stored content headers and
 * `x-goog-meta-*`, its storage class (a copy would take the bucket's default) and its KMS key. The stored encoding
 * is the one GCS names apart when it serves an object decompressed; a Cache-Control GCS serves by default is left
 * out (it cannot be told from a stored one that says the same; the default applies again either way).
 */
export function keptObjectHeaders(gcs: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of gcs) if (STORED_CONTENT_HEADERS.has(name) || name.startsWith("x-goog-meta-")) out[name] = value;
  const stored = gcs.get("x-goog-stored-content-encoding");
  if (stored !== null && stored !== "identity") out["content-encoding"] = stored;
  if (SERVED_CACHE_CONTROL.has(out["cache-control"] ?? "")) delete out["cache-control"];
  const storageClass = gcs.get("x-goog-storage-class");
  if (storageClass !== null) out["x-goog-storage-class"] = storageClass;
  // A key version is what encrypted these bytes; a new write names the key.
  const kmsKey = gcs.get("x-goog-encryption-kms-key-name")?.replace(/\/cryptoKeyVersions\/[^/]+$/, "");
  if (kmsKey) out["x-goog-encryption-kms-key-name"] = kmsKey;
  return out;
}

/** Headers of an upload (PutObject, UploadPart): metadata plus the digests GCS verifies on receipt. */
export function gcsUploadHeaders(headers: Headers, withMetadata: boolean): Record<string, string> {
  const out = withMetadata ? gcsMetadataHeaders(headers) : {};
  const md5 = headers.get("content-md5");
  if (md5 !== null) out["content-md5"] = md5;
  // GCS checks a CRC32C it is given (same base64 big-endian encoding as S3's), end to end.
  const crc32c = headers.get("x-amz-checksum-crc32c");
  if (crc32c !== null) out["x-goog-hash"] = `crc32c=${crc32c}`;
  return out;
}

/**
 * Range and read preconditions of GetObject / HeadObject. GCS evaluates the standard headers itself; the ones RFC
 * 9110 says to ignore are left out (If-Unmodified-Since under If-Match, If-Modified-Since under If-None-Match),
 * so S3's rule "a true If-Match wins over a false If-Unmodified-Since" holds whatever the backend's precedence.
 */
export function gcsReadHeaders(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  const range = headers.get("range");
  if (range !== null) out.range = range;
  const ifMatch = headers.get("if-match");
  const ifNoneMatch = headers.get("if-none-match");
  const ifUnmodifiedSince = headers.get("if-unmodified-since");
  const ifModifiedSince = headers.get("if-modified-since");
  if (ifMatch !== null) out["if-match"] = ifMatch;
  else if (ifUnmodifiedSince !== null) out["if-unmodified-since"] = ifUnmodifiedSince;
  if (ifNoneMatch !== null) out["if-none-match"] = ifNoneMatch;
  else if (ifModifiedSince !== null) out["if-modified-since"] = ifModifiedSince;
  return out;
}

/**
 * Copy-source conditions in GCS names (`x-amz-copy-source-if-match` -> `x-goog-copy-source-if-match`, ...), less
 * those S3 ignores beside another (as `gcsReadHeaders` leaves out), whatever GCS's precedence.
 */
export function gcsCopySourceConditions(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  const named = (condition: string) => headers.get(`x-amz-copy-source-${condition}`);
  for (const [condition, unless] of [["if-match"], ["if-none-match"], ["if-unmodified-since", "if-match"], ["if-modified-since", "if-none-match"]] as const) {
    const value = named(condition);
    if (value !== null && (unless === undefined || named(unless) === null)) out[`x-goog-copy-source-${condition}`] = value;
  }
  return out;
}

/** S3 user metadata and `Expires` from GCS response headers; other `x-goog-*` / `x-guploader-*` are dropped. */
export function s3ResponseHeaders(headers: Headers): Headers {
  const out = new Headers();
  for (const [name, value] of headers) {
    if (name === EXPIRES_METADATA) out.set("expires", value);
    else if (name.startsWith("x-goog-meta-")) out.set(`x-amz-meta-${name.slice("x-goog-meta-".length)}`, value);
    else if (!name.startsWith("x-goog-") && !name.startsWith("x-guploader-")) out.set(name, value);
  }
  return out;
}

/** The CRC32C of an `x-goog-hash` header (`crc32c=<b64>,md5=<b64>`), as S3 checksum headers. */
export function checksumsFromGoogHash(value: string | null): Record<string, string> | undefined {
  const crc32c = value === null ? undefined : /(?:^|[,\s])crc32c=([A-Za-z0-9+/=]+)/.exec(value)?.[1];
  return crc32c === undefined ? undefined : { "x-amz-checksum-crc32c": crc32c };
}

/** What `mapObjectResponse` needs to know about the request. */
export interface ObjectResponseContext {
  /** Which operation was forwarded. */
  operation: ObjectOperation;
  /** The (forwardable) client request headers. */
  requestHeaders: Headers;
  /** GetObject `response-*` overrides, applied here (GCS only knows two of the six). */
  responseOverrides?: Record<string, string>;
  /** Checksums the runtime verified on the uploaded body (complete once GCS answered). */
  verifiedChecksums?: () => Record<string, string>;
}

/** Turns a forwarded GCS response into S3's; errors keep their status (core reads the `<Code>` of the body). */
export function mapObjectResponse(status: number, headers: Headers, context: ObjectResponseContext): { status: number; headers: Headers } {
  const { operation } = context;
  // S3 deletes are idempotent; GCS answers 404 for a missing object. A 204 has no body, so no backend header stays.
  if (operation === "DeleteObject" && status === 404) return { status: 204, headers: new Headers() };
  const out = s3ResponseHeaders(headers);
  if ((operation === "GetObject" || operation === "HeadObject") && (status === 200 || status === 206)) applyResponseOverrides(out, context.responseOverrides);
  if ((operation === "GetObject" || operation === "HeadObject") && (status === 200 || status === 206)) {
    const storageClass = s3StorageClassOf(headers.get("x-goog-storage-class"));
    if (storageClass !== undefined) out.set("x-amz-storage-class", storageClass);
    // GCS's CRC32C covers the whole object, multipart objects included: S3's FULL_OBJECT type.
    setChecksumHeaders(out, context.requestHeaders, checksumsFromGoogHash(headers.get("x-goog-hash")), { ranged: status === 206 || out.has("content-range") });
  }
  if ((operation === "PutObject" || operation === "UploadPart") && status === 200) {
    // GCS verified a CRC32C it was given (`gcsUploadHeaders`): echoed as S3 echoes checksums, even where no runtime
    // verified it (a copy streamed from another store gives its source's). A PutObject is answered with the CRC32C
    // GCS computed and keeps, as S3 answers one with the checksum it computes by default.
    const given = context.requestHeaders.get("x-amz-checksum-crc32c");
    const computed = operation === "PutObject" ? checksumsFromGoogHash(headers.get("x-goog-hash"))?.["x-amz-checksum-crc32c"] : undefined;
    const crc32c = given ?? computed;
    if (crc32c !== undefined) out.set("x-amz-checksum-crc32c", crc32c);
    for (const [name, value] of Object.entries(context.verifiedChecksums?.() ?? {})) out.set(name, value);
  }
  return { status, headers: out };
}
