/** Which headers cross the gateway, in each direction. */
import { S3Error } from "./errors.js";
import { HeaderMap } from "./header-map.js";
import { isPastAscii, metadataValue } from "./header-text.js";
import { CUSTOMER_KEY_PREFIX, customerKeysRefused, OBJECT_SETTING_HEADERS } from "./object-settings.js";
import { taggingHeader, tagsOfHeader } from "./object-tags.js";

/** Request headers forwarded to backends for object operations. */
const FORWARDED_REQUEST_HEADERS = new Set([
  "range",
  "if-match",
  "if-none-match",
  "if-modified-since",
  "if-unmodified-since",
  "content-type",
  "content-length",
  "content-md5",
  "content-encoding",
  "content-disposition",
  "content-language",
  "cache-control",
  "expires",
  "x-amz-content-sha256",
  "x-amz-storage-class",
  "x-amz-tagging",
]);

/** Headers that also matter for CopyObject. */
const COPY_REQUEST_HEADERS = new Set([
  "x-amz-metadata-directive",
  "x-amz-tagging-directive",
  "x-amz-copy-source-if-match",
  "x-amz-copy-source-if-none-match",
  "x-amz-copy-source-if-modified-since",
  "x-amz-copy-source-if-unmodified-since",
]);

/** Whether a client request header may be forwarded to the backend. */
export function isForwardedRequestHeader(name: string): boolean {
  return (
    FORWARDED_REQUEST_HEADERS.has(name) || name.startsWith("x-amz-meta-") || name.startsWith("x-amz-checksum-")
  );
}

const HEX_DIGEST = /^[0-9a-f]{64}$/;

/** Options of `forwardedRequestHeaders`. */
export interface ForwardedHeaderOptions {
  /** Add the copy-specific headers. */
  copy?: boolean;
  /**
   * For an object request: leave out what its backend request must not carry (rather than deleting it after,
   * which turns the record into a slow dictionary): `content-length` unless it sends a body, and an
   * `x-amz-content-sha256` that is a signing marker, not a digest the backend may verify.
   */
  object?: { sendsBody: boolean };
  /**
   * A write that makes an object (PutObject, CopyObject, CreateMultipartUpload): add the settings S3 keeps with it
   * (a website redirect, encryption), which `checkObjectWriteHeaders` let through for its store; an empty value asks
   * for nothing and is left out.
   */
  settings?: boolean;
  /**
   * A request S3 takes with SSE-C headers and does nothing with (DeleteObject: nothing is read or written, so no key
   * is needed): they are left out rather than refused.
   */
  ignoresCustomerKeys?: boolean;
}

/**
 * The forwardable subset of client headers (names lowercase). Throws `501` for SSE-C headers (every object request
 * that reads or writes refuses them) and InvalidArgument for an `x-amz-*` value past ASCII that is neither metadata
 * nor tags.
 */
export function forwardedRequestHeaders(headers: Headers, options: ForwardedHeaderOptions = {}): HeaderMap {
  const out = new HeaderMap();
  const copy = options.copy === true;
  const object = options.object;
  const settings = options.settings === true;
  const refusesCustomerKeys = options.ignoresCustomerKeys !== true;
  headers.forEach((value, name) => {
    if (!isForwardedRequestHeader(name) && !(copy && COPY_REQUEST_HEADERS.has(name)) && !(settings && OBJECT_SETTING_HEADERS.has(name) && value !== "")) {
      // SSE-C on any object request that reads or writes: the store would need the client's key, never sent to it.
      if (refusesCustomerKeys && name.length > CUSTOMER_KEY_PREFIX.length && name.startsWith(CUSTOMER_KEY_PREFIX) && value !== "") throw customerKeysRefused(name);
      return;
    }
    if (object !== undefined) {
      if (name === "content-length" && !object.sendsBody) return;
      if (name === "x-amz-content-sha256" && !HEX_DIGEST.test(value)) return;
    }
    // User metadata past ASCII (raw UTF-8, as Go and Rust SDKs and curl send it) goes on as S3 keeps it: RFC 2047;
    // tags sent as raw UTF-8 go on URL-encoded. A backend request then carries (and signs) ASCII.
    if (name.startsWith("x-amz-meta-")) out.record[name] = metadataValue(value);
    else if (name === "x-amz-tagging" && isPastAscii(value)) out.record[name] = taggingHeader(tagsOfHeader(value));
    else if (name.startsWith("x-amz-") && isPastAscii(value)) {
      // No other x-amz-* value (a storage class, an ACL, an ETag condition, a checksum) is text past ASCII: refused
      // here, before a backend signs it.
      throw new S3Error("InvalidArgument", { message: `The ${name} header holds characters past ASCII.`, details: { ArgumentName: name } });
    } else out.record[name] = value;
  });
  return out;
}

/** Response headers never passed back to clients: hop-by-hop, cookies, proxies, SSE key material. */
const STRIPPED_RESPONSE_HEADERS = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "set-cookie",
  "set-cookie2",
  "www-authenticate",
  "forwarded",
  "via",
  "x-amz-server-side-encryption-customer-key-md5",
  "x-amz-server-side-encryption-aws-kms-key-id",
  "x-amz-id-2",
  "x-amz-request-id",
  "server",
  "date",
  "alt-svc",
  "strict-transport-security",
]);

/** Whether a backend response header must be dropped. */
export function isStrippedResponseHeader(name: string): boolean {
  return STRIPPED_RESPONSE_HEADERS.has(name) || name.startsWith("proxy-") || name.startsWith("x-forwarded-");
}

/** A record of backend response headers that holds none of the stripped ones (see `clientResponseHeaders`). */
class ClientResponseHeaders extends HeaderMap {}

/**
 * Backend response headers read by a runtime that already left out every name `isStrippedResponseHeader` refuses
 * (lowercase names, repeated ones joined): `respond` takes them as they are instead of copying what remains. The map
 * owns `record` from now on.
 */
export function clientResponseHeaders(record: Record<string, string>): HeaderMap {
  return ClientResponseHeaders.adopt(record);
}

/** The backend's response headers as `respond` takes them: a runtime's `clientResponseHeaders` as they are. */
export function backendResponseHeaders(headers: Headers): HeaderMap {
  return headers instanceof ClientResponseHeaders ? headers : filterResponseHeaders(headers);
}

/** The backend's response headers without the ones clients must not see. */
export function filterResponseHeaders(headers: Headers): HeaderMap {
  const out = new HeaderMap();
  headers.forEach((value, name) => {
    if (!isStrippedResponseHeader(name)) out.record[name] = value;
  });
  return out;
}
