/**
 * S3 headers to Azure's and back: content headers, user metadata, conditions. S3 clients only ever see S3 names;
 * Azure's own `x-ms-*` response headers are dropped unless mapped.
 */
import { partCount, toAzureEtagList, toS3Etag } from "./etag.js";

/** Content headers Azure stores with a blob (S3 name to Azure's request header). */
const CONTENT_HEADERS = {
  "content-type": "x-ms-blob-content-type",
  "content-disposition": "x-ms-blob-content-disposition",
  "cache-control": "x-ms-blob-cache-control",
  "content-encoding": "x-ms-blob-content-encoding",
  "content-language": "x-ms-blob-content-language",
} as const;

/** An S3 content header Azure stores. */
export type ContentHeaderName = keyof typeof CONTENT_HEADERS;

/** Metadata names the backend keeps for itself (never shown to clients as `x-amz-meta-*`). */
const INTERNAL = "multistore_";
/** Azure has no Expires property: S3's `Expires` is kept in metadata. */
export const EXPIRES_METADATA = "multistore_expires";
/** Part count of an object written by CompleteMultipartUpload (gives its ETag the `-N` form). */
export const PARTS_METADATA = "multistore_parts";
/** Prefix of user metadata names that are no C# identifier (Azure's rule for metadata names) once escaped. */
const ESCAPED = "multistore_m_";

/** What a write stores besides the bytes: S3 content headers and Azure metadata (Azure names). */
export interface BlobProperties {
  /** Content headers by S3 name (`content-type`, ...). */
  headers: Partial<Record<ContentHeaderName, string>>;
  /** Metadata by Azure name. */
  metadata: Record<string, string>;
}

/**
 * The Azure metadata name of an S3 `x-amz-meta-<name>`. Identifiers pass as they are; other names (`mixed-case`)
 * and names in the backend's own namespace are escaped: `multistore_m_` then `[a-z0-9]` as is and every other
 * character as `_` + two hex digits (lowercase: header names come back lowercased).
 */
export function encodeMetadataName(name: string): string {
  const lower = name.toLowerCase();
  if (/^[a-z_][a-z0-9_]*$/.test(lower) && !lower.startsWith(INTERNAL)) return lower;
  let out = ESCAPED;
  for (const character of lower) {
    out += /[a-z0-9]/.test(character) ? character : `_${character.charCodeAt(0).toString(16).padStart(2, "0")}`;
  }
  return out;
}

