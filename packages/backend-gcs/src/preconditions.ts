/**
 * S3 conditional writes on GCS. The XML API has no If-Match / If-None-Match for uploads; it has generation
 * preconditions: `If-None-Match: *` is `x-goog-if-generation-match: 0` (the object must not exist), and `If-Match`
 * is checked against the current ETag and then pinned to the generation that ETag belongs to, so a write that
 * races with another one still fails with 412 instead of overwriting it.
 */
import { S3Error } from "@multistore/core";
import { checkWriteConditions, hasWriteConditions } from "@multistore/core/backend";

/** The current state of an object, as a HEAD request reports it. */
export interface ObjectVersion {
  /** ETag including quotes. */
  etag: string;
  /** GCS generation (`x-goog-generation`). */
  generation: string;
}

/** Looks up the current object; undefined when there is none. */
export type ObjectLookup = () => Promise<ObjectVersion | undefined>;

/**
 * Checks `if-match` / `if-none-match` of a write and returns the GCS precondition header that makes the write
 * atomic with the check (`{}` when unconditional). Follows S3: `If-None-Match` takes only `*`, `If-Match` on a
 * missing key is NoSuchKey.
 */
export async function generationPrecondition(headers: Headers, key: string, lookup: ObjectLookup): Promise<Record<string, string>> {
  if (!hasWriteConditions(headers)) return {};
  if (!headers.has("if-match")) {
    // If-None-Match alone: checked for its form here, for the object's absence by GCS itself.
    checkWriteConditions(headers, key, undefined);
    return { "x-goog-if-generation-match": "0" };
  }
  const current = await lookup();
  checkWriteConditions(headers, key, current?.etag);
  return { "x-goog-if-generation-match": current!.generation };
}

/**
 * The same checks for CompleteMultipartUpload, whose XML API request takes no generation precondition: they are
 * evaluated against a HEAD just before completing, so a write landing in between is not detected (documented).
 */
export async function checkWritePreconditionsNow(headers: Headers, key: string, lookup: ObjectLookup): Promise<void> {
  const precondition = await generationPrecondition(headers, key, lookup);
  if (precondition["x-goog-if-generation-match"] === "0" && (await lookup()) !== undefined) {
    throw new S3Error("PreconditionFailed", { details: { Condition: "If-None-Match" } });
  }
}
