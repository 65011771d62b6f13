/** Authentication: who signed this request, checked against the credential registry or a session-token resolver. */
import { timingSafeEqual } from "./encoding.js";
import { S3Error } from "./errors.js";
import { latin1TextHeaders } from "./header-text.js";
import { isPresignedV4, parseAuthorizationHeader, parsePresignedQuery, type SigV4Claim } from "./sigv4/authorization.js";
import { STREAMING_PAYLOADS } from "./aws-chunked.js";
import { EMPTY_SHA256 } from "./sigv4/canonical-request.js";
import { checkSignatureTime, verifySignature, type VerifiedSignature } from "./sigv4/verify.js";
import { checkAmzHeadersSigned } from "./sigv4/unsigned-headers.js";
import { settledOrPromise, type MaybePromise } from "./maybe-promise.js";
import { withPresignedHeaders, withSigV2ContentHeaders } from "./presigned-headers.js";
import { checkSigV2Time, isPresignedV2, isSigV2Authorization, parseSigV2Header, parseSigV2Query, verifySigV2, virtualHostBucketOf } from "./sigv2/verify.js";
import type { Query } from "./s3-request.js";
import type { CredentialRegistry, Identity, StoredCredential, TemporaryCredentialResolver } from "./types.js";

/** Where authentication looks credentials up. */
export interface AuthenticationSources {
  /** Long-lived access keys. */
  credentials: CredentialRegistry;
  /** Session tokens (STS); without one, requests carrying a token are refused. */
  temporaryCredentials?: TemporaryCredentialResolver;
  /** The clock, injectable for tests. */
  now?: () => number;
  /** Virtual-hosted style domain: SigV2 signs the bucket a Host under it names. */
  domain?: string;
}

/** An authenticated (or anonymous) caller, plus what streaming payload verification needs. */
export interface Authentication {
  /** Who. */
  identity: Identity;
  /** The verified signature, for signed requests. */
  signature?: VerifiedSignature;
  /** The payload hash the request was signed with. */
  payloadHash?: string;
  /** A presigned request's headers with those a presigner moved into its query (`withPresignedHeaders`), when any. */
  headers?: Headers;
}

/**
 * The payload hash the signature covers: the x-amz-content-sha256 header's value. A presigned URL is signed with
 * `UNSIGNED-PAYLOAD` unless its request carries that header (or the URL that parameter), as S3 does: presigners
 * (the AWS SDKs, our own S3 backend) sign a known body's hash that way, and the body is then checked against it.
 */
function payloadHashFor(claim: SigV4Claim, headers: Headers, query: Query, method: string): string {
  const header = headers.get("x-amz-content-sha256");
  if (claim.kind === "query") return checkedPayloadHash(header || (query.get("X-Amz-Content-Sha256") ?? "UNSIGNED-PAYLOAD"));
  if (header) return checkedPayloadHash(header);
  const length = headers.get("content-length");
  const hasBody = (length !== null && length !== "0") || headers.has("transfer-encoding");
  if (!hasBody || method === "GET" || method === "HEAD") return EMPTY_SHA256;
  throw new S3Error("InvalidRequest", { message: "Missing required header for this request: x-amz-content-sha256" });
}

const HEX_SHA256 = /^[0-9a-fA-F]{64}$/;

/**
 * A payload hash S3 accepts: a SHA-256 in hex, or a marker saying how the body is sent. Anything else would leave
 * the body unchecked (a digest of the wrong length, a misspelt marker): refused as S3 refuses it.
 */
function checkedPayloadHash(value: string): string {
  // (The two values most requests carry are compared first: a GET's empty-body digest and UNSIGNED-PAYLOAD.)
  if (value === EMPTY_SHA256 || value === "UNSIGNED-PAYLOAD" || HEX_SHA256.test(value) || (STREAMING_PAYLOADS as readonly string[]).includes(value)) return value;
  throw new S3Error("InvalidArgument", {
    message: `x-amz-content-sha256 must be UNSIGNED-PAYLOAD, ${STREAMING_PAYLOADS.join(", ")} or a valid sha256 value.`,
    details: { ArgumentName: "x-amz-content-sha256" },
  });
}

