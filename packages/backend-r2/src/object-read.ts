/**
 * GetObject and HeadObject through the binding. Conditions are evaluated before the range, as S3 does; a read
 * normally takes one binding call (conditions and range handed to R2), and a second one only when R2 refused the
 * range or judged a condition differently from S3's rules.
 */
import { S3Error } from "@multistore/core";
import {
  applyResponseOverrides,
  evaluateConditions,
  parseRangeHeader,
  READ_CONDITIONS,
  resolveRange,
  throwReadFailure,
  setChecksumHeaders,
  toBase64,
  type ByteRange,
  type ObjectRequest,
  type PlainResponse,
  type RequestedRange,
} from "@multistore/core/backend";
import { toR2Conditional } from "./conditional.js";
import { noSuchKey } from "./keys.js";
import { objectHeaders } from "./metadata.js";
import { mapR2Error, R2_CODES, r2Call, r2ErrorCode } from "./r2-errors.js";
import type { R2Bucket, R2Object, R2ObjectBody } from "./r2-types.js";
import { toR2Range } from "./range.js";

type Response = PlainResponse<ReadableStream>;

/** The body of a get, or undefined when R2 withheld it because a condition failed. */
function bodyOf(object: R2Object | R2ObjectBody): ReadableStream | undefined {
  return "body" in object && object.body ? object.body : undefined;
}

/** Releases a body that will not be sent, so the binding stops reading it. */
function discard(body: ReadableStream | undefined): void {
  void body?.cancel().catch(() => undefined);
}

function respond(object: R2Object, request: ObjectRequest, range: ByteRange | undefined, body: ReadableStream | null): Response {
  const headers = objectHeaders(object);
  const start = range?.start ?? 0;
  const end = range?.end ?? object.size - 1;
  if (range !== undefined) headers.set("content-range", `bytes ${start}-${end}/${object.size}`);
  headers.set("content-length", String(end - start + 1));
  applyResponseOverrides(headers, request.responseOverrides);
  setChecksumHeaders(headers, request.headers, storedChecksums(object), { ranged: range !== undefined });
  return { status: range === undefined ? 200 : 206, headers, body };
}

/** The S3 checksums R2 keeps for an object (SHA digests given at upload; its MD5 is the ETag, not a checksum). */
export function storedChecksums(object: R2Object): Record<string, string> {
  const checksums: Record<string, string> = {};
  for (const algorithm of ["sha1", "sha256"] as const) {
    const digest = object.checksums?.[algorithm];
    if (digest !== undefined && digest.byteLength > 0) checksums[`x-amz-checksum-${algorithm}`] = toBase64(new Uint8Array(digest));
  }
  return checksums;
}

/** HeadObject: the binding's head has no preconditions, so they are evaluated on its answer. */
export async function headObject(bucket: R2Bucket, request: ObjectRequest): Promise<Response> {
  const object = await r2Call(() => bucket.head(request.key), { key: request.key });
  if (object === null) throw noSuchKey(request.key);
  throwReadFailure(evaluateConditions(request.headers, READ_CONDITIONS, object.etag, object.uploaded), object.httpEtag, object.uploaded);
  return respond(object, request, resolveRange(parseRangeHeader(request.headers.get("range")), object.size), null);
}

/** GetObject. */
export async function getObject(bucket: R2Bucket, request: ObjectRequest): Promise<Response> {
  const { key } = request;
  const requested = parseRangeHeader(request.headers.get("range"));
  if (requested === "unsatisfiable") return readPinned(bucket, request, requested);
  const onlyIf = toR2Conditional(request.headers, READ_CONDITIONS);
  let object: R2Object | R2ObjectBody | null;
  try {
    object = await bucket.get(key, { ...(onlyIf !== undefined && { onlyIf }), ...(requested !== undefined && { range: requested }) });
  } catch (error) {
    // R2 refuses ranges beyond the end without saying the size, which the 416 must carry; some (a range of an empty
    // object) it fails with no code at all. A ranged read that fails is tried again as one resolved against the
    // object's size: a 416 then, or the store's own error.
    if (r2ErrorCode(error) === R2_CODES.invalidRange || requested !== undefined) return readPinned(bucket, request, requested);
    throw mapR2Error(error, { key });
  }
  if (object === null) throw noSuchKey(key);
  const body = bodyOf(object);
  const outcome = evaluateConditions(request.headers, READ_CONDITIONS, object.etag, object.uploaded);
  if (outcome !== undefined) {
    discard(body);
    throwReadFailure(outcome, object.httpEtag, object.uploaded);
  }
  // R2 withheld the body although S3's rules let the read through (an edge case its conditional judges otherwise).
  if (body === undefined) return readPinned(bucket, request, requested, object);
  return respond(object, request, resolveRange(requested, object.size), body);
}

/**
 * The second attempt, once the object's metadata is known: conditions and range are resolved here, and the read is
 * pinned to the ETag they were evaluated against, so a concurrent overwrite cannot slip another version in.
 */
async function readPinned(bucket: R2Bucket, request: ObjectRequest, requested: RequestedRange | "unsatisfiable" | undefined, known?: R2Object): Promise<Response> {
  const { key } = request;
  const meta = known ?? (await r2Call(() => bucket.head(key), { key }));
  if (meta === null) throw noSuchKey(key);
  throwReadFailure(evaluateConditions(request.headers, READ_CONDITIONS, meta.etag, meta.uploaded), meta.httpEtag, meta.uploaded);
  const range = resolveRange(requested, meta.size);
  const object = await r2Call(() => bucket.get(key, { onlyIf: { etagMatches: meta.etag }, ...(range !== undefined && { range: toR2Range(range) }) }), { key });
  if (object === null) throw noSuchKey(key);
  const body = bodyOf(object);
  if (body === undefined) throw new S3Error("PreconditionFailed", { message: "The object changed while it was being read." });
  return respond(object, request, range, body);
}
