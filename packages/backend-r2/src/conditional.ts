/**
 * Conditional requests with S3's precedence rules (see the GetObject and CopyObject docs): a true If-Match makes
 * If-Unmodified-Since irrelevant, and a present If-None-Match makes If-Modified-Since irrelevant.
 *
 * Reads hand R2 an `R2Conditional` so a failing condition costs no body transfer, but the verdict (and the choice
 * between 304 and 412) always comes from core's `evaluateConditions` on the metadata R2 returns: R2's conditional
 * can express only one ETag, not S3's lists, and its edge cases need not match S3's.
 */
import { etagList, httpSeconds, type ConditionNames } from "@multistore/core/backend";
import type { R2Conditional } from "./r2-types.js";

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
/**
 * R2 takes dates from 1970 until 2189 (it throws a TypeError past that). Every upload date lies within: a date
 * outside decides a condition as the nearest one inside does.
 */
function r2Date(milliseconds: number): Date {
  return new Date(Math.min(Math.max(milliseconds, 0), LATEST_R2_DATE));
}
const LATEST_R2_DATE = Date.UTC(2189, 0, 1);

export function toR2Conditional(headers: Headers, names: ConditionNames): R2Conditional | undefined {
  const conditional: R2Conditional = {};
  const ifMatch = headers.get(names.ifMatch);
  const unmodifiedSince = httpSeconds(headers.get(names.ifUnmodifiedSince));
  if (ifMatch !== null) {
    const etag = singleEtag(ifMatch);
    if (etag !== undefined) conditional.etagMatches = etag;
  } else if (unmodifiedSince !== undefined) {
    conditional.uploadedBefore = r2Date((unmodifiedSince + 1) * 1000);
  }
  const ifNoneMatch = headers.get(names.ifNoneMatch);
  const modifiedSinceSeconds = httpSeconds(headers.get(names.ifModifiedSince));
  if (ifNoneMatch !== null) {
    const etag = singleEtag(ifNoneMatch);
    if (etag !== undefined) conditional.etagDoesNotMatch = etag;
  } else if (modifiedSinceSeconds !== undefined) {
    conditional.uploadedAfter = r2Date(modifiedSinceSeconds * 1000);
  }
  if (conditional.uploadedBefore !== undefined || conditional.uploadedAfter !== undefined) conditional.secondsGranularity = true;
  return Object.keys(conditional).length === 0 ? undefined : conditional;
}
