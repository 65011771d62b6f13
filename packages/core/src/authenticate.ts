/** Authentication: who signed this request, checked against the credential registry or a session-token resolver. */
import { S3Error } from "./errors.js";
import { isPresignedV4, parseAuthorizationHeader, parsePresignedQuery, type SigV4Claim } from "./sigv4/authorization.js";
import { EMPTY_SHA256 } from "./sigv4/canonical-request.js";
import { checkSignatureTime, verifySigV4, type VerifiedSignature } from "./sigv4/verify.js";
import type { Query } from "./s3-request.js";
import type { CredentialRegistry, Identity, TemporaryCredentialResolver } from "./types.js";

/** Where authentication looks credentials up. */
export interface AuthenticationSources {
  /** Long-lived access keys. */
  credentials: CredentialRegistry;
  /** Session tokens (STS); without one, requests carrying a token are refused. */
  temporaryCredentials?: TemporaryCredentialResolver;
  /** The clock, injectable for tests. */
  now?: () => number;
}

/** An authenticated (or anonymous) caller, plus what streaming payload verification needs. */
export interface Authentication {
  /** Who. */
  identity: Identity;
  /** The verified signature, for signed requests. */
  signature?: VerifiedSignature;
  /** The payload hash the request was signed with. */
  payloadHash?: string;
}

/** The payload hash to verify against: the header's value, `UNSIGNED-PAYLOAD` for presigned URLs. */
function payloadHashFor(claim: SigV4Claim, headers: Headers, query: Query, method: string): string {
  if (claim.kind === "query") return query.get("X-Amz-Content-Sha256") ?? "UNSIGNED-PAYLOAD";
  const header = headers.get("x-amz-content-sha256");
  if (header) return header;
  const length = headers.get("content-length");
  const hasBody = (length !== null && length !== "0") || headers.has("transfer-encoding");
  if (!hasBody || method === "GET" || method === "HEAD") return EMPTY_SHA256;
  throw new S3Error("InvalidRequest", { message: "Missing required header for this request: x-amz-content-sha256" });
}

async function secretFor(claim: SigV4Claim, sources: AuthenticationSources, now: number) {
  if (claim.sessionToken !== undefined) {
    if (!sources.temporaryCredentials) {
      throw new S3Error("InvalidToken", { message: "Session tokens are not accepted by this server." });
    }
    const temporary = await sources.temporaryCredentials.resolve(claim.sessionToken);
    if (!temporary) throw new S3Error("InvalidToken");
    if (temporary.expiresAt.getTime() <= now) throw new S3Error("ExpiredToken");
    if (temporary.accessKeyId !== claim.accessKeyId) throw new S3Error("InvalidAccessKeyId");
    const identity: Identity = {
      type: "credential",
      accessKeyId: temporary.accessKeyId,
      principalName: temporary.principalName,
      scopes: temporary.scopes,
      ...(temporary.roleId !== undefined && { roleId: temporary.roleId }),
    };
    return { secret: temporary.secretAccessKey, identity };
  }
  const credential = await sources.credentials.getCredential(claim.accessKeyId);
  if (!credential) throw new S3Error("InvalidAccessKeyId");
  const identity: Identity = {
    type: "credential",
    accessKeyId: credential.access_key_id,
    principalName: credential.principal_name,
    scopes: credential.allowed_scopes,
  };
  return { secret: credential.secret_access_key, identity, credential };
}

/** Authenticates a request: anonymous when it carries no signature, else a verified SigV4 identity. */
export async function authenticate(
  request: { method: string; rawPath: string; query: Query; headers: Headers },
  sources: AuthenticationSources,
): Promise<Authentication> {
  const authorization = request.headers.get("authorization");
  let claim: SigV4Claim;
  if (authorization !== null) {
    if (isPresignedV4(request.query)) {
      throw new S3Error("InvalidArgument", { message: "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the Authorization header should be specified" });
    }
    claim = parseAuthorizationHeader(authorization, request.headers);
  } else if (isPresignedV4(request.query)) {
    claim = parsePresignedQuery(request.query);
  } else if (request.query.has("AWSAccessKeyId") || request.query.has("Signature")) {
    throw new S3Error("NotImplemented", { message: "Signature Version 2 presigned URLs are not supported yet; use SigV4." });
  } else {
    return { identity: { type: "anonymous" } };
  }
  const now = sources.now?.() ?? Date.now();
  checkSignatureTime(claim, now);
  const { secret, identity, credential } = await secretFor(claim, sources, now);
  const payloadHash = payloadHashFor(claim, request.headers, request.query, request.method);
  const signature = await verifySigV4(
    claim,
    { method: request.method, rawPath: request.rawPath, rawQuery: request.query.raw, headers: request.headers, payloadHash },
    secret,
  );
  // Key state is checked after the signature: only the key's holder learns that it is disabled or expired.
  if (credential) {
    if (!credential.enabled) throw new S3Error("AccessDenied", { message: "The access key is disabled." });
    if (credential.expires_at !== undefined && Date.parse(credential.expires_at) <= now) {
      throw new S3Error("AccessDenied", { message: "The access key has expired." });
    }
  }
  return { identity, signature, payloadHash };
}
