/**
 * S3's limits on an object's tags, checked wherever tags come in: a PutObjectTagging document, and the `x-amz-tagging`
 * header of PutObject, CreateMultipartUpload and CopyObject (`REPLACE`), whose value is the tags as a URL query
 * string (`project=alpha&owner=data%20team`).
 */
import { S3Error } from "./errors.js";
import { textOfHeaderValue } from "./header-text.js";
import type { ObjectTag } from "./types.js";

const MAX_TAGS = 10;
const MAX_TAG_KEY = 128;
const MAX_TAG_VALUE = 256;

/** `pairs` as tags, or `400 InvalidTag` past S3's limits: 10 tags, unique keys of 1–128 characters, values of ≤ 256. */
export function checkedTags(pairs: Iterable<readonly [key: string, value: string]>): ObjectTag[] {
  const tags: ObjectTag[] = [];
  const keys = new Set<string>();
  for (const [key, value] of pairs) {
    // (Characters, not UTF-16 units: S3 counts a key of emoji as it is written.)
    if (key.length === 0 || [...key].length > MAX_TAG_KEY) throw new S3Error("InvalidTag", { message: `The TagKey you have provided is invalid: 1 to ${MAX_TAG_KEY} characters.` });
    if ([...value].length > MAX_TAG_VALUE) throw new S3Error("InvalidTag", { message: `The TagValue you have provided is too long, max ${MAX_TAG_VALUE}.` });
    if (keys.has(key)) throw new S3Error("InvalidTag", { message: "Cannot provide multiple Tags with the same key." });
    keys.add(key);
    tags.push({ key, value });
  }
  if (tags.length > MAX_TAGS) throw new S3Error("InvalidTag", { message: `Object tags cannot be greater than ${MAX_TAGS}.` });
  return tags;
}

/** Tags as an `x-amz-tagging` header carries them: a URL query string (`project=alpha&owner=data%20team`). */
export function taggingHeader(tags: readonly ObjectTag[]): string {
  return tags.map((tag) => `${encodeURIComponent(tag.key)}=${encodeURIComponent(tag.value)}`).join("&");
}

/**
 * The tags an `x-amz-tagging` header names (empty: none), checked as `checkedTags` checks them, but for a key named
 * twice: S3 answers that header `InvalidArgument` (a document's duplicate is `InvalidTag`).
 */
export function tagsOfHeader(value: string): ObjectTag[] {
  // Tags sent as raw UTF-8 (not URL-encoded) are the text they are.
  const pairs = [...new URLSearchParams(textOfHeaderValue(value))];
  if (new Set(pairs.map(([key]) => key)).size !== pairs.length) {
    throw new S3Error("InvalidArgument", {
      message: "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.",
      details: { ArgumentName: "x-amz-tagging", ArgumentValue: value },
    });
  }
  return checkedTags(pairs);
}
