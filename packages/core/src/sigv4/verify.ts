/** Verifies a SigV4 signature (header or presigned) against a known secret. */
import type { HmacKey } from "../crypto-primitives.js";
import { S3Error } from "../errors.js";
import { setBounded } from "../bounded-map.js";
import { timingSafeEqual } from "../encoding.js";
import { amzDateToTime, type SigV4Claim } from "./authorization.js";
import { HeaderMap } from "../header-map.js";
import { canonicalHeaders, canonicalHeaderValue, isPlainHeaderValue, canonicalQueryOfRaw, canonicalRequest, canonicalUri, sha256Hex, sha256HexNow, stringToSign } from "./canonical-request.js";
import { headerValuesAreBytes, isPastAscii, latin1Bytes, latin1TextHeaders } from "../header-text.js";
import { signHexNow, signingKeyNow } from "./signing-key.js";
import type { MaybePromise } from "../maybe-promise.js";

/** Largest accepted difference between the request's clock and ours. */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

/** The parts of a request that SigV4 signs. */
export interface SignedRequestParts {
  /** HTTP method. */
  method: string;
  /** Raw path as sent (still percent-encoded). */
  rawPath: string;
  /** Raw query string as sent, without the leading `?`. */
  rawQuery: string;
  /** Header name/value pairs as received. */
  headers: Iterable<[string, string]>;
  /** Payload hash to sign with (header value, `UNSIGNED-PAYLOAD`, ...). */
  payloadHash: string;
}

/** What a verified signature yields: what streaming payload verification chains from. */
export interface VerifiedSignature {
  /** The verified (seed) signature. */
  signature: string;
  /** The signing key, for chunk signatures. */
  key: HmacKey;
  /** `date/region/service/aws4_request`. */
  scope: string;
  /** The request timestamp. */
  amzDate: string;
  /**
   * Set when the signature covers the Latin-1 text of signed values whose bytes are no UTF-8 (see `latin1TextHeaders`):
   * the request goes on with those values as that text's UTF-8, the bytes that were signed.
   */
  latin1Text?: true;
}

/** Checks the timestamp of a claim: skew for header auth, expiry (and not-yet-valid) for presigned URLs. */
export function checkSignatureTime(claim: SigV4Claim, now: number): void {
  const signedAt = amzDateToTime(claim.amzDate);
  if (claim.amzDate.slice(0, 8) !== claim.date) {
    throw new S3Error(claim.kind === "query" ? "AuthorizationQueryParametersError" : "AuthorizationHeaderMalformed", {
      message: "The credential scope date does not match the request date.",
    });
  }
  if (claim.kind === "header") {
    if (Math.abs(now - signedAt) > MAX_CLOCK_SKEW_MS) throw new S3Error("RequestTimeTooSkewed");
    return;
  }
  if (signedAt - now > MAX_CLOCK_SKEW_MS) {
    throw new S3Error("AccessDenied", { message: "Request is not valid yet" });
  }
  if (now > signedAt + (claim.expires ?? 0) * 1000) {
    throw new S3Error("AccessDenied", { message: "Request has expired" });
  }
}

/*
 * The last signed-header list sorted, and its sorted copy. A claim's list is the same array while a client repeats it
 * (see authorization.ts), and neither array is ever changed (`SigV4Claim.signedHeaders` is read-only; the lists
 * core parses are frozen): sorting it once per change is enough. A caller that changed a list it had passed before
 * would have it checked against the old order, and refused: never let in.
 */
let lastSigned: readonly string[] | undefined;
let lastSorted: readonly string[] = [];

function sortedNames(signedHeaders: readonly string[]): readonly string[] {
  if (signedHeaders !== lastSigned) {
    lastSorted = Object.freeze([...signedHeaders].sort());
    lastSigned = signedHeaders;
  }
  return lastSorted;
}

/**
 * A claim's signed headers in canonical order, and their canonical block (undefined when one is missing). `plain`:
 * known to hold only values that trimming made canonical (so nothing past ASCII).
 */
interface SignedBlock {
  names: readonly string[];
  block: string | undefined;
  plain?: boolean;
}

/** A claim's signed headers and their canonical block (see `SignedBlock`). */
function signedHeaderBlock(claim: SigV4Claim, request: SignedRequestParts): SignedBlock {
  const names = sortedNames(claim.signedHeaders);
  const headers = request.headers;
  if (!(headers instanceof HeaderMap)) return { names, block: canonicalHeaders(headers, names) };
  // A HeaderMap has each name once, lowercase, repeated values already joined: look the signed ones up.
  let block = "";
  let plain = true;
  for (const name of names) {
    const value = headers.record[name];
    if (value === undefined) return { names, block: undefined };
    if (isPlainHeaderValue(value)) block += `${name}:${value.trim()}\n`;
    else {
      plain = false;
      block += `${name}:${canonicalHeaderValue(value)}\n`;
    }
  }
  return { names, block, plain };
}

function canonicalRequestWith(claim: SigV4Claim, request: SignedRequestParts, signed: SignedBlock): string {
  let uri: string;
  let query: string;
  try {
    uri = canonicalUri(request.rawPath);
    query = canonicalQueryOfRaw(request.rawQuery, claim.kind === "query" ? ["X-Amz-Signature"] : []);
  } catch {
    throw new S3Error("InvalidRequest", { message: "The request URL contains a malformed percent-encoding." });
  }
  if (signed.block === undefined) {
    throw new S3Error("AccessDenied", { message: "A header named in SignedHeaders is missing from the request." });
  }
  return canonicalRequest({
    method: request.method.toUpperCase(),
    uri,
    query,
    headers: signed.block,
    signedHeaders: signed.names,
    payloadHash: request.payloadHash,
  });
}

