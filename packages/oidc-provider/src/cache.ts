/**
 * A cache of short-lived credentials that never makes a request wait on another request:
 * - fresh entries are served as they are;
 * - within `refreshWindowMs` of expiry, the first caller starts ONE background renewal and every caller (that one
 *   included) keeps getting the still-valid credential at once;
 * - a missing or expired entry is fetched by the caller itself: concurrent cold callers fetch concurrently, and no
 *   promise is ever shared between callers (on Workers a request must not await another request's I/O);
 * - a failed renewal keeps the old credential until it really expires, and is retried after `retryAfterMs`.
 */

/** A credential and when it expires. */
export interface Expiring<T> {
  /** The credential. */
  value: T;
  /** Expiry, ms since the epoch. */
  expiresAt: number;
}

/** Options of `createCredentialCache`. */
export interface CredentialCacheOptions {
  /** Clock in ms (default `Date.now`). */
  now?: () => number;
  /** Renew this long before expiry (default 60 s). */
  refreshWindowMs?: number;
  /** A renewal still running after this long no longer blocks another one (default 30 s; a Worker may drop it). */
  renewalTimeoutMs?: number;
  /** Wait this long after a failed renewal before trying again (default 5 s). */
  retryAfterMs?: number;
  /** Told about failed background renewals (the callers never see them while the old credential is valid). */
  onRenewalError?: (error: unknown, key: string) => void;
}

/** The cache. */
export interface CredentialCache<T> {
  /**
   * The credential for `key`: from the cache, or from `fetch` (a cold or expired key). Throws what `fetch` throws
   * when there is no valid credential to fall back on.
   */
  get(key: string, fetch: () => Promise<Expiring<T>>): Promise<T>;
  /** Forgets every entry. */
  clear(): void;
}

interface Entry<T> extends Expiring<T> {
  /** When the running renewal started. */
  renewingSince?: number;
  /** No renewal before this time (after a failure). */
  retryAt?: number;
}

/** Creates a credential cache. */
export function createCredentialCache<T>(options: CredentialCacheOptions = {}): CredentialCache<T> {
  const now = options.now ?? Date.now;
  const window = options.refreshWindowMs ?? 60_000;
  const renewalTimeout = options.renewalTimeoutMs ?? 30_000;
  const retryAfter = options.retryAfterMs ?? 5_000;
  const entries = new Map<string, Entry<T>>();

  /** Stores `fresh` unless the entry holds a newer credential (a slower, older fetch must not replace it). */
  function store(key: string, fresh: Expiring<T>): boolean {
    const existing = entries.get(key);
    if (existing && fresh.expiresAt < existing.expiresAt) return false;
    entries.set(key, { value: fresh.value, expiresAt: fresh.expiresAt });
    return true;
  }

  function renew(key: string, entry: Entry<T>, time: number, fetch: () => Promise<Expiring<T>>): void {
    entry.renewingSince = time;
    let renewal: Promise<Expiring<T>>;
    try {
      renewal = fetch();
    } catch (error) {
      renewal = Promise.reject(error);
    }
    const settle = () => {
      if (entries.get(key) !== entry) return;
      delete entry.renewingSince;
      entry.retryAt = now() + retryAfter;
    };
    renewal.then(
      (fresh) => {
        if (!store(key, fresh)) settle();
      },
      (error: unknown) => {
        settle();
        options.onRenewalError?.(error, key);
      },
    );
  }

  return {
    async get(key, fetch) {
      const time = now();
      const entry = entries.get(key);
      if (entry && time < entry.expiresAt) {
        const due = time >= entry.expiresAt - window;
        const renewing = entry.renewingSince !== undefined && time - entry.renewingSince < renewalTimeout;
        const backingOff = entry.retryAt !== undefined && time < entry.retryAt;
        if (due && !renewing && !backingOff) renew(key, entry, time, fetch);
        return entry.value;
      }
      const fresh = await fetch();
      store(key, fresh);
      return fresh.value;
    },
    clear() {
      entries.clear();
    },
  };
}
