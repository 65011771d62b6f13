/** Verifies a SigV4 signature (header or presigned) against a known secret. */
import type { HmacKey } from "../crypto-primitives.js";
import { S3Error } from "../errors.js";
import { timingSafeEqual } from "../encoding.js";
import { amzDateToTime, type SigV4Claim } from "./authorization.js";
import { canonicalHeaders, canonicalQuery, canonicalRequest, canonicalUri, parseQuery, stringToSign } from "./canonical-request.js";
import { signHex, signingKey } from "./signing-key.js";

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
  /** `parseQuery(rawQuery)`, when the caller has parsed it already. */
  queryPairs?: readonly [string, string][];
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

/** The canonical request a claim was (supposedly) made over. */
export function canonicalRequestFor(claim: SigV4Claim, request: SignedRequestParts): string {
  let uri: string;
  let query: string;
  try {
    uri = canonicalUri(request.rawPath);
    query = canonicalQuery(request.queryPairs ?? parseQuery(request.rawQuery), claim.kind === "query" ? ["X-Amz-Signature"] : []);
  } catch {
    throw new S3Error("InvalidRequest", { message: "The request URL contains a malformed percent-encoding." });
  }
  const signedHeaders = [...claim.signedHeaders].sort();
  const headers = canonicalHeaders(request.headers, signedHeaders);
  if (headers === undefined) {
    throw new S3Error("AccessDenied", { message: "A header named in SignedHeaders is missing from the request." });
  }
  return canonicalRequest({
    method: request.method.toUpperCase(),
    uri,
    query,
    headers,
    signedHeaders,
    payloadHash: request.payloadHash,
  });
}

/**
 * Recomputes the signature of `request` with `secret` and compares it in constant time. Throws
 * `SignatureDoesNotMatch` on mismatch. Does not check time: call `checkSignatureTime` first.
 */
export async function verifySigV4(claim: SigV4Claim, request: SignedRequestParts, secret: string): Promise<VerifiedSignature> {
  const scope = `${claim.date}/${claim.region}/${claim.service}/aws4_request`;
  const canonical = canonicalRequestFor(claim, request);
  const key = await signingKey(secret, claim.date, claim.region, claim.service);
  const expected = await signHex(key, await stringToSign(claim.amzDate, scope, canonical));
  if (!timingSafeEqual(expected, claim.signature)) throw new S3Error("SignatureDoesNotMatch");
  return { signature: expected, key, scope, amzDate: claim.amzDate };
}
