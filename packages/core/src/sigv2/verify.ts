/**
 * Legacy Signature Version 2: header auth (`Authorization: AWS <key>:<signature>`) and query auth (`AWSAccessKeyId`,
 * `Signature`, `Expires`), HMAC-SHA1 through WebCrypto. Old SDKs, s3cmd-era tools and `signature_version='s3'`
 * presigners still send it. No payload is signed by SigV2: bodies are covered only by Content-MD5 and checksums.
 */
import { timingSafeEqual, toBase64, utf8 } from "../encoding.js";
import { headerValueOf, headerValuesAreBytes, isPastAscii, latin1Bytes, latin1TextHeaders } from "../header-text.js";
import { S3Error } from "../errors.js";
import { amzDateToTime, type QueryLookup } from "../sigv4/authorization.js";
import { MAX_CLOCK_SKEW_MS } from "../sigv4/verify.js";
import { canonicalAmzHeaders, canonicalResource, sigV2StringToSign, signedTrim } from "./string-to-sign.js";

/** What a SigV2-signed request claims. */
export interface SigV2Claim {
  /** Header or query (presigned) authentication. */
  kind: "header" | "query";
  /** Access key id. */
  accessKeyId: string;
  /** Base64 HMAC-SHA1 signature. */
  signature: string;
  /** Query auth: expiry in seconds since the epoch. */
  expires?: number;
  /** Session token (`x-amz-security-token` header, or query parameter for presigned URLs). */
  sessionToken?: string;
}

/** The request as SigV2 signs it. */
export interface SigV2Request {
  /** HTTP method. */
  method: string;
  /** Raw path as sent. */
  rawPath: string;
  /** Raw query string, without `?`. */
  rawQuery: string;
  /** Request headers. */
  headers: Headers;
  /** Decoded query parameters, in order. */
  queryPairs: readonly (readonly [string, string])[];
  /** The bucket when the Host names it (virtual-hosted style). */
  virtualHostBucket?: string;
}

/** Whether an Authorization header is SigV2 (`AWS key:signature`). */
export function isSigV2Authorization(value: string): boolean {
  return /^AWS\s/.test(value);
}

/** Whether a query carries SigV2 presigned parameters. */
export function isPresignedV2(query: QueryLookup): boolean {
  return query.has("AWSAccessKeyId") || query.has("Signature");
}

/** Parses `Authorization: AWS AKID:signature`. */
export function parseSigV2Header(value: string, headers: Headers): SigV2Claim {
  const match = /^AWS\s+([^:\s]+):(\S+)$/.exec(value.trim());
  if (!match) throw new S3Error("AuthorizationHeaderMalformed", { message: "A Signature Version 2 header must be `AWS <access key id>:<signature>`." });
  const sessionToken = headers.get("x-amz-security-token") ?? undefined;
  return { kind: "header", accessKeyId: match[1]!, signature: match[2]!, ...(sessionToken !== undefined && { sessionToken }) };
}

/** Parses the `AWSAccessKeyId`, `Signature` and `Expires` parameters of a SigV2 presigned URL. */
export function parseSigV2Query(query: QueryLookup, headers: Headers): SigV2Claim {
  const accessKeyId = query.get("AWSAccessKeyId");
  const signature = query.get("Signature");
  const expires = query.get("Expires");
  if (!accessKeyId || !signature || !expires) {
    throw new S3Error("AccessDenied", { message: "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters" });
  }
  if (!/^\d{1,12}$/.test(expires)) throw new S3Error("AccessDenied", { message: "Invalid date (should be seconds since epoch)" });
  const sessionToken = query.get("x-amz-security-token") ?? headers.get("x-amz-security-token") ?? undefined;
  return { kind: "query", accessKeyId, signature, expires: Number(expires), ...(sessionToken !== undefined && { sessionToken }) };
}

function requestTime(headers: Headers): number | undefined {
  const value = headers.get("x-amz-date") ?? headers.get("date");
  if (!value) return undefined;
  if (/^\d{8}T\d{6}Z$/.test(value)) return amzDateToTime(value);
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : time;
}

/** Checks a claim's time: clock skew for header auth, expiry for presigned URLs. */
export function checkSigV2Time(claim: SigV2Claim, headers: Headers, now: number): void {
  if (claim.kind === "query") {
    if (now > (claim.expires ?? 0) * 1000) throw new S3Error("AccessDenied", { message: "Request has expired" });
    return;
  }
  const time = requestTime(headers);
  if (time === undefined) throw new S3Error("AccessDenied", { message: "AWS authentication requires a valid Date or x-amz-date header" });
  if (Math.abs(now - time) > MAX_CLOCK_SKEW_MS) throw new S3Error("RequestTimeTooSkewed");
}

/**
 * The strings the claim may have been made over. S3 documents that with `x-amz-date` the Date position is empty
 * (and x-amz-date is signed as an amz header: the AWS SDKs do this), but its own worked example puts the x-amz-date
 * value in the Date position instead; both are accepted. The Date positions differ, so the two cannot collide. A
 * path-style request of a bucket is also taken as signed over `/bucket/`.
 */
export function sigV2StringsToSign(claim: SigV2Claim, request: SigV2Request): string[] {
  const resource = headerValueOf(canonicalResource(request.rawPath, request.rawQuery, request.virtualHostBucket));
  const strings = sigV2StringsOver(claim, request, resource);
  // A path-style request of a bucket itself (`GET /bucket?prefix=...`) signs its resource as `/bucket/`, as S3 names
  // a bucket's resource: botocore does (its ListObjects was refused), other signers sign the path as sent.
  if (request.virtualHostBucket === undefined && /^\/[^/]+$/.test(request.rawPath)) {
    strings.push(...sigV2StringsOver(claim, request, headerValueOf(canonicalResource(`${request.rawPath}/`, request.rawQuery))));
  }
  return strings;
}

