/**
 * Counters in Redis, shared by a fleet of servers: every instance pointed at the same Redis (and key prefix)
 * enforces one limit together. A request's updates are one script call (atomic: INCRBY, and EXPIRE on the counter's
 * creation), so concurrent instances never lose counts and a counter never outlives its window. Node only (ioredis).
 *
 * A Redis that is down or slow must never hang a request: commands are not queued while disconnected (they fail at
 * once), each has a timeout, and the client keeps reconnecting in the background.
 *
 * With `cluster`, the URL names one node of a Redis Cluster and the client discovers the others. A script call may
 * only name keys of one hash slot there: a request's counters go in one call when their keys share a hash tag (a
 * `keyPrefix` such as `{multistore}`: every counter on one node), else one call per counter, in parallel, each on the
 * node that holds it (counters spread over the cluster; each stays atomic).
 */
import { Cluster, Redis, type RedisOptions } from "ioredis";
import type { CounterStore, CounterUpdate } from "./types.js";

/** Options of `createRedisStore`. */
export interface RedisStoreOptions {
  /** `redis://[:password@]host:port[/db]` or `rediss://...` (TLS). */
  url?: string | undefined;
  /** `url` is one node of a Redis Cluster (the others are discovered). Default false. */
  cluster?: boolean | undefined;
  /** A client of your own instead, `Redis` or `Cluster` (its options are left alone; `close` does not quit it). */
  client?: Redis | Cluster | undefined;
  /** Per-command timeout in ms (default 250): a slow Redis fails the command, not the request. */
  commandTimeoutMs?: number | undefined;
  /** Told about connection errors, at most one per 10 s (default: `console.warn`). */
  onError?: ((error: Error) => void) | undefined;
}

/** A Redis counter store. */
export interface RedisStore extends CounterStore {
  /** The client (for health checks): a `Cluster` in cluster mode. */
  readonly client: Redis | Cluster;
  /** Resolves once connected (rejects if the first connection attempt fails). */
  ready(): Promise<void>;
  /** Closes the connection (when the store made it). */
  close(): Promise<void>;
}

/**
 * KEYS: the counters; ARGV: amount and ttl per counter. An amount of 0 reads without creating. A counter without an
 * expiry gets one, whenever it lost it. One call names several keys: on a Redis Cluster, only keys of one slot.
 */
const ADD_SCRIPT = `
local totals = {}
for index = 1, #KEYS do
  local amount = tonumber(ARGV[index * 2 - 1])
  if amount == 0 then
    totals[index] = tonumber(redis.call('GET', KEYS[index]) or '0')
  else
    local total = redis.call('INCRBY', KEYS[index], amount)
    if redis.call('TTL', KEYS[index]) < 0 then redis.call('EXPIRE', KEYS[index], tonumber(ARGV[index * 2])) end
    totals[index] = total
  end
end
return totals
`;

type MeteredRedis = (Redis | Cluster) & { multistoreAdd(keyCount: number, ...keysAndArguments: (string | number)[]): Promise<number[]> };

/** What Redis Cluster hashes a key by: the text between its first `{` and the next `}` when not empty, else all of it. */
export function hashTagOf(key: string): string {
  const open = key.indexOf("{");
  if (open === -1) return key;
  const close = key.indexOf("}", open + 1);
  return close === -1 || close === open + 1 ? key : key.slice(open + 1, close);
}

