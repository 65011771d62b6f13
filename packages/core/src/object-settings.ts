/**
 * The settings S3 keeps with an object when it is written (PutObject, CopyObject, CreateMultipartUpload, a form
 * upload): a website redirect, server-side encryption, and Object Lock retention. An S3 backend is sent them and keeps
 * them; the other stores keep none, so a write asking for one is refused rather than stored without it. Only SSE-S3
 * (`AES256`) is taken everywhere it holds anyway: by the stores that encrypt every object at rest with keys of their
 * own. Keys the client provides (SSE-C) are refused on every store: they would have to be sent again with every read.
 */
import { S3Error } from "./errors.js";
import { textOfHeaderValue } from "./header-text.js";

/** The object-setting headers a write sends an S3 backend (see `forwardedRequestHeaders`). */
export const OBJECT_SETTING_HEADERS: ReadonlySet<string> = new Set([
  "x-amz-website-redirect-location",
  "x-amz-server-side-encryption",
  "x-amz-server-side-encryption-aws-kms-key-id",
  "x-amz-server-side-encryption-context",
  "x-amz-server-side-encryption-bucket-key-enabled",
  "x-amz-object-lock-mode",
  "x-amz-object-lock-retain-until-date",
  "x-amz-object-lock-legal-hold",
]);

/** The headers of SSE-C: an encryption key the client holds, sent with each write and read. */
export const CUSTOMER_KEY_HEADERS: readonly string[] = [
  "x-amz-server-side-encryption-customer-algorithm",
  "x-amz-server-side-encryption-customer-key",
  "x-amz-server-side-encryption-customer-key-md5",
];

/** Stores that encrypt everything they keep, always (Azure Storage, Cloud Storage, R2): SSE with their keys. */
export const ENCRYPTING_STORES: ReadonlySet<string> = new Set(["az", "gcs", "r2"]);

/** The values of `x-amz-server-side-encryption` S3 knows (case-sensitive). */
const ENCRYPTIONS = new Set(["AES256", "aws:kms", "aws:kms:dsse"]);

/** S3's rule for `x-amz-website-redirect-location`: a path on the bucket's website, or an http(s) URL. */
const REDIRECT_LOCATION = /^(\/|https?:\/\/)/;

/** The longest website redirect S3 keeps (2 KB). */
const MAX_REDIRECT_LENGTH = 2048;

const OBJECT_LOCK_HEADERS = ["x-amz-object-lock-mode", "x-amz-object-lock-retain-until-date", "x-amz-object-lock-legal-hold"];

function notKept(kind: string, what: string, header: string): S3Error {
  return new S3Error("NotImplemented", { message: `Objects of ${kind} buckets keep no ${what}: ${header} cannot be kept.` });
}

/**
 * Throws what S3 answers to an object setting it refuses, or `501` where the bucket's store (`kind`) cannot keep one
 * it would take. Every value is checked on every store, so a write is refused alike wherever it goes.
 */
export function checkObjectSettings(headers: Headers, kind: string): void {
  for (const name of CUSTOMER_KEY_HEADERS) {
    if (headers.has(name)) {
      throw new S3Error("NotImplemented", { message: `Server-side encryption with customer-provided keys (SSE-C, ${name}) is not supported by this gateway.` });
    }
  }
  const redirect = headers.get("x-amz-website-redirect-location");
  // (An empty value asks for nothing: no redirect.)
  if (redirect !== null && redirect !== "") {
    if (!REDIRECT_LOCATION.test(redirect) || redirect.length > MAX_REDIRECT_LENGTH) {
      throw new S3Error("InvalidRedirectLocation", { details: { ArgumentName: "x-amz-website-redirect-location", ArgumentValue: textOfHeaderValue(redirect).slice(0, 256) } });
    }
    if (kind !== "s3") throw notKept(kind, "website redirect", "x-amz-website-redirect-location");
  }
  checkEncryption(headers, kind);
  for (const name of OBJECT_LOCK_HEADERS) {
    // S3's answer for a bucket without Object Lock, which no bucket but an S3 backend's can have.
    if (headers.has(name) && kind !== "s3") throw new S3Error("InvalidRequest", { message: "Bucket is missing Object Lock Configuration", details: { ArgumentName: name } });
  }
}

function checkEncryption(headers: Headers, kind: string): void {
  const encryption = headers.get("x-amz-server-side-encryption");
  if (encryption !== null && !ENCRYPTIONS.has(encryption)) {
    throw new S3Error("InvalidArgument", {
      message: "The encryption method specified is not supported",
      details: { ArgumentName: "x-amz-server-side-encryption", ArgumentValue: textOfHeaderValue(encryption).slice(0, 64) },
    });
  }
  const kms = encryption !== null && encryption.startsWith("aws:kms");
  for (const name of ["x-amz-server-side-encryption-aws-kms-key-id", "x-amz-server-side-encryption-context"]) {
    if (headers.has(name) && !kms) {
      throw new S3Error("InvalidArgument", {
        message: `Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms (${name} was sent).`,
        details: { ArgumentName: name },
      });
    }
  }
  if (encryption === null || kind === "s3") return;
  if (kms) throw notKept(kind, "AWS KMS encryption", `x-amz-server-side-encryption: ${encryption}`);
  if (!ENCRYPTING_STORES.has(kind)) throw notKept(kind, "server-side encryption", "x-amz-server-side-encryption");
}
