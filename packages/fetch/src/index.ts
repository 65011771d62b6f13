/**
 * `@multistore/fetch`: serve a Multistore gateway on Cloudflare Workers or any runtime with fetch and web streams.
 * `createFetchHandler(gateway)` is a Worker's `fetch` handler (`(request, env, context) => Promise<Response>`).
 */
export { createFetchHandler, type FetchContext, type FetchHandlerOptions } from "./fetch-handler.js";
export { clientHeaders, requestTarget } from "./execute.js";
export { nativeChecksumFactories } from "./digest.js";
export { createFetchTransport } from "./transport.js";