/** `sigV2StringsToSign` for one canonical resource. */
function sigV2StringsOver(claim: SigV2Claim, request: SigV2Request, resource: string): string[] {
  const { headers } = request;
  // Values from the query are text; the string to sign holds header values as the runtime hands them over (as bytes
  // on Node: see `verifySigV2`), so query text is taken as the UTF-8 bytes it was signed as.
  const fromQuery = (name: string) => {
    const value = request.queryPairs.find(([key]) => key.toLowerCase() === name)?.[1];
    return value === undefined ? undefined : headerValueOf(value.trim());
  };
  // Presigners (botocore) move Content-Type, Content-MD5 and x-amz-* headers into the query after signing them.
  const hoisted = claim.kind === "query" ? request.queryPairs.filter(([name]) => name.toLowerCase().startsWith("x-amz-")).map(([name, value]) => [name, headerValueOf(value.trim())] as const) : [];
  // A presigned URL signs the query's Content-MD5 and Content-Type when it has them. Without them it signed the values
  // the uploader was to send, or none: a URL presigned without a type is also taken with the type the uploader's
  // library adds (urllib's form type), unsigned then, as a SigV4 URL that does not sign Content-Type is.
  const pick = (name: string): string[] => {
    const signed = claim.kind === "query" ? fromQuery(name) : undefined;
    if (signed !== undefined) return [signedTrim(signed)];
    const sent = signedTrim(headers.get(name) ?? "");
    return claim.kind === "query" && sent !== "" ? [sent, ""] : [sent];
  };
  const amzDate = headers.get("x-amz-date");
  const date = claim.kind === "query" ? String(claim.expires) : amzDate !== null ? "" : (headers.get("date") ?? "").trim();
  const strings: string[] = [];
  for (const contentMd5 of pick("content-md5")) {
    for (const contentType of pick("content-type")) {
      const base = { method: request.method, contentMd5, contentType, resource };
      strings.push(sigV2StringToSign({ ...base, date, amzHeaders: canonicalAmzHeaders(headers, { extra: hoisted }) }));
      if (claim.kind === "header" && amzDate !== null) {
        strings.push(sigV2StringToSign({ ...base, date: amzDate.trim(), amzHeaders: canonicalAmzHeaders(headers, { omit: "x-amz-date" }) }));
      }
    }
  }
  return strings;
}

/** The HMAC-SHA1 key of `secret`. */
function sha1Key(secret: string): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", utf8(secret), { name: "HMAC", hash: "SHA-1" }, false, ["sign"]);
}

/** Base64 HMAC-SHA1 of `text` (its UTF-8), or of bytes (`secret`, or its key imported once for several texts). */
export async function hmacSha1Base64(secret: string | CryptoKey, text: string | Uint8Array<ArrayBuffer>): Promise<string> {
  const key = typeof secret === "string" ? await sha1Key(secret) : secret;
  return toBase64(new Uint8Array(await crypto.subtle.sign("HMAC", key, typeof text === "string" ? utf8(text) : text)));
}

/**
 * Verifies a SigV2 claim with the secret (constant-time compare); SignatureDoesNotMatch otherwise. Resolves the headers
 * the signature covers when they differ from the request's (see `latin1TextHeaders`), else undefined.
 */
export async function verifySigV2(claim: SigV2Claim, request: SigV2Request, secret: string): Promise<Headers | undefined> {
  const key = await sha1Key(secret);
  let matched = false;
  // A client that sent Latin-1 text but signed its UTF-8 (botocore's SigV2 under Python's http.client): see
  // `latin1TextHeaders`. Its strings join the candidates.
  const signedNames: string[] = [];
  request.headers.forEach((_value, name) => {
    if (name === "content-md5" || name === "content-type" || name.startsWith("x-amz-")) signedNames.push(name);
  });
  const latin1Text = latin1TextHeaders(request.headers, signedNames);
  const strings = sigV2StringsToSign(claim, request);
  const asSent = strings.length;
  if (latin1Text !== undefined) strings.push(...sigV2StringsToSign(claim, { ...request, headers: latin1Text }));
  let matchedLatin1 = false;
  for (const [index, text] of strings.entries()) {
    // Every candidate is computed and compared, so timing does not tell which form (if any) matched. Header values
    // past ASCII that the runtime hands over as their bytes were signed as those bytes (see SigV4's verifier).
    const signed = headerValuesAreBytes() && isPastAscii(text) ? latin1Bytes(text) : text;
    if (timingSafeEqual(await hmacSha1Base64(key, signed), claim.signature)) {
      if (index < asSent) matched = true;
      else matchedLatin1 = true;
    }
  }
  if (!matched && !matchedLatin1) throw new S3Error("SignatureDoesNotMatch");
  return matched ? undefined : latin1Text;
}

/** The bucket a virtual-hosted request names in its Host header, when `domain` is configured and matches. */
export function virtualHostBucketOf(headers: Headers, domain: string | undefined): string | undefined {
  if (!domain) return undefined;
  const host = (headers.get("host") ?? "").replace(/:\d+$/, "").toLowerCase();
  const suffix = `.${domain.toLowerCase()}`;
  return host.endsWith(suffix) && host.length > suffix.length ? host.slice(0, -suffix.length) : undefined;
}
