/**
 * Google's V4 signing process for signed URLs (`GOOG4-RSA-SHA256`), runtime-free: both builds build the canonical
 * request, the string to sign and the URL here and inject only the RSA signature (node:crypto or WebCrypto), so
 * they produce the same URL for the same inputs and clock. Checked against Google's conformance vectors.
 */
import { asciiTrimmed, canonicalBytes, isPastAscii, toHex, uriEncode, utf8 } from "@multistore/core/backend";

/** Signs bytes with RSASSA-PKCS1-v1_5 over SHA-256 with a service account's private key. */
export interface GcsSigner {
  /** The service account email: the credential of every signature. */
  readonly clientEmail: string;
  /** The raw signature of `data`. */
  sign(data: Uint8Array): Promise<Uint8Array>;
}

/** What to sign. Everything is signed as given: the caller encodes the path. */
export interface V4SignInput {
  /** HTTP method (`GET`, `PUT`, ...). */
  method: string;
  /** `scheme://authority` exactly as the URL shall start (a port stays as written). */
  origin: string;
  /** The path, already percent-encoded once (`/bucket/some%20key`). */
  path: string;
  /** Query parameters to sign and send (names and values unencoded). */
  query?: Record<string, string> | [string, string][];
  /** Extension headers to sign and send; names in any case. `host` is added from `origin`. */
  headers?: Record<string, string>;
  /** The signing time (`X-Goog-Date`). */
  timestamp: Date;
  /** Validity in seconds (`X-Goog-Expires`, 1..604800). */
  expiresInSeconds: number;
}

/** A signed URL and the intermediate strings (for tests and debugging; they hold no secret). */
export interface V4SignedUrl {
  /** The URL to send. */
  url: string;
  /** The canonical request that was hashed. */
  canonicalRequest: string;
  /** The string that was signed. */
  stringToSign: string;
}

/** Longest validity Google accepts for a V4 signature: seven days. */
export const MAX_EXPIRES_SECONDS = 604_800;

const ALGORITHM = "GOOG4-RSA-SHA256";
const UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD";

/** `20190201T090000Z` for a date. */
export function formatGoogDate(date: Date): string {
  return date.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
}

/**
 * A header value as V4 canonicalizes it: trimmed, every run of whitespace (tabs included) one space. Google's
 * vectors fix this: `"\tabc\t\t\t\tdef\t"` signs as `abc def`.
 */
export function canonicalHeaderValue(value: string): string {
  // Past ASCII, ASCII whitespace only: the byte 0xA0 in the UTF-8 of "à", as Node holds a header value, is no space.
  if (isPastAscii(value)) return asciiTrimmed(value, true);
  return value.trim().replace(/\s+/g, " ");
}

/** Byte-order comparison of two ASCII-compatible strings (what V4 sorts by; `localeCompare` would differ). */
function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The canonical query: names and values RFC 3986-encoded (space `%20`), sorted by encoded name, then value. */
export function canonicalQuery(pairs: Iterable<[string, string]>): string {
  return Array.from(pairs, ([name, value]) => [uriEncode(name), uriEncode(value)] as const)
    .sort((a, b) => byCodeUnit(a[0], b[0]) || byCodeUnit(a[1], b[1]))
    .map(([name, value]) => `${name}=${value}`)
    .join("&");
}

/** The `host` V4 signs: the authority without its port (Google's vectors sign `localhost:8080` as `localhost`). */
export function signedHost(origin: string): string {
  const authority = origin.replace(/^[a-z][a-z0-9+.-]*:\/\//i, "").replace(/\/.*$/, "");
  return authority.startsWith("[") ? authority.replace(/(\]):\d+$/, "$1") : authority.replace(/:\d+$/, "");
}

/** The canonical request's hash: header values past ASCII go out as the runtime holds them (bytes on Node). */
async function sha256Hex(text: string): Promise<string> {
  return toHex(await crypto.subtle.digest("SHA-256", canonicalBytes(text)));
}

/** Signs a request as a V4 signed URL. The query is sent in canonical order, `X-Goog-Signature` last. */
export async function signUrlV4(input: V4SignInput, signer: GcsSigner): Promise<V4SignedUrl> {
  const { expiresInSeconds } = input;
  if (!Number.isInteger(expiresInSeconds) || expiresInSeconds < 1 || expiresInSeconds > MAX_EXPIRES_SECONDS) {
    throw new RangeError(`X-Goog-Expires must be 1..${MAX_EXPIRES_SECONDS} seconds`);
  }
  const headers = new Map<string, string>();
  for (const [name, value] of Object.entries(input.headers ?? {})) headers.set(name.toLowerCase(), canonicalHeaderValue(value));
  headers.set("host", signedHost(input.origin));
  const names = [...headers.keys()].sort(byCodeUnit);
  const signedHeaders = names.join(";");
  const canonicalHeaders = names.map((name) => `${name}:${headers.get(name)}\n`).join("");
  const datetime = formatGoogDate(input.timestamp);
  const scope = `${datetime.slice(0, 8)}/auto/storage/goog4_request`;
  const query: [string, string][] = [
    ["X-Goog-Algorithm", ALGORITHM],
    ["X-Goog-Credential", `${signer.clientEmail}/${scope}`],
    ["X-Goog-Date", datetime],
    ["X-Goog-Expires", String(expiresInSeconds)],
    ["X-Goog-SignedHeaders", signedHeaders],
    ...(Array.isArray(input.query) ? input.query : Object.entries(input.query ?? {})),
  ];
  const queryString = canonicalQuery(query);
  // A signed payload hash replaces UNSIGNED-PAYLOAD; its value is checked by Google, not by us.
  const payload = headers.get("x-goog-content-sha256") ?? UNSIGNED_PAYLOAD;
  const canonicalRequest = [input.method, input.path, queryString, canonicalHeaders, signedHeaders, payload].join("\n");
  const stringToSign = [ALGORITHM, datetime, scope, await sha256Hex(canonicalRequest)].join("\n");
  const signature = toHex(await signer.sign(utf8(stringToSign)));
  return { url: `${input.origin}${input.path}?${queryString}&X-Goog-Signature=${signature}`, canonicalRequest, stringToSign };
}

/** An unsigned URL (public buckets): the same path and query encoding as signed ones. */
export function unsignedUrl(origin: string, path: string, query: Record<string, string> | [string, string][] = []): string {
  const queryString = canonicalQuery(Array.isArray(query) ? query : Object.entries(query));
  return `${origin}${path}${queryString ? `?${queryString}` : ""}`;
}
