/**
 * Storage classes between S3 and Cloud Storage. A write's `x-amz-storage-class` becomes the GCS class with the same
 * minimum storage duration and retrieval cost (`x-goog-storage-class`), and a read shows the S3 class a client would
 * treat the same way. GCS serves every class at once, ARCHIVE included, so no object is ever shown as `GLACIER`
 * (which clients such as aws-cli skip on download, waiting for a restore that is not needed).
 */
import { S3Error } from "@multistore/core";

/**
 * The GCS class of each S3 class GCS has a counterpart of; `null`: taken with the bucket's default class (S3's
 * INTELLIGENT_TIERING starts as frequent access, REDUCED_REDUNDANCY stores less safely than STANDARD). A class
 * missing here is of AWS's own hardware or services (Outposts, Snow, S3 Express, FSx) and is refused.
 */
const GCS_CLASSES = new Map<string, string | null>([
  ["STANDARD", "STANDARD"],
  ["STANDARD_IA", "NEARLINE"],
  ["ONEZONE_IA", "NEARLINE"],
  ["GLACIER_IR", "COLDLINE"],
  ["GLACIER", "ARCHIVE"],
  ["DEEP_ARCHIVE", "ARCHIVE"],
  ["INTELLIGENT_TIERING", null],
  ["REDUCED_REDUNDANCY", null],
]);

/** The S3 class a GCS class is shown as; STANDARD (and GCS's older names for it) is shown as S3 shows STANDARD. */
const S3_CLASSES = new Map([
  ["NEARLINE", "STANDARD_IA"],
  ["COLDLINE", "GLACIER_IR"],
  ["ARCHIVE", "GLACIER_IR"],
]);

/**
 * The `x-goog-storage-class` header of a write asking `x-amz-storage-class` (core has checked S3 knows it); none for
 * a class taken with the bucket's default.
 */
export function gcsStorageClassHeader(headers: Headers): Record<string, string> {
  const asked = headers.get("x-amz-storage-class");
  if (asked === null) return {};
  const gcsClass = GCS_CLASSES.get(asked);
  if (gcsClass === undefined) {
    throw new S3Error("InvalidStorageClass", { message: `The storage class ${asked} is not available on gcs buckets.`, details: { StorageClassRequested: asked } });
  }
  return gcsClass === null ? {} : { "x-goog-storage-class": gcsClass };
}

/** The S3 storage class of a GCS one, or undefined for STANDARD (and an unknown class). */
export function s3StorageClassOf(gcsClass: string | null | undefined): string | undefined {
  return gcsClass ? S3_CLASSES.get(gcsClass.toUpperCase()) : undefined;
}
