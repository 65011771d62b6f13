/**
 * Conditional requests with S3's precedence rules (see the GetObject and CopyObject docs): a true If-Match makes
 * If-Unmodified-Since irrelevant, and a present If-None-Match makes If-Modified-Since irrelevant.
 *
 * Reads hand R2 an `R2Conditional` so a failing condition costs no body transfer, but the verdict (and the choice
 * between 304 and 412) always comes from `evaluateConditions` on the metadata R2 returns: R2's conditional can
 * express only one ETag, not S3's lists, and its edge cases need not match S3's.
 */
import { S3Error } from "@multistore/core";
import type { R2Conditional, R2Object } from "./r2-types.js";

/** The ETag without weakness prefix or quotes, for comparisons (S3 accepts both quoted and bare ETags). */
export function bareEtag(etag: string): string {
  let value = etag.trim();
  if (value.startsWith("W/")) value = value.slice(2);
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
  return value;
}

/** The items of an If-Match / If-None-Match list, bare. */
function etagList(list: string): string[] {
  return list.split(",").map(bareEtag).filter((item) => item !== "");
}

/** Whether an If-Match / If-None-Match list (`*` or comma-separated ETags) matches `etag`. */
export function etagListMatches(list: string, etag: string): boolean {
  const wanted = bareEtag(etag);
  return etagList(list).some((item) => item === "*" || item === wanted);
}

/** An HTTP date in whole seconds, or undefined when absent or invalid (RFC 9110: an invalid date is ignored). */
function httpSeconds(header: string | null): number | undefined {
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

/** Evaluates the four conditions against an object's ETag and upload time. */
export function evaluateConditions(headers: Headers, names: ConditionNames, object: Pick<R2Object, "etag" | "uploaded">): ConditionOutcome {
  const ifMatch = headers.get(names.ifMatch);
  if (ifMatch !== null) {
    if (!etagListMatches(ifMatch, object.etag)) return "failed";
  } else if (modifiedSince(object.uploaded, headers.get(names.ifUnmodifiedSince)) === true) {
    return "failed";
  }
  const ifNoneMatch = headers.get(names.ifNoneMatch);
  if (ifNoneMatch !== null) {
    if (etagListMatches(ifNoneMatch, object.etag)) return "not-modified";
  } else if (modifiedSince(object.uploaded, headers.get(names.ifModifiedSince)) === false) {
    return "not-modified";
  }
  return undefined;
}

/** The single bare ETag (or `*`) a list names, when R2 can compare against it; lists are left to us. */
export function singleEtag(list: string): string | undefined {
  const items = etagList(list);
  if (items.includes("*")) return "*";
  const [only] = items;
  // R2 throws on quotes; anything odd is compared by `evaluateConditions` instead.
  return items.length === 1 && only !== undefined && /^[\x21\x23-\x7e]+$/.test(only) ? only : undefined;
}

/**
 * The conditions of `headers` as an R2Conditional, for R2 to skip the body when they fail. Dates follow HTTP
 * semantics with second granularity: If-Unmodified-Since D holds when the upload second is <= D, i.e. before D+1s.
 */
export function toR2Conditional(headers: Headers, names: ConditionNames): R2Conditional | undefined {
  const conditional: R2Conditional = {};
  const ifMatch = headers.get(names.ifMatch);
  const unmodifiedSince = httpSeconds(headers.get(names.ifUnmodifiedSince));
  if (ifMatch !== null) {
    const etag = singleEtag(ifMatch);
    if (etag !== undefined) conditional.etagMatches = etag;
  } else if (unmodifiedSince !== undefined) {
    conditional.uploadedBefore = new Date((unmodifiedSince + 1) * 1000);
  }
  const ifNoneMatch = headers.get(names.ifNoneMatch);
  const modifiedSinceSeconds = httpSeconds(headers.get(names.ifModifiedSince));
  if (ifNoneMatch !== null) {
    const etag = singleEtag(ifNoneMatch);
    if (etag !== undefined) conditional.etagDoesNotMatch = etag;
  } else if (modifiedSinceSeconds !== undefined) {
    conditional.uploadedAfter = new Date(modifiedSinceSeconds * 1000);
  }
  if (conditional.uploadedBefore !== undefined || conditional.uploadedAfter !== undefined) conditional.secondsGranularity = true;
  return Object.keys(conditional).length === 0 ? undefined : conditional;
}

/** Throws the S3 error of a failed GET/HEAD condition: 412, or 304 with the headers a cache needs. */
export function throwReadFailure(outcome: ConditionOutcome, object: R2Object): void {
  if (outcome === "failed") throw new S3Error("PreconditionFailed", { details: { Condition: "If-Match" } });
  if (outcome === "not-modified") {
    throw new S3Error("NotModified", { headers: { etag: object.httpEtag, "last-modified": object.uploaded.toUTCString() } });
  }
}

/**
 * Conditional writes (PutObject, CompleteMultipartUpload, CopyObject destination) checked against the current
 * object: `If-None-Match: *` fails when the key exists; `If-Match` fails when it differs and answers NoSuchKey when
 * there is no object, as S3 does.
 */
export function checkWriteConditions(headers: Headers, key: string, current: R2Object | null): void {
  const ifNoneMatch = headers.get("if-none-match");
  if (ifNoneMatch !== null) {
    if (ifNoneMatch.trim() !== "*") throw new S3Error("NotImplemented", { message: "If-None-Match on writes only supports `*`." });
    if (current !== null) throw new S3Error("PreconditionFailed", { details: { Condition: "If-None-Match" } });
  }
  const ifMatch = headers.get("if-match");
  if (ifMatch !== null) {
    if (current === null) throw new S3Error("NoSuchKey", { details: { Key: key } });
    if (!etagListMatches(ifMatch, current.etag)) throw new S3Error("PreconditionFailed", { details: { Condition: "If-Match" } });
  }
}

/** Whether `headers` carry write conditions. */
export function hasWriteConditions(headers: Headers): boolean {
  return headers.has("if-none-match") || headers.has("if-match");
}
