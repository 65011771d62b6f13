/** Parses SigV4 credentials out of an `Authorization` header or a presigned URL's query. */
import { S3Error } from "../errors.js";

/** What a SigV4-signed request claims. */
export interface SigV4Claim {
  /** Header or query (presigned) authentication. */
  kind: "header" | "query";
  /** Access key id. */
  accessKeyId: string;
  /** Scope date, `YYYYMMDD`. */
  date: string;
  /** Scope region. */
  region: string;
  /** Scope service. */
  service: string;
  /** Request timestamp, `YYYYMMDDTHHMMSSZ`. */
  amzDate: string;
  /** Lowercase signed header names in the order given. */
  signedHeaders: readonly string[];
  /** Hex signature. */
  signature: string;
  /** Presigned URLs only: lifetime in seconds. */
  expires?: number;
  /** Session token (`x-amz-security-token` header or `X-Amz-Security-Token` parameter), if any. */
  sessionToken?: string;
}

const AMZ_DATE = /^\d{8}T\d{6}Z$/;
const ALGORITHM = "AWS4-HMAC-SHA256";
const WHITESPACE = /\s/;
/** Longest presigned URL lifetime S3 accepts: seven days. */
export const MAX_PRESIGNED_EXPIRES = 604800;

/** A credential scope's parts. */
interface CredentialScope {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
}

/*
 * The last credential scope and signed-header list parsed, and the last timestamp found valid. A client's requests
 * repeat all three (its key and day, the headers its SDK signs, the second it signs in): each is parsed once per
 * change instead of once per request. Results are never changed by their users (SigV4Claim's arrays are read-only).
 */
let lastCredential: string | undefined;
let lastScope: CredentialScope | undefined;
let lastSignedHeaders: string | undefined;
let lastSignedNames: readonly string[] = [];
let lastValidAmzDate: string | undefined;

function parseCredential(credential: string, error: (message: string) => S3Error): CredentialScope {
  if (credential === lastCredential && lastScope !== undefined) return lastScope;
  const parts = credential.split("/");
  if (parts.length !== 5 || parts[4] !== "aws4_request" || !/^\d{8}$/.test(parts[1]!)) {
    throw error(`Credential must be <access key>/<YYYYMMDD>/<region>/<service>/aws4_request, got "${credential}".`);
  }
  const [accessKeyId, date, region, service] = parts as [string, string, string, string];
  if (accessKeyId === "") throw error("The access key id is empty.");
  lastScope = { accessKeyId, date, region, service };
  lastCredential = credential;
  return lastScope;
}

function parseSignedHeaders(value: string, error: (message: string) => S3Error): readonly string[] {
  if (value === lastSignedHeaders) return lastSignedNames;
  const names = value.split(";").map((name) => name.trim().toLowerCase());
  if (names.some((name) => name === "")) throw error("SignedHeaders is malformed.");
  if (!names.includes("host")) throw error("SignedHeaders must include host.");
  // No signer names a header twice; a list that does would be canonicalized (and hashed) as long as it is made.
  if (new Set(names).size !== names.length) throw error("SignedHeaders names a header more than once.");
  lastSignedNames = Object.freeze(names);
  lastSignedHeaders = value;
  return lastSignedNames;
}

/** A claim from its parts, built as one literal (spreading the scope into it cost more than the rest). */
function claimOf(kind: "header" | "query", scope: CredentialScope, amzDate: string, signedHeaders: readonly string[], signature: string, sessionToken: string | undefined, expires?: number): SigV4Claim {
  const claim: SigV4Claim = { kind, accessKeyId: scope.accessKeyId, date: scope.date, region: scope.region, service: scope.service, amzDate, signedHeaders, signature };
  if (expires !== undefined) claim.expires = expires;
  if (sessionToken !== undefined) claim.sessionToken = sessionToken;
  return claim;
}

/*
 * The last authorization header's text up to its signature (`AWS4-HMAC-SHA256 Credential=..., SignedHeaders=...,
 * Signature=`), with what it parsed to. A client's header-signed requests differ only in their signature: a header
 * that repeats this text followed by 64 lowercase hex digits parses to the same fields, so only the signature is
 * read. Set only where the signature was the header's last field.
 */
let lastHead: string | undefined;
let lastHeadCredential = "";
let lastHeadSignedHeaders = "";
const SIGNATURE_FIELD = "Signature=";
const HEX_SIGNATURE = /^[0-9a-f]{64}$/;

const malformedHeader = (message: string) => new S3Error("AuthorizationHeaderMalformed", { message });

/** The claim of a header whose fields are known: the signature's, the date's and the token's headers are read. */
function headerClaim(credential: string, signedHeaders: string, signature: string, headers: Headers): SigV4Claim {
  const amzDate = headers.get("x-amz-date") ?? dateHeaderToAmzDate(headers.get("date"));
  if (!amzDate || !isAmzDate(amzDate)) {
    throw new S3Error("AccessDenied", { message: "AWS authentication requires a valid Date or x-amz-date header" });
  }
  const sessionToken = headers.get("x-amz-security-token") ?? undefined;
  return claimOf("header", parseCredential(credential, malformedHeader), amzDate, parseSignedHeaders(signedHeaders, malformedHeader), signature, sessionToken);
}