/** The secret a claim must be signed with, and who it names. */
export interface ClaimedSecret {
  secret: string;
  identity: Identity;
  /** Set for a long-lived key (its state is checked after the signature). */
  credential?: StoredCredential;
}

/**
 * The claim's secret: now when the credential registry answers now (a static configuration), else a promise. Throws
 * InvalidAccessKeyId for an unknown key, InvalidToken / ExpiredToken for a session token that is not good.
 */
export function secretFor(claim: Pick<SigV4Claim, "accessKeyId" | "sessionToken">, sources: AuthenticationSources, now: number): MaybePromise<ClaimedSecret> {
  if (claim.sessionToken !== undefined) return temporarySecret(claim.sessionToken, claim.accessKeyId, sources, now);
  const found = settledOrPromise(sources.credentials.getCredential(claim.accessKeyId));
  return found instanceof Promise ? found.then(credentialSecret) : credentialSecret(found);
}

function credentialSecret(credential: StoredCredential | undefined): ClaimedSecret {
  if (!credential) throw new S3Error("InvalidAccessKeyId");
  const identity: Identity = {
    type: "credential",
    accessKeyId: credential.access_key_id,
    principalName: credential.principal_name,
    scopes: credential.allowed_scopes,
  };
  return { secret: credential.secret_access_key, identity, credential };
}

async function temporarySecret(sessionToken: string, accessKeyId: string, sources: AuthenticationSources, now: number): Promise<ClaimedSecret> {
  if (!sources.temporaryCredentials) {
    throw new S3Error("InvalidToken", { message: "Session tokens are not accepted by this server." });
  }
  const temporary = await sources.temporaryCredentials.resolve(sessionToken);
  if (!temporary) throw new S3Error("InvalidToken");
  if (temporary.expiresAt.getTime() <= now) throw new S3Error("ExpiredToken");
  if (!timingSafeEqual(temporary.accessKeyId, accessKeyId)) throw new S3Error("InvalidAccessKeyId");
  const identity: Identity = {
    type: "credential",
    accessKeyId: temporary.accessKeyId,
    principalName: temporary.principalName,
    scopes: temporary.scopes,
    ...(temporary.roleId !== undefined && { roleId: temporary.roleId }),
  };
  return { secret: temporary.secretAccessKey, identity };
}

/**
 * The claims of presigned queries already parsed. Queries are shared between requests that sent the same string
 * (`queryOf`), and a claim, like its query, is never changed: a reader repeating one presigned URL has it parsed
 * once. Entries go with their query.
 */
const presignedClaims = new WeakMap<Query, SigV4Claim>();

function presignedClaimOf(query: Query): SigV4Claim {
  let claim = presignedClaims.get(query);
  if (claim === undefined) {
    claim = parsePresignedQuery(query);
    presignedClaims.set(query, claim);
  }
  return claim;
}

/** The parts of a request authentication reads. */
interface AuthenticatedRequest {
  method: string;
  rawPath: string;
  query: Query;
  headers: Headers;
}

/**
 * Authenticates a request: anonymous when it carries no signature, else a verified SigV4 identity. Answers now when
 * every lookup does (see `MaybePromise`); a refusal is thrown now, or rejects the promise.
 */
export function authenticate(request: AuthenticatedRequest, sources: AuthenticationSources): MaybePromise<Authentication> {
  const authorization = request.headers.get("authorization");
  if ((authorization !== null && isSigV2Authorization(authorization)) || isPresignedV2(request.query)) {
    return authenticateSigV2(request, authorization, sources);
  }
  let claim: SigV4Claim;
  if (authorization !== null) {
    if (isPresignedV4(request.query)) {
      throw new S3Error("InvalidArgument", { message: "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the Authorization header should be specified" });
    }
    claim = parseAuthorizationHeader(authorization, request.headers);
  } else if (isPresignedV4(request.query)) {
    claim = presignedClaimOf(request.query);
  } else {
    return { identity: { type: "anonymous" } };
  }
  // An S3 request is signed for S3: a scope for STS (or anything else) is refused, as S3 refuses it.
  if (claim.service !== "s3") {
    const message = `incorrect service "${claim.service}". This endpoint belongs to "s3".`;
    throw claim.kind === "query"
      ? new S3Error("AuthorizationQueryParametersError", { message: `Error parsing the X-Amz-Credential parameter; ${message}` })
      : new S3Error("AuthorizationHeaderMalformed", { message: `The authorization header is malformed; ${message}` });
  }
  const now = sources.now?.() ?? Date.now();
  checkSignatureTime(claim, now);
  const found = secretFor(claim, sources, now);
  if (found instanceof Promise) return found.then((secret) => verified(claim, request, secret, now));
  return verified(claim, request, found, now);
}

