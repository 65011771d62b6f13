/**
 * Checksums of a copy (CopyObject), as S3 keeps them: the source's carry over unless the request names another
 * algorithm (`x-amz-checksum-algorithm`), which the store computes; CopyObjectResult shows what the copy keeps.
 */
import { S3Error } from "../errors.js";
import { xmlElement } from "../xml.js";
import { CHECKSUM_ALGORITHMS, checksumHeaderName, isChecksumAlgorithm, type ChecksumAlgorithm } from "./algorithms.js";

/** Algorithms S3 also takes that the gateway cannot compute: only an S3 store copying within itself is asked them. */
const STORE_ONLY_ALGORITHMS = new Set(["md5", "sha512", "xxhash3", "xxhash64", "xxhash128"]);

/** Options of `copyChecksumAlgorithm`. */
export interface CopyChecksumOptions {
  /**
   * The store copies within itself and computes any algorithm S3 takes (an S3 store): those only S3 computes (`MD5`,
   * `SHA512`, `XXHASH*`) are not refused with 501 (one S3 does not know still is, with 400).
   */
  storeComputes?: boolean;
}

/**
 * The algorithm a CopyObject asks its copy's checksum in, else undefined. S3 names them in upper case (`CRC64NVME`).
 * One S3 does not know is `400 InvalidRequest`; one S3 takes that the gateway cannot compute (`MD5`, `SHA512`,
 * `XXHASH*`) is `501 NotImplemented` unless `storeComputes` (then undefined: the store is asked it).
 */
export function copyChecksumAlgorithm(headers: Headers, options: CopyChecksumOptions = {}): ChecksumAlgorithm | undefined {
  const value = headers.get("x-amz-checksum-algorithm");
  if (value === null || value === "") return undefined;
  const algorithm = value.trim().toLowerCase();
  if (isChecksumAlgorithm(algorithm)) return algorithm;
  if (STORE_ONLY_ALGORITHMS.has(algorithm)) {
    if (options.storeComputes === true) return undefined;
    throw new S3Error("NotImplemented", { message: `The checksum algorithm ${algorithm.toUpperCase()} is not supported for this copy.` });
  }
  throw new S3Error("InvalidRequest", {
    message: `Checksum algorithm provided is unsupported. Please try again with any of the valid types: [${CHECKSUM_ALGORITHMS.map((name) => name.toUpperCase()).join(", ")}]`,
    details: { ArgumentName: "x-amz-checksum-algorithm" },
  });
}

/**
 * The checksums a copy keeps, from the source's (`x-amz-checksum-<algorithm>` -> base64): all of them when the
 * request names no algorithm, else the named one's alone, or undefined when the source has none in it (the store
 * computes it while it copies).
 */
export function copiedChecksums(source: Record<string, string> | undefined, algorithm: ChecksumAlgorithm | undefined): Record<string, string> | undefined {
  if (algorithm === undefined) return source;
  const value = source?.[checksumHeaderName(algorithm)];
  return value === undefined ? undefined : { [checksumHeaderName(algorithm)]: value };
}

/** A checksum of parts (`<base64>-<part count>`), as S3 shows an upload's composite checksum. */
const COMPOSITE = /-\d+$/;

/**
 * The whole-object checksums a response carries (a read with `x-amz-checksum-mode: ENABLED`, a write's echo), by
 * header name; undefined for none. A checksum of parts (COMPOSITE) is left out: no single write can be given one.
 */
export function fullObjectChecksums(headers: Headers): Record<string, string> | undefined {
  if (headers.get("x-amz-checksum-type")?.toUpperCase() === "COMPOSITE") return undefined;
  const checksums: Record<string, string> = {};
  let found = false;
  for (const algorithm of CHECKSUM_ALGORITHMS) {
    const value = headers.get(checksumHeaderName(algorithm));
    if (value === null || value === "" || COMPOSITE.test(value)) continue;
    checksums[checksumHeaderName(algorithm)] = value;
    found = true;
  }
  return found ? checksums : undefined;
}

/** The order a write given one of several checksums picks in, among those it keeps: SHAs first, then the CRCs. */
const PREFERRED: readonly ChecksumAlgorithm[] = ["sha256", "sha1", "crc64nvme", "crc32c", "crc32"];

/**
 * One of `checksums` (by header name), for a write that takes one checksum header (S3 refuses several): the first in
 * `PREFERRED` the destination keeps (`kept`, the backend's `keptChecksums`; undefined for all), else none.
 */
export function oneChecksum(checksums: Record<string, string> | undefined, kept?: readonly ChecksumAlgorithm[]): Record<string, string> | undefined {
  if (checksums === undefined) return undefined;
  for (const algorithm of PREFERRED) {
    if (kept !== undefined && !kept.includes(algorithm)) continue;
    const value = checksums[checksumHeaderName(algorithm)];
    if (value !== undefined) return { [checksumHeaderName(algorithm)]: value };
  }
  return undefined;
}

/**
 * The checksum elements of CopyObjectResult (`type`: the store's ChecksumType, else COMPOSITE for a value of parts
 * and FULL_OBJECT otherwise) or of CopyPartResult (`type` null: it has none), for checksums by header name; empty
 * for none. Only the algorithms S3 knows are shown.
 */
export function checksumElements(checksums: Record<string, string> | undefined, type?: string | null): string {
  let elements = "";
  let composite = false;
  for (const [name, value] of Object.entries(checksums ?? {})) {
    const algorithm = name.slice("x-amz-checksum-".length);
    // Those only S3 computes too: an S3 store answers the one a copy named (ChecksumSHA512, ChecksumXXHASH64, …).
    if (!name.startsWith("x-amz-checksum-") || !(isChecksumAlgorithm(algorithm) || STORE_ONLY_ALGORITHMS.has(algorithm)) || value === "") continue;
    elements += xmlElement(`Checksum${algorithm.toUpperCase()}`, value);
    composite ||= COMPOSITE.test(value);
  }
  if (elements === "" || type === null) return elements;
  return xmlElement("ChecksumType", type !== undefined && type !== "" ? type : composite ? "COMPOSITE" : "FULL_OBJECT") + elements;
}
