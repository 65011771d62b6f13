/**
 * Rate limits and bandwidth quotas on the Worker (`[[rate_limits]]`, `[[quotas]]` and `[metering]` in PROXY_CONFIG).
 * Where the counters live decides what a limit means:
 * - `store = "durable_object"`: in `MeteringCounters` Durable Objects (binding `METERING`), shared by every isolate of
 *   the deployment, so a limit holds for the whole deployment;
 * - `store = "memory"` (the default): in the isolate's memory. Cloudflare runs many isolates (one or more per data
 *   centre, recycled at will), each counting on its own: a limit then holds per isolate, not per deployment.
 * - `store = "redis"` is a configuration error: the Worker cannot reach Redis.
 */
import type { MultistoreConfig } from "@multistore/config";
import { ConfigError } from "@multistore/config";
import type { Middleware } from "@multistore/core";
import { createLimiter, createMemoryStore, createMeteringMiddleware, type CounterStore } from "@multistore/metering";
import { createDurableObjectStore, type MeteringNamespace } from "@multistore/metering/durable-object";
import type { Env } from "./env.js";
import { bandwidthQuotas, bothCheckers, rateLimitBindingsChecker } from "./upstream-metering.js";

/** The binding of the `MeteringCounters` Durable Object (see wrangler.toml). */
const BINDING = "METERING";
/** The original multistore's binding of its bandwidth meter (class `BandwidthMeter`). */
const UPSTREAM_BINDING = "BANDWIDTH_METER";

function storeFor(env: Env, store: string, binding = BINDING): CounterStore {
  switch (store) {
    case "memory":
      return createMemoryStore();
    case "durable_object": {
      const namespace = env[binding] as Partial<MeteringNamespace> | undefined;
      if (typeof namespace?.idFromName !== "function") {
        throw new ConfigError([
          {
            path: "metering.store",
            message: `metering.store is "durable_object", but this Worker has no Durable Object binding named ${binding}: add one of class MeteringCounters under durable_objects.bindings in wrangler.toml`,
          },
        ]);
      }
      return createDurableObjectStore(namespace as MeteringNamespace);
    }
    default:
      throw new ConfigError([
        { path: "metering.store", message: `metering.store is "${store}": the Worker cannot reach Redis; use durable_object (or memory, counted per isolate)` },
      ]);
  }
}

/**
 * The metering middleware for this config and environment, or undefined when nothing is limited: the config's rules,
 * plus the original multistore's `BANDWIDTH_QUOTAS` and rate limiting bindings (see upstream-metering.ts). Store
 * failures are logged as warnings; they never reach clients (`metering.on_store_error` decides whether the request
 * goes through).
 */
export function meteringMiddleware(env: Env, config: MultistoreConfig): Middleware | undefined {
  const rateLimits = config.rate_limits ?? [];
  const quotas = [...(config.quotas ?? []), ...bandwidthQuotas(env)];
  const bindings = rateLimitBindingsChecker(env);
  if (rateLimits.length === 0 && quotas.length === 0 && bindings === undefined) return undefined;
  const metering = config.metering ?? {};
  // The original's bandwidth meter binding serves when the config names no store of its own.
  const store = metering.store === undefined && env[UPSTREAM_BINDING] !== undefined ? storeFor(env, "durable_object", UPSTREAM_BINDING) : storeFor(env, metering.store ?? "memory");
  const limiter = rateLimits.length === 0 && quotas.length === 0 ? undefined : createLimiter({ rateLimits, quotas, store, keyPrefix: metering.key_prefix });
  return createMeteringMiddleware({
    checker: bothCheckers(bindings, limiter),
    recorder: limiter,
    timeoutMs: metering.timeout_ms,
    onStoreError: metering.on_store_error,
    onError: (error, context) =>
      console.log(JSON.stringify({ level: "warn", requestId: context.requestId, msg: "metering store failed", err: String(error) })),
  });
}
