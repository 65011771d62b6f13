/**
 * The original multistore's Workers metering, configured outside PROXY_CONFIG, kept working unchanged:
 * - `ANON_RATE_LIMITER` / `AUTH_RATE_LIMITER`: Cloudflare rate limiting bindings (`[[ratelimits]]` in wrangler.toml,
 *   their limit and period set there). Anonymous requests are counted per client address (CF-Connecting-IP),
 *   signed ones per principal; over the limit a request gets 503 SlowDown.
 * - `BANDWIDTH_QUOTAS` (a `[vars]` table or JSON): `{ "<bucket>": { limit_bytes, window_secs } }`, bytes sent per
 *   bucket per window — the same as a `[[quotas]]` rule with scope "bucket" and direction "egress". Its counters
 *   live in the `BANDWIDTH_METER` Durable Object when that binding exists (class `BandwidthMeter`, which this Worker
 *   exports as another name of `MeteringCounters`), else per isolate.
 */
import { ConfigError } from "@multistore/config";
import type { RequestContext } from "@multistore/core";
import type { QuotaChecker, QuotaRule, Refusal } from "@multistore/metering";
import type { Env } from "./env.js";

/** A Cloudflare rate limiting binding. */
interface RateLimitBinding {
  limit(options: { key: string }): Promise<{ success: boolean }>;
}

function isRateLimitBinding(value: unknown): value is RateLimitBinding {
  return typeof (value as Partial<RateLimitBinding> | undefined)?.limit === "function";
}

/**
 * Cloudflare's simple rate limits count over 10 or 60 seconds and the binding does not say which: a client is told
 * to come back after the shorter one.
 */
const RATE_LIMIT_RETRY_SECS = 10;

/** A checker over the rate limiting bindings present, or undefined when there is none. */
export function rateLimitBindingsChecker(env: Env): QuotaChecker | undefined {
  const anonymous = isRateLimitBinding(env.ANON_RATE_LIMITER) ? env.ANON_RATE_LIMITER : undefined;
  const authenticated = isRateLimitBinding(env.AUTH_RATE_LIMITER) ? env.AUTH_RATE_LIMITER : undefined;
  if (anonymous === undefined && authenticated === undefined) return undefined;
  return {
    async check(context: RequestContext): Promise<Refusal | undefined> {
      const identity = context.identity;
      const [binding, key] =
        identity?.type === "credential" ? [authenticated, `principal:${identity.principalName}`] : [anonymous, context.sourceIp === undefined ? undefined : `ip:${context.sourceIp}`];
      if (binding === undefined || key === undefined) return undefined;
      const { success } = await binding.limit({ key });
      return success ? undefined : { code: "SlowDown", retryAfterSecs: RATE_LIMIT_RETRY_SECS, message: "Please reduce your request rate." };
    },
  };
}

/** `BANDWIDTH_QUOTAS` as quota rules (none when unset); a malformed entry is a config error naming it. */
export function bandwidthQuotas(env: Env): QuotaRule[] {
  let value = env.BANDWIDTH_QUOTAS;
  if (value === undefined || value === "") return [];
  if (typeof value === "string") {
    try {
      value = JSON.parse(value) as unknown;
    } catch {
      throw new ConfigError([{ path: "BANDWIDTH_QUOTAS", message: "BANDWIDTH_QUOTAS is not JSON (expected {\"<bucket>\": {\"limit_bytes\": N, \"window_secs\": N}})" }]);
    }
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new ConfigError([{ path: "BANDWIDTH_QUOTAS", message: "BANDWIDTH_QUOTAS must be a table of buckets" }]);
  }
  return Object.entries(value as Record<string, unknown>).map(([bucket, entry]) => {
    const { limit_bytes: bytes, window_secs: window } = (entry ?? {}) as { limit_bytes?: unknown; window_secs?: unknown };
    const path = `BANDWIDTH_QUOTAS.${bucket}`;
    if (!Number.isSafeInteger(bytes) || (bytes as number) < 1) throw new ConfigError([{ path, message: `${path}.limit_bytes must be a positive integer` }]);
    if (!Number.isSafeInteger(window) || (window as number) < 1) throw new ConfigError([{ path, message: `${path}.window_secs must be a positive integer` }]);
    // A stable id: counters keep counting when [[quotas]] rules are added to the config.
    return { scope: "bucket", bucket, bytes: bytes as number, window_secs: window as number, direction: "egress", id: `bandwidth:${bucket}` };
  });
}

/** Runs `first`, then `second` when `first` let the request through. */
export function bothCheckers(first: QuotaChecker | undefined, second: QuotaChecker | undefined): QuotaChecker | undefined {
  if (first === undefined || second === undefined) return first ?? second;
  return { check: async (context, estimate) => (await first.check(context, estimate)) ?? second.check(context, estimate) };
}
