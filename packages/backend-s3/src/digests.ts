/** SHA-256 digests of the bodies the S3 backend sends itself (listings, deletes, copies), through WebCrypto. */
import { toBase64, toHex } from "@multistore/core/backend";

/** Base64 SHA-256 of `bytes` (an `x-amz-checksum-sha256` value). */
export async function sha256Base64(bytes: Uint8Array): Promise<string> {
  return toBase64(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>)));
}

/** Hex SHA-256 of `bytes` (a signed payload hash). */
export async function sha256HexOf(bytes: Uint8Array): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>)));
}

/**
 * The headers of an XML document sent to S3 (DeleteObjects' Delete, PutObjectTagging's Tagging): S3 needs a body
 * checksum on both (SHA-256 always; MD5 too where the runtime has it, for S3-compatible stores that know only
 * Content-MD5).
 */
export async function xmlBodyHeaders(body: Uint8Array, md5Base64: ((bytes: Uint8Array) => string) | undefined): Promise<Record<string, string>> {
  const headers: Record<string, string> = { "content-type": "application/xml", "x-amz-checksum-sha256": await sha256Base64(body), "x-amz-sdk-checksum-algorithm": "SHA256" };
  if (md5Base64) headers["content-md5"] = md5Base64(body);
  return headers;
}
