/**
 * A server extended in code: a custom backend type (`memory`), a middleware that can put the gateway in maintenance
 * (requests to buckets answered 503 SlowDown with Retry-After, before any backend is asked), a middleware that serves
 * French readers from another bucket configuration (an onion `handle` replacing `context.bucketConfig`) and a route
 * with parameters. The same pieces work on the Worker through `createWorker({ middleware, routes })`.
 */
import { parseConfig, registerBackendOptionRules } from "@multistore/config";
import { S3Error, type BucketConfig, type Middleware, type Route } from "@multistore/core";
import { createLogger, createMultistoreServer, type MultistoreServer } from "../src/index.js";
import { createMemoryBackend, MEMORY_OPTION_RULES } from "./memory-backend.js";

registerBackendOptionRules("memory", MEMORY_OPTION_RULES, { replace: true });

/** Switched on by whoever operates the server. */
export const maintenance = { on: false };

const maintenanceMode: Middleware = {
  name: "maintenance",
  before(context) {
    if (maintenance.on && context.bucket !== undefined) {
      // A 5xx shows its message only when told to (expose): this one names nothing secret.
      throw new S3Error("SlowDown", { message: "This gateway is in maintenance; try again shortly.", headers: { "retry-after": "30" }, expose: true });
    }
  },
};

/** The French edition of the greetings bucket: another backend, made once (backends are made per configuration). */
const frenchEditions = new WeakMap<BucketConfig, BucketConfig>();
function frenchEdition(bucket: BucketConfig): BucketConfig {
  let french = frenchEditions.get(bucket);
  if (!french) {
    french = { ...bucket, backend_options: { ...bucket.backend_options, greeting: "bonjour de la mémoire" } };
    frenchEditions.set(bucket, french);
  }
  return french;
}

const localized: Middleware = {
  name: "localized",
  handle(context, next) {
    if (context.bucketConfig?.name === "greetings" && context.headers.get("accept-language")?.startsWith("fr")) {
      context.bucketConfig = frenchEdition(context.bucketConfig);
      context.responseHeaders = new Headers({ "content-language": "fr", vary: "accept-language" });
    }
    return next();
  },
};

const greet: Route = {
  method: "GET",
  path: "/greet/:name",
  handler: (_request, context) => ({ status: 200, headers: new Headers({ "content-type": "text/plain" }), body: `hello, ${context.params.name}` }),
};

/** Builds the extended server (listen on it with `server.listen(port, host)`). */
export function extendedServer(): MultistoreServer {
  const config = parseConfig({
    buckets: [
      { name: "greetings", backend_type: "memory", anonymous_access: true, backend_options: { greeting: "hello from memory" } },
    ],
    roles: [],
    credentials: [],
  });
  return createMultistoreServer({
    config,
    logger: createLogger("warn"),
    backends: { memory: (bucket) => createMemoryBackend({ "hello.txt": bucket.backend_options.greeting ?? "" }) },
    middleware: [maintenanceMode, localized],
    routes: [greet],
  });
}
