/**
 * Storage classes between S3 and Azure's access tiers. A write's `x-amz-storage-class` becomes the tier with the same
 * minimum storage duration and retrieval cost (`x-ms-access-tier`), and a blob's tier is shown as the S3 class a
 * client would treat the same way. S3's archive classes are refused: an Archive blob is offline until it is
 * rehydrated, which the gateway cannot ask for (no RestoreObject), so the object would be unreadable through it. A
 * blob archived by other means is shown as `GLACIER`, and reading or copying it is S3's `403 InvalidObjectState`.
 */
import { S3Error } from "@multistore/core";

/**
 * The tier of each S3 class Azure has a counterpart of; `null`: taken with the account's default tier (S3's
 * INTELLIGENT_TIERING starts as frequent access, REDUCED_REDUNDANCY stores less safely than STANDARD).
 */
const TIERS = new Map<string, string | null>([
  ["STANDARD", "Hot"],
  ["STANDARD_IA", "Cool"],
  ["ONEZONE_IA", "Cool"],
  ["GLACIER_IR", "Cold"],
  ["INTELLIGENT_TIERING", null],
  ["REDUCED_REDUNDANCY", null],
]);

/** The S3 class a tier is shown as; Hot is shown as S3 shows STANDARD. */
const S3_CLASSES = new Map([
  ["cool", "STANDARD_IA"],
  ["cold", "GLACIER_IR"],
  ["archive", "GLACIER"],
]);

/**
 * The access tier a write asking `x-amz-storage-class` is given (core has checked S3 knows it); undefined: the
 * default. STANDARD is the account's default tier on a write (Hot, unless the operator chose Cool; accounts without
 * tiers, premium ones, refuse any), and Hot on a copy (`copy`), which may move a blob back from a cooler tier.
 */
export function accessTierOf(headers: Headers, copy = false): string | undefined {
  const asked = headers.get("x-amz-storage-class");
  if (asked === null || (asked === "STANDARD" && !copy)) return undefined;
  const tier = TIERS.get(asked);
  if (tier === undefined) {
    const why = asked === "GLACIER" || asked === "DEEP_ARCHIVE" ? "archived blobs are offline until rehydrated, which the gateway cannot ask for" : "Azure has no such tier";
    throw new S3Error("InvalidStorageClass", { message: `The storage class ${asked} is not available on az buckets: ${why}.`, details: { StorageClassRequested: asked } });
  }
  return tier ?? undefined;
}

/**
 * Refuses to read an archived blob (a copy's source): it is offline until rehydrated. Copy Blob would start a
 * rehydration taking hours, Put Block From URL fails; S3 answers a GLACIER object's copy this way.
 */
export function checkOnline(info: { accessTier?: string }): void {
  if (info.accessTier?.toLowerCase() === "archive") throw archived();
}

/** S3's error for reading an object that is offline (an Archive blob), as S3 answers it for GLACIER. */
export function archived(cause?: unknown): S3Error {
  return new S3Error("InvalidObjectState", { details: { StorageClass: "GLACIER" }, ...(cause !== undefined && { cause }) });
}

/** The S3 storage class of an access tier, or undefined for Hot (and an unknown tier). */
export function s3StorageClassOf(tier: string | null | undefined): string | undefined {
  return tier ? S3_CLASSES.get(tier.toLowerCase()) : undefined;
}
