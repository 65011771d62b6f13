/**
 * Storage classes on fs buckets: kept in the object's sidecar and shown by HeadObject, GetObject, GetObjectAttributes
 * and listings, as S3 names them. A directory serves every object at once, so the archive classes (GLACIER and
 * DEEP_ARCHIVE, offline on S3 until restored) are kept as GLACIER_IR, the class clients treat alike (aws-cli skips
 * GLACIER objects on download), as gcs buckets show GCS's ARCHIVE. The classes of AWS's own hardware or services
 * (Outposts, Snow, S3 Express, FSx) are `400 InvalidStorageClass`. STANDARD, the default, is not stored.
 */
import { S3Error } from "@multistore/core";

/** The header, and the name it is stored under among an object's headers. */
export const STORAGE_CLASS = "x-amz-storage-class";

/** The class kept for each S3 class fs takes besides STANDARD. */
const KEPT = new Map([
  ["STANDARD_IA", "STANDARD_IA"],
  ["ONEZONE_IA", "ONEZONE_IA"],
  ["INTELLIGENT_TIERING", "INTELLIGENT_TIERING"],
  ["REDUCED_REDUNDANCY", "REDUCED_REDUNDANCY"],
  ["GLACIER_IR", "GLACIER_IR"],
  ["GLACIER", "GLACIER_IR"],
  ["DEEP_ARCHIVE", "GLACIER_IR"],
]);

/**
 * The class to keep for a write's `x-amz-storage-class` (undefined for STANDARD or none); throws `InvalidStorageClass`
 * for one fs does not take. Called before a write stores or stages anything.
 */
export function keptStorageClass(headers: Headers): string | undefined {
  const asked = headers.get(STORAGE_CLASS);
  if (asked === null || asked === "STANDARD") return undefined;
  const kept = KEPT.get(asked);
  if (kept === undefined) {
    throw new S3Error("InvalidStorageClass", { message: `The storage class ${asked} is not available on fs buckets.`, details: { StorageClassRequested: asked } });
  }
  return kept;
}