/** Parses `AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`. */
export function parseAuthorizationHeader(value: string, headers: Headers): SigV4Claim {
  const headLength = value.length - 64;
  // (Comparing a slice is a memory compare; `startsWith` cost three times as much on these lengths.)
  if (lastHead !== undefined && headLength === lastHead.length && value.slice(0, headLength) === lastHead) {
    const signature = value.slice(headLength);
    if (HEX_SIGNATURE.test(signature)) return headerClaim(lastHeadCredential, lastHeadSignedHeaders, signature, headers);
  }
  const error = malformedHeader;
  const trimmed = value.trim();
  // One pass over `AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...` (every signed request has one).
  if (!trimmed.startsWith(ALGORITHM) || !WHITESPACE.test(trimmed.charAt(ALGORITHM.length))) {
    throw error("Only AWS4-HMAC-SHA256 (and AWS SigV2) authorization is supported.");
  }
  let credential: string | undefined;
  let signedHeaders: string | undefined;
  let signature: string | undefined;
  for (const part of trimmed.slice(ALGORITHM.length + 1).split(",")) {
    const equals = part.indexOf("=");
    if (equals === -1) throw error("The authorization header is malformed.");
    const name = part.slice(0, equals).trim();
    // A repeated field: the last one counts.
    if (name === "Credential") credential = part.slice(equals + 1).trim();
    else if (name === "SignedHeaders") signedHeaders = part.slice(equals + 1).trim();
    else if (name === "Signature") signature = part.slice(equals + 1).trim();
  }
  if (!credential || !signedHeaders || !signature) {
    throw error("The authorization header needs Credential, SignedHeaders and Signature.");
  }
  if (!HEX_SIGNATURE.test(signature)) throw error("Signature must be 64 lowercase hex characters.");
  const claim = headerClaim(credential, signedHeaders, signature, headers);
  // Remembered once the whole header proved valid, and only when its last field is the signature, ending the text.
  const lastField = trimmed.slice(trimmed.lastIndexOf(",") + 1).trim();
  if (lastField === SIGNATURE_FIELD + signature && value.endsWith(signature)) {
    lastHead = value.slice(0, value.length - 64);
    lastHeadCredential = credential;
    lastHeadSignedHeaders = signedHeaders;
  }
  return claim;
}

function dateHeaderToAmzDate(value: string | null): string | undefined {
  if (!value) return undefined;
  const time = Date.parse(value);
  if (Number.isNaN(time)) return undefined;
  return new Date(time).toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
}

/** Read access to decoded query parameters (URLSearchParams and core's Query both fit). */
export interface QueryLookup {
  /** Decoded value of a parameter. */
  get(name: string): string | null | undefined;
  /** Whether the parameter is present. */
  has(name: string): boolean;
}

/** Whether a query carries SigV4 presigned parameters. */
export function isPresignedV4(query: QueryLookup): boolean {
  return query.has("X-Amz-Algorithm") || query.has("X-Amz-Signature") || query.has("X-Amz-Credential");
}

/** Parses the `X-Amz-*` parameters of a presigned URL. */
export function parsePresignedQuery(query: QueryLookup): SigV4Claim {
  const error = (message: string) => new S3Error("AuthorizationQueryParametersError", { message });
  if (query.get("X-Amz-Algorithm") !== "AWS4-HMAC-SHA256") {
    throw error("X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\".");
  }
  const credential = query.get("X-Amz-Credential");
  const amzDate = query.get("X-Amz-Date");
  const expiresText = query.get("X-Amz-Expires");
  const signedHeaders = query.get("X-Amz-SignedHeaders");
  const signature = query.get("X-Amz-Signature");
  if (!credential || !amzDate || !expiresText || !signedHeaders || !signature) {
    throw error(
      "Query-string authentication requires X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date, X-Amz-Expires, " +
        "X-Amz-SignedHeaders and X-Amz-Signature.",
    );
  }
  if (!isAmzDate(amzDate)) throw error("X-Amz-Date must be in the ISO8601 basic format YYYYMMDDTHHMMSSZ.");
  if (!/^\d{1,6}$/.test(expiresText)) throw error("X-Amz-Expires must be a whole number of seconds.");
  const expires = Number(expiresText);
  if (expires < 1) throw error("X-Amz-Expires must be at least 1 second.");
  if (expires > MAX_PRESIGNED_EXPIRES) throw error("X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds.");
  if (!HEX_SIGNATURE.test(signature)) throw error("X-Amz-Signature must be 64 lowercase hex characters.");
  const sessionToken = query.get("X-Amz-Security-Token") ?? undefined;
  return claimOf("query", parseCredential(credential, error), amzDate, parseSignedHeaders(signedHeaders, error), signature, sessionToken, expires);
}

/**
 * Whether `text` is a real `YYYYMMDDTHHMMSSZ` instant: the format, and a calendar date and time of day that exist
 * (`…T174960Z` or February 30 are refused, not carried over into the next minute or month).
 */
export function isAmzDate(text: string): boolean {
  if (text === lastValidAmzDate) return true;
  if (!AMZ_DATE.test(text)) return false;
  const year = Number(text.slice(0, 4));
  const month = Number(text.slice(4, 6));
  const day = Number(text.slice(6, 8));
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = month === 2 ? (leap ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
  if (month < 1 || month > 12 || day < 1 || day > days) return false;
  if (Number(text.slice(9, 11)) > 23 || Number(text.slice(11, 13)) > 59 || Number(text.slice(13, 15)) > 59) return false;
  lastValidAmzDate = text;
  return true;
}

let lastAmzDate = "";
let lastTime = Number.NaN;

/** Milliseconds since the epoch of an `YYYYMMDDTHHMMSSZ` timestamp. */
export function amzDateToTime(amzDate: string): number {
  // Requests signed in the same second share their timestamp: convert each one once.
  if (amzDate === lastAmzDate) return lastTime;
  lastAmzDate = amzDate;
  lastTime = Date.UTC(
    Number(amzDate.slice(0, 4)),
    Number(amzDate.slice(4, 6)) - 1,
    Number(amzDate.slice(6, 8)),
    Number(amzDate.slice(9, 11)),
    Number(amzDate.slice(11, 13)),
    Number(amzDate.slice(13, 15)),
  );
  return lastTime;
}
