/** The small XML request bodies the gateway reads itself (CompleteMultipartUpload, DeleteObjects). */
import { S3Error } from "./errors.js";
import { sha256Hex } from "./sigv4/canonical-request.js";

/**
 * Reads a small XML body (at most `limit` bytes, as `readBody` enforces); when the request signed a hex digest of
 * its payload, the body must match it (`XAmzContentSHA256Mismatch`).
 */
export async function readSignedBody(readBody: (limit: number) => Promise<Uint8Array>, payloadHash: string | undefined, limit: number): Promise<Uint8Array> {
  const body = await readBody(limit);
  if (payloadHash !== undefined && /^[0-9a-f]{64}$/.test(payloadHash) && (await sha256Hex(body)) !== payloadHash) {
    throw new S3Error("XAmzContentSHA256Mismatch");
  }
  return body;
}
