/**
 * The Redis store's cluster mode: an ioredis `Cluster` made from one seed node, set to fail fast as the single-node
 * client does, and what "ready" means for it. A cluster's commands are never queued: not while the cluster is
 * connecting (no offline queue), and not behind a failover, a CLUSTERDOWN or a TRYAGAIN answer (ioredis retries those
 * after a delay by default, holding each command meanwhile and sending it again after its caller gave up). A
 * command for a slot whose node is gone fails at once; the cluster keeps reconnecting in the background.
 */
import { Cluster, type Redis } from "ioredis";
import { within } from "./within.js";

/** How long a client waits before trying Redis again: longer each time, at most 2 s. */
export const reconnectDelay = (attempt: number): number => Math.min(attempt * 100, 2000);

/** What Redis Cluster hashes a key by: the text between its first `{` and the next `}` when not empty, else all of it. */
export function hashTagOf(key: string): string {
  const open = key.indexOf("{");
  if (open === -1) return key;
  const close = key.indexOf("}", open + 1);
  return close === -1 || close === open + 1 ? key : key.slice(open + 1, close);
}

/** Per-command and connection bounds of the cluster's node connections. */
export interface ClusterBounds {
  commandTimeout: number;
  connectTimeout: number;
}

/** A Cluster client for the node `url` names (a seed; the others are discovered). */
export function clusterClient(url: string, bounds: ClusterBounds): Cluster {
  const parsed = new URL(url);
  const database = parsed.pathname.replace(/^\//, "");
  if (database !== "" && database !== "0") throw new Error("a Redis Cluster has database 0 only (no /N in the URL)");
  const tls = parsed.protocol === "rediss:";
  return new Cluster([{ host: parsed.hostname.replace(/^\[(.*)\]$/, "$1"), port: parsed.port === "" ? 6379 : Number(parsed.port) }], {
    enableOfflineQueue: false,
    // Its ready check goes to any node, connected or not yet: refused at once without an offline queue, and the
    // cluster would start over (a second or more to connect). `clusterReady` checks the cluster instead.
    enableReadyCheck: false,
    retryDelayOnFailover: 0,
    retryDelayOnClusterDown: 0,
    retryDelayOnTryAgain: 0,
    // MOVED and ASK (slots being moved) are followed at once, a few times.
    maxRedirections: 3,
    slotsRefreshTimeout: bounds.connectTimeout,
    // Failovers are learnt from MOVED answers, and from a periodic look at the slots.
    slotsRefreshInterval: 10_000,
    // Keep trying in the background, as the single-node client does.
    clusterRetryStrategy: reconnectDelay,
    // With TLS, connect to the seed by its name (not an address resolved first), so its certificate matches it.
    ...(tls && { dnsLookup: (address: string, callback: (error: null, address: string) => void) => callback(null, address) }),
    redisOptions: {
      maxRetriesPerRequest: 0,
      commandTimeout: bounds.commandTimeout,
      connectTimeout: bounds.connectTimeout,
      ...(parsed.username !== "" && { username: decodeURIComponent(parsed.username) }),
      ...(parsed.password !== "" && { password: decodeURIComponent(parsed.password) }),
      ...(tls && { tls: {} }),
    },
  });
}

/** Resolves once `client` is ready; rejects on its next error before that. */
export function readyOf(client: Redis | Cluster): Promise<void> {
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

/**
 * Resolves once the cluster knows its slots, reaches every master it knows of and reports `cluster_state:ok`; rejects
 * otherwise, within `withinMs` (a seed that does not resolve leaves a cluster retrying without an error event).
 */
export function clusterReady(cluster: Cluster, withinMs: number): Promise<void> {
  const connected = readyOf(cluster);
  const checked = connected.then(async () => {
    const masters = cluster.nodes("master");
    if (masters.length === 0) throw new Error("the Redis Cluster has no master node");
    // A PING reaches each master (connecting one that waits to be used).
    await Promise.all(masters.map((node) => node.ping()));
    const info = String(await cluster.cluster("INFO"));
    if (!info.includes("cluster_state:ok")) throw new Error("the Redis Cluster does not report cluster_state:ok");
  });
  return within(checked, withinMs, () => new Error(`the Redis Cluster was not ready within ${withinMs} ms`));
}
