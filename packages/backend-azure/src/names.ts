/**
 * Names on the Azure side: blob URLs, the reserved prefix holding multipart upload markers and upload ids (block
 * ids and part ETags: see block-ids.ts).
 */
import { S3Error } from "@multistore/core";
import { encodeKeyPath, toHex } from "@multistore/core/backend";

/**
 * Where multipart upload markers live, at the container root. Listings hide it and object operations refuse keys
 * under it; with a `backend_prefix` it is outside the bucket's view anyway.
 */
export const UPLOADS_PREFIX = ".multistore-uploads/";

/** Whether a full backend key is one of the backend's own marker blobs. */
export function isReservedKey(key: string): boolean {
  return key.startsWith(UPLOADS_PREFIX);
}

/**
 * Refuses keys the backend cannot address: marker blobs, `.`/`..` segments URL parsing would resolve away, and
 * backslashes Azure turns into slashes.
 */
export function checkKey(key: string): void {
  if (isReservedKey(key)) {
    throw new S3Error("InvalidArgument", { message: `Keys under "${UPLOADS_PREFIX}" are reserved by the az backend.` });
  }
  if (key.split("/").some((segment) => segment === "." || segment === "..")) {
    throw new S3Error("InvalidArgument", { message: 'Object keys with a "." or ".." path segment are not allowed.' });
  }
  // Azure reads a backslash in a blob name as "/": `a\b` would be stored as `a/b` (another key's blob), and its SAS
  // signs a name the service does not see (a misleading 403).
  if (key.includes("\\")) throw new S3Error("InvalidArgument", { message: "Object keys with a backslash are not supported by the az backend." });
}

/** URL of the container, or of a blob in it (each key byte encoded once, slashes kept). */
export function blobUrl(endpoint: string, container: string, blob?: string): string {
  return `${endpoint}/${encodeURIComponent(container)}${blob === undefined ? "" : `/${encodeKeyPath(blob)}`}`;
}

/** A fresh multipart upload id: 128 random bits as hex. */
export function newUploadId(): string {
  return toHex(crypto.getRandomValues(new Uint8Array(16)));
}

/** Whether `uploadId` is one this backend can have issued. */
export function isUploadId(uploadId: string): boolean {
  return /^[0-9a-f]{32}$/.test(uploadId);
}

/** Throws NoSuchUpload for ids this backend cannot have issued (they also name the marker blob, so no free text). */
export function checkUploadId(uploadId: string): void {
  if (!isUploadId(uploadId)) throw new S3Error("NoSuchUpload");
}

/** Name of the marker blob of an upload. */
export function markerName(uploadId: string): string {
  return `${UPLOADS_PREFIX}${uploadId}`;
}
