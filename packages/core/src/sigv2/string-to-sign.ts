/**
 * The Signature Version 2 string to sign (S3's "Signing and authenticating REST requests"):
 * `VERB \n Content-MD5 \n Content-Type \n Date \n CanonicalizedAmzHeaders CanonicalizedResource`.
 */
import { percentDecode } from "../encoding.js";
import { asciiTrimmed, isPastAscii } from "../header-text.js";

/**
 * Query parameters that are part of the resource (sub-resources and GetObject response overrides). Every other
 * parameter (`prefix`, `max-keys`, the authentication parameters, ...) is left out of the string to sign.
 */
const SUBRESOURCES = new Set([
  "accelerate", "acl", "analytics", "attributes", "cors", "delete", "encryption", "intelligent-tiering", "inventory",
  "legal-hold", "lifecycle", "location", "logging", "metrics", "notification", "object-lock", "ownershipControls",
  "partNumber", "policy", "policyStatus", "publicAccessBlock", "replication", "requestPayment", "restore", "retention",
  "select", "select-type", "tagging", "torrent", "uploadId", "uploads", "versionId", "versioning", "versions", "website",
  "response-cache-control", "response-content-disposition", "response-content-encoding", "response-content-language",
  "response-content-type", "response-expires",
]);

/**
 * CanonicalizedResource: `/bucket` when the bucket is named by the Host (virtual-hosted style), then the raw
 * (still encoded) path, then the sub-resources sorted by name, their values decoded (S3 signs them unencoded).
 */
export function canonicalResource(rawPath: string, rawQuery: string, virtualHostBucket?: string): string {
  let resource = (virtualHostBucket === undefined ? "" : `/${virtualHostBucket}`) + rawPath;
  const query = rawQuery.startsWith("?") ? rawQuery.slice(1) : rawQuery;
  const parts: [string, string][] = [];
  for (const part of query.split("&")) {
    if (part === "") continue;
    const equals = part.indexOf("=");
    const name = percentDecode(equals === -1 ? part : part.slice(0, equals));
    if (!SUBRESOURCES.has(name)) continue;
    // `?uploads` signs as `uploads`, `?versionId=x` as `versionId=x`: the `=` follows what the client sent.
    parts.push([name, equals === -1 ? name : `${name}=${percentDecode(part.slice(equals + 1))}`]);
  }
  parts.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (parts.length > 0) resource += `?${parts.map(([, text]) => text).join("&")}`;
  return resource;
}

/**
 * A value trimmed as SigV2 signs it. A value past ASCII is trimmed of ASCII whitespace only, as the clients that send
 * such values (curl, the Go SDK) trim it: U+00A0, or the byte 0xA0 in the UTF-8 of "à" where a runtime hands a value
 * over as its bytes, is no space.
 */
export function signedTrim(value: string): string {
  return isPastAscii(value) ? asciiTrimmed(value, false) : value.trim();
}

/** A header value as signed: trimmed, folded whitespace collapsed to one space. */
function normalized(value: string): string {
  if (isPastAscii(value)) return signedTrim(value).replace(/[\t ]*\r?\n[\t ]*/g, " ");
  return value.trim().replace(/\s*\r?\n\s*/g, " ");
}

/**
 * CanonicalizedAmzHeaders: every `x-amz-*` header, lowercase, sorted, values of one name joined with commas, one
 * `name:value\n` line each. `extra` adds name/value pairs (presigned URLs carry `x-amz-*` values in the query).
 */
export function canonicalAmzHeaders(headers: Iterable<[string, string]>, options: { extra?: Iterable<readonly [string, string]>; omit?: string } = {}): string {
  const values = new Map<string, string[]>();
  const add = (name: string, value: string) => {
    const lower = name.toLowerCase();
    if (!lower.startsWith("x-amz-") || lower === options.omit) return;
    const list = values.get(lower);
    if (list) list.push(normalized(value));
    else values.set(lower, [normalized(value)]);
  };
  for (const [name, value] of headers) add(name, value);
  for (const [name, value] of options.extra ?? []) if (!values.has(name.toLowerCase())) add(name, value);
  return [...values.keys()]
    .sort()
    .map((name) => `${name}:${values.get(name)!.join(",")}\n`)
    .join("");
}

/** The parts of a SigV2 string to sign. */
export interface SigV2StringParts {
  /** HTTP method. */
  method: string;
  /** Content-MD5 value or "". */
  contentMd5: string;
  /** Content-Type value or "". */
  contentType: string;
  /** The Date header, "" when x-amz-date is used, or the Expires of a presigned URL. */
  date: string;
  /** Output of `canonicalAmzHeaders`. */
  amzHeaders: string;
  /** Output of `canonicalResource`. */
  resource: string;
}

/** Joins the parts into the string to sign. */
export function sigV2StringToSign(parts: SigV2StringParts): string {
  return `${parts.method.toUpperCase()}\n${parts.contentMd5}\n${parts.contentType}\n${parts.date}\n${parts.amzHeaders}${parts.resource}`;
}
