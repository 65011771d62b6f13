/**
 * Sealed session tokens: the whole temporary credential, encrypted and authenticated with AES-256-GCM (WebCrypto),
 * so no state is shared between instances. Token = base64url(12-byte random nonce || ciphertext || 16-byte tag).
 */
import type { AccessScope, TemporaryCredential } from "@multistore/core";
import { fromBase64, utf8 } from "@multistore/core/backend";

/** A temporary credential as sealed into a session token. */
export interface SealedCredential extends TemporaryCredential {
  /** Role the credential was minted for. */
  roleId: string;
  /** The token's subject (`sub`). */
  subject: string;
}

/** Seals credentials into session tokens and opens them again. */
export interface SessionTokenSealer {
  /** Encrypts with the first key. */
  seal(credential: SealedCredential): Promise<string>;
  /** Decrypts with any key; undefined for tokens that are malformed, tampered with, or sealed with another key. */
  unseal(token: string): Promise<SealedCredential | undefined>;
}

/** Options of `createSessionTokenSealer`. */
export interface SessionTokenSealerOptions {
  /** Keys as base64 of 32 bytes. The first seals; all unseal (list the old key second while rotating). */
  keys: readonly string[];
}

const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** Binds ciphertexts to this purpose and format version. */
const ADDITIONAL_DATA = utf8("multistore-session-token-v1");
/** Tokens longer than this are refused before any decoding. */
const MAX_TOKEN_CHARS = 64 * 1024;

/** Splits a `SESSION_TOKEN_KEY` value (comma-separated, whitespace ignored) into keys. */
export function parseSessionTokenKeys(value: string | undefined): string[] {
  return (value ?? "").split(",").map((key) => key.trim()).filter((key) => key !== "");
}

/** A fresh key (base64 of 32 random bytes), e.g. for tests. Production keys: `openssl rand -base64 32`. */
export function generateSessionTokenKey(): string {
  return btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
}

function toBase64Url(bytes: Uint8Array): string {
  let binary = "";
  for (let index = 0; index < bytes.length; index += 0x8000) binary += String.fromCharCode(...bytes.subarray(index, index + 0x8000));
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function isScope(value: unknown): value is AccessScope {
  const scope = value as AccessScope;
  return (
    typeof scope === "object" && scope !== null && typeof scope.bucket === "string" &&
    Array.isArray(scope.prefixes) && scope.prefixes.every((prefix) => typeof prefix === "string") &&
    Array.isArray(scope.actions) && scope.actions.every((action) => typeof action === "string")
  );
}

function decodePayload(bytes: ArrayBuffer): SealedCredential | undefined {
  let payload: Record<string, unknown>;
  try {
    payload = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const { v, a, s, p, e, sc, r, sub } = payload;
  if (v !== 1 || typeof a !== "string" || typeof s !== "string" || typeof p !== "string" || typeof e !== "number") return undefined;
  if (typeof r !== "string" || typeof sub !== "string" || !Array.isArray(sc) || !sc.every(isScope)) return undefined;
  return { accessKeyId: a, secretAccessKey: s, principalName: p, expiresAt: new Date(e), scopes: sc, roleId: r, subject: sub };
}

/**
 * Creates a sealer. Throws (without echoing the key) when there is no key or a key is not base64 of 32 bytes.
 */
export function createSessionTokenSealer(options: SessionTokenSealerOptions): SessionTokenSealer {
  if (options.keys.length === 0) throw new Error("SESSION_TOKEN_KEY: at least one key is required");
  const raw = options.keys.map((key, index) => {
    const bytes = /^[A-Za-z0-9+/_-]+={0,2}$/.test(key.trim()) ? fromBase64(key.trim()) : undefined;
    if (bytes?.length !== 32) {
      throw new Error(`SESSION_TOKEN_KEY: key ${index + 1} is not base64 of 32 bytes (make one with: openssl rand -base64 32)`);
    }
    return bytes as Uint8Array<ArrayBuffer>;
  });
  let imported: Promise<CryptoKey[]> | undefined;
  const cryptoKeys = () =>
    (imported ??= Promise.all(raw.map((bytes) => crypto.subtle.importKey("raw", bytes, "AES-GCM", false, ["encrypt", "decrypt"]))));

  return {
    async seal(credential) {
      const [key] = await cryptoKeys();
      const payload = {
        v: 1,
        a: credential.accessKeyId,
        s: credential.secretAccessKey,
        p: credential.principalName,
        e: credential.expiresAt.getTime(),
        sc: credential.scopes,
        r: credential.roleId,
        sub: credential.subject,
      };
      const nonce = crypto.getRandomValues(new Uint8Array(NONCE_BYTES));
      const sealed = await crypto.subtle.encrypt({ name: "AES-GCM", iv: nonce, additionalData: ADDITIONAL_DATA }, key!, utf8(JSON.stringify(payload)));
      const out = new Uint8Array(NONCE_BYTES + sealed.byteLength);
      out.set(nonce);
      out.set(new Uint8Array(sealed), NONCE_BYTES);
      return toBase64Url(out);
    },
    async unseal(token) {
      if (token.length > MAX_TOKEN_CHARS || !/^[A-Za-z0-9_-]+$/.test(token)) return undefined;
      const bytes = fromBase64(token) as Uint8Array<ArrayBuffer> | undefined;
      // Only the canonical encoding: a token has exactly one spelling.
      if (!bytes || bytes.length < NONCE_BYTES + TAG_BYTES || toBase64Url(bytes) !== token) return undefined;
      const nonce = bytes.subarray(0, NONCE_BYTES);
      const sealed = bytes.subarray(NONCE_BYTES);
      for (const key of await cryptoKeys()) {
        try {
          const opened = await crypto.subtle.decrypt({ name: "AES-GCM", iv: nonce, additionalData: ADDITIONAL_DATA }, key, sealed);
          return decodePayload(opened);
        } catch {
          // Not this key (or tampered): try the next one.
        }
      }
      return undefined;
    },
  };
}
