/**
 * Counters in Redis, shared by a fleet of servers: every instance pointed at the same Redis (and key prefix)
 * enforces one limit together. A request's updates are one script call (atomic: INCRBY, and EXPIRE on the counter's
 * creation; on a cluster, one per counter unless they share a hash tag), so concurrent instances never lose counts and
 * a counter never outlives its window. Node only (ioredis).
 *
 * A Redis that is down or slow must never hang a request: commands are not queued while disconnected (they fail at
 * once), each has a timeout, and the client keeps reconnecting in the background.
 *
 * With `cluster`, the URL names one node of a Redis Cluster and the client discovers the others (redis-cluster.ts). A
 * script call may only name keys of one hash slot there: a request's counters go in one call when their keys share a
 * hash tag (a `keyPrefix` such as `{multistore}`: every counter on one node, which then carries all of the metering),
 * else one call per counter, in parallel, each on the node that holds it (counters spread over the cluster; each
 * stays atomic, and when a node is down the others' counters are still updated).
 */
import { checkRedisUrl } from "./redis-url.js";
import { Cluster, Redis, type RedisOptions } from "ioredis";
import { clusterClient, clusterReady, hashTagOf, readyOf, reconnectDelay } from "./redis-cluster.js";
import type { CounterStore, CounterUpdate } from "./types.js";

export { hashTagOf };

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
  /**
   * Resolves once connected (rejects if the first connection attempt fails). A cluster: once it reaches every master
   * and reports `cluster_state:ok`, rejecting otherwise within the connect timeout.
   */
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
  elseif amount < 0 then
    local current = tonumber(redis.call('GET', KEYS[index]) or '0')
    local take = math.min(-amount, current)
    if take > 0 then current = redis.call('DECRBY', KEYS[index], take) end
    totals[index] = current
  else
    local total = redis.call('INCRBY', KEYS[index], amount)
    if redis.call('TTL', KEYS[index]) < 0 then redis.call('EXPIRE', KEYS[index], tonumber(ARGV[index * 2])) end
    totals[index] = total
  end
end
return totals
`;

type MeteredRedis = (Redis | Cluster) & { multistoreAdd(keyCount: number, ...keysAndArguments: (string | number)[]): Promise<number[]> };

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

/** `checkRedisUrl`, its message naming the option. */
function checkRedisUrlNamed(url: string, cluster: boolean): void {
  try {
    checkRedisUrl(url, cluster);
  } catch (error) {
    throw new Error(`redis_url ${(error as Error).message}`);
  }
}

/** Creates a Redis counter store. */
export function createRedisStore(options: RedisStoreOptions): RedisStore {
  const commandTimeout = options.commandTimeoutMs ?? 250;
  if (!Number.isSafeInteger(commandTimeout) || commandTimeout < 1) throw new Error("commandTimeoutMs must be a positive integer");
  let client: Redis | Cluster;
  const connectTimeout = Math.max(1000, commandTimeout * 4);
  const owned = options.client === undefined;
  if (options.client !== undefined) {
    client = options.client;
  } else {
    if (options.url === undefined) throw new Error("redis_url must be a redis:// or rediss:// URL");
    checkRedisUrlNamed(options.url, options.cluster === true);
    if (options.cluster) {
      client = clusterClient(options.url, { commandTimeout, connectTimeout });
    } else {
      const settings: RedisOptions = {
        // Fail commands at once while disconnected instead of queueing them behind a reconnect.
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        commandTimeout,
        connectTimeout,
        // Keep trying in the background.
        retryStrategy: reconnectDelay,
        lazyConnect: false,
      };
      client = new Redis(options.url, settings);
    }
  }
  const report = throttled(options.onError ?? ((error) => console.warn(`multistore metering: redis: ${error.message}`)));
  client.on("error", report);
  // A cluster tells of its nodes' connection errors apart (an address is host:port, never a password).
  if (client.isCluster) client.on("node error", (error: Error, address: string) => report(new Error(`${error.message} (node ${address})`, { cause: error })));
  client.defineCommand("multistoreAdd", { lua: ADD_SCRIPT });
  const metered = client as MeteredRedis;

  /** One round trip for the updates (one per key on a cluster whose keys lie on different slots). */
  async function addAll(updates: readonly CounterUpdate[]): Promise<number[]> {
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
  }

  return {
    client,
    async add(updates: readonly CounterUpdate[]): Promise<number[]> {
      if (updates.length === 0) return [];
      try {
        return await addAll(updates);
      } catch (error) {
        // A command that timed out was sent: Redis may still run it (see CounterStore.add).
        if (error instanceof Error && /timed out/i.test(error.message)) throw Object.assign(new Error(error.message, { cause: error }), { mayHaveApplied: true });
        throw error;
      }
    },
    ready() {
      return client instanceof Cluster ? clusterReady(client, connectTimeout + 1000) : readyOf(client);
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
