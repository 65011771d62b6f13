/** Verifying a web identity token (an OIDC JWT) against a role: issuer, signature, times, audience, subject. */
import type { createLocalJWKSet, JSONWebKeySet, JWTPayload } from "jose";
import type { RoleDefinition } from "@multistore/config";
import { isXmlText } from "@multistore/core/backend";
import { StsError } from "./errors.js";
import type { JwksCache } from "./jwks.js";

/** Signature algorithms accepted: RS256 (what every OIDC provider supports) and ES256. Nothing else, never `none`. */
export const ACCEPTED_ALGORITHMS = ["RS256", "ES256"] as const;

/** Clock skew tolerated on `exp`, `nbf` and `iat`, in seconds. */
export const CLOCK_SKEW_SECS = 60;

/** The parts of a role that token verification uses. */
export type TrustPolicy = Pick<RoleDefinition, "trusted_oidc_issuers" | "required_audiences" | "subject_conditions">;

/** What a verified token tells us. */
export interface VerifiedToken {
  /** All claims (for template variables). */
  claims: JWTPayload;
  /** `iss`. */
  issuer: string;
  /** `sub`. */
  subject: string;
  /** The audience that matched the role, or the token's first audience. */
  audience?: string;
}

/**
 * Whether `value` matches a glob where `*` matches any run of characters (including none and `/`). Iterative, so
 * many stars cannot make it exponential.
 */
export function globMatches(pattern: string, value: string): boolean {
  let p = 0;
  let v = 0;
  let star = -1;
  let mark = 0;
  while (v < value.length) {
    if (p < pattern.length && pattern[p] !== "*" && pattern[p] === value[v]) {
      p++;
      v++;
    } else if (p < pattern.length && pattern[p] === "*") {
      star = p++;
      mark = v;
    } else if (star !== -1) {
      p = star + 1;
      v = ++mark;
    } else return false;
  }
  while (pattern[p] === "*") p++;
  return p === pattern.length;
}

function invalid(message: string, cause?: unknown): StsError {
  return new StsError("InvalidIdentityToken", message, { cause });
}

/**
 * What every failure that depends on the role answers (an untrusted issuer, a signature or audience the role's
 * issuer does not vouch for, a subject the role does not take), as an unknown role answers: a caller without a token
 * the role accepts cannot tell which roles exist, or whom they trust. Why it failed stays in the cause (for logs).
 */
export function notAuthorized(why: string, cause?: unknown): StsError {
  return new StsError("AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity.", { cause: new Error(why, { cause }) });
}

/**
 * jose, imported by the first web identity token: most gateways never verify one, and a Node server keeps every
 * module it loads on the heap that each garbage collection walks.
 */
type Jose = typeof import("./jose-verify.js");
let jose: Promise<Jose> | undefined;
const loadJose = (): Promise<Jose> => {
  jose ??= import("./jose-verify.js");
  return jose;
};

/**
 * What a failure of `jwtVerify` answers. It runs once the role trusts the token's issuer, so every failure but an
 * expiry (what the token says whatever the role, see `inspectWebIdentityToken`) depends on the role: its issuer's
 * keys, its audiences, and what jose refuses in a token that claims to be that issuer's (a `crit` header, a signature
 * that is no base64url). All of them answer as an unknown role does (`notAuthorized`), the reason kept as the cause.
 */
