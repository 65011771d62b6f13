/**
 * Checksums of a copy (CopyObject), as S3 keeps them: the source's carry over unless the request names another
 * algorithm (`x-amz-checksum-algorithm`), which the store computes; CopyObjectResult shows what the copy keeps.
 */
import { S3Error } from "../errors.js";
import { xmlElement } from "../xml.js";
import { CHECKSUM_ALGORITHMS, checksumHeaderName, isChecksumAlgorithm, type ChecksumAlgorithm } from "./algorithms.js";

/**
 * The algorithm a CopyObject asks its copy's checksum in, else undefined. S3 names them in upper case (`CRC64NVME`);
 * one it does not know is `400 InvalidRequest` before any store is asked.
 */
export function copyChecksumAlgorithm(headers: Headers): ChecksumAlgorithm | undefined {
  const value = headers.get("x-amz-checksum-algorithm");
  if (value === null || value === "") return undefined;
  const algorithm = value.trim().toLowerCase();
  if (isChecksumAlgorithm(algorithm)) return algorithm;
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

/**
 * CopyObjectResult's checksum elements for checksums by header name, with their type (a store's own, else
 * `FULL_OBJECT`: the checksum of the whole object's bytes); empty for none.
 */
export function checksumElements(checksums: Record<string, string> | undefined, type = "FULL_OBJECT"): string {
  let elements = "";
  for (const [name, value] of Object.entries(checksums ?? {})) {
    const algorithm = name.slice("x-amz-checksum-".length);
    if (name.startsWith("x-amz-checksum-") && isChecksumAlgorithm(algorithm)) elements += xmlElement(`Checksum${algorithm.toUpperCase()}`, value);
  }
  return elements === "" ? "" : xmlElement("ChecksumType", type) + elements;
}
