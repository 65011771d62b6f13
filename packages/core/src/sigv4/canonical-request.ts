/**
 * SigV4 canonicalization with S3's rules: the path is not normalized and is URI-encoded exactly once, query
 * parameters are sorted by encoded name then value, value-less parameters become `name=`.
 */
import { cryptoPrimitives } from "../crypto-primitives.js";
import { percentDecode, toHex, uriEncode, utf8 } from "../encoding.js";
import { settledOrPromise, type MaybePromise } from "../maybe-promise.js";
import { asciiTrimmed, isPastAscii } from "../header-text.js";

const CANONICAL_PATH = /^[A-Za-z0-9\-_.~/]*$/;

/** The hash of an empty payload. */
export const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/**
 * Canonical URI of a raw request path (as sent, before any decoding): each segment is decoded once and re-encoded,
 * so a client that escaped more or fewer characters than AWS's set still canonicalizes the same way AWS does.
 */
export function canonicalUri(rawPath: string): string {
  if (rawPath === "") return "/";
  // A path of unreserved characters only is its own canonical form (most keys are).
  if (CANONICAL_PATH.test(rawPath)) return rawPath;
  return rawPath
    .split("/")
    .map((segment) => uriEncode(percentDecode(segment)))
    .join("/");
}

/** Splits a raw query string into decoded name/value pairs (value-less names get ""). `+` stays a plus. */
export function parseQuery(rawQuery: string): [string, string][] {
  const query = rawQuery.startsWith("?") ? rawQuery.slice(1) : rawQuery;
  if (query === "") return [];
  const pairs: [string, string][] = [];
  for (const part of query.split("&")) {
    if (part === "") continue;
    const equals = part.indexOf("=");
    const name = equals === -1 ? part : part.slice(0, equals);
    const value = equals === -1 ? "" : part.slice(equals + 1);
    pairs.push([percentDecode(name), percentDecode(value)]);
  }
  return pairs;
}

/** Canonical query string from decoded pairs, leaving out the names in `exclude`. */
export function canonicalQuery(pairs: Iterable<readonly [string, string]>, exclude: readonly string[] = []): string {
  const encoded: [string, string][] = [];
  for (const [name, value] of pairs) {
    if (exclude.includes(name)) continue;
    encoded.push([uriEncode(name), uriEncode(value)]);
  }
  encoded.sort(([nameA, valueA], [nameB, valueB]) =>
    nameA < nameB ? -1 : nameA > nameB ? 1 : valueA < valueB ? -1 : valueA > valueB ? 1 : 0,
  );
  return encoded.map(([name, value]) => `${name}=${value}`).join("&");
}

/**
 * A raw query component that is already in canonical form: unreserved characters, and uppercase `%XX` escapes of
 * bytes that must be escaped (never of an unreserved character) below 0x80. Such a component decodes and
 * re-encodes to itself, so it can be signed as sent.
 */
const CANONICAL_COMPONENT = /^(?:[A-Za-z0-9\-_.~]|%(?:[01][0-9A-F]|2[0-9A-CF]|3[A-F]|40|5[B-E]|60|7[B-DF]))*$/;

function canonicalComponent(raw: string): string {
  return CANONICAL_COMPONENT.test(raw) ? raw : uriEncode(percentDecode(raw));
}

/**
 * The canonical query of a raw query string, leaving out the (decoded) names in `exclude`: the same as
 * `canonicalQuery(parseQuery(rawQuery), exclude)`, but components already in canonical form (what SDKs send) are
 * taken as they are instead of being decoded and encoded again. Throws `URIError` on a malformed escape.
 */
export function canonicalQueryOfRaw(rawQuery: string, exclude: readonly string[] = []): string {
  const query = rawQuery.startsWith("?") ? rawQuery.slice(1) : rawQuery;
  if (query === "") return "";
  const encoded: [string, string][] = [];
  for (const part of query.split("&")) {
    if (part === "") continue;
    const equals = part.indexOf("=");
    const name = canonicalComponent(equals === -1 ? part : part.slice(0, equals));
    // Excluded names (X-Amz-Signature) are unreserved, so their canonical form is the decoded name.
    if (exclude.length > 0 && exclude.includes(name)) continue;
    encoded.push([name, equals === -1 ? "" : canonicalComponent(part.slice(equals + 1))]);
  }
  encoded.sort(([nameA, valueA], [nameB, valueB]) =>
    nameA < nameB ? -1 : nameA > nameB ? 1 : valueA < valueB ? -1 : valueA > valueB ? 1 : 0,
  );
  let out = "";
  for (const [name, value] of encoded) out += out === "" ? `${name}=${value}` : `&${name}=${value}`;
  return out;
}

