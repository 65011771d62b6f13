/** S3 version ids and part ETags as the GCS XML API takes them. */
import { S3Error } from "@multistore/core";

/** S3 version ids are GCS generations (decimal); S3's `null` version is the live object. */
export function generationOf(versionId: string): string | undefined {
  if (versionId === "null") return undefined;
  if (!/^\d{1,20}$/.test(versionId)) throw new S3Error("InvalidArgument", { message: "Invalid version id specified", details: { ArgumentName: "versionId" } });
  return versionId;
}

/** S3 accepts part ETags with or without quotes; the XML API compares the quoted form. */
export function quoted(etag: string): string {
  const trimmed = etag.trim();
  return trimmed.startsWith('"') ? trimmed : `"${trimmed}"`;
}
