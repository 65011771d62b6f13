/** PutObject and DeleteObject through the binding, and the conditional-write plumbing CopyObject shares. */
import { S3Error } from "@multistore/core";
import { checkIfMatch, checkWriteConditions, fromBase64, toHex, type ObjectRequest, type PlainResponse } from "@multistore/core/backend";
import { contentMd5Hex, knownLengthBody } from "./body.js";
import { singleEtag } from "./conditional.js";
import { noSuchKey } from "./keys.js";
import { customMetadataFrom, httpMetadataFrom } from "./metadata.js";
import { r2Call } from "./r2-errors.js";
import type { R2Bucket, R2Conditional, R2PutOptions } from "./r2-types.js";
import { storageClassOption } from "./storage-class.js";

/**
 * The R2Conditional enforcing S3's write conditions atomically (R2 checks it when it commits the write):
 * `If-None-Match: *` becomes `etagDoesNotMatch: "*"` and an `If-Match` of one ETag (or `*`) `etagMatches`. An
 * If-Match list, which R2 cannot express, is checked against the current object first and the write then pinned to
 * that object's ETag, so it still fails if the object changes in between.
 */
export async function writeConditional(bucket: R2Bucket, key: string, headers: Headers): Promise<R2Conditional | undefined> {
  const ifNoneMatch = headers.get("if-none-match");
  const ifMatch = headers.get("if-match");
  if (ifNoneMatch === null && ifMatch === null) return undefined;
  if (ifNoneMatch !== null && ifNoneMatch.trim() !== "*") {
    throw new S3Error("NotImplemented", { message: "If-None-Match on writes only supports `*`." });
  }
  const conditional: R2Conditional = {};
  if (ifNoneMatch !== null) conditional.etagDoesNotMatch = "*";
  if (ifMatch !== null) {
    const single = singleEtag(ifMatch);
    if (single !== undefined) {
      conditional.etagMatches = single;
    } else {
      const current = await r2Call(() => bucket.head(key), { key });
      checkWriteConditions(headers, key, current?.etag);
      conditional.etagMatches = current!.etag; // checkWriteConditions throws when there is no object.
    }
  }
  return conditional;
}

/** The S3 error of a write R2 refused for its conditions: S3 answers NoSuchKey to If-Match on a missing key. */
export async function writeRefused(bucket: R2Bucket, key: string, headers: Headers): Promise<S3Error> {
  if (headers.has("if-match") && (await r2Call(() => bucket.head(key), { key })) === null) return noSuchKey(key);
  return new S3Error("PreconditionFailed", { details: { Condition: headers.has("if-match") ? "If-Match" : "If-None-Match" } });
}

/**
 * The SHA digest R2 can store, from an `x-amz-checksum-sha256` / `-sha1` header (already validated by core and
 * verified by the runtime while streaming, or a copy's from its source, which R2 verifies): the put's option and the
 * header S3 would echo. R2 keeps SHA-1 and SHA-256 only, and takes one digest per put, so none is passed next to
 * Content-MD5. CRC checksums cannot be stored in R2.
 */
export function shaOption(headers: Headers): { option: Pick<R2PutOptions, "sha1" | "sha256">; echo: Record<string, string> } {
  for (const algorithm of ["sha256", "sha1"] as const) {
    const value = headers.get(`x-amz-checksum-${algorithm}`) ?? "";
    const digest = fromBase64(value);
    if (digest !== undefined && digest.length > 0) return { option: { [algorithm]: toHex(digest) }, echo: { [`x-amz-checksum-${algorithm}`]: value } };
  }
  return { option: {}, echo: {} };
}

/**
 * PutObject: content headers and `x-amz-meta-*` become R2 metadata, Content-MD5 is verified by R2 (`md5`, error
 * 10037 -> BadDigest) and write conditions are enforced by R2 (`onlyIf`, null -> 412).
 */
export async function putObject(bucket: R2Bucket, request: ObjectRequest, body: unknown, signal: AbortSignal): Promise<PlainResponse<ReadableStream>> {
  const { key, headers } = request;
  const md5 = contentMd5Hex(headers);
  const storageClass = storageClassOption(headers);
  const onlyIf = await writeConditional(bucket, key, headers);
  const value = knownLengthBody(body, headers, signal);
  const sha = md5 === undefined ? shaOption(headers) : { option: {}, echo: {} };
  const options: R2PutOptions = {
    httpMetadata: httpMetadataFrom(headers),
    customMetadata: customMetadataFrom(headers),
    ...storageClass,
    ...(md5 !== undefined ? { md5 } : sha.option),
    ...(onlyIf !== undefined && { onlyIf }),
  };
  const object = await r2Call(() => bucket.put(key, value, options), { key });
  if (object === null) throw await writeRefused(bucket, key, headers);
  // S3 echoes the checksums it verified: the runtime's while the body streamed, and the SHA R2 verified and keeps.
  return { status: 200, headers: new Headers({ etag: object.httpEtag, ...sha.echo, ...request.verifiedChecksums?.() }), body: null };
}

/**
 * DeleteObject: 204 whether or not the key existed. With `If-Match` (S3's conditional delete) only the object it
 * names: 412 for another, NoSuchKey without one. R2's delete takes no condition: checked just before deleting.
 */
export async function deleteObject(bucket: R2Bucket, key: string, headers: Headers): Promise<PlainResponse<ReadableStream>> {
  const ifMatch = headers.get("if-match");
  if (ifMatch !== null) checkIfMatch(ifMatch, key, (await r2Call(() => bucket.head(key), { key }))?.etag);
  await r2Call(() => bucket.delete(key), { key });
  return { status: 204, headers: new Headers(), body: null };
}