/** Verifies the claim's signature with its secret, then the key's state. */
function verified(claim: SigV4Claim, request: AuthenticatedRequest, found: ClaimedSecret, now: number): MaybePromise<Authentication> {
  const payloadHash = payloadHashFor(claim, request.headers, request.query, request.method);
  const signature = verifySignature(
    claim,
    { method: request.method, rawPath: request.rawPath, rawQuery: request.query.raw, headers: request.headers, payloadHash },
    found.secret,
  );
  if (signature instanceof Promise) return signature.then((resolved) => accepted(claim, request, found, now, resolved, payloadHash));
  return accepted(claim, request, found, now, signature, payloadHash);
}

/**
 * After the signature (only its signer learns more): its key's state, and no `x-amz-*` header it did not sign. A
 * presigned request's query may carry headers a presigner moved there, covered by the signature: taken now.
 */
function accepted(claim: SigV4Claim, request: AuthenticatedRequest, found: ClaimedSecret, now: number, signature: VerifiedSignature, payloadHash: string): Authentication {
  checkKeyState(found.credential, now);
  checkAmzHeadersSigned(request.headers, claim.signedHeaders);
  // The request goes on with what was signed (Latin-1 text signed as UTF-8: see `latin1TextHeaders`).
  const signed = (signature.latin1Text && latin1TextHeaders(request.headers, claim.signedHeaders)) || request.headers;
  const headers = claim.kind === "query" ? withPresignedHeaders(request.query, signed) : signed;
  return headers === request.headers ? { identity: found.identity, signature, payloadHash } : { identity: found.identity, signature, payloadHash, headers };
}

/** Key state is checked after the signature: only the key's holder learns that it is disabled or expired. */
export function checkKeyState(credential: StoredCredential | undefined, now: number): void {
  if (credential) {
    if (!credential.enabled) throw new S3Error("AccessDenied", { message: "The access key is disabled." });
    if (credential.expires_at !== undefined && Date.parse(credential.expires_at) <= now) {
      throw new S3Error("AccessDenied", { message: "The access key has expired." });
    }
  }
}

/** Legacy Signature Version 2 (header or presigned); the same key lookup, session tokens and key-state rules. */
async function authenticateSigV2(
  request: AuthenticatedRequest,
  authorization: string | null,
  sources: AuthenticationSources,
): Promise<Authentication> {
  const { query, headers } = request;
  if ((authorization !== null && isPresignedV2(query)) || isPresignedV4(query)) {
    throw new S3Error("InvalidArgument", { message: "Only one auth mechanism allowed; only the Signature query parameters or the Authorization header should be specified" });
  }
  const claim = authorization !== null ? parseSigV2Header(authorization, headers) : parseSigV2Query(query, headers);
  const now = sources.now?.() ?? Date.now();
  checkSigV2Time(claim, headers, now);
  const { secret, identity, credential } = await secretFor(claim, sources, now);
  const virtualHostBucket = virtualHostBucketOf(headers, sources.domain);
  const signedHeaders = await verifySigV2(claim, {
    method: request.method,
    rawPath: request.rawPath,
    rawQuery: query.raw,
    headers,
    queryPairs: query.pairs,
    ...(virtualHostBucket !== undefined && { virtualHostBucket }),
  }, secret);
  checkKeyState(credential, now);
  // The request goes on with what was signed (Latin-1 text signed as UTF-8: see `latin1TextHeaders`). A presigned
  // URL's query may carry headers its presigner moved there (SigV2 signs them as amz headers), and the Content-Type and
  // Content-MD5 it signed.
  const signed = signedHeaders ?? headers;
  const presigned = authorization === null ? withSigV2ContentHeaders(query, withPresignedHeaders(query, signed)) : signed;
  return presigned === headers ? { identity } : { identity, headers: presigned };
}
