/**
 * Conditional requests as S3 evaluates them (RFC 9110 section 13 with S3's precedence rules, see the GetObject and
 * CopyObject docs): a true If-Match makes If-Unmodified-Since irrelevant, and a present If-None-Match makes
 * If-Modified-Since irrelevant. For backends that evaluate conditions themselves (a file system, an R2 binding, a
 * store whose own preconditions differ); failures throw the S3 errors the runtime renders.
 */
import { S3Error } from "./errors.js";

/** The ETag without weakness prefix or quotes, for comparisons (S3 accepts both quoted and bare ETags). */
export function bareEtag(etag: string): string {
  let value = etag.trim();
  if (value.startsWith("W/")) value = value.slice(2);
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
  return value;
}

/** The items of an If-Match / If-None-Match list (`*` or comma-separated ETags), bare. */
export function etagList(list: string): string[] {
  return list.split(",").map(bareEtag).filter((item) => item !== "");
}

/** Whether an If-Match / If-None-Match list matches `etag`. */
export function etagListMatches(list: string, etag: string): boolean {
  const wanted = bareEtag(etag);
  return etagList(list).some((item) => item === "*" || item === wanted);
}

/** An HTTP date in whole seconds, or undefined when absent or invalid (RFC 9110: an invalid date is ignored). */
export function httpSeconds(header: string | null): number | undefined {
  if (header === null) return undefined;
  const time = Date.parse(header);
  return Number.isNaN(time) ? undefined : Math.floor(time / 1000);
}

/** HTTP dates have second precision; an object changed within the same second counts as not modified. */
function modifiedSince(lastModified: Date, header: string | null): boolean | undefined {
  const since = httpSeconds(header);
  return since === undefined ? undefined : Math.floor(lastModified.getTime() / 1000) > since;
}

/** Header names of one family of conditions. */
export interface ConditionNames {
  ifMatch: string;
  ifNoneMatch: string;
  ifModifiedSince: string;
  ifUnmodifiedSince: string;
}

/** GetObject / HeadObject conditions. */
export const READ_CONDITIONS: ConditionNames = {
  ifMatch: "if-match",
  ifNoneMatch: "if-none-match",
  ifModifiedSince: "if-modified-since",
  ifUnmodifiedSince: "if-unmodified-since",
};

/** CopyObject's conditions on the source. */
export const COPY_SOURCE_CONDITIONS: ConditionNames = {
  ifMatch: "x-amz-copy-source-if-match",
  ifNoneMatch: "x-amz-copy-source-if-none-match",
  ifModifiedSince: "x-amz-copy-source-if-modified-since",
  ifUnmodifiedSince: "x-amz-copy-source-if-unmodified-since",
};

/** Which failure applies, if any. */
export type ConditionOutcome = "failed" | "not-modified" | undefined;

/** Evaluates the four conditions of one family against an object's ETag and modification time. */
export function evaluateConditions(headers: Headers, names: ConditionNames, etag: string, lastModified: Date): ConditionOutcome {
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

/** Throws the S3 error of a read condition's outcome: 412, or 304 carrying the ETag and Last-Modified a cache needs. */
export function throwReadFailure(outcome: ConditionOutcome, etag: string, lastModified: Date): void {
  if (outcome === "failed") throw new S3Error("PreconditionFailed", { details: { Condition: "If-Match" } });
  if (outcome === "not-modified") throw new S3Error("NotModified", { headers: { etag, "last-modified": lastModified.toUTCString() } });
}

/** GetObject / HeadObject conditions: throws PreconditionFailed (412) or NotModified (304). */
export function checkReadConditions(headers: Headers, etag: string, lastModified: Date): void {
  throwReadFailure(evaluateConditions(headers, READ_CONDITIONS, etag, lastModified), etag, lastModified);
}

/** CopyObject's `x-amz-copy-source-if-*` conditions: every failure is a 412, as S3 documents. */
export function checkCopySourceConditions(headers: Headers, etag: string, lastModified: Date): void {
  if (evaluateConditions(headers, COPY_SOURCE_CONDITIONS, etag, lastModified) !== undefined) {
    throw new S3Error("PreconditionFailed", { details: { Condition: "x-amz-copy-source-if-*" } });
  }
}

/** Whether `headers` carry write conditions. */
export function hasWriteConditions(headers: Headers): boolean {
  return headers.has("if-none-match") || headers.has("if-match");
}

/**
 * Conditional writes (PutObject, CompleteMultipartUpload, CopyObject destination) against the current object's ETag
 * (undefined: no object): `If-None-Match` takes only `*` and fails when the key exists; `If-Match` fails when it
 * differs and answers NoSuchKey when there is no object, as S3 does. A backend runs it atomically with its write
 * (under a lock, or pinned with its store's own precondition).
 */
export function checkWriteConditions(headers: Headers, key: string, currentEtag: string | undefined): void {
  const ifNoneMatch = headers.get("if-none-match");
  if (ifNoneMatch !== null) {
    if (ifNoneMatch.trim() !== "*") throw new S3Error("NotImplemented", { message: "If-None-Match on writes only supports `*`." });
    if (currentEtag !== undefined) throw new S3Error("PreconditionFailed", { details: { Condition: "If-None-Match" } });
  }
  const ifMatch = headers.get("if-match");
  if (ifMatch !== null) checkIfMatch(ifMatch, key, currentEtag);
}

/**
 * `If-Match` of a write or of S3's conditional delete against the current object's ETag (undefined: no object):
 * NoSuchKey without an object, PreconditionFailed for another one.
 */
export function checkIfMatch(ifMatch: string, key: string, currentEtag: string | undefined): void {
  if (currentEtag === undefined) throw new S3Error("NoSuchKey", { details: { Key: key } });
  if (!etagListMatches(ifMatch, currentEtag)) throw new S3Error("PreconditionFailed", { details: { Condition: "If-Match" } });
}
