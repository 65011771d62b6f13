/**
 * A cache in front of registries that live elsewhere (an HTTP service, a database). Entries live for a TTL; an
 * unknown name is remembered for a shorter one, so a caller inventing access key ids cannot make every request reach
 * the source; concurrent misses of one name share one lookup; a source that fails is answered from an expired entry
 * for a while (stale-if-error), at once while it keeps failing, with the source asked again in the background. Only
 * data is cached: whether a caller may use a bucket is decided on every request from the bucket's current entry.
 */
import type { BucketConfig, BucketRegistry, CredentialRegistry, StoredCredential } from "@multistore/core";
import type { RoleDefinition } from "./types.js";

/** A lookup of roles by `role_id` (what the STS route accepts). */
export type RoleLookup = (roleId: string) => RoleDefinition | undefined | Promise<RoleDefinition | undefined>;

/** Registries a deployment keeps outside its config file. Each part is optional. */
export interface Registries {
  buckets?: BucketRegistry;
  credentials?: CredentialRegistry;
  roles?: RoleLookup;
}

/** Options of `createCachedRegistries`. */
export interface CacheOptions {
  /** How long an entry (and the bucket list) is served before it is looked up again (ms). */
  ttlMs: number;
  /** How long an unknown name is remembered (ms; default: a tenth of `ttlMs`). */
  negativeTtlMs?: number;
  /** How long after expiry an entry may still answer when the source fails (ms; default 5 minutes, 0 for never). */
  staleIfErrorMs?: number;
  /** The most names kept per registry; the oldest go first (default 10,000). */
  maxEntries?: number;
  /**
   * Whether concurrent misses of a name wait for one lookup (default true). Workers set false: in workerd a request
   * must not wait on I/O another request started.
   */
  shareInFlight?: boolean;
  /** Told when an expired entry answered because the source failed. */
  onStale?: (error: unknown, what: string) => void;
  /** Clock (ms), for tests. */
  now?: () => number;
}

interface Entry<T> {
  value: T;
  expires: number;
  /** Set once the source failed and this (expired) entry answered instead: see the lookup's getter. */
  failing?: true;
}

/** One cached lookup: entries by name, one lookup in flight per name. */
function cachedLookup<T>(what: string, lookup: (name: string) => T | Promise<T>, options: Required<Omit<CacheOptions, "onStale">> & Pick<CacheOptions, "onStale">) {
  const entries = new Map<string, Entry<T>>();
  const inFlight = new Map<string, Promise<T>>();

  async function refresh(name: string, stale: Entry<T> | undefined): Promise<T> {
    // Never let a lookup that throws at once settle before this promise is in `inFlight` (it would stay there).
    await undefined;
    try {
      const value = await lookup(name);
      const ttl = value === undefined ? options.negativeTtlMs : options.ttlMs;
      entries.delete(name);
      if (entries.size >= options.maxEntries) entries.delete(entries.keys().next().value!);
      entries.set(name, { value, expires: options.now() + ttl });
      return value;
    } catch (error) {
      // An expired "no such name" is not served: the name may exist by now, and clients take NoSuchBucket or
      // InvalidAccessKeyId as final where a 503 is retried.
      if (stale !== undefined && stale.value !== undefined && options.now() - stale.expires <= options.staleIfErrorMs) {
        options.onStale?.(error, `${what} ${JSON.stringify(name)}`);
        // Its expiry stays: the stale-if-error window counts from it.
        if (entries.get(name) === stale) entries.set(name, { value: stale.value, expires: stale.expires, failing: true });
        return stale.value;
      }
      throw error;
    } finally {
      inFlight.delete(name);
    }
  }

  return (name: string): T | Promise<T> => {
    const entry = entries.get(name);
    const now = options.now();
    if (entry !== undefined && entry.expires > now) return entry.value;
    if (!options.shareInFlight) return refresh(name, entry);
    let pending = inFlight.get(name);
    // While the source fails (a hanging service costs each lookup its whole timeout), an entry inside its
    // stale-if-error window answers at once; one lookup at a time goes on asking the source in the background.
    if (entry?.failing && now - entry.expires <= options.staleIfErrorMs) {
      if (pending === undefined) {
        pending = refresh(name, entry);
        inFlight.set(name, pending);
        pending.catch(() => undefined);
      }
      return entry.value;
    }
    if (pending === undefined) {
      pending = refresh(name, entry);
      inFlight.set(name, pending);
    }
    return pending;
  };
}

/**
 * Wraps registries with a cache (see the module's comment). A registry left out of `registries` is left out of the
 * result.
 *
 * @throws TypeError when `ttlMs` (or another duration) is not a non-negative finite number
 */
export function createCachedRegistries<R extends Registries>(registries: R, options: CacheOptions): R {
  for (const name of ["ttlMs", "negativeTtlMs", "staleIfErrorMs", "maxEntries"] as const) {
    const value = options[name];
    if (value !== undefined && !(Number.isFinite(value) && value >= 0)) throw new TypeError(`createCachedRegistries: ${name} must be a non-negative number (got ${String(value)})`);
  }
  const settings = {
    ttlMs: options.ttlMs,
    negativeTtlMs: options.negativeTtlMs ?? options.ttlMs / 10,
    staleIfErrorMs: options.staleIfErrorMs ?? 5 * 60_000,
    maxEntries: Math.max(1, options.maxEntries ?? 10_000),
    shareInFlight: options.shareInFlight ?? true,
    now: options.now ?? Date.now,
    ...(options.onStale && { onStale: options.onStale }),
  };
  const result: Registries = {};
  const { buckets, credentials, roles } = registries;
  if (buckets) {
    const getBucket = cachedLookup<BucketConfig | undefined>("bucket", (name) => buckets.getBucket(name), settings);
    const list = cachedLookup<BucketConfig[]>("bucket list", () => buckets.listBuckets(), settings);
    result.buckets = {
      getBucket,
      listBuckets: async () => [...(await list(""))],
    };
  }
  if (credentials) {
    result.credentials = { getCredential: cachedLookup<StoredCredential | undefined>("credential", (id) => credentials.getCredential(id), settings) };
  }
  if (roles) result.roles = cachedLookup<RoleDefinition | undefined>("role", roles, settings);
  return result as R;
}

/**
 * Registries that ask each source in turn: the first that knows a name answers (a config file's own buckets, then a
 * catalogue service, say). A bucket listing has each name once, the first source's entry winning.
 */
export function layeredRegistries(...sources: Registries[]): Required<Registries> {
  const buckets = sources.map((source) => source.buckets).filter((registry): registry is BucketRegistry => registry !== undefined);
  const credentials = sources.map((source) => source.credentials).filter((registry): registry is CredentialRegistry => registry !== undefined);
  const roles = sources.map((source) => source.roles).filter((lookup): lookup is RoleLookup => lookup !== undefined);
  async function first<S, T>(registries: S[], lookup: (registry: S) => T | undefined | Promise<T | undefined>): Promise<T | undefined> {
    for (const registry of registries) {
      const found = await lookup(registry);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  return {
    buckets: {
      getBucket: (name) => first(buckets, (registry) => registry.getBucket(name)),
      listBuckets: async () => {
        const byName = new Map<string, BucketConfig>();
        for (const registry of buckets) for (const bucket of await registry.listBuckets()) if (!byName.has(bucket.name)) byName.set(bucket.name, bucket);
        return [...byName.values()];
      },
    },
    credentials: { getCredential: (id) => first(credentials, (registry) => registry.getCredential(id)) },
    roles: (id) => first(roles, (lookup) => lookup(id)),
  };
}
