/**
 * The hash primitives SigV4 verification runs on every signed request: WebCrypto by default, which runs everywhere.
 * A runtime with faster primitives installs them once with `useCryptoPrimitives` (the Node server installs
 * node:crypto: WebCrypto on Node runs each digest and HMAC as a thread-pool job, which costs more than the hash).
 */

/** An HMAC-SHA256 key as the installed primitives import it (a `CryptoKey` for WebCrypto). */
export type HmacKey = object;

/** Digest output: bytes, maybe asynchronously. */
type Bytes = Uint8Array | ArrayBuffer;

/** SHA-256 and HMAC-SHA256, synchronous or not. */
export interface CryptoPrimitives {
  /** SHA-256 of `data`. */
  sha256(data: Uint8Array): Bytes | Promise<Bytes>;
  /** Imports raw bytes as an HMAC-SHA256 key (imported keys are cached by the caller). */
  importHmacKey(raw: Uint8Array): HmacKey | Promise<HmacKey>;
  /** HMAC-SHA256 of `data` with a key from `importHmacKey`. */
  hmacSha256(key: HmacKey, data: Uint8Array): Bytes | Promise<Bytes>;
  /**
   * Optional: lowercase hex SHA-256 of a string's UTF-8 bytes. Signing hashes a canonical request per request;
   * a runtime that hashes strings natively skips the encoding and the hex conversion.
   */
  sha256Hex?(text: string): string | Promise<string>;
  /** Optional: lowercase hex HMAC-SHA256 of a string's UTF-8 bytes (the signature of a string to sign). */
  hmacSha256Hex?(key: HmacKey, text: string): string | Promise<string>;
}

/** The portable primitives (WebCrypto). */
export const webCryptoPrimitives: CryptoPrimitives = {
  sha256: (data) => crypto.subtle.digest("SHA-256", data as Uint8Array<ArrayBuffer>),
  importHmacKey: (raw) => crypto.subtle.importKey("raw", raw as Uint8Array<ArrayBuffer>, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]),
  hmacSha256: (key, data) => crypto.subtle.sign("HMAC", key as CryptoKey, data as Uint8Array<ArrayBuffer>),
};

let installed = webCryptoPrimitives;
let generation = 0;

/**
 * Installs the primitives every gateway in this process uses (omit to go back to WebCrypto). They must compute
 * the same functions; keys imported by the previous ones are dropped.
 */
export function useCryptoPrimitives(primitives: CryptoPrimitives = webCryptoPrimitives): void {
  // Installing the same primitives again (every server a process creates does) keeps the cached keys.
  if (primitives === installed) return;
  installed = primitives;
  generation++;
}

/** The installed primitives and their generation (which changes with every install, for key caches). */
export function cryptoPrimitives(): { primitives: CryptoPrimitives; generation: number } {
  return { primitives: installed, generation };
}