/** The S3 metadata name of an Azure metadata name; undefined for the backend's own entries. */
export function decodeMetadataName(azureName: string): string | undefined {
  const name = azureName.toLowerCase();
  if (!name.startsWith(INTERNAL)) return name;
  if (!name.startsWith(ESCAPED)) return undefined;
  return name.slice(ESCAPED.length).replace(/_([0-9a-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** Content headers and metadata of an S3 write request (PutObject, CreateMultipartUpload, CopyObject REPLACE). */
export function blobPropertiesOf(s3Headers: Headers): BlobProperties {
  const properties: BlobProperties = { headers: {}, metadata: {} };
  for (const [name, value] of s3Headers) {
    if (name in CONTENT_HEADERS) properties.headers[name as ContentHeaderName] = value;
    else if (name.startsWith("x-amz-meta-")) properties.metadata[encodeMetadataName(name.slice("x-amz-meta-".length))] = value;
    else if (name === "expires") properties.metadata[EXPIRES_METADATA] = value;
  }
  return properties;
}

/** Azure request headers (`x-ms-blob-content-*`, `x-ms-meta-*`) storing `properties`. */
export function azureWriteHeaders(properties: BlobProperties): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(properties.headers)) out[CONTENT_HEADERS[name as ContentHeaderName]] = value;
  for (const [name, value] of Object.entries(properties.metadata)) out[`x-ms-meta-${name}`] = value;
  return out;
}

/** Adds a metadata entry (name as Azure returns it) to S3 response headers: user metadata, or Expires. */
function addMetadata(out: Headers, azureName: string, value: string): void {
  const name = decodeMetadataName(azureName);
  if (name !== undefined) out.set(`x-amz-meta-${name}`, value);
  else if (azureName.toLowerCase() === EXPIRES_METADATA) out.set("expires", value);
}

/**
 * S3 response headers of a GET or HEAD: standard headers pass, metadata is renamed, the ETag takes its multipart
 * form when the blob says so, and the rest of `x-ms-*` is dropped (leases, tiers, server encryption, request ids).
 * `x-ms-blob-content-md5` and Azure's Content-MD5 of a whole blob are dropped too: S3 sends none.
 */
export function s3ObjectHeaders(azure: Headers): Headers {
  const out = new Headers();
  for (const [name, value] of azure) {
    if (name.startsWith("x-ms-meta-")) addMetadata(out, name.slice("x-ms-meta-".length), value);
    else if (!name.startsWith("x-ms-") && name !== "etag" && name !== "content-md5") out.set(name, value);
  }
  const etag = azure.get("etag");
  if (etag !== null) out.set("etag", toS3Etag(etag, partCount(azure.get(`x-ms-meta-${PARTS_METADATA}`))));
  return out;
}

/** A metadata value by Azure name, whatever case Azure returned the name in. */
export function metadataValue(metadata: Record<string, string>, name: string): string | undefined {
  const found = Object.keys(metadata).find((key) => key.toLowerCase() === name);
  return found === undefined ? undefined : metadata[found];
}

/** Conditions of a request, as HTTP header values with ETags in Azure's form. */
export interface Conditions {
  /** `If-Match`. */
  ifMatch?: string;
  /** `If-None-Match`. */
  ifNoneMatch?: string;
  /** `If-Modified-Since`. */
  ifModifiedSince?: string;
  /** `If-Unmodified-Since`. */
  ifUnmodifiedSince?: string;
}

/**
 * The conditions of S3 headers (`if-*`, or `x-amz-copy-source-if-*` with `prefix`), with S3's precedence: a date
 * condition is left out when the matching ETag condition is present (a true If-Match wins over a false
 * If-Unmodified-Since; Azure would evaluate both).
 */
export function conditionsOf(s3Headers: Headers, prefix = ""): Conditions {
  const get = (name: string) => s3Headers.get(`${prefix}${name}`) ?? undefined;
  const ifMatch = get("if-match");
  const ifNoneMatch = get("if-none-match");
  const ifModifiedSince = ifNoneMatch === undefined ? get("if-modified-since") : undefined;
  const ifUnmodifiedSince = ifMatch === undefined ? get("if-unmodified-since") : undefined;
  return {
    ...(ifMatch !== undefined && { ifMatch: toAzureEtagList(ifMatch) }),
    ...(ifNoneMatch !== undefined && { ifNoneMatch: toAzureEtagList(ifNoneMatch) }),
    ...(ifModifiedSince !== undefined && { ifModifiedSince }),
    ...(ifUnmodifiedSince !== undefined && { ifUnmodifiedSince }),
  };
}

/** Conditions as Azure request headers (`x-ms-source-` prefixed for the source of a copy). */
export function conditionHeaders(conditions: Conditions, prefix = ""): Record<string, string> {
  const out: Record<string, string> = {};
  if (conditions.ifMatch !== undefined) out[`${prefix}if-match`] = conditions.ifMatch;
  if (conditions.ifNoneMatch !== undefined) out[`${prefix}if-none-match`] = conditions.ifNoneMatch;
  if (conditions.ifModifiedSince !== undefined) out[`${prefix}if-modified-since`] = conditions.ifModifiedSince;
  if (conditions.ifUnmodifiedSince !== undefined) out[`${prefix}if-unmodified-since`] = conditions.ifUnmodifiedSince;
  return out;
}
