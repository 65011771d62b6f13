/**
 * @multistore/sts: AssumeRoleWithWebIdentity for OIDC tokens (`createStsRoute`), and the sealed session tokens that
 * carry the minted credentials (`createSessionTokenSealer`, `createSessionTokenResolver`). Web-standard APIs only
 * (fetch, crypto.subtle), so it runs on the Node server and on Workers.
 */
export { createStsRoute, type StsRole, type StsRouteOptions } from "./route.js";
export {
  createSessionTokenSealer,
  generateSessionTokenKey,
  parseSessionTokenKeys,
  type SealedCredential,
  type SessionTokenSealer,
  type SessionTokenSealerOptions,
} from "./sealer.js";
export { createSessionTokenResolver, type SessionTokenResolverOptions } from "./resolver.js";
export { createJwksCache, checkIssuerUrl, type IssuerKeys, type JwksCache, type JwksCacheOptions } from "./jwks.js";
export { verifyWebIdentityToken, globMatches, ACCEPTED_ALGORITHMS, CLOCK_SKEW_SECS, type TrustPolicy, type VerifiedToken } from "./verify.js";
export { expandScopes, fillTemplate, sessionDuration, newAccessKeyId, newSecretAccessKey, ACCESS_KEY_PREFIX, DEFAULT_SESSION_SECS, MIN_SESSION_SECS } from "./mint.js";
export { StsError, stsErrorResponse, STS_NAMESPACE, type StsErrorCode } from "./errors.js";
export { MAX_FORM_BYTES } from "./params.js";
