/**
 * The settings S3 keeps with an object when it is written (PutObject, CopyObject, CreateMultipartUpload, a form
 * upload): a website redirect and server-side encryption. An S3 backend is sent them and keeps them; the other stores
 * keep none, so a write asking for one is refused rather than stored without it. Only SSE-S3 (`AES256`) is taken
 * wherever it holds anyway: by the stores that encrypt every object at rest with keys of their own. Keys the client
 * provides (SSE-C) are refused on every store, on reads too (see `forwardedRequestHeaders`): the store would need the
 * key with every read, and the gateway never sends it one. Object Lock is refused on every store (see
 * `OBJECT_LOCK_HEADERS`).
 */
import { S3Error } from "./errors.js";
import { textOfHeaderValue } from "./header-text.js";
import type { Backend } from "./types.js";

/** The object-setting headers a write sends an S3 backend (see `forwardedRequestHeaders`). */
export const OBJECT_SETTING_HEADERS: ReadonlySet<string> = new Set([
  "x-amz-website-redirect-location",
  "x-amz-server-side-encryption",
  "x-amz-server-side-encryption-aws-kms-key-id",
  "x-amz-server-side-encryption-context",
  "x-amz-server-side-encryption-bucket-key-enabled",
]);

/**
 * Object Lock's headers. No bucket has Object Lock through the gateway (GetObjectLockConfiguration answers so): a
 * gateway writer could otherwise lock objects in the operator's bucket that nobody may delete, a right S3 grants
 * apart from writing (`s3:PutObjectRetention`, `s3:PutObjectLegalHold`).
 */
export const OBJECT_LOCK_HEADERS: readonly string[] = ["x-amz-object-lock-mode", "x-amz-object-lock-retain-until-date", "x-amz-object-lock-legal-hold"];

/** The headers of SSE-C: an encryption key the client holds, sent with each write and read, and a copy's source's. */
export const CUSTOMER_KEY_HEADERS: readonly string[] = [
  "x-amz-server-side-encryption-customer-algorithm",
  "x-amz-server-side-encryption-customer-key",
  "x-amz-server-side-encryption-customer-key-md5",
  "x-amz-copy-source-server-side-encryption-customer-algorithm",
  "x-amz-copy-source-server-side-encryption-customer-key",
  "x-amz-copy-source-server-side-encryption-customer-key-md5",
];

/** Stores that encrypt everything they keep, always (Azure Storage, Cloud Storage, R2): SSE with their keys. */
const ENCRYPTING_STORES: ReadonlySet<string> = new Set(["az", "gcs", "r2"]);

/** Whether a store encrypts every object at rest: by its kind, or as its backend says (an fs root on encrypted storage). */
export function encryptsAtRest(store: { kind: string; encryptsAtRest?: boolean | undefined }): boolean {
  return store.encryptsAtRest === true || ENCRYPTING_STORES.has(store.kind);
}

/** The values of `x-amz-server-side-encryption` S3 knows (case-sensitive). */
const ENCRYPTIONS = new Set(["AES256", "aws:kms", "aws:kms:dsse"]);

/** S3's rule for `x-amz-website-redirect-location`: a path on the bucket's website, or an http(s) URL. */
const REDIRECT_LOCATION = /^(\/|https?:\/\/)/;

/** The longest website redirect S3 keeps (2 KB). */
const MAX_REDIRECT_LENGTH = 2048;

/** A header's value; an empty one asks for nothing, as if it were not sent. */
function askedValue(headers: Headers, name: string): string | null {
  const value = headers.get(name);
  return value === "" ? null : value;
}

/**
 * Whether a CopyObject changes what it copies (S3 refuses a copy of an object onto itself that does not): new
 * metadata, a storage class, a website redirect or encryption settings. A store copying an object onto itself takes
 * it as a rewrite then, even where it keeps none of these: it keeps no storage class either, which writes still name.
 */
export function copyChangesObject(headers: Headers): boolean {
  if (headers.get("x-amz-metadata-directive")?.toUpperCase() === "REPLACE") return true;
  for (const [name, value] of headers) {
    if (value !== "" && (name === "x-amz-storage-class" || name === "x-amz-website-redirect-location" || name.startsWith("x-amz-server-side-encryption"))) return true;
  }
  return false;
}