/** The canonical request a claim was (supposedly) made over. */
export function canonicalRequestFor(claim: SigV4Claim, request: SignedRequestParts): string {
  return canonicalRequestWith(claim, request, signedHeaderBlock(claim, request));
}

/**
 * Presigned URLs that verified, by their query string (which holds the signature), with everything else their
 * signature covers (method, path, signed header values, payload hash) and the secret they verified with. A client
 * that reads one object through one presigned URL (a GIS tool fetching tiles, a Parquet reader fetching ranges)
 * sends the same signed inputs many times: a hit proves what recomputing would — the same inputs, the same secret,
 * so the same HMAC — without the canonicalization and the two hashes. Keyed by the query alone: the gateway hands
 * every request with the same query the same string (`queryOf`), whose hash V8 keeps, so a lookup does not rehash
 * a long key. Header-signed requests carry a fresh x-amz-date each and are not kept. Bounded; the oldest goes first.
 */
const verifiedPresigned = new Map<string, { claim: SigV4Claim; method: string; rawPath: string; block: string; payloadHash: string; secret: string; result: VerifiedSignature }>();
const MAX_VERIFIED_PRESIGNED = 4096;

/**
 * Recomputes the signature of `request` with `secret` and compares it in constant time. Throws
 * `SignatureDoesNotMatch` on mismatch. Does not check time: call `checkSignatureTime` first.
 */
export async function verifySigV4(claim: SigV4Claim, request: SignedRequestParts, secret: string): Promise<VerifiedSignature> {
  return verifySignature(claim, request, secret);
}

/**
 * `verifySigV4`, answering now when it can: a presigned URL that verified before, or a cached signing key with
 * synchronous primitives (Node's). A mismatch is thrown now, or rejects the promise.
 */
export function verifySignature(claim: SigV4Claim, request: SignedRequestParts, secret: string): MaybePromise<VerifiedSignature> {
  const signed = signedHeaderBlock(claim, request);
  const kept = claim.kind === "query" && signed.block !== undefined;
  if (kept) {
    const hit = verifiedPresigned.get(request.rawQuery);
    if (
      hit !== undefined &&
      hit.secret === secret &&
      hit.method === request.method &&
      hit.rawPath === request.rawPath &&
      hit.block === signed.block &&
      hit.payloadHash === request.payloadHash &&
      // The same claim object (the gateway keeps one per query), else its signature must be the verified one.
      (hit.claim === claim || timingSafeEqual(hit.result.signature, claim.signature))
    ) {
      return hit.result;
    }
  }
  const canonical = canonicalRequestWith(claim, request, signed);
  const check: PendingCheck = { claim, request, secret, block: kept ? signed.block : undefined, scope: `${claim.date}/${claim.region}/${claim.service}/aws4_request` };
  const key = signingKeyNow(secret, claim.date, claim.region, claim.service);
  // Header values past ASCII that a runtime hands over as their bytes (Node's) were signed as those bytes (curl and
  // the Go and Rust SDKs send metadata as raw UTF-8), not as the UTF-8 of their one-character-per-byte text.
  const bytes = signed.plain !== true && headerValuesAreBytes() && isPastAscii(signed.block!);
  const digest = bytes ? sha256Hex(latin1Bytes(canonical)) : sha256HexNow(canonical);
  if (key instanceof Promise || digest instanceof Promise) return Promise.all([key, digest]).then(([resolvedKey, resolvedDigest]) => signedWith(check, resolvedKey, resolvedDigest));
  return signedWith(check, key, digest);
}

/** A signature being checked: what its last steps need. `block` is set when a match is kept (presigned URLs). */
interface PendingCheck {
  claim: SigV4Claim;
  request: SignedRequestParts;
  secret: string;
  block: string | undefined;
  scope: string;
  /** Set once the Latin-1 text of the values was tried too (see `compared`). */
  retried?: boolean;
}

function signedWith(check: PendingCheck, key: HmacKey, digest: string): MaybePromise<VerifiedSignature> {
  const expected = signHexNow(key, stringToSign(check.claim.amzDate, check.scope, digest));
  if (expected instanceof Promise) return expected.then((resolved) => compared(check, key, resolved));
  return compared(check, key, expected);
}

function compared(check: PendingCheck, key: HmacKey, expected: string): MaybePromise<VerifiedSignature> {
  const { claim, request } = check;
  if (!timingSafeEqual(expected, claim.signature)) {
    // A client that sent Latin-1 text but signed its UTF-8 (the JS SDK under Node's http, botocore under Python's
    // http.client): the text read (see `textOfHeaderValue`) is the text it signed. Tried once, only where some value
    // past ASCII is no UTF-8.
    if (check.retried || !headerValuesAreBytes()) throw new S3Error("SignatureDoesNotMatch");
    const latin1Text = latin1TextHeaders(request.headers instanceof HeaderMap ? request.headers : new HeaderMap(request.headers), claim.signedHeaders);
    if (latin1Text === undefined) throw new S3Error("SignatureDoesNotMatch");
    const canonical = canonicalRequestFor(claim, { ...request, headers: latin1Text });
    return sha256Hex(latin1Bytes(canonical)).then((digest) => signedWith({ ...check, retried: true }, key, digest));
  }
  const result: VerifiedSignature = { signature: expected, key, scope: check.scope, amzDate: claim.amzDate, ...(check.retried && { latin1Text: true }) };
  if (check.block !== undefined) {
    const entry = { claim, method: request.method, rawPath: request.rawPath, block: check.block, payloadHash: request.payloadHash, secret: check.secret, result };
    setBounded(verifiedPresigned, request.rawQuery, entry, MAX_VERIFIED_PRESIGNED);
  }
  return result;
}
