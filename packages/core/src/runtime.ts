/**
 * @multistore/core/runtime: for runtime adapter authors (`@multistore/node`, `@multistore/fetch`,
 * `@multistore/lambda` are built on it). A runtime hands `gateway.handle` a `GatewayRequest` and executes the
 * `GatewayResult` (both from `@multistore/core`): it sends a forward with its own HTTP client, runs a native
 * operation, decodes and verifies upload bodies, caps backend error reads and logs one line per request.
 */
export { createHeaderRecord, HeaderMap, headerRecord } from "./header-map.js";
export { clientResponseHeaders, isStrippedResponseHeader } from "./headers.js";
export { MAX_BACKEND_ERROR_BYTES, type ForwardedResponse, type ForwardResult, type NativeResult } from "./dispatch.js";
export type { PlainResponse } from "./types/backend.js";
export type { BackendTransport, TransportOptions, TransportRequest, TransportResponse } from "./types/transport.js";
export { decodedLengthOf, needsBodyDecoding, RequestBodyDecoder, type BodyPlan } from "./request-body.js";
export type { FormFileFraming } from "./post-object/form-file.js";
export type { AwsChunkedEncoding } from "./aws-chunked.js";
export type { BodyChecks } from "./checksums/body-checks.js";
export { DEFAULT_CHECKSUM_FACTORIES, type ChecksumAlgorithm, type ChecksumFactories, type IncrementalChecksum } from "./checksums/algorithms.js";
export { withKnownLength } from "./fixed-length.js";
export { headerValueOf, useLatin1HeaderValues } from "./header-text.js";
export { GrowingBytes, readAtMost } from "./read-bytes.js";
export { concatBytes } from "./encoding.js";
export { CLIENT_CLOSED, isFailure, requestLineOf, type RequestEnd, type RequestLine } from "./request-line.js";
export { documentErrorCode } from "./exchange.js";
export { isKeepAliveBody, KeepAliveBody, type KeepAliveEnd, type LateFailure } from "./keep-alive.js";
