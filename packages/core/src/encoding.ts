/** Encoding helpers shared by signing, parsing and rendering. */

const encoder = new TextEncoder();

/** UTF-8 bytes of a string. */
export function utf8(text: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(text) as Uint8Array<ArrayBuffer>;
}

const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, "0"));

/** Lowercase hex of bytes. */
/** The parts' bytes in one array (the part itself when there is one). */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export function toHex(bytes: ArrayBuffer | Uint8Array): string {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let out = "";
  for (const byte of view) out += HEX[byte];
  return out;
}

/** Bytes of a hex string; undefined when it is not valid hex. */
export function fromHex(hex: string): Uint8Array | undefined {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) return undefined;
  const out = new Uint8Array(hex.length / 2);
  for (let index = 0; index < out.length; index++) out[index] = parseInt(hex.slice(index * 2, index * 2 + 2), 16);
  return out;
}

/** Base64 of bytes. */
export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let index = 0; index < bytes.length; index += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(index, index + 0x8000));
  }
  return btoa(binary);
}

/** Bytes of base64 (standard or url alphabet); undefined when malformed. */
export function fromBase64(text: string): Uint8Array | undefined {
  try {
    const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
    const out = new Uint8Array(binary.length);
    for (let index = 0; index < binary.length; index++) out[index] = binary.charCodeAt(index);
    return out;
  } catch {
    return undefined;
  }
}

const UNRESERVED = /^[A-Za-z0-9\-_.~]*$/;
const UNRESERVED_OR_SLASH = /^[A-Za-z0-9\-_.~/]*$/;

/**
 * AWS URI encoding (RFC 3986 unreserved characters kept, everything else `%XX` in uppercase hex over UTF-8).
 * `keepSlash` keeps `/` as is, for object key paths.
 */
export function uriEncode(text: string, keepSlash = false): string {
  // Most keys and query values need no escaping at all; this runs for every signed request on the hot path.
  if ((keepSlash ? UNRESERVED_OR_SLASH : UNRESERVED).test(text)) return text;
  let out = "";
  for (const byte of utf8(text)) {
    const character = String.fromCharCode(byte);
    if (
      (byte >= 0x41 && byte <= 0x5a) ||
      (byte >= 0x61 && byte <= 0x7a) ||
      (byte >= 0x30 && byte <= 0x39) ||
      character === "-" ||
      character === "_" ||
      character === "." ||
      character === "~" ||
      (keepSlash && character === "/")
    ) {
      out += character;
    } else {
      out += "%" + HEX[byte]!.toUpperCase();
    }
  }
  return out;
}

/**
 * Percent-decodes a URL component exactly once. Unlike `decodeURIComponent` it leaves `+` alone (S3 paths do not use
 * form encoding) and throws `URIError` on malformed escapes or invalid UTF-8.
 */
export function percentDecode(text: string): string {
  // Nothing to decode in most path segments and query values; decodeURIComponent still shows in the hot path.
  return text.includes("%") ? decodeURIComponent(text) : text;
}

/** Constant-time comparison of two strings (length leaks, content does not). */
export function timingSafeEqual(a: string, b: string): boolean {
  // Code units, not UTF-8 bytes: equal strings have equal code units, and nothing needs encoding per request.
  let difference = a.length ^ b.length;
  const length = Math.max(a.length, b.length);
  // Past a string's end charCodeAt is NaN, and NaN | 0 is 0: the loop runs the same for every content.
  for (let index = 0; index < length; index++) difference |= (a.charCodeAt(index) | 0) ^ (b.charCodeAt(index) | 0);
  return difference === 0;
}
