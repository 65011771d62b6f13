/** Reading S3's XML responses. */
import { S3Error } from "@multistore/core";
import { childElement, childElements, childText, parseXml, backendError, type DeleteVersionsResult, type ListResult, type XmlElement } from "@multistore/core/backend";

/** Parses a backend document, turning garbage into a 503 (the backend misbehaved, not the client). */
export function parseBackendXml(text: string): XmlElement {
  try {
    return parseXml(text);
  } catch (error) {
    throw new S3Error("ServiceUnavailable", { cause: new Error("unparseable XML from the S3 backend", { cause: error }) });
  }
}

/** Throws the client-facing error for a failed backend response (some S3 errors come with status 200). */
export function checkBackendResponse(status: number, text: string): XmlElement | undefined {
  const root = text.trim() === "" ? undefined : parseBackendXml(text);
  if (status >= 300 || root?.name === "Error") {
    throw backendError(status >= 300 ? status : 500, root ? childText(root, "Code") : undefined, root ? childText(root, "Message") : undefined);
  }
  return root;
}

/** Converts a ListObjectsV2 document. Keys are url-decoded when the backend honoured `encoding-type=url`. */
export function parseListResult(root: XmlElement): ListResult {
  const encoded = childText(root, "EncodingType") === "url";
  const decode = (value: string) => (encoded ? decodeURIComponent(value.replace(/\+/g, "%20")) : value);
  const objects = childElements(root, "Contents").map((entry) => ({
    key: decode(childText(entry, "Key") ?? ""),
    lastModified: new Date(childText(entry, "LastModified") ?? 0),
    etag: childText(entry, "ETag") ?? "",
    size: Number(childText(entry, "Size") ?? 0),
    storageClass: childText(entry, "StorageClass") ?? "STANDARD",
  }));
  const commonPrefixes = childElements(root, "CommonPrefixes").map((entry) => decode(childText(entry, "Prefix") ?? ""));
  const isTruncated = childText(root, "IsTruncated") === "true";
  const next = childText(root, "NextContinuationToken");
  return { objects, commonPrefixes, isTruncated, ...(isTruncated && next && { nextContinuationToken: next }) };
}

/** A DeleteResult naming versions: each entry with the version it was about (`VersionId`) and `DeleteMarker`. */
export function parseDeleteVersionsResult(root: XmlElement): DeleteVersionsResult {
  return {
    deleted: childElements(root, "Deleted").map((entry) => ({
      key: childText(entry, "Key") ?? "",
      versionId: childText(entry, "VersionId") ?? "",
      ...(childText(entry, "DeleteMarker") === "true" && { deleteMarker: true }),
      ...(childText(entry, "DeleteMarkerVersionId") !== undefined && { deleteMarkerVersionId: childText(entry, "DeleteMarkerVersionId")! }),
    })),
    errors: childElements(root, "Error").map((entry) => ({
      key: childText(entry, "Key") ?? "",
      versionId: childText(entry, "VersionId") ?? "",
      code: childText(entry, "Code") ?? "InternalError",
      message: childText(entry, "Message") ?? "",
    })),
  };
}

/** Converts a DeleteResult document. */
export function parseDeleteResult(root: XmlElement): { deleted: string[]; errors: { key: string; code: string; message: string }[] } {
  return {
    deleted: childElements(root, "Deleted").map((entry) => childText(entry, "Key") ?? ""),
    errors: childElements(root, "Error").map((entry) => ({
      key: childText(entry, "Key") ?? "",
      code: childText(entry, "Code") ?? "InternalError",
      message: childText(entry, "Message") ?? "",
    })),
  };
}

/** Text of a required child, or a 503 when the backend left it out. */
export function requiredText(root: XmlElement | undefined, name: string): string {
  const value = childElement(requiredDocument(root, name), name)?.text;
  if (value === undefined) throw new S3Error("ServiceUnavailable", { cause: new Error(`S3 backend response without <${name}>`) });
  return value;
}

/**
 * A backend answer's document, which a success must carry: a backend (or a proxy before it) that answered 2xx with an
 * empty body is unavailable as far as the client can tell, not a failure of ours.
 */
export function requiredDocument(root: XmlElement | undefined, what: string): XmlElement {
  if (root === undefined) throw new S3Error("ServiceUnavailable", { cause: new Error(`empty S3 backend response where <${what}> was expected`) });
  return root;
}
