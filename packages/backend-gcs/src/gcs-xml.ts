/** Reading the XML API's documents: errors, listings and the results of multipart control and copy. */
import { S3Error } from "@multistore/core";
import {
  backendError,
  childElement,
  childElements,
  childText,
  compareUtf8,
  parseXml,
  type ListResult,
  type XmlElement,
} from "@multistore/core/backend";

/** Parses a backend document, turning garbage into a 503 (the backend misbehaved, not the client). */
export function parseGcsXml(text: string): XmlElement {
  try {
    return parseXml(text);
  } catch (error) {
    throw new S3Error("ServiceUnavailable", { cause: new Error("unparseable XML from the GCS backend", { cause: error }) });
  }
}

/**
 * The error of a backend that refused the gateway's own credentials (401: a missing, expired or revoked bearer
 * token): a configuration or availability problem of the gateway (503), not the client's.
 */
export function refusedCredentials(status: number, code?: string, message?: string): S3Error {
  const cause = new Error(`backend answered ${status}${code ? ` ${code}` : ""}${message ? `: ${message}` : ""}`);
  return new S3Error("ServiceUnavailable", { status: 503, message: "The storage backend refused the gateway's request.", cause });
}

/**
 * Throws the client-facing error for a failed response. GCS errors are `<Error><Code>NoSuchKey</Code>...` like
 * S3's, so core's mapping applies: SignatureDoesNotMatch, ExpiredToken and NoSuchBucket are the gateway's own
 * configuration problems (503), and so is a 401 (AuthenticationRequired: a refused bearer token); NoSuchKey,
 * PreconditionFailed, InvalidRange, ... reach the client.
 */
export function checkGcsResponse(status: number, text: string): XmlElement | undefined {
  const root = text.trim() === "" ? undefined : parseGcsXml(text);
  if (status >= 300 || root?.name === "Error") {
    const code = root ? childText(root, "Code") : undefined;
    const details = root ? (childText(root, "Details") ?? childText(root, "Message")) : undefined;
    if (status === 401) throw refusedCredentials(status, code, details);
    throw backendError(status >= 300 ? status : 500, code, details);
  }
  return root;
}

/**
 * Converts a `list-type=2` ListBucketResult. A common prefix the listing starts after is dropped: S3 never lists the
 * prefix a V1 marker points at again (which V1 paging by the last common prefix relies on). One the start point lies
 * inside (`dir/` after `dir/a`) is kept: keys under it follow the start point, and S3 lists it.
 */
export function parseListResult(root: XmlElement, startAfter?: string): ListResult {
  const objects = childElements(root, "Contents").map((entry) => ({
    key: childText(entry, "Key") ?? "",
    lastModified: new Date(childText(entry, "LastModified") ?? 0),
    etag: childText(entry, "ETag") ?? "",
    size: Number(childText(entry, "Size") ?? 0),
    // GCS's XML listing names no class: every key is shown as STANDARD (HeadObject says the class).
    storageClass: "STANDARD",
  }));
  const commonPrefixes = childElements(root, "CommonPrefixes")
    .map((entry) => childText(entry, "Prefix") ?? "")
    .filter((prefix) => startAfter === undefined || compareUtf8(prefix, startAfter) > 0 || (startAfter.startsWith(prefix) && startAfter !== prefix));
  const isTruncated = childText(root, "IsTruncated") === "true";
  const next = childText(root, "NextContinuationToken");
  return { objects, commonPrefixes, isTruncated, ...(isTruncated && next && { nextContinuationToken: next }) };
}

/** Text of a required child, or a 503 when the backend left it out. */
export function requiredText(root: XmlElement | undefined, name: string): string {
  const value = root ? childElement(root, name)?.text : undefined;
  if (value === undefined) throw new S3Error("ServiceUnavailable", { cause: new Error(`GCS backend response without <${name}>`) });
  return value;
}
