/**
 * Conditional requests (RFC 9110 section 13 with S3's precedence rules, see the GetObject and CopyObject docs):
 * a true If-Match makes If-Unmodified-Since irrelevant, and a present If-None-Match makes If-Modified-Since
 * irrelevant. Failures throw the S3 errors the runtime renders.
 */
import { S3Error } from "@multistore/core";

/** The ETag without weakness prefix or quotes, for comparisons (S3 accepts both quoted and bare ETags). */
export function bareEtag(etag: string): string {
  let value = etag.trim();
  if (value.startsWith("W/")) value = value.slice(2);
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
  return value;
}

/** Whether an If-Match / If-None-Match list (`*` or comma-separated ETags) matches `etag`. */
export function etagListMatches(list: string, etag: string): boolean {
  const wanted = bareEtag(etag);
  return list.split(",").some((item) => {
    const trimmed = item.trim();
    return trimmed === "*" || (trimmed !== "" && bareEtag(trimmed) === wanted);
  });
}

/** HTTP dates have second precision; an object changed within the same second counts as not modified. */
function modifiedSince(lastModified: Date, header: string | null): boolean | undefined {
  if (header === null) return undefined;
  const since = Date.parse(header);
  if (Number.isNaN(since)) return undefined; // An invalid date is ignored, as RFC 9110 requires.
  return Math.floor(lastModified.getTime() / 1000) > Math.floor(since / 1000);
}

interface ConditionNames {
  ifMatch: string;
  ifNoneMatch: string;
  ifModifiedSince: string;
  ifUnmodifiedSince: string;
}

/** Evaluates the four conditions; returns which failure applies, if any. */
function evaluate(headers: Headers, names: ConditionNames, etag: string, lastModified: Date): "failed" | "not-modified" | undefined {
  const ifMatch = headers.get(names.ifMatch);
  if (ifMatch !== null) {
    if (!etagListMatches(ifMatch, etag)) return "failed";
  } else if (modifiedSince(lastModified, headers.get(names.ifUnmodifiedSince)) === true) {
    return "failed";
  }
  const ifNoneMatch = headers.get(names.ifNoneMatch);
  if (ifNoneMatch !== null) {
    if (etagListMatches(ifNoneMatch, etag)) return "not-modified";
  } else if (modifiedSince(lastModified, headers.get(names.ifModifiedSince)) === false) {
    return "not-modified";
  }
  return undefined;
}

/**
 * GetObject / HeadObject conditions: throws PreconditionFailed (412) or NotModified (304, carrying the ETag and
 * Last-Modified headers a cache needs).
 */
export function checkReadConditions(headers: Headers, etag: string, lastModified: Date): void {
  const names = { ifMatch: "if-match", ifNoneMatch: "if-none-match", ifModifiedSince: "if-modified-since", ifUnmodifiedSince: "if-unmodified-since" };
  const outcome = evaluate(headers, names, etag, lastModified);
  if (outcome === "failed") throw new S3Error("PreconditionFailed", { details: { Condition: "If-Match" } });
  if (outcome === "not-modified") {
    throw new S3Error("NotModified", { headers: { etag, "last-modified": lastModified.toUTCString() } });
  }
}

/** CopyObject's `x-amz-copy-source-if-*` conditions: every failure is a 412, as S3 documents. */
export function checkCopySourceConditions(headers: Headers, etag: string, lastModified: Date): void {
  const names = {
    ifMatch: "x-amz-copy-source-if-match",
    ifNoneMatch: "x-amz-copy-source-if-none-match",
    ifModifiedSince: "x-amz-copy-source-if-modified-since",
    ifUnmodifiedSince: "x-amz-copy-source-if-unmodified-since",
  };
  if (evaluate(headers, names, etag, lastModified) !== undefined) {
    throw new S3Error("PreconditionFailed", { details: { Condition: "x-amz-copy-source-if-*" } });
  }
}

/**
 * Conditional writes (PutObject, CompleteMultipartUpload, CopyObject destination): `If-None-Match: *` fails when
 * the key exists; `If-Match` fails when it differs and answers NoSuchKey when there is no object, as S3 does.
 * Must run under the key's lock, with `currentEtag` read under it.
 */
export function checkWriteConditions(headers: Headers, key: string, currentEtag: string | undefined): void {
  const ifNoneMatch = headers.get("if-none-match");
  if (ifNoneMatch !== null) {
    if (ifNoneMatch.trim() !== "*") {
      throw new S3Error("NotImplemented", { message: "If-None-Match on writes only supports `*`." });
    }
    if (currentEtag !== undefined) throw new S3Error("PreconditionFailed", { details: { Condition: "If-None-Match" } });
  }
  const ifMatch = headers.get("if-match");
  if (ifMatch !== null) {
    if (currentEtag === undefined) throw new S3Error("NoSuchKey", { details: { Key: key } });
    if (!etagListMatches(ifMatch, currentEtag)) throw new S3Error("PreconditionFailed", { details: { Condition: "If-Match" } });
  }
}
