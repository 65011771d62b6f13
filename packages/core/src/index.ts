/**
 * @multistore/core: the runtime-agnostic S3 gateway. Web-standard APIs only (fetch types, Headers, crypto.subtle).
 */
export * from "./types.js";
export * from "./errors.js";
export * from "./xml.js";
export * from "./encoding.js";
export { isLoopbackHost } from "./hosts.js";
export { useCryptoPrimitives, webCryptoPrimitives, type CryptoPrimitives, type HmacKey } from "./crypto-primitives.js";
export * from "./keys.js";
export * from "./headers.js";
export * from "./authorize.js";
export * from "./authenticate.js";
export * from "./aws-chunked.js";
export * from "./aws-chunked-stream.js";
export * from "./checksums/algorithms.js";
export * from "./checksums/body-checks.js";
export * from "./checksums/body-verifier.js";
export * from "./checksums/response-headers.js";
export * from "./request-body.js";
export * from "./router.js";
export * from "./cors.js";
export * from "./middleware.js";
export * from "./responses.js";
export * from "./dispatch.js";
export * from "./gateway.js";
export { parseS3Request, parseCopySource, splitTarget, Query, type GatewayRequest, type ParsedS3Request } from "./s3-request.js";
export { backendError, readErrorDocument } from "./operations/backend-errors.js";
export { compareUtf8, MAX_KEYS, type Owner } from "./operations/list.js";
export { parseCompleteMultipartUpload } from "./operations/multipart.js";
export { parseDeleteRequest, MAX_DELETE_KEYS } from "./operations/delete-objects.js";
export * from "./sigv4/authorization.js";
export * from "./sigv4/canonical-request.js";
export * from "./sigv4/signing-key.js";
export * from "./sigv4/verify.js";
export * from "./fixed-length.js";
export * from "./object-headers.js";
export * from "./sigv2/string-to-sign.js";
export * from "./sigv2/verify.js";
