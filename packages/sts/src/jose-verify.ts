/**
 * The parts of jose that verifying a web identity token uses, imported together by `verify.ts` on first use. Naming
 * them here (not importing jose's namespace) keeps a Worker bundle's tree-shaking: only these and what they need.
 */
export { createLocalJWKSet, decodeJwt, decodeProtectedHeader, errors, jwtVerify } from "jose";
