/**
 * SigV4 signing keys through WebCrypto, cached: deriving a key costs four HMACs, signing with a cached key one.
 * The cache is keyed by (secret, date, region, service) and bounded, evicting the oldest entry.
 */
import { toHex, utf8 } from "../encoding.js";

const MAX_CACHED_KEYS = 2048;
const cache = new Map<string, Promise<CryptoKey>>();

async function hmacKey(raw: Uint8Array | ArrayBuffer): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", raw as ArrayBuffer, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
}

/** HMAC-SHA256 of `data` with a key. */
export async function hmac(key: CryptoKey, data: string | Uint8Array): Promise<ArrayBuffer> {
  return crypto.subtle.sign("HMAC", key, (typeof data === "string" ? utf8(data) : data) as Uint8Array<ArrayBuffer>);
}

async function deriveSigningKey(secret: string, date: string, region: string, service: string): Promise<CryptoKey> {
  let key = await hmacKey(utf8(`AWS4${secret}`));
  for (const part of [date, region, service, "aws4_request"]) key = await hmacKey(await hmac(key, part));
  return key;
}

/** The signing key for a secret and credential scope (date `YYYYMMDD`). */
export function signingKey(secret: string, date: string, region: string, service: string): Promise<CryptoKey> {
  const cacheKey = `${date}\u0000${region}\u0000${service}\u0000${secret}`;
  let key = cache.get(cacheKey);
  if (!key) {
    key = deriveSigningKey(secret, date, region, service);
    // A failed derivation must not poison the cache.
    key.catch(() => cache.delete(cacheKey));
    if (cache.size >= MAX_CACHED_KEYS) cache.delete(cache.keys().next().value!);
    cache.set(cacheKey, key);
  }
  return key;
}

/** Hex HMAC-SHA256 signature of a string to sign. */
export async function signHex(key: CryptoKey, text: string): Promise<string> {
  return toHex(await hmac(key, text));
}