/**
 * What a header value needs more than trimming for: a run of spaces, whitespace other than a space, or a character
 * past ASCII (see `canonicalHeaderValue`).
 */
const UNCOMMON = / {2}|[^\S ]|[\u0080-\uffff]/;

/** Whether `value` is canonical once trimmed (most are: the regex replace shows on the hot path). */
export function isPlainHeaderValue(value: string): boolean {
  return !UNCOMMON.test(value);
}

/**
 * A header value as SigV4 signs it: trimmed, each run of whitespace one space. A value past ASCII is trimmed of ASCII
 * whitespace only, as the clients that send such values (curl, the Go SDK) trim it: U+00A0 or U+3000, or the byte
 * 0xA0 in the UTF-8 of "à" where a runtime hands a value over as its bytes (see `headerValuesAreBytes`), is no space.
 */
export function canonicalHeaderValue(value: string): string {
  if (isPlainHeaderValue(value)) return value.trim();
  if (isPastAscii(value)) return asciiTrimmed(value, true);
  return value.trim().replace(/\s+/g, " ");
}

/**
 * Canonical header block for the signed headers. `headers` are raw name/value pairs; repeated names are joined with
 * commas in the order received. Returns undefined when a signed header is missing from the request.
 */
export function canonicalHeaders(headers: Iterable<[string, string]>, signedHeaders: readonly string[]): string | undefined {
  const values = new Map<string, string[]>();
  for (const [name, value] of headers) {
    const lower = name.toLowerCase();
    if (!signedHeaders.includes(lower)) continue;
    const list = values.get(lower);
    if (list) list.push(canonicalHeaderValue(value));
    else values.set(lower, [canonicalHeaderValue(value)]);
  }
  let block = "";
  for (const name of signedHeaders) {
    const list = values.get(name);
    if (!list) return undefined;
    block += `${name}:${list.join(",")}\n`;
  }
  return block;
}

/** The parts of a canonical request. */
export interface CanonicalRequestParts {
  /** HTTP method, uppercase. */
  method: string;
  /** Canonical URI (see `canonicalUri`). */
  uri: string;
  /** Canonical query (see `canonicalQuery`). */
  query: string;
  /** Canonical header block (see `canonicalHeaders`), each line ending in a newline. */
  headers: string;
  /** Sorted, lowercase signed header names. */
  signedHeaders: readonly string[];
  /** Hex payload hash, or `UNSIGNED-PAYLOAD` / a `STREAMING-*` marker. */
  payloadHash: string;
}

/** Joins the parts into the canonical request text. */
export function canonicalRequest(parts: CanonicalRequestParts): string {
  return `${parts.method}\n${parts.uri}\n${parts.query}\n${parts.headers}\n${parts.signedHeaders.join(";")}\n${parts.payloadHash}`;
}

/** SHA-256 hex of a string: now when the installed primitives hash strings now. */
export function sha256HexNow(text: string): MaybePromise<string> {
  const { primitives } = cryptoPrimitives();
  if (primitives.sha256Hex) return settledOrPromise(primitives.sha256Hex(text));
  return sha256Hex(text);
}

/** SHA-256 hex of a string. */
export async function sha256Hex(text: string | Uint8Array): Promise<string> {
  const { primitives } = cryptoPrimitives();
  if (typeof text === "string" && primitives.sha256Hex) return primitives.sha256Hex(text);
  const bytes = typeof text === "string" ? utf8(text) : text;
  return toHex(await primitives.sha256(bytes));
}

/** The SigV4 string to sign, from the hex SHA-256 of the canonical request. */
export function stringToSign(amzDate: string, scope: string, canonicalDigest: string): string {
  return `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${canonicalDigest}`;
}
