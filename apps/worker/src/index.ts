/**
 * Multistore on Cloudflare Workers. Configuration comes from the environment (PROXY_CONFIG, VIRTUAL_HOST_DOMAIN,
 * MAX_UPLOAD_BYTES, ...) and is parsed once per isolate; R2 buckets are served through their bindings.
 *
 * The default export is the Worker as it ships. `createWorker({ middleware, routes })` builds the same Worker with a
 * deployment's own middleware and routes (see README.md, "Extending the Worker").
 */
import { newRequestId, type Gateway } from "@multistore/core";
import { createFetchHandler } from "@multistore/fetch";
import type { Env } from "./env.js";
import { setupFor, type WorkerExtensions } from "./setup.js";

export type { Env } from "./env.js";
export type { WorkerExtensions } from "./setup.js";
// The Durable Object class of `metering.store = "durable_object"` (binding METERING in wrangler.toml).
export { MeteringCounters } from "@multistore/metering/durable-object";
// The same class under the name the original multistore's wrangler files bind (BANDWIDTH_METER, class BandwidthMeter).
export { MeteringCounters as BandwidthMeter } from "@multistore/metering/durable-object";

/** A Worker (`export default createWorker(...)`) serving Multistore with extra middleware and routes. */
export function createWorker(extensions: WorkerExtensions = {}): ExportedHandler<Env> & { fetch: NonNullable<ExportedHandler<Env>["fetch"]> } {
  // The extensions are fixed from here on: the gateway built for them is kept per isolate.
  const fixed: WorkerExtensions = { ...extensions };
  const handlers = new WeakMap<Gateway<ReadableStream>, ReturnType<typeof createFetchHandler>>();
  return {
    async fetch(request: Request, env: Env, context: ExecutionContext): Promise<Response> {
      const setup = setupFor(env, fixed);
      if ("error" in setup) {
        const requestId = newRequestId();
        return new Response(setup.error.toXml(new URL(request.url).pathname, requestId), {
          status: 500,
          headers: { "content-type": "application/xml", "x-amz-request-id": requestId },
        });
      }
      let handler = handlers.get(setup.gateway);
      if (!handler) {
        handler = createFetchHandler(setup.gateway, { ...(setup.backendAnswerTimeoutMs !== undefined && { backendAnswerTimeoutMs: setup.backendAnswerTimeoutMs }) });
        handlers.set(setup.gateway, handler);
      }
      return handler(request, env, context);
    },
  };
}

export default createWorker();