/** A Cluster client for the node `url` names (a seed; the others are discovered), with `settings` for each node. */
function clusterClient(url: string, settings: RedisOptions): Cluster {
  const parsed = new URL(url);
  const database = parsed.pathname.replace(/^\//, "");
  if (database !== "" && database !== "0") throw new Error("a Redis Cluster has database 0 only (no /N in the URL)");
  // (The cluster reconnects its nodes itself.)
  const { retryStrategy: _perNode, ...nodeSettings } = settings;
  return new Cluster([{ host: parsed.hostname.replace(/^\[(.*)\]$/, "$1"), port: parsed.port === "" ? 6379 : Number(parsed.port) }], {
    enableOfflineQueue: false,
    // Its ready check goes to any node, connected or not yet: refused at once without an offline queue, and the
    // cluster would start over (a second or more to connect). Ready once the slots are known; `ready()` waits for
    // the nodes.
    enableReadyCheck: false,
    lazyConnect: false,
    // Keep trying in the background, at most every 2 s, as a single node's client does.
    clusterRetryStrategy: (attempt) => Math.min(attempt * 100, 2000),
    redisOptions: {
      ...nodeSettings,
      ...(parsed.username !== "" && { username: decodeURIComponent(parsed.username) }),
      ...(parsed.password !== "" && { password: decodeURIComponent(parsed.password) }),
      ...(parsed.protocol === "rediss:" && { tls: {} }),
    },
  });
}

/** Connection errors repeat while Redis is away: `report` hears of one per 10 s at most. */
function throttled(report: (error: Error) => void): (error: Error) => void {
  let last = 0;
  return (error) => {
    const now = Date.now();
    if (now - last < 10_000) return;
    last = now;
    report(error);
  };
}

/** Resolves once `client` is ready; rejects on its next error before that. */
function readyOf(client: Redis | Cluster): Promise<void> {
  if (client.status === "ready") return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onReady = () => {
      client.off("error", onFailure);
      resolve();
    };
    const onFailure = (error: Error) => {
      client.off("ready", onReady);
      reject(error);
    };
    client.once("ready", onReady);
    client.once("error", onFailure);
  });
}

/** Creates a Redis counter store. */
export function createRedisStore(options: RedisStoreOptions): RedisStore {
  const commandTimeout = options.commandTimeoutMs ?? 250;
  if (!Number.isSafeInteger(commandTimeout) || commandTimeout < 1) throw new Error("commandTimeoutMs must be a positive integer");
  let client: Redis | Cluster;
  const owned = options.client === undefined;
  if (options.client !== undefined) {
    client = options.client;
  } else {
    if (options.url === undefined || !/^rediss?:\/\//.test(options.url)) throw new Error("redis_url must be a redis:// or rediss:// URL");
    const settings: RedisOptions = {
      // Fail commands at once while disconnected instead of queueing them behind a reconnect.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout,
      connectTimeout: Math.max(1000, commandTimeout * 4),
      // Keep trying in the background, at most every 2 s.
      retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
      lazyConnect: false,
    };
    client = options.cluster ? clusterClient(options.url, settings) : new Redis(options.url, settings);
  }
  client.on("error", throttled(options.onError ?? ((error) => console.warn(`multistore metering: redis: ${error.message}`))));
  client.defineCommand("multistoreAdd", { lua: ADD_SCRIPT });
  const metered = client as MeteredRedis;

  return {
    client,
    async add(updates: readonly CounterUpdate[]): Promise<number[]> {
      if (updates.length === 0) return [];
      const keys = updates.map((update) => update.key);
      if (client.isCluster && keys.length > 1) {
        const tag = hashTagOf(keys[0]!);
        if (!keys.every((key) => hashTagOf(key) === tag)) {
          const each = await Promise.all(updates.map((update) => metered.multistoreAdd(1, update.key, update.amount, update.ttlSecs)));
          return each.map(([total]) => Number(total));
        }
      }
      const argumentsOf = updates.flatMap((update) => [update.amount, update.ttlSecs]);
      const totals = await metered.multistoreAdd(keys.length, ...keys, ...argumentsOf);
      return totals.map(Number);
    },
    async ready() {
      await readyOf(client);
      // A cluster is ready once it knows its slots; its nodes connect from then on.
      if (client instanceof Cluster) await Promise.all(client.nodes("master").map(readyOf));
    },
    async close() {
      if (!owned) return;
      try {
        await client.quit();
      } catch {
        client.disconnect();
      }
    },
  };
}
