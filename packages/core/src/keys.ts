/** Object keys: decoded once from the raw path, checked, and re-encoded for backend URLs. */
import { S3Error } from "./errors.js";
import { percentDecode, uriEncode, utf8 } from "./encoding.js";

/** A `.` or `..` path segment anywhere in a key. */
export const DOT_SEGMENT = /(?:^|\/)\.\.?(?:\/|$)/;

/**
 * The backend key prefix of a bucket: its `backend_prefix` as a folder, joined to keys with exactly one `/`
 * (`"v2"` and `"v2/"` both make `v2/<key>`); empty without one. Every place that maps keys to the backend and back
 * (objects, listings, copies, batch deletes, multipart) goes through it, so they all address the same objects.
 */
export function keyPrefixOf(bucket: { backend_prefix?: string | undefined }): string {
  const prefix = bucket.backend_prefix;
  if (prefix === undefined || prefix === "") return "";
  // The common spelling ("data/") needs no work: this runs on every request.
  if (prefix.length > 1 && prefix.charCodeAt(prefix.length - 1) === 47 && prefix.charCodeAt(prefix.length - 2) !== 47) return prefix;
  const trimmed = prefix.replace(/\/+$/, "");
  return trimmed === "" ? "" : `${trimmed}/`;
}

/** S3's key length limit in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;

/** Decodes a raw (percent-encoded) path component exactly once; malformed escapes are a 400. */
export function decodeKey(raw: string): string {
  try {
    return percentDecode(raw);
  } catch {
    throw new S3Error("InvalidArgument", { message: "The object key contains a malformed percent-encoding." });
  }
}

/**
 * Refuses keys no backend can store safely: a `.` or `..` path segment (they would mean something else on a
 * filesystem or after URL normalization), NUL, and keys over 1024 bytes.
 */
export function validateKey(key: string): void {
  if (key === "") throw new S3Error("InvalidArgument", { message: "The object key must not be empty." });
  // A UTF-16 code unit is at most three UTF-8 bytes: most keys are short enough not to need encoding.
  if (key.length * 3 > MAX_KEY_BYTES && utf8(key).length > MAX_KEY_BYTES) throw new S3Error("KeyTooLongError");
  if (key.includes("\u0000")) throw new S3Error("InvalidArgument", { message: "The object key must not contain NUL." });
  if (DOT_SEGMENT.test(key)) {
    throw new S3Error("InvalidArgument", {
      message: 'Object keys with a "." or ".." path segment are not allowed.',
      details: { ArgumentName: "key" },
    });
  }
}

/** Encodes a key for a URL path: every byte but unreserved characters and `/` escaped. */
export function encodeKeyPath(key: string): string {
  return uriEncode(key, true);
}
