/** Minting temporary credentials: session length, random keys, and the role's scopes with claim templates filled. */
import type { AccessScope, Action } from "@multistore/core";

/** Shortest session, in seconds (AWS's minimum too). */
export const MIN_SESSION_SECS = 900;
/** Session length when the request names none, in seconds. */
export const DEFAULT_SESSION_SECS = 3600;
/** Prefix of every access key id minted here, so logs and clients can tell them apart. */
export const ACCESS_KEY_PREFIX = "STSPRXY";

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/** `requested` (default 3600) clamped to [900, `max`]. */
export function sessionDuration(requested: number | undefined, max: number): number {
  return Math.max(MIN_SESSION_SECS, Math.min(requested ?? DEFAULT_SESSION_SECS, max));
}

/** `length` uniformly random characters from `alphabet` (rejection sampling, no modulo bias). */
function randomString(alphabet: string, length: number): string {
  const limit = 256 - (256 % alphabet.length);
  let out = "";
  while (out.length < length) {
    for (const byte of crypto.getRandomValues(new Uint8Array(length * 2))) {
      if (byte < limit && out.length < length) out += alphabet[byte % alphabet.length];
    }
  }
  return out;
}

/** A new access key id: `STSPRXY` + 13 random uppercase letters and digits (20 characters, like AWS's). */
export function newAccessKeyId(): string {
  return ACCESS_KEY_PREFIX + randomString(ALNUM, 13);
}

/** A new secret access key: 40 characters of base64 over 30 random bytes. */
export function newSecretAccessKey(): string {
  return btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(30))));
}

const TEMPLATE = /\{([A-Za-z0-9_.:-]+)\}/g;

/**
 * Fills `{claim}` templates in `text` with string claims. Returns undefined when any template has no usable value:
 * the claim is missing, not a string, empty, or contains `*` (which could otherwise turn a bucket into the `*`
 * wildcard). Text without templates is returned as is.
 */
export function fillTemplate(text: string, claims: Record<string, unknown>): string | undefined {
  let usable = true;
  const filled = text.replace(TEMPLATE, (_, name: string) => {
    const value = claims[name];
    if (typeof value !== "string" || value === "" || value.includes("*")) {
      usable = false;
      return "";
    }
    return value;
  });
  return usable ? filled : undefined;
}

/**
 * The role's scopes for one token, templates filled. A template without a usable value can never authorize
 * anything: a prefix containing one is removed (so `users/{sub}/` with no `sub` never becomes `users//`, which would
 * match the real keys `users//...`), and a scope is dropped entirely when its bucket has one or when all of its
 * prefixes were removed (an empty prefix list would otherwise mean the whole bucket).
 */
export function expandScopes(
  scopes: readonly { bucket: string; prefixes?: readonly string[]; actions: readonly string[] }[],
  claims: Record<string, unknown>,
): AccessScope[] {
  const out: AccessScope[] = [];
  for (const scope of scopes) {
    const bucket = fillTemplate(scope.bucket, claims);
    if (bucket === undefined) continue;
    const written = scope.prefixes ?? [];
    const prefixes = written.map((prefix) => fillTemplate(prefix, claims)).filter((prefix) => prefix !== undefined);
    if (written.length > 0 && prefixes.length === 0) continue;
    out.push({ bucket, prefixes, actions: [...scope.actions] as Action[] });
  }
  return out;
}
