/**
 * CopyObject between fs backends (any roots: the source is streamed into the destination's temp directory, so the
 * two roots may be on different filesystems).
 */
import type { Readable } from "node:stream";
import { S3Error } from "@multistore/core";
import {
  checkCopySourceConditions,
  checkWriteConditions,
  checkCopyChangesObject,
  copiedChecksums,
  copyChecksumAlgorithm,
  toBase64,
  type Backend,
  type CopyRequest,
  type PartCopyRequest,
  type WriteResult,
} from "@multistore/core/backend";
import { stagedChecksum } from "./checksums.js";
import { pickStoredHeaders, TAGGING } from "./metadata.js";
import { keptStorageClass, STORAGE_CLASS } from "./storage-class.js";
import { openObject, statObject } from "./object-read.js";
import { bodySource } from "./object-ops.js";
import { resolveKey, type FsLayout, type KeyPath } from "./paths.js";
import { commitFile, commitFolder, EMPTY_ETAG, stageBody } from "./write-atomic.js";

/** Layouts of the fs backends made in this process, so a copy can read the source backend's files directly. */
export const fsLayouts = new WeakMap<Backend<Readable>, FsLayout>();

/** The `kind` and `copyDomain` of fs backends. */
export const FS_COPY_DOMAIN = "fs";

/** Rejects version ids: the fs backend keeps one version, addressable only as `null` (unversioned, as in S3). */
export function checkVersionId(versionId: string | undefined): void {
  if (versionId !== undefined && versionId !== "null") throw new S3Error("NoSuchVersion", { details: { VersionId: versionId } });
}

/**
 * The source and destination of a copy (CopyObject, UploadPartCopy) between fs backends; NotImplemented for a source
 * in another backend, NoSuchVersion for a version other than `null`.
 */
export function copyEnds(layout: FsLayout, request: CopyRequest<Readable> | PartCopyRequest<Readable>): { sourceLayout: FsLayout; source: KeyPath; destination: KeyPath } {
  const sourceLayout = fsLayouts.get(request.sourceBackend);
  if (request.sourceBackend.copyDomain !== FS_COPY_DOMAIN || sourceLayout === undefined) {
    throw new S3Error("NotImplemented", { message: "Copying between these buckets is not supported." });
  }
  const destination = resolveKey(layout, request.key);
  const source = resolveKey(sourceLayout, request.sourceKey);
  checkVersionId(request.sourceVersionId);
  return { sourceLayout, source, destination };
}

/**
 * The headers a copy stores: the source's or (metadata REPLACE) the request's, and apart from them the tags (the
 * source's, or the request's with `x-amz-tagging-directive: REPLACE`: none when it names none) and the storage class
 * (the one the request asks for: without one STANDARD, whatever the source's, as S3 gives a copy).
 */
function copiedHeaders(source: Record<string, string>, replaceMetadata: boolean, request: Headers): Record<string, string> {
  const { [TAGGING]: sourceTags, [STORAGE_CLASS]: _sourceClass, ...sourceHeaders } = source;
  const { [TAGGING]: requestTags, [STORAGE_CLASS]: storageClass, ...requestHeaders } = pickStoredHeaders(request);
  const headers = replaceMetadata ? requestHeaders : sourceHeaders;
  const tagging = request.get("x-amz-tagging-directive")?.toUpperCase() === "REPLACE" ? requestTags : sourceTags;
  return { ...headers, ...(tagging !== undefined && { [TAGGING]: tagging }), ...(storageClass !== undefined && { [STORAGE_CLASS]: storageClass }) };
}

/** The checksums a copy keeps: those it carried over, else the one it computed while staging. */
function keptChecksums(carried: Record<string, string> | undefined, computed: Record<string, string> | undefined): Record<string, string> | undefined {
  if (computed !== undefined) return computed;
  return carried !== undefined && Object.keys(carried).length > 0 ? carried : undefined;
}

/** Server-side copy (see `Backend.copyObject`). */
export async function copyObject(layout: FsLayout, request: CopyRequest<Readable>): Promise<WriteResult> {
  const { sourceLayout, source, destination } = copyEnds(layout, request);
  const directive = (request.headers.get("x-amz-metadata-directive") ?? "COPY").toUpperCase();
  const algorithm = copyChecksumAlgorithm(request.headers);
  if (directive !== "COPY" && directive !== "REPLACE") {
    throw new S3Error("InvalidArgument", {
      message: "Unknown metadata directive.",
      details: { ArgumentName: "x-amz-metadata-directive", ArgumentValue: directive },
    });
  }
  keptStorageClass(request.headers);
  if (source.path === destination.path && source.key === destination.key) checkCopyChangesObject(request.headers, request.changesObject);
  // Fail fast on destination preconditions; they are checked again under the destination key's lock.
  if (request.headers.has("if-none-match") || request.headers.has("if-match")) {
    checkWriteConditions(request.headers, destination.key, (await statObject(layout, destination))?.etag);
  }
  const opened = await openObject(sourceLayout, source);
  if (opened === undefined) throw new S3Error("NoSuchKey", { details: { Key: request.sourceKey } });
  let handleOwned = true;
  try {
    checkCopySourceConditions(request.headers, opened.etag, opened.lastModified);
    const headers = copiedHeaders(opened.headers, directive === "REPLACE", request.headers);
    // S3 keeps the source's checksums, or computes the one the request names when the source has none in it.
    const carried = copiedChecksums(opened.entry?.checksums, algorithm);
    const computing = carried === undefined && algorithm !== undefined ? [stagedChecksum(algorithm)] : [];
    if (destination.isFolder) {
      if (opened.size > 0) {
        throw new S3Error("InvalidRequest", { message: "The fs backend stores keys ending in `/` only as empty folder markers." });
      }
      // An empty object's checksum: the hash of nothing.
      const checksums = keptChecksums(carried, computing[0] && { [computing[0].name]: toBase64(await computing[0].hash.digest()) });
      const lastModified = await commitFolder(layout, destination, headers, request.headers, checksums);
      return { etag: EMPTY_ETAG, lastModified, ...(checksums !== undefined && { checksums }) };
    }
    // The stream closes the handle when it ends or fails.
    const stream = opened.handle === undefined ? bodySource(null) : opened.handle.createReadStream({ autoClose: true });
    handleOwned = opened.handle === undefined;
    const staged = await stageBody(layout, stream, { checksums: computing });
    const checksums = keptChecksums(carried, staged.checksums);
    const etag = `"${staged.md5?.toString("hex")}"`;
    const lastModified = await commitFile(layout, destination, staged, { etag, headers, conditions: request.headers, ...(checksums !== undefined && { checksums }) });
    return { etag, lastModified, ...(checksums !== undefined && { checksums }) };
  } finally {
    if (handleOwned) await opened.handle?.close();
  }
}
