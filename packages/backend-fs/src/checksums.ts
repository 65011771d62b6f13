/**
 * Checksums the fs backend computes itself, as a body streams into its temp file: the one a copy names that its
 * source has none in, and those a write carries that no runtime verified (a copy streamed from another store gives
 * its source's): S3 verifies such a write's checksums and keeps them, and so does fs.
 */
import { createHash } from "node:crypto";
import { checksumHeaderName, DEFAULT_CHECKSUM_FACTORIES, type ChecksumAlgorithm, type IncrementalChecksum } from "@multistore/core/backend";

/** A checksum computed while staging: its header name, its hash, and the value it must come to, if given. */
export interface StagedChecksum {
  name: string;
  hash: IncrementalChecksum;
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
  return { name: checksumHeaderName(algorithm), hash: hashOf(algorithm), ...(expected !== undefined && { expected }) };
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
