/**
 * Names on the Azure side: blob URLs, the reserved prefix holding multipart upload markers, upload ids, block ids
 * and part ETags.
 */
import { S3Error } from "@multistore/core";
import { encodeKeyPath, fromBase64, fromHex, toBase64, toHex } from "@multistore/core/backend";

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

/** Throws NoSuchUpload for ids this backend cannot have issued (they also name the marker blob, so no free text). */
export function checkUploadId(uploadId: string): void {
  if (!/^[0-9a-f]{32}$/.test(uploadId)) throw new S3Error("NoSuchUpload");
}

/** Name of the marker blob of an upload. */
export function markerName(uploadId: string): string {
  return `${UPLOADS_PREFIX}${uploadId}`;
}

/**
 * A part's tag and the ETag UploadPart answers. With the client's Content-MD5 (which Azure verifies) the tag is that
 * MD5 and the ETag is S3's quoted hex MD5. Without it Azure computes no MD5 of a block (Put Block answers a CRC64),
 * so the tag is random and the ETag says so with an `az` prefix: S3 clients must not mistake it for an MD5.
 */
export function newPartTag(contentMd5: string | null): { tag: Uint8Array; etag: string } {
  const md5 = contentMd5 === null ? undefined : fromBase64(contentMd5);
  if (md5?.length === 16) return { tag: md5, etag: `"${toHex(md5)}"` };
  const tag = crypto.getRandomValues(new Uint8Array(16));
  return { tag, etag: `"az${toHex(tag)}"` };
}

/** The tag a part ETag carries (quotes optional), or undefined when it is not one UploadPart can have answered. */
export function tagOfPartEtag(etag: string): Uint8Array | undefined {
  const match = /^"?(?:az)?([0-9a-fA-F]{32})"?$/.exec(etag.trim());
  return match ? fromHex(match[1]!.toLowerCase()) : undefined;
}

/**
 * The block id of a part: base64 of upload id (16 bytes), part number (4 bytes, big-endian) and tag (16 bytes).
 * Azure wants ids of equal length within a blob: 36 bytes always, so 48 base64 characters without padding. The
 * upload id keeps concurrent uploads of one key apart; the tag makes CompleteMultipartUpload's ETag check real (a
 * wrong ETag names a block that does not exist) and gives each re-upload of a part its own block.
 */
export function blockId(uploadId: string, partNumber: number, tag: Uint8Array): string {
  const bytes = new Uint8Array(36);
  bytes.set(fromHex(uploadId)!, 0);
  new DataView(bytes.buffer).setUint32(16, partNumber);
  bytes.set(tag, 20);
  return toBase64(bytes);
}