function mapJoseError(error: unknown, { errors }: Jose): StsError {
  if (error instanceof StsError) return error;
  if (error instanceof errors.JWTExpired) {
    return new StsError("ExpiredTokenException", "Token expired: current date/time must be before the expiration date/time.");
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    return notAuthorized(error.claim === "aud" ? "Incorrect token audience." : `The token's "${error.claim}" claim is invalid: ${error.reason}.`, error);
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return notAuthorized("The token's signature is invalid.", error);
  if (error instanceof errors.JWKSNoMatchingKey) return notAuthorized("No key of the issuer matches the token's kid.", error);
  return notAuthorized("The web identity token could not be verified.", error);
}

/** One key-set resolver per fetched JWKS, so imported keys are reused until the JWKS is refetched. */
const keySets = new WeakMap<JSONWebKeySet, ReturnType<typeof createLocalJWKSet>>();

async function verifyWith({ createLocalJWKSet, errors, jwtVerify }: Jose, token: string, jwks: JSONWebKeySet, issuer: string, policy: TrustPolicy, now: number) {
  let keySet = keySets.get(jwks);
  if (!keySet) {
    keySet = createLocalJWKSet(jwks);
    keySets.set(jwks, keySet);
  }
  const options = {
    algorithms: [...ACCEPTED_ALGORITHMS],
    issuer,
    clockTolerance: CLOCK_SKEW_SECS,
    currentDate: new Date(now),
    requiredClaims: ["exp", "sub"],
    ...(policy.required_audiences.length > 0 && { audience: policy.required_audiences }),
  };
  try {
    return await jwtVerify(token, keySet, options);
  } catch (error) {
    if (!(error instanceof errors.JWKSMultipleMatchingKeys)) throw error;
    // A token without kid that several published keys fit (an issuer mid-rotation): jose hands each candidate over;
    // the first whose signature holds verifies it.
    let failure: unknown = error;
    for await (const key of error as unknown as AsyncIterable<CryptoKey>) {
      try {
        return await jwtVerify(token, key, options);
      } catch (attempt) {
        if (!(attempt instanceof errors.JWSSignatureVerificationFailed)) throw attempt;
        failure = attempt;
      }
    }
    throw failure;
  }
}

/** A token read but not yet verified: its header and claims. */
export interface InspectedToken {
  header: { alg?: unknown };
  claims: JWTPayload;
}

/**
 * Checks what a token says whatever role it is for: a well-formed JWT, an accepted algorithm, a subject, and its
 * times (`exp`, `nbf`, `iat`, with `CLOCK_SKEW_SECS`). Run before the role is looked up, so these answers are the same
 * for every role, known or not. Throws InvalidIdentityToken or ExpiredTokenException.
 */
export async function inspectWebIdentityToken(token: string, now: number): Promise<InspectedToken> {
  const library = await loadJose();
  let header;
  let claims;
  try {
    if (token.split(".").length !== 3) throw new Error("not a compact JWS");
    header = library.decodeProtectedHeader(token);
    claims = library.decodeJwt(token);
  } catch (error) {
    throw invalid("The web identity token is not a well-formed JWT.", error);
  }
  if (typeof header.alg !== "string" || !(ACCEPTED_ALGORITHMS as readonly string[]).includes(header.alg)) {
    // (Not echoed: the header is the caller's text, and the answer is XML.)
    throw invalid("The token's signature algorithm is not accepted; use RS256 or ES256.");
  }
  const seconds = now / 1000;
  if (typeof claims.exp !== "number") throw invalid('The token has no expiration time ("exp").');
  if (claims.exp <= seconds - CLOCK_SKEW_SECS) throw new StsError("ExpiredTokenException", "Token expired: current date/time must be before the expiration date/time.");
  if (typeof claims.nbf === "number" && claims.nbf > seconds + CLOCK_SKEW_SECS) throw invalid("The token is not valid yet (nbf is in the future).");
  if (typeof claims.iat === "number" && claims.iat > seconds + CLOCK_SKEW_SECS) throw invalid("The token was issued in the future (iat).");
  if (typeof claims.sub !== "string" || claims.sub === "") throw invalid("The token has no subject (sub).");
  // The subject is echoed into the answer's XML: one it cannot carry (NUL, control characters) is no identity.
  if (!isXmlText(claims.sub)) throw invalid("The token's subject (sub) holds characters XML cannot carry.");
  return { header, claims };
}

/**
 * Verifies `token` for a role. Throws `StsError`: what `inspectWebIdentityToken` throws; AccessDenied for everything
 * that depends on the role (see `notAuthorized`); IDPCommunicationError (discovery or JWKS unreachable).
 */
export async function verifyWebIdentityToken(token: string, policy: TrustPolicy, keys: JwksCache, now: number, inspected?: InspectedToken): Promise<VerifiedToken> {
  const library = await loadJose();
  const unverified = (inspected ?? (await inspectWebIdentityToken(token, now))).claims;
  const issuer = unverified.iss;
  if (typeof issuer !== "string" || !policy.trusted_oidc_issuers.includes(issuer)) throw notAuthorized("The token's issuer is not trusted by this role.");
  let result;
  try {
    const cached = await keys.keys(issuer);
    try {
      result = await verifyWith(library, token, cached.jwks, issuer, policy, now);
    } catch (error) {
      // A kid we have not seen: the issuer may have rotated its keys since we fetched them.
      if (!(error instanceof library.errors.JWKSNoMatchingKey) || cached.fresh) throw error;
      const refetched = await keys.refetch(issuer);
      if (!refetched) throw error;
      result = await verifyWith(library, token, refetched, issuer, policy, now);
    }
  } catch (error) {
    throw mapJoseError(error, library);
  }
  // (What was inspected is what was signed: the same token.)
  const claims = result.payload;
  const subject = claims.sub as string;
  if (policy.subject_conditions.length > 0 && !policy.subject_conditions.some((pattern) => globMatches(pattern, subject))) {
    throw notAuthorized("The token's subject does not match the role's subject_conditions.");
  }
  const audiences = typeof claims.aud === "string" ? [claims.aud] : (claims.aud ?? []);
  // jose checks the claim's shape only when asked for an audience: a role that requires none takes any token.
  if (!Array.isArray(audiences) || !audiences.every((entry) => typeof entry === "string")) throw invalid("The token's audience (aud) is not a string or an array of strings.");
  const audience = policy.required_audiences.find((wanted) => audiences.includes(wanted)) ?? audiences[0];
  // The audience is echoed into the answer's XML too.
  if (audience !== undefined && !isXmlText(audience)) throw invalid("The token's audience (aud) holds characters XML cannot carry.");
  return { claims, issuer, subject, ...(audience !== undefined && { audience }) };
}
