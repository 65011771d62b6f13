/**
 * ETags. Azure's (`"0x8DC..."`) pass through as they are, except for objects assembled by CompleteMultipartUpload:
 * S3 clients expect those to look like `"<32 hex>-<parts>"` (and use the suffix to know the ETag is no MD5). The 32
 * hex digits encode the Azure ETag reversibly (its digit count, then its digits left-padded), so a client's
 * `If-Match` with that ETag is turned back into Azure's without any lookup.
 */

const AZURE_ETAG = /^"0x([0-9A-F]{1,30})"$/;
const MULTIPART_ETAG = /^"([0-9a-f]{2})([0-9a-f]{30})-(\d{1,5})"$/;

/** Quotes an ETag when Azure sent it bare (List Blobs does). */
export function quoteEtag(etag: string): string {
  return etag.startsWith('"') || etag.startsWith("W/") ? etag : `"${etag}"`;
}

/** The client's ETag for an Azure ETag; `parts` (from the blob's metadata) marks a multipart object. */
export function toS3Etag(azureEtag: string, parts?: number): string {
  const quoted = quoteEtag(azureEtag);
  const match = AZURE_ETAG.exec(quoted);
  if (parts === undefined || !match) return quoted;
  const digits = match[1]!;
  return `"${digits.length.toString(16).padStart(2, "0")}${digits.toLowerCase().padStart(30, "0")}-${parts}"`;
}

/** Azure's ETag for one the client sent (multipart form decoded, anything else unchanged). */
export function toAzureEtag(etag: string): string {
  const match = MULTIPART_ETAG.exec(etag.trim());
  if (!match) return etag.trim();
  const length = parseInt(match[1]!, 16);
  if (length < 1 || length > 30) return etag.trim();
  return `"0x${match[2]!.slice(30 - length).toUpperCase()}"`;
}

/** An `If-Match` / `If-None-Match` value with each listed ETag turned back into Azure's (`*` stays). */
export function toAzureEtagList(value: string): string {
  return value
    .split(",")
    .map((item) => toAzureEtag(item.trim()))
    .join(", ");
}

/** The part count metadata value of a multipart object, if valid. */
export function partCount(value: string | null | undefined): number | undefined {
  if (value === null || value === undefined || !/^\d{1,5}$/.test(value)) return undefined;
  const parts = Number(value);
  return parts >= 1 && parts <= 10000 ? parts : undefined;
}
