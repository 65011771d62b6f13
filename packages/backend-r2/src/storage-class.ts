/**
 * Storage classes between S3 and R2, which has two: Standard and Infrequent Access (30 days' minimum storage, a
 * retrieval fee, read at once). A write's `x-amz-storage-class` becomes R2's `storageClass`; S3's infrequent and
 * archive classes are Infrequent Access, the coldest R2 has (it serves every object at once, so nothing waits for a
 * restore). An object of Infrequent Access is shown as `STANDARD_IA`, as R2's own S3 API shows it.
 */
import { S3Error } from "@multistore/core";

/**
 * R2's class of each S3 class it has a counterpart of; `null`: taken with the bucket's default class (S3's
 * INTELLIGENT_TIERING starts as frequent access, REDUCED_REDUNDANCY stores less safely than STANDARD). A class
 * missing here is of AWS's own hardware or services (Outposts, Snow, S3 Express, FSx) and is refused.
 */
const R2_CLASSES = new Map<string, string | null>([
  ["STANDARD", "Standard"],
  ["STANDARD_IA", "InfrequentAccess"],
  ["ONEZONE_IA", "InfrequentAccess"],
  ["GLACIER_IR", "InfrequentAccess"],
  ["GLACIER", "InfrequentAccess"],
  ["DEEP_ARCHIVE", "InfrequentAccess"],
  ["INTELLIGENT_TIERING", null],
  ["REDUCED_REDUNDANCY", null],
]);

/** The `storageClass` option of a put or an upload asking `x-amz-storage-class` (core has checked S3 knows it). */
export function storageClassOption(headers: Headers): { storageClass?: string } {
  const asked = headers.get("x-amz-storage-class");
  if (asked === null) return {};
  const storageClass = R2_CLASSES.get(asked);
  if (storageClass === undefined) {
    throw new S3Error("InvalidStorageClass", { message: `The storage class ${asked} is not available on r2 buckets.`, details: { StorageClassRequested: asked } });
  }
  return storageClass === null ? {} : { storageClass };
}

/** S3's name of an R2 storage class: `STANDARD_IA` for Infrequent Access, else STANDARD (undefined). */
export function s3StorageClassOf(storageClass: string | undefined): string | undefined {
  return storageClass === "InfrequentAccess" ? "STANDARD_IA" : undefined;
}
