/**
 * Checks the write-time headers S3 validates itself before anything is stored: `x-amz-storage-class`, the canned
 * `x-amz-acl`, the tags of `x-amz-tagging`, CopyObject's `x-amz-metadata-directive` / `x-amz-tagging-directive`, and
 * the settings S3 keeps with an object (see `object-settings.ts`). An S3 backend would refuse bad values too; every
 * other backend would store them, or ignore them silently. Tags in particular: a store that keeps none refuses them
 * (`501`) rather than dropping what the client asked to keep.
 */
import { S3Error } from "./errors.js";
import { tagsOfHeader } from "./object-tags.js";
import { textOfHeaderValue } from "./header-text.js";
import { checkObjectSettings } from "./object-settings.js";
import type { Backend } from "./types.js";

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
  return new S3Error("InvalidArgument", { message, details: { ArgumentName: name, ArgumentValue: textOfHeaderValue(value) } });
}

/**
 * Throws the error S3 answers when a PutObject, CopyObject or CreateMultipartUpload header has a value S3 refuses.
 * An "s3" backend gets the storage class to judge: S3-compatible stores have classes of their own (Ceph's placement
 * targets, say). A backend without `putObjectTagging` keeps no tags: a write that asks for some is `501`.
 */
export function checkObjectWriteHeaders(headers: Headers, copy: boolean, backend: Pick<Backend<unknown>, "kind" | "putObjectTagging" | "encryptsAtRest">): void {
  const storageClass = headers.get("x-amz-storage-class");
  if (storageClass !== null && backend.kind !== "s3" && !STORAGE_CLASSES.has(storageClass)) {
    throw new S3Error("InvalidStorageClass", { details: { StorageClassRequested: textOfHeaderValue(storageClass) } });
  }
  const acl = headers.get("x-amz-acl");
  if (acl !== null && !CANNED_ACLS.has(acl)) throw invalidArgument("x-amz-acl", acl, "The canned ACL is not one S3 knows.");
  const directive = copy ? headers.get("x-amz-tagging-directive") : null;
  if (directive !== null && !DIRECTIVES.has(directive.toUpperCase())) throw invalidArgument("x-amz-tagging-directive", directive, "Unknown tagging directive.");
  // A copy takes x-amz-tagging only with the REPLACE directive; S3 ignores it otherwise.
  const tagging = !copy || directive?.toUpperCase() === "REPLACE" ? headers.get("x-amz-tagging") : null;
  if (tagging !== null && tagsOfHeader(tagging).length > 0 && !backend.putObjectTagging) {
    throw new S3Error("NotImplemented", { message: `Objects of ${backend.kind} buckets have no tags: x-amz-tagging cannot be kept.` });
  }
  checkObjectSettings(headers, backend);
  if (!copy) return;
  const metadata = headers.get("x-amz-metadata-directive");
  if (metadata !== null && !DIRECTIVES.has(metadata.toUpperCase())) throw invalidArgument("x-amz-metadata-directive", metadata, "Unknown metadata directive.");
}
