/**
 * @multistore/core: the runtime-agnostic S3 gateway. Web-standard APIs only (fetch types, Headers, crypto.subtle).
 *
 * This entry is for building a gateway: `createGateway` and its options, middleware, routes, errors, the shapes of
 * buckets, credentials and identities, and the registries that serve them. The other entries are for the people who
 * extend it: `@multistore/core/backend` (backend authors), `@multistore/core/runtime` (runtime adapter authors) and
 * `@multistore/core/sigv4` (SigV4 signing and verification). Everything else is internal.
 */
export { createGateway, type Gateway, type GatewayOptions, type GatewayResult, type ResponseResult, type ResultBase } from "./gateway.js";
export { Query, type GatewayRequest } from "./s3-request.js";
export { isPlainResponse, type CopySource, type Middleware, type MiddlewareAnswer, type Next, type RequestContext, type RequestOutcome } from "./middleware.js";
export { healthRoute, runRoutes, type Route, type RouteContext } from "./router.js";
export { isS3Error, S3Error, toS3Error, type S3ErrorCode, type S3ErrorOptions } from "./errors.js";
export {
  ACTIONS,
  type AccessScope,
  type Action,
  type BucketConfig,
  type BucketRegistry,
  type CredentialRegistry,
  type Identity,
  type ObjectOperation,
  type S3Operation,
  type StoredCredential,
  type TemporaryCredential,
  type TemporaryCredentialResolver,
} from "./types/access.js";
export { isAllowed, type AuthorizationTarget } from "./authorize.js";
export type { CorsRule } from "./cors.js";
export { BUCKET_SETTING_SUBRESOURCES } from "./operations/bucket-settings.js";
export type { Owner } from "./operations/list.js";
export type { ListingView, MappedTarget, NamespaceListing, TargetMapping } from "./target-mapping.js";
export { useCryptoPrimitives, webCryptoPrimitives, type CryptoPrimitives, type HmacKey } from "./crypto-primitives.js";
// What `GatewayOptions.backends` and middleware answers are made of; the whole backend contract is in `./backend`.
export type { Backend, BackendFactory, ObjectDispatch, PlainResponse } from "./types/backend.js";
export type { BackendTransport, TransportOptions, TransportRequest, TransportResponse } from "./types/transport.js";
export { newRequestId } from "./responses.js";
export { DEFAULT_KEEP_ALIVE, isKeepAliveBody, KeepAliveBody, type KeepAliveEnd, type LateFailure, type KeepAliveSettings } from "./keep-alive.js";
export { isLoopbackHost } from "./hosts.js";
