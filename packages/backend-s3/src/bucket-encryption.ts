/** The backend bucket's default encryption (GetBucketEncryption), read with the gateway's own credentials. */
import { S3Error } from "@multistore/core";
import { childElement, childText, type BucketEncryption, type XmlElement } from "@multistore/core/backend";

/**
 * Statuses meaning the store has no default encryption set (404) or will not say: credentials without
 * `s3:GetEncryptionConfiguration` (403), or an S3-compatible store without the call (400, 405, 501). The gateway's
 * own credential failures are 503 before this (see `backendError`): the client caused none of these.
 */
const UNTOLD = new Set([400, 403, 404, 405, 501]);

/**
 * Reads the encryption document `request` fetches: its rule's algorithm and bucket key; undefined where the store
 * has none set or will not say. Any other failure (an unreachable store) is thrown.
 */
export async function readBucketEncryption(request: () => Promise<{ root: XmlElement | undefined }>): Promise<BucketEncryption | undefined> {
  let root: XmlElement | undefined;
  try {
    ({ root } = await request());
  } catch (error) {
    if (error instanceof S3Error && UNTOLD.has(error.status)) return undefined;
    throw error;
  }
  const rule = root?.name === "ServerSideEncryptionConfiguration" ? childElement(root, "Rule") : undefined;
  const defaults = rule && childElement(rule, "ApplyServerSideEncryptionByDefault");
  const algorithm = defaults && childText(defaults, "SSEAlgorithm");
  if (!algorithm) return undefined;
  return { algorithm, bucketKeyEnabled: childText(rule, "BucketKeyEnabled") === "true" };
}
