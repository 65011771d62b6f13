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
