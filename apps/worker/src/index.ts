/**
 * Multistore on Cloudflare Workers. Configuration comes from the environment (PROXY_CONFIG, VIRTUAL_HOST_DOMAIN,
 * MAX_UPLOAD_BYTES) and is parsed once per isolate; R2 buckets are served through their bindings.
 */
import { newRequestId } from "@multistore/core";
import { handle } from "./adapter.js";
import type { Env } from "./env.js";
import { setupFor } from "./setup.js";

export type { Env } from "./env.js";

export default {
  async fetch(request: Request, env: Env, context: ExecutionContext): Promise<Response> {
    const setup = setupFor(env);
    if ("error" in setup) {
      const requestId = newRequestId();
      return new Response(setup.error.toXml(new URL(request.url).pathname, requestId), {
        status: 500,
        headers: { "content-type": "application/xml", "x-amz-request-id": requestId },
      });
    }
    return handle(setup.gateway, request, (promise) => context.waitUntil(promise));
  },
} satisfies ExportedHandler<Env>;
