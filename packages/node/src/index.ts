/**
 * `@multistore/node`: serve a Multistore gateway from node:http or node:https. `createNodeRuntime()` gives each
 * bucket its own backend pool (pass `runtime.dispatcher` to the backends), bounds every wait on a peer, caps
 * anonymous callers per address and writes one line per request; `runtime.createHandler(gateway)` is the
 * `(request, response)` listener, usable alone or inside an existing server. Give the server
 * `{ IncomingMessage: GatewayIncomingMessage }` and the request headers are read once instead of twice.
 */
export { createNodeRuntime, type NodeRuntime, type NodeRuntimeOptions } from "./runtime.js";
export { createRequestHandler, createRequestListener, describeError, type HandlerOptions } from "./handler.js";
export type { Settle } from "./served.js";
export { DEFAULT_LIMITS, AddressCounter, BucketPools, Slots, type ServerLimits } from "./limits.js";
export { Watchdog, type Stall } from "./watchdog.js";
export { clientAddressResolver, parseTrustedProxies, type ClientAddressOf } from "./client-address.js";
export { CLIENT_CLOSED, formatRequestLine, isoTime, requestLineWriter, type RequestEnd, type RequestLine, type RequestLineOptions, type RequestLog } from "./request-log.js";
export { requestHeaders, writeResponse, pipeBody } from "./node-http.js";
export { GatewayIncomingMessage, headerRecordOf } from "./incoming-message.js";
export { forward, type ForwardOptions, type ForwardOutcome } from "./forward.js";
export { NODE_CHECKSUM_FACTORIES, RequestBodyTransform, CountingTransform } from "./request-body-transform.js";
export { readLimited, type HeaderLookup } from "./request-body.js";
export { awaitingContinue, continueBody } from "./expect-continue.js";
export { createNodeTransport, type TransportSlots } from "./transport.js";
