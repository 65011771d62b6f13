/**
 * Checks the write-time headers S3 validates itself before anything is stored: `x-amz-storage-class`, the canned
 * `x-amz-acl`, and CopyObject's `x-amz-metadata-directive` / `x-amz-tagging-directive`. An S3 backend would refuse
 * bad values too; every other backend would store them, or ignore them silently.
 */
import { S3Error } from "./errors.js";

/** The storage classes S3 knows (PutObject's `x-amz-storage-class`; the value is case-sensitive). */
const STORAGE_CLASSES = new Set([
  "STANDARD",
  "REDUCED_REDUNDANCY",
  "STANDARD_IA",
  "ONEZONE_IA",
  "INTELLIGENT_TIERING",
  "GLACIER",
  "DEEP_ARCHIVE",
  "OUTPOSTS",
  "GLACIER_IR",
  "SNOW",
  "EXPRESS_ONEZONE",
  "FSX_OPENZFS",
  "FSX_ONTAP",
]);

/** The canned ACLs an object may be written with. The gateway grants access by its own scopes: they are not kept. */
const CANNED_ACLS = new Set(["private", "public-read", "public-read-write", "authenticated-read", "aws-exec-read", "bucket-owner-read", "bucket-owner-full-control"]);

/** The directives of CopyObject (taken in any case, as the backends read them). */
const DIRECTIVES = new Set(["COPY", "REPLACE"]);

function invalidArgument(name: string, value: string, message: string): S3Error {
  return new S3Error("InvalidArgument", { message, details: { ArgumentName: name, ArgumentValue: value } });
}

/**
 * Throws the error S3 answers when a PutObject, CopyObject or CreateMultipartUpload header has a value S3 refuses.
 * `backendKind` "s3" leaves the storage class to the backend, which gets the header: S3-compatible stores have classes
 * of their own (Ceph's placement targets, say).
 */
export function checkObjectWriteHeaders(headers: Headers, copy: boolean, backendKind: string): void {
  const storageClass = headers.get("x-amz-storage-class");
  if (storageClass !== null && backendKind !== "s3" && !STORAGE_CLASSES.has(storageClass)) {
    throw new S3Error("InvalidStorageClass", { details: { StorageClassRequested: storageClass } });
  }
  const acl = headers.get("x-amz-acl");
  if (acl !== null && !CANNED_ACLS.has(acl)) throw invalidArgument("x-amz-acl", acl, "The canned ACL is not one S3 knows.");
  if (!copy) return;
  const metadata = headers.get("x-amz-metadata-directive");
  if (metadata !== null && !DIRECTIVES.has(metadata.toUpperCase())) throw invalidArgument("x-amz-metadata-directive", metadata, "Unknown metadata directive.");
  const tagging = headers.get("x-amz-tagging-directive");
  if (tagging !== null && !DIRECTIVES.has(tagging.toUpperCase())) throw invalidArgument("x-amz-tagging-directive", tagging, "Unknown tagging directive.");
}
