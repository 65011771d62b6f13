/**
 * ListParts: one page of an upload's parts, as the backend keeps them. Clients list parts to resume an upload (to
 * skip the parts already sent) and to collect the ETags CompleteMultipartUpload needs.
 */
import { S3Error } from "../errors.js";
import { parseWholeNumber } from "../query-numbers.js";
import { xmlDate, xmlResponse } from "../responses.js";
import { childElements, childText, xmlElement, type XmlElement } from "../xml.js";
import type { Backend, ListPartsResult, PlainResponse } from "../types.js";

/** S3's largest (and default) page of parts. */
export const MAX_PARTS_PER_PAGE = 1000;

/** S3's bound for integer query arguments. */
const MAX_INTEGER_ARGUMENT = 2147483647;

/** Reads a whole-number query parameter (0 to 2^31 - 1, as S3 checks it); absent gives `fallback`. */
export function wholeNumber(value: string | undefined, name: string, fallback: number): number {
  return parseWholeNumber(value, fallback, { name, message: `Argument ${name} must be an integer between 0 and ${MAX_INTEGER_ARGUMENT}`, limit: MAX_INTEGER_ARGUMENT });
}

/** What ListParts answers about: the names the client used and the id it sent (not the backend's). */
export interface ListPartsTarget {
  /** The bucket the client named. */
  bucket: string;
  /** The key the client named. */
  clientKey: string;
  /** The key in the backend. */
  key: string;
  /** The upload id the client sent. */
  clientUploadId: string;
  /** The backend's upload id. */
  uploadId: string;
}

/** ListParts: `max-parts` (default and cap 1000) from after `part-number-marker`. */
export async function listParts(backend: Backend<unknown>, target: ListPartsTarget, query: { get(name: string): string | undefined }): Promise<PlainResponse<never>> {
  if (!backend.listParts) {
    throw new S3Error("NotImplemented", { message: `ListParts is not supported by this bucket's backend (${backend.kind}).` });
  }
  const maxParts = Math.min(wholeNumber(query.get("max-parts"), "max-parts", MAX_PARTS_PER_PAGE), MAX_PARTS_PER_PAGE);
  // Echoed as sent; no part is numbered above 10000, so a larger marker lists nothing.
  const marker = wholeNumber(query.get("part-number-marker"), "part-number-marker", 0);
  const page = maxParts === 0 || marker >= 10000 ? { parts: [], isTruncated: false } : await backend.listParts(target.key, target.uploadId, { maxParts, partNumberMarker: marker });
  const parts = page.parts.slice(0, maxParts);
  const last = parts.at(-1)?.partNumber ?? marker;
  const items = parts
    .map((part) => {
      const checksums = Object.entries(part.checksums ?? {}).map(([name, value]) => xmlElement(name, value));
      return `<Part>${xmlElement("PartNumber", part.partNumber)}${xmlElement("LastModified", xmlDate(part.lastModified))}${xmlElement("ETag", part.etag)}${xmlElement("Size", part.size)}${checksums.join("")}</Part>`;
    })
    .join("");
  return xmlResponse(
    "ListPartsResult",
    xmlElement("Bucket", target.bucket) +
      xmlElement("Key", target.clientKey) +
      xmlElement("UploadId", target.clientUploadId) +
      xmlElement("PartNumberMarker", marker) +
      xmlElement("NextPartNumberMarker", last) +
      xmlElement("MaxParts", maxParts) +
      xmlElement("IsTruncated", page.isTruncated || page.parts.length > maxParts) +
      xmlElement("StorageClass", page.storageClass ?? "STANDARD") +
      items,
  );
}

/**
 * Reads a ListPartsResult document from a backend that speaks S3's XML API (S3 and its compatibles, GCS's XML API),
 * for backends' `listParts`. `storageClassOf` names the document's class as S3 does (default: as it is; undefined
 * for STANDARD).
 */
export function parseListPartsResult(root: XmlElement, storageClassOf: (named: string) => string | undefined = asNamed): ListPartsResult {
  const parts = childElements(root, "Part").map((part) => {
    const checksums: Record<string, string> = {};
    // Only S3's checksum elements, by name: a backend's document never names what the client is shown.
    for (const child of part.children) if (/^Checksum(CRC32|CRC32C|CRC64NVME|SHA1|SHA256)$/.test(child.name)) checksums[child.name] = child.text.trim();
    return {
      partNumber: Number(childText(part, "PartNumber") ?? 0),
      etag: childText(part, "ETag") ?? "",
      size: Number(childText(part, "Size") ?? 0),
      lastModified: new Date(childText(part, "LastModified") ?? 0),
      ...(Object.keys(checksums).length > 0 && { checksums }),
    };
  });
  const storageClass = storageClassIn(root, storageClassOf);
  return { parts, isTruncated: childText(root, "IsTruncated") === "true", ...(storageClass !== undefined && { storageClass }) };
}

/** A document's class as it names it; STANDARD (and none) as undefined. */
export function asNamed(named: string): string | undefined {
  return named === "STANDARD" ? undefined : named;
}

/** The `StorageClass` child of `element`, named as S3 names it (undefined for none, STANDARD or one unknown). */
export function storageClassIn(element: XmlElement, storageClassOf: (named: string) => string | undefined): string | undefined {
  const named = childText(element, "StorageClass")?.trim();
  return named === undefined || named === "" ? undefined : storageClassOf(named);
}
