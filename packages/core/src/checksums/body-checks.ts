/**
 * What an upload's body must match, read from its headers before any byte arrives: a signed hex
 * `x-amz-content-sha256`, an `x-amz-checksum-<algorithm>` header, or a checksum announced in `x-amz-trailer` that
 * follows an aws-chunked body. Malformed announcements are refused up front, so a body is never streamed to a backend
 * against a check that could not pass.
 */
import { fromBase64, toBase64, toHex } from "../encoding.js";
import { S3Error } from "../errors.js";
import {
  CHECKSUM_LENGTHS,
  checksumHeaderName,
  DEFAULT_CHECKSUM_FACTORIES,
  isChecksumAlgorithm,
  type ChecksumAlgorithm,
  type ChecksumFactories,
} from "./algorithms.js";

/** The checks of one request body. */
export interface BodyChecks {
  /** Lowercase hex SHA-256 the body must have (a hex `x-amz-content-sha256`); else XAmzContentSHA256Mismatch. */
  sha256Hex?: string;
  /** Base64 checksums announced in headers; a mismatch is BadDigest. */
  headerChecksums: { algorithm: ChecksumAlgorithm; expected: string }[];
  /** Algorithms whose checksum follows the body as an aws-chunked trailer; a mismatch is BadDigest. */
  trailerChecksums: ChecksumAlgorithm[];
  /**
   * Filled as checks pass: verified checksums by header name (`x-amz-checksum-crc32` -> base64). Complete once the
   * body has been read to its end; backends that keep checksums (fs) read it then.
   */
  verified: Record<string, string>;
}

/** `x-amz-checksum-*` headers that name no checksum value. */
const NOT_A_CHECKSUM = new Set(["mode", "type", "algorithm"]);

function invalid(message: string): S3Error {
  return new S3Error("InvalidRequest", { message });
}

function headerChecksums(headers: Headers): BodyChecks["headerChecksums"] {
  const found: BodyChecks["headerChecksums"] = [];
  for (const [name, value] of headers) {
    if (!name.startsWith("x-amz-checksum-")) continue;
    const algorithm = name.slice("x-amz-checksum-".length);
    if (NOT_A_CHECKSUM.has(algorithm)) continue;
    if (!isChecksumAlgorithm(algorithm)) {
      throw invalid(`The checksum algorithm of ${name} is not supported; use CRC32, CRC32C, CRC64NVME, SHA1 or SHA256.`);
    }
    const expected = value.trim();
    if (fromBase64(expected)?.length !== CHECKSUM_LENGTHS[algorithm] || !/^[A-Za-z0-9+/]+=*$/.test(expected)) {
      throw invalid(`Value for ${name} header is invalid.`);
    }
    found.push({ algorithm, expected });
  }
  if (found.length > 1) throw invalid("Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.");
  return found;
}

function trailerChecksums(headers: Headers, chunked: boolean): ChecksumAlgorithm[] {
  const declared = headers.get("x-amz-trailer");
  if (declared === null || declared.trim() === "") return [];
  if (!chunked) throw invalid("x-amz-trailer needs an aws-chunked body (Content-Encoding: aws-chunked).");
  return declared.split(",").map((part) => {
    const name = part.trim().toLowerCase();
    const algorithm = name.startsWith("x-amz-checksum-") ? name.slice("x-amz-checksum-".length) : "";
    if (!isChecksumAlgorithm(algorithm)) throw invalid(`The value specified in the x-amz-trailer header is not supported: ${part.trim()}`);
    return algorithm;
  });
}

/**
 * The checks a PutObject / UploadPart body must pass, or undefined when there are none. `payloadHash` is what the
 * request was signed with (falls back to the `x-amz-content-sha256` header for unsigned requests); `chunked` says
 * whether the body is aws-chunked (its hex hash would then describe the framing, which no client sends).
 */
export function bodyChecksFor(headers: Headers, payloadHash: string | undefined, chunked: boolean): BodyChecks | undefined {
  const declaredHash = payloadHash ?? headers.get("x-amz-content-sha256") ?? undefined;
  const sha256Hex = !chunked && declaredHash !== undefined && /^[0-9a-fA-F]{64}$/.test(declaredHash) ? declaredHash.toLowerCase() : undefined;
  const checks: BodyChecks = {
    ...(sha256Hex !== undefined && { sha256Hex }),
    headerChecksums: headerChecksums(headers),
    trailerChecksums: trailerChecksums(headers, chunked),
    verified: {},
  };
  const none = sha256Hex === undefined && checks.headerChecksums.length === 0 && checks.trailerChecksums.length === 0;
  return none ? undefined : checks;
}

/** Compares the digests of a whole body with the checks known before it (not trailers); records what passed. */
export async function compareDigests(checks: BodyChecks, digestOf: (algorithm: ChecksumAlgorithm) => Promise<Uint8Array>): Promise<void> {
  if (checks.sha256Hex !== undefined) {
    const computed = toHex(await digestOf("sha256"));
    if (computed !== checks.sha256Hex) {
      throw new S3Error("XAmzContentSHA256Mismatch", { details: { ClientComputedContentSHA256: checks.sha256Hex, S3ComputedContentSHA256: computed } });
    }
  }
  for (const { algorithm, expected } of checks.headerChecksums) {
    const computed = toBase64(await digestOf(algorithm));
    if (computed !== expected) throw badDigest(algorithm);
    checks.verified[checksumHeaderName(algorithm)] = computed;
  }
}

/** The error of a checksum that does not match the body. */
export function badDigest(algorithm: ChecksumAlgorithm): S3Error {
  return new S3Error("BadDigest", { message: `The ${algorithm.toUpperCase()} you specified did not match the calculated checksum.` });
}

/**
 * Checks an empty body at once. A zero-length upload may reach the backend without any body stream for a runtime
 * to verify, so its header checks are settled before dispatch. Trailer checks still need the (framed) body.
 */
export async function verifyEmptyBody(checks: BodyChecks, factories: ChecksumFactories = DEFAULT_CHECKSUM_FACTORIES): Promise<void> {
  await compareDigests(checks, (algorithm) => factories[algorithm]().digest());
}
