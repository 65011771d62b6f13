/**
 * The server's rate limits and bandwidth quotas, from the config file's `[[rate_limits]]`, `[[quotas]]` and
 * `[metering]`: counters in this process (`memory`: each process, each cluster worker included, counts alone) or in
 * a Redis that every server of a fleet shares (`redis`).
 */
import { ConfigError, type MultistoreConfig } from "@multistore/config";
import type { Middleware } from "@multistore/core";
import { checkRedisUrl, createLimiter, createMemoryStore, createMeteringMiddleware, type CounterStore } from "@multistore/metering";
import type { RedisStoreOptions } from "@multistore/metering/redis";
import { describeError, type Logger } from "./logger.js";

/** Metering as the server runs it. */
export interface ServerMetering {
  /** The middleware to run first, when any limit is configured. */
  middleware: Middleware | undefined;
  /**
   * Resolves once the store is connected, or after `waitMs` (logged): a server that starts serving before its Redis
   * connection is up would let its first requests through uncounted. Rejects when the store cannot be made at all.
   */
  ready(waitMs?: number): Promise<void>;
  /** Closes the store's connections. */
  close(): Promise<void>;
}

/** A counter store as the server holds it. */
type ServerStore = CounterStore & {
  close?(): Promise<void>;
  ready?(): Promise<void>;
  /** Rejects when the store could not be made (a URL its client refuses): the server does not start. */
  made?(): Promise<void>;
};

/**
 * A Redis store whose module (and ioredis, about 40 modules) is imported only when a config asks for Redis: a server
 * without it keeps a smaller heap, which each garbage collection walks. The store connects once loaded; `made` and
 * `ready` (awaited before listening) and every call wait for it.
 */
function deferredRedisStore(options: RedisStoreOptions): ServerStore {
  const loading = import("@multistore/metering/redis").then(({ createRedisStore }) => {
    try {
      return createRedisStore(options);
    } catch (error) {
      // ioredis parses the URL as it is made: a URL that passed the scheme check but not its parser (a bad port, a
      // malformed %-escape in the password). Its message does not repeat the URL, which may hold a password.
      throw new ConfigError([{ path: "metering.redis_url", message: `metering.redis_url: the Redis client refuses this URL (${(error as Error).message})` }]);
    }
  });
  // Reported by whichever call awaits it first (`made` before listening); never an unhandled rejection meanwhile.
  loading.catch(() => {});
  return {
    add: async (updates) => (await loading).add(updates),
    made: async () => {
      await loading;
    },
    ready: async () => (await loading).ready(),
    close: async () => (await loading).close(),
  };
}

/** The Redis URL metering uses (undefined unless the store is Redis); throws a ConfigError naming the field when metering cannot run here. */
function checkedRedisUrl(config: MultistoreConfig, environment: NodeJS.ProcessEnv): string | undefined {
  const kind = config.metering?.store ?? "memory";
  if (kind === "durable_object") {
    throw new ConfigError([{ path: "metering.store", message: 'metering.store: "durable_object" is the Worker\'s store; a fleet of servers shares "redis"' }]);
  }
  if (kind !== "redis") return undefined;
  const url = config.metering?.redis_url ?? environment.MULTISTORE_REDIS_URL;
  if (url === undefined || !/^rediss?:\/\//.test(url)) {
    throw new ConfigError([{ path: "metering.redis_url", message: "metering.redis_url: a redis:// or rediss:// URL is required with store = \"redis\" (or set MULTISTORE_REDIS_URL)" }]);
  }
  try {
    checkRedisUrl(url, config.metering?.redis_cluster === true);
  } catch (error) {
    throw new ConfigError([{ path: "metering.redis_url", message: `metering.redis_url ${(error as Error).message}` }]);
  }
  return url;
}

/** The limiter of these rules over `store`; a ConfigError when two rules share an id. */
function limiterOf(config: MultistoreConfig, store: CounterStore) {
  try {
    return createLimiter({ rateLimits: config.rate_limits ?? [], quotas: config.quotas ?? [], store, keyPrefix: config.metering?.key_prefix });
  } catch (error) {
    throw new ConfigError([{ path: "rate_limits", message: (error as Error).message }]);
  }
}

/**
 * Checks that the config's metering can run on this server, without connecting to anything: a ConfigError naming the
 * field otherwise (checked once before any worker starts, which would each fail alike).
 */
export function checkServerMetering(config: MultistoreConfig, environment: NodeJS.ProcessEnv = process.env): void {
  if ((config.rate_limits ?? []).length === 0 && (config.quotas ?? []).length === 0) return;
  checkedRedisUrl(config, environment);
  limiterOf(config, createMemoryStore());
}

/** Builds metering from the config; throws a ConfigError naming the field when it cannot run here. */
export function serverMetering(config: MultistoreConfig, logger: Logger, environment: NodeJS.ProcessEnv = process.env): ServerMetering {
  const rateLimits = config.rate_limits ?? [];
  const quotas = config.quotas ?? [];
  if (rateLimits.length === 0 && quotas.length === 0) return { middleware: undefined, ready: async () => {}, close: async () => {} };
  // Checked before a Redis store starts connecting, which a refused config would leave behind.
  checkServerMetering(config, environment);
  const settings = config.metering ?? {};
  const kind = settings.store ?? "memory";
  const timeoutMs = settings.timeout_ms ?? 250;
  const url = checkedRedisUrl(config, environment);
  const store: ServerStore =
    url === undefined
      ? createMemoryStore()
      : deferredRedisStore({ url, cluster: settings.redis_cluster === true, commandTimeoutMs: timeoutMs, onError: (error) => logger.warn({ err: describeError(error) }, "metering: redis connection failed") });
  const limiter = limiterOf(config, store);
  logger.info({ store: kind, ...(kind === "redis" && { cluster: settings.redis_cluster === true }), rateLimits: rateLimits.length, quotas: quotas.length }, kind === "memory" ? "metering: counters in this process (each process counts alone)" : "metering: counters in redis");
  return {
    middleware: createMeteringMiddleware({
      checker: limiter,
      recorder: limiter,
      timeoutMs,
      onStoreError: settings.on_store_error,
      onError: (error, context) => logger.warn({ requestId: context.requestId, err: describeError(error) }, "metering store failed"),
    }),
    async ready(waitMs = 5000) {
      // A store that cannot be made stops the start, as a bad option does (a connection that fails does not).
      await store.made?.();
      if (store.ready === undefined) return;
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<"late">((resolve) => {
        timer = setTimeout(() => resolve("late"), waitMs);
      });
      try {
        if ((await Promise.race([store.ready(), late])) === "late") logger.warn({ waitMs }, "metering: redis not connected yet; serving anyway (on_store_error applies)");
      } catch (error) {
        logger.warn({ err: describeError(error) }, "metering: redis not reachable; serving anyway (on_store_error applies)");
      } finally {
        clearTimeout(timer);
      }
    },
    close: async () => {
      await store.close?.();
    },
  };
}
