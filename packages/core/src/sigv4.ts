/**
 * @multistore/core/sigv4: AWS Signature Version 4. Parse a request's `Authorization` header or presigned query,
 * check its time and verify it against a secret; presign URLs (what the S3 backend forwards to).
 */
export { parseAuthorizationHeader, parsePresignedQuery, type QueryLookup, type SigV4Claim } from "./sigv4/authorization.js";
export { checkSignatureTime, verifySigV4, type SignedRequestParts, type VerifiedSignature } from "./sigv4/verify.js";
export { createPresigner, type Presigner, type PresignRequest, type SigV4Credentials } from "./sigv4/presign.js";
