/**
 * Checksums the fs backend computes itself, as a body streams into its temp file: the one a copy names that its
 * source has none in, and those a write carries that no runtime verified (a copy streamed from another store gives
 * its source's): S3 verifies such a write's checksums and keeps them, and so does fs.
 */
import { createHash } from "node:crypto";
import { badDigest, checksumHeaderName, DEFAULT_CHECKSUM_FACTORIES, toBase64, type ChecksumAlgorithm, type IncrementalChecksum } from "@multistore/core/backend";

/** A checksum computed while staging. */
export interface StagedChecksum {
  /** Its algorithm. */
  algorithm: ChecksumAlgorithm;
  /** Its header name (`x-amz-checksum-sha256`). */
  name: string;
  /** The hash, fed every byte staged. */
  hash: IncrementalChecksum;
  /** The value (base64) it must come to, when the write gave one. */
  expected?: string;
}

const ALGORITHMS = Object.keys(DEFAULT_CHECKSUM_FACTORIES) as ChecksumAlgorithm[];

/** A fresh hash of `algorithm`: node:crypto's SHAs (core's pure-JS ones run at a tenth of the speed), core's CRCs. */
function hashOf(algorithm: ChecksumAlgorithm): IncrementalChecksum {
  if (algorithm !== "sha1" && algorithm !== "sha256") return DEFAULT_CHECKSUM_FACTORIES[algorithm]();
  const hash = createHash(algorithm);
  return { update: (bytes) => void hash.update(bytes), digest: async () => hash.digest() };
}

/** The checksum of `algorithm` to compute while staging. */
export function stagedChecksum(algorithm: ChecksumAlgorithm, expected?: string): StagedChecksum {
  return { algorithm, name: checksumHeaderName(algorithm), hash: hashOf(algorithm), ...(expected !== undefined && { expected }) };
}

/** The checksums a write carries as headers (`x-amz-checksum-<algorithm>`), to verify while staging. */
export function givenChecksums(headers: Headers): StagedChecksum[] {
  const given: StagedChecksum[] = [];
  for (const algorithm of ALGORITHMS) {
    const value = headers.get(checksumHeaderName(algorithm));
    if (value !== null && value !== "") given.push(stagedChecksum(algorithm, value));
  }
  return given;
}

/** The staged checksums' values (base64) by header name, each checked against its expected value (BadDigest). */
export async function checkedDigests(checksums: readonly StagedChecksum[]): Promise<Record<string, string>> {
  const values: Record<string, string> = {};
  for (const checksum of checksums) {
    const value = toBase64(await checksum.hash.digest());
    if (checksum.expected !== undefined && value !== checksum.expected) throw badDigest(checksum.algorithm);
    values[checksum.name] = value;
  }
  return values;
}
