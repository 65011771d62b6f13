/**
 * `@multistore/metering`: request rate limits and bandwidth quotas for a Multistore gateway, kept in memory, in Redis
 * (`@multistore/metering/redis`) or in a Durable Object (`@multistore/metering/durable-object`), and usage metrics as
 * Prometheus text (`@multistore/metering/prometheus`). This entry is runtime-free (Node and Workers).
 */
export type { CounterStore, CounterUpdate, QuotaChecker, Refusal, UsageEstimate, UsageRecorder } from "./types.js";
export { createLimiter, principalOf, type Limiter, type LimiterOptions, type LimitScope, type QuotaRule, type RateLimitRule, type RuleTarget } from "./limiter.js";
export { checkRedisUrl } from "./redis-url.js";
export { createMemoryStore, type MemoryStoreOptions } from "./memory-store.js";
export { createMeteringMiddleware, StoreTimeoutError, type MeteringMiddlewareOptions } from "./middleware.js";
