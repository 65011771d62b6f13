/**
 * The checksum algorithms S3 clients send (`x-amz-checksum-<name>` headers and trailers) and incremental, pure
 * JavaScript implementations of each: a body is hashed chunk by chunk as it streams, so memory stays flat. WebCrypto
 * has no incremental digest, hence our own CRCs and noble's hashes, none of which needs a Node built-in. Runtimes may
 * swap in faster native ones (`ChecksumFactories`).
 */
import { sha1 } from "@noble/hashes/legacy.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { createCrc32, createCrc32c, type Crc32Checksum } from "./crc32.js";
import { Crc64Nvme } from "./crc64-nvme.js";

/** A checksum algorithm, by the lowercase name S3 uses in header names (`x-amz-checksum-crc32`). */
export type ChecksumAlgorithm = "crc32" | "crc32c" | "crc64nvme" | "sha1" | "sha256";

/** Every supported algorithm. */
export const CHECKSUM_ALGORITHMS: readonly ChecksumAlgorithm[] = ["crc32", "crc32c", "crc64nvme", "sha1", "sha256"];

/** Digest size in bytes, to refuse malformed expected values before any byte is read. */
export const CHECKSUM_LENGTHS: Record<ChecksumAlgorithm, number> = { crc32: 4, crc32c: 4, crc64nvme: 8, sha1: 20, sha256: 32 };

/** An incremental hash. `update` may return a promise (native streaming digests apply backpressure). */
export interface IncrementalChecksum {
  /** Adds bytes. */
  update(bytes: Uint8Array): void | Promise<void>;
  /** The digest of everything added. Called once. */
  digest(): Promise<Uint8Array>;
}

/** Makes a fresh hash per algorithm. */
export type ChecksumFactories = Record<ChecksumAlgorithm, () => IncrementalChecksum>;

/** CRCs as the big-endian bytes S3 base64-encodes. */
function crc32Bytes(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value >>> 0, false);
  return out;
}

/** A 32-bit CRC as an `IncrementalChecksum`. */
function crc32Checksum(crc: Crc32Checksum): IncrementalChecksum {
  return { update: (bytes) => crc.update(bytes), digest: async () => crc32Bytes(crc.value()) };
}

/** The pure-JS implementations; they run on every runtime. */
export const DEFAULT_CHECKSUM_FACTORIES: ChecksumFactories = {
  crc32: () => crc32Checksum(createCrc32()),
  crc32c: () => crc32Checksum(createCrc32c()),
  crc64nvme: () => {
    const crc = new Crc64Nvme();
    return { update: (bytes) => crc.update(bytes), digest: async () => crc.digest() };
  },
  sha1: () => {
    // @aws-crypto/sha1-browser buffers the whole body for WebCrypto; noble's SHA-1 is incremental.
    const hash = sha1.create();
    return { update: (bytes) => void hash.update(bytes), digest: async () => hash.digest() };
  },
  sha256: () => {
    const hash = sha256.create();
    return { update: (bytes) => void hash.update(bytes), digest: async () => hash.digest() };
  },
};

/** Whether `name` is a supported algorithm name (lowercase). */
export function isChecksumAlgorithm(name: string): name is ChecksumAlgorithm {
  return (CHECKSUM_ALGORITHMS as readonly string[]).includes(name);
}

/** The header (and trailer) name carrying an algorithm's checksum. */
export function checksumHeaderName(algorithm: ChecksumAlgorithm): string {
  return `x-amz-checksum-${algorithm}`;
}
