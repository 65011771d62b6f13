/**
 * SigV4 signing keys through the installed crypto primitives (WebCrypto unless a runtime installed others), cached:
 * deriving a key costs four HMACs, signing with a cached key one. The cache is keyed by (secret, date, region,
 * service) and bounded, evicting the oldest entry.
 */
import { cryptoPrimitives, type HmacKey } from "../crypto-primitives.js";
import { toHex, utf8 } from "../encoding.js";
import { setBounded } from "../bounded-map.js";
import { settledOrPromise, type MaybePromise } from "../maybe-promise.js";

const MAX_CACHED_KEYS = 2048;

/** A cached derivation: its promise, and the key itself once derived (so a hit needs no `await`). */
interface CachedKey {
  promise: Promise<HmacKey>;
  key?: HmacKey;
}

const cache = new Map<string, CachedKey>();

/** The last cache entry found, with what it was found by. */
let lastFound: { secret: string; date: string; region: string; service: string; generation: number; cacheKey: string; entry: CachedKey } | undefined;

async function hmacKey(raw: Uint8Array | ArrayBuffer): Promise<HmacKey> {
  return cryptoPrimitives().primitives.importHmacKey(raw instanceof Uint8Array ? raw : new Uint8Array(raw));
}

/** HMAC-SHA256 of `data` with a key. */
export async function hmac(key: HmacKey, data: string | Uint8Array): Promise<Uint8Array | ArrayBuffer> {
  return cryptoPrimitives().primitives.hmacSha256(key, typeof data === "string" ? utf8(data) : data);
}

async function deriveSigningKey(secret: string, date: string, region: string, service: string): Promise<HmacKey> {
  let key = await hmacKey(utf8(`AWS4${secret}`));
  for (const part of [date, region, service, "aws4_request"]) key = await hmacKey(await hmac(key, part));
  return key;
}

/**
 * The signing key for a secret and credential scope (date `YYYYMMDD`): the key itself once it has been derived, else
 * a promise of it.
 */
export function signingKeyNow(secret: string, date: string, region: string, service: string): MaybePromise<HmacKey> {
  // The generation changes when other primitives are installed: their keys are of another kind.
  const generation = cryptoPrimitives().generation;
  // The last key found, compared part by part: a client's requests share the secret and scope (the same strings,
  // mostly), where building and hashing the cache key costs more than the rest of a lookup.
  const last = lastFound;
  if (last !== undefined && last.secret === secret && last.date === date && last.region === region && last.service === service && last.generation === generation && cache.get(last.cacheKey) === last.entry) {
    return last.entry.key ?? last.entry.promise;
  }
  const cacheKey = `${generation}\u0000${date}\u0000${region}\u0000${service}\u0000${secret}`;
  const cached = cache.get(cacheKey);
  if (cached !== undefined) {
    lastFound = { secret, date, region, service, generation, cacheKey, entry: cached };
    return cached.key ?? cached.promise;
  }
  const entry: CachedKey = { promise: deriveSigningKey(secret, date, region, service) };
  entry.promise.then(
    (key) => {
      entry.key = key;
    },
    // A failed derivation must not poison the cache.
    () => {
      if (cache.get(cacheKey) === entry) cache.delete(cacheKey);
    },
  );
  setBounded(cache, cacheKey, entry, MAX_CACHED_KEYS);
  return entry.promise;
}

/** Hex HMAC-SHA256 signature of a string to sign: now when the installed primitives answer now. */
export function signHexNow(key: HmacKey, text: string): MaybePromise<string> {
  const { primitives } = cryptoPrimitives();
  if (primitives.hmacSha256Hex) return settledOrPromise(primitives.hmacSha256Hex(key, text));
  return hmac(key, text).then(toHex);
}

/** Hex HMAC-SHA256 signature of a string to sign. */
export async function signHex(key: HmacKey, text: string): Promise<string> {
  return signHexNow(key, text);
}