/**
 * Throws S3's InvalidRequest for a copy of an object onto itself that changes nothing (see `copyChangesObject`);
 * `changesObject`: core's judgement of the client's request (`CopyRequest.changesObject`).
 */
export function checkCopyChangesObject(headers: Headers, changesObject?: boolean): void {
  if (changesObject !== true && !copyChangesObject(headers)) {
    throw new S3Error("InvalidRequest", {
      message: "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
    });
  }
}

/**
 * Whether a store keeps the settings S3 keeps with an object (a website redirect, encryption with a KMS key): only S3
 * does; every other store is told none of them.
 */
export function keepsObjectSettings(store: Pick<Backend<unknown>, "kind">): boolean {
  return store.kind === "s3";
}

function notKept(kind: string, what: string, header: string): S3Error {
  return new S3Error("NotImplemented", { message: `Objects of ${kind} buckets keep no ${what}: ${header} cannot be kept.` });
}

/** How the names of SSE-C's headers for the object itself start. */
export const CUSTOMER_KEY_PREFIX = "x-amz-server-side-encryption-customer-";

/** The `501` for a request naming a key the client provides (SSE-C) in header `name`. */
export function customerKeysRefused(name: string): S3Error {
  return new S3Error("NotImplemented", { message: `Server-side encryption with customer-provided keys (SSE-C, ${name}) is not supported by this gateway.` });
}

/** Throws `501` for keys the client provides (SSE-C), for the object written or a copy's source. */
export function checkCustomerKeys(headers: Headers): void {
  for (const name of CUSTOMER_KEY_HEADERS) if (askedValue(headers, name) !== null) throw customerKeysRefused(name);
}

/**
 * Throws what S3 answers to an object setting it refuses, or `501` where the bucket's store cannot keep one it would
 * take. Every value is checked on every store, so a write is refused alike wherever it goes.
 */
export function checkObjectSettings(headers: Headers, store: Pick<Backend<unknown>, "kind" | "encryptsAtRest">): void {
  checkCustomerKeys(headers);
  const redirect = askedValue(headers, "x-amz-website-redirect-location");
  if (redirect !== null) {
    if (!REDIRECT_LOCATION.test(redirect) || redirect.length > MAX_REDIRECT_LENGTH) {
      throw new S3Error("InvalidRedirectLocation", { details: { ArgumentName: "x-amz-website-redirect-location", ArgumentValue: textOfHeaderValue(redirect).slice(0, 256) } });
    }
    if (!keepsObjectSettings(store)) throw notKept(store.kind, "website redirect", "x-amz-website-redirect-location");
  }
  checkEncryption(headers, store);
  for (const name of OBJECT_LOCK_HEADERS) {
    // S3's answer for a bucket without Object Lock.
    if (askedValue(headers, name) !== null) throw new S3Error("InvalidRequest", { message: "Bucket is missing Object Lock Configuration", details: { ArgumentName: name } });
  }
}

function checkEncryption(headers: Headers, store: Pick<Backend<unknown>, "kind" | "encryptsAtRest">): void {
  const encryption = askedValue(headers, "x-amz-server-side-encryption");
  if (encryption !== null && !ENCRYPTIONS.has(encryption)) {
    throw new S3Error("InvalidArgument", {
      message: "The encryption method specified is not supported",
      details: { ArgumentName: "x-amz-server-side-encryption", ArgumentValue: textOfHeaderValue(encryption).slice(0, 64) },
    });
  }
  const kms = encryption !== null && encryption.startsWith("aws:kms");
  for (const name of ["x-amz-server-side-encryption-aws-kms-key-id", "x-amz-server-side-encryption-context"]) {
    if (askedValue(headers, name) !== null && !kms) {
      throw new S3Error("InvalidArgument", {
        message: `Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms (${name} was sent).`,
        details: { ArgumentName: name },
      });
    }
  }
  if (encryption === null || keepsObjectSettings(store)) return;
  if (kms) throw notKept(store.kind, "AWS KMS encryption", `x-amz-server-side-encryption: ${encryption}`);
  if (!encryptsAtRest(store)) {
    throw new S3Error("NotImplemented", { message: `Objects of this ${store.kind} bucket are not encrypted at rest: x-amz-server-side-encryption cannot be honoured.` });
  }
}
