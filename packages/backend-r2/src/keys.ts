/** Key and version checks shared by every operation. */
import { S3Error } from "@multistore/core";

/** R2's (and S3's) longest key, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;

const encoder = new TextEncoder();

/** Refuses keys R2 cannot store before any binding call: KeyTooLongError beyond 1024 bytes, as S3 answers. */
export function checkKey(key: string): void {
  if (encoder.encode(key).length > MAX_KEY_BYTES) throw new S3Error("KeyTooLongError", { details: { Key: key.slice(0, 64) } });
}

/**
 * Rejects version ids: the binding reads and deletes only the current object, which S3 addresses as the version
 * `null` (unversioned).
 */
export function checkVersionId(versionId: string | undefined): void {
  if (versionId !== undefined && versionId !== "null") throw new S3Error("NoSuchVersion", { details: { VersionId: versionId } });
}

/** NoSuchKey naming `key`. */
export function noSuchKey(key: string): S3Error {
  return new S3Error("NoSuchKey", { details: { Key: key } });
}
