/** The small XML request bodies the gateway reads itself (CompleteMultipartUpload, DeleteObjects). */
import { md5 } from "@noble/hashes/legacy.js";
import { DEFAULT_CHECKSUM_FACTORIES } from "./checksums/algorithms.js";
import { bodyChecksFor, compareDigests } from "./checksums/body-checks.js";
import { fromBase64, toBase64 } from "./encoding.js";
import { S3Error } from "./errors.js";
import { sha256Hex } from "./sigv4/canonical-request.js";

/**
 * Reads a small XML body (at most `limit` bytes, as `readBody` enforces) and checks it as S3 does: against the hex
 * digest of its payload the request signed (`XAmzContentSHA256Mismatch`), its `Content-MD5` (`InvalidDigest` when
 * malformed, `BadDigest` when it differs) and, where it describes the body, an `x-amz-checksum-*` header
 * (`BadDigest`). SDKs send one of the latter with DeleteObjects; a body that fails is not acted on.
 */
export async function readSignedBody(
  readBody: (limit: number) => Promise<Uint8Array>,
  payloadHash: string | undefined,
  limit: number,
  headers?: Headers,
  /** Whether `x-amz-checksum-*` describes this body (DeleteObjects); on CompleteMultipartUpload it is the object's. */
  bodyChecksums = true,
): Promise<Uint8Array> {
  // Malformed digests are refused before the body is read.
  const expectedMd5 = headers ? contentMd5Of(headers) : undefined;
  const checks = headers && bodyChecksums ? bodyChecksFor(headers, undefined, false) : undefined;
  const body = await readBody(limit);
  if (payloadHash !== undefined && /^[0-9a-fA-F]{64}$/.test(payloadHash) && (await sha256Hex(body)) !== payloadHash.toLowerCase()) {
    throw new S3Error("XAmzContentSHA256Mismatch");
  }
  if (expectedMd5 !== undefined && toBase64(md5(body)) !== toBase64(expectedMd5)) throw new S3Error("BadDigest");
  if (checks !== undefined) {
    await compareDigests(checks, async (algorithm) => {
      const hash = DEFAULT_CHECKSUM_FACTORIES[algorithm]();
      await hash.update(body);
      return hash.digest();
    });
  }
  return body;
}

/** The 16 bytes a `Content-MD5` header names (undefined without one); InvalidDigest unless it is base64 of 16 bytes. */
export function contentMd5Of(headers: Headers): Uint8Array | undefined {
  const value = headers.get("content-md5");
  if (value === null) return undefined;
  const bytes = /^[A-Za-z0-9+/]{22}==$/.test(value.trim()) ? fromBase64(value.trim()) : undefined;
  if (bytes === undefined || bytes.length !== 16) throw new S3Error("InvalidDigest");
  return bytes;
}
