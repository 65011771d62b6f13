/**
 * GetObjectAttributes, on every backend: the gateway asks the backend for a HeadObject (with stored checksums when
 * `Checksum` is wanted), and renders the head's headers as S3's XML document in place of the head's empty answer.
 * What a head cannot tell is left out: `ObjectParts` carries the part count of a multipart ETag (`"…-N"`), not the
 * parts themselves, and only from a backend that `readsParts`: other stores read every object as its one part
 * (object-parts.ts), so a count there would name parts that `partNumber` refuses.
 */
import { S3Error } from "../errors.js";
import { HeaderMap } from "../header-map.js";
import { xmlResponse } from "../responses.js";
import { xmlElement } from "../xml.js";
import type { PlainResponse } from "../types.js";

/** An attribute a client may ask for in `x-amz-object-attributes`. */
export type ObjectAttribute = "ETag" | "Checksum" | "ObjectParts" | "StorageClass" | "ObjectSize";

const ATTRIBUTES: readonly ObjectAttribute[] = ["ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"];

/** S3's checksum headers and the elements GetObjectAttributes names them by. */
const CHECKSUM_ELEMENTS: [header: string, element: string][] = [
  ["x-amz-checksum-crc32", "ChecksumCRC32"],
  ["x-amz-checksum-crc32c", "ChecksumCRC32C"],
  ["x-amz-checksum-crc64nvme", "ChecksumCRC64NVME"],
  ["x-amz-checksum-sha1", "ChecksumSHA1"],
  ["x-amz-checksum-sha256", "ChecksumSHA256"],
];

/** Response headers of the head that GetObjectAttributes answers with too (S3 sends these, not entity headers). */
const KEPT_HEADERS = ["last-modified", "x-amz-version-id", "x-amz-delete-marker"];

/**
 * The attributes a request asks for (`x-amz-object-attributes`, comma-separated: a header, or a query parameter where
 * a presigner moved it); InvalidArgument when none or unknown.
 */
export function requestedAttributes(headers: Headers, query: { get(name: string): string | undefined }): ObjectAttribute[] {
  const names = (headers.get("x-amz-object-attributes") ?? query.get("x-amz-object-attributes") ?? "")
    .split(",")
    .map((name) => name.trim())
    .filter((name) => name !== "");
  if (names.length === 0) {
    throw new S3Error("InvalidArgument", { message: "The x-amz-object-attributes header specifying the attributes to be retrieved is either missing or empty." });
  }
  for (const name of names) {
    if (!(ATTRIBUTES as readonly string[]).includes(name)) throw new S3Error("InvalidArgument", { message: "Invalid attribute name specified.", details: { ArgumentName: "x-amz-object-attributes", ArgumentValue: name } });
  }
  return names as ObjectAttribute[];
}

/** The headers of the HeadObject that answers for a GetObjectAttributes request. */
export function headRequestHeaders(headers: Headers, attributes: ObjectAttribute[]): Headers {
  const head = new HeaderMap(headers);
  head.delete("range");
  if (attributes.includes("Checksum")) head.record["x-amz-checksum-mode"] = "ENABLED";
  return head;
}

/**
 * Renders a successful head's (filtered) headers as the GetObjectAttributes document; the caller stamps it.
 * `partsReadable`: the backend reads parts by number (`Backend.readsParts`), so a multipart ETag's count is reported.
 */
export function renderObjectAttributes(attributes: ObjectAttribute[], head: Headers, partsReadable: boolean): PlainResponse<never> {
  let inner = "";
  const etag = head.get("etag");
  if (attributes.includes("ETag") && etag !== null) inner += xmlElement("ETag", etag.replace(/^"(.*)"$/, "$1"));
  if (attributes.includes("Checksum")) {
    const checksums = CHECKSUM_ELEMENTS.filter(([header]) => head.has(header)).map(([header, element]) => xmlElement(element, head.get(header)!));
    const type = head.get("x-amz-checksum-type");
    if (checksums.length > 0) inner += `<Checksum>${checksums.join("")}${type === null ? "" : xmlElement("ChecksumType", type)}</Checksum>`;
  }
  const parts = etag === null || !partsReadable ? undefined : /-(\d+)"?$/.exec(etag)?.[1];
  if (attributes.includes("ObjectParts") && parts !== undefined) inner += `<ObjectParts>${xmlElement("PartsCount", parts)}</ObjectParts>`;
  if (attributes.includes("StorageClass")) inner += xmlElement("StorageClass", head.get("x-amz-storage-class") ?? "STANDARD");
  const size = head.get("content-length");
  if (attributes.includes("ObjectSize") && size !== null) inner += xmlElement("ObjectSize", size);
  const response = xmlResponse("GetObjectAttributesResponse", inner);
  for (const name of KEPT_HEADERS) {
    const value = head.get(name);
    if (value !== null) response.headers.set(name, value);
  }
  return response;
}
