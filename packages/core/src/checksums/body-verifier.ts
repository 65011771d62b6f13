/**
 * Incremental verification of a request body with hold-back. Bytes are hashed as they pass, and every chunk is
 * released as soon as the next one arrives, except the last: it is held until the end of the body, when the
 * digests are compared, and then released, or the stream fails instead. Backends commit an object only once its
 * declared length has fully arrived (S3 and R2 by Content-Length, fs at the end of its stream), so a body whose
 * check fails is never stored, while memory stays at one chunk.
 */
import { toBase64 } from "../encoding.js";
import { S3Error } from "../errors.js";
import { checksumHeaderName, DEFAULT_CHECKSUM_FACTORIES, type ChecksumAlgorithm, type ChecksumFactories, type IncrementalChecksum } from "./algorithms.js";
import { badDigest, compareDigests, type BodyChecks } from "./body-checks.js";

/** Trailing headers of an aws-chunked body (lowercase names), known once it has been decoded to its end. */
export type TrailerSource = () => ReadonlyMap<string, string>;

const NO_TRAILERS: TrailerSource = () => new Map();

/** Hashes the body for its checks and holds its last chunk back until they pass. `push` in order, then `finish`. */
export class BodyVerifier {
  private held: Uint8Array | undefined;
  private readonly hashes = new Map<ChecksumAlgorithm, IncrementalChecksum>();
  private finished = false;

  constructor(
    private readonly checks: BodyChecks | undefined,
    private readonly trailers: TrailerSource = NO_TRAILERS,
    factories: Partial<ChecksumFactories> = {},
  ) {
    const make = (algorithm: ChecksumAlgorithm) => {
      if (!this.hashes.has(algorithm)) this.hashes.set(algorithm, (factories[algorithm] ?? DEFAULT_CHECKSUM_FACTORIES[algorithm])());
    };
    if (checks?.sha256Hex !== undefined) make("sha256");
    for (const { algorithm } of checks?.headerChecksums ?? []) make(algorithm);
    for (const algorithm of checks?.trailerChecksums ?? []) make(algorithm);
  }

  /** Hashes `bytes` and returns what may be released now: the previously held chunk. */
  async push(bytes: Uint8Array): Promise<Uint8Array[]> {
    if (this.finished) throw new Error("BodyVerifier: push after finish");
    // An empty chunk is nothing to hold back: holding it would release the real last bytes unchecked.
    if (bytes.length === 0) return [];
    for (const hash of this.hashes.values()) {
      const pending = hash.update(bytes);
      if (pending) await pending;
    }
    const release = this.held;
    this.held = bytes;
    return release ? [release] : [];
  }

  /** Verifies every check; returns the held last chunk, or throws (XAmzContentSHA256Mismatch, BadDigest, ...). */
  async finish(): Promise<Uint8Array[]> {
    this.finished = true;
    const digests = new Map<ChecksumAlgorithm, Promise<Uint8Array>>();
    const digestOf = (algorithm: ChecksumAlgorithm) => {
      let digest = digests.get(algorithm);
      if (!digest) {
        digest = this.hashes.get(algorithm)!.digest();
        digests.set(algorithm, digest);
      }
      return digest;
    };
    // Without checks, trailers are still looked at: an unannounced checksum trailer is refused, never ignored.
    const checks = this.checks ?? { headerChecksums: [], trailerChecksums: [], verified: {} };
    await compareDigests(checks, digestOf);
    await this.compareTrailers(checks, digestOf);
    const held = this.held;
    this.held = undefined;
    return held ? [held] : [];
  }

  private async compareTrailers(checks: BodyChecks, digestOf: (algorithm: ChecksumAlgorithm) => Promise<Uint8Array>): Promise<void> {
    const trailers = this.trailers();
    for (const name of trailers.keys()) {
      // A checksum trailer that was not announced could not have been hashed: refuse it rather than pass it unchecked.
      if (name.startsWith("x-amz-checksum-") && !checks.trailerChecksums.some((algorithm) => checksumHeaderName(algorithm) === name)) {
        throw malformedTrailer(`The trailer ${name} was not declared in x-amz-trailer.`);
      }
    }
    for (const algorithm of checks.trailerChecksums) {
      const name = checksumHeaderName(algorithm);
      const expected = trailers.get(name);
      if (expected === undefined) throw malformedTrailer(`The declared trailer ${name} is missing.`);
      const computed = toBase64(await digestOf(algorithm));
      if (computed !== expected.trim()) throw badDigest(algorithm);
      checks.verified[name] = computed;
    }
  }
}

function malformedTrailer(message: string): S3Error {
  return new S3Error("MalformedTrailerError", { status: 400, message });
}
