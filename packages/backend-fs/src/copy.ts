/**
 * CopyObject between fs backends (any roots: the source is streamed into the destination's temp directory, so the
 * two roots may be on different filesystems).
 */
import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import { S3Error } from "@multistore/core";
import {
  checkCopySourceConditions,
  checkWriteConditions,
  checkCopyChangesObject,
  checksumHeaderName,
  copiedChecksums,
  copyChecksumAlgorithm,
  DEFAULT_CHECKSUM_FACTORIES,
  toBase64,
  type Backend,
  type ChecksumAlgorithm,
  type CopyRequest,
  type IncrementalChecksum,
  type PartCopyRequest,
  type WriteResult,
} from "@multistore/core/backend";
import { pickStoredHeaders, TAGGING } from "./metadata.js";
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
 * The headers a copy stores: the source's or (metadata REPLACE) the request's, and apart from them the tags: the
 * source's, or the request's with `x-amz-tagging-directive: REPLACE` (none when it names none).
 */
function copiedHeaders(source: Record<string, string>, replaceMetadata: boolean, request: Headers): Record<string, string> {
  const { [TAGGING]: sourceTags, ...sourceHeaders } = source;
  const { [TAGGING]: requestTags, ...requestHeaders } = pickStoredHeaders(request);
  const headers = replaceMetadata ? requestHeaders : sourceHeaders;
  const tagging = request.get("x-amz-tagging-directive")?.toUpperCase() === "REPLACE" ? requestTags : sourceTags;
  return tagging === undefined ? headers : { ...headers, [TAGGING]: tagging };
}

/** A checksum being computed: its header name and hash. */
interface Computing {
  name: string;
  hash: IncrementalChecksum;
}

/**
 * The hash of the algorithm a copy names that its source has no checksum in, else undefined: node:crypto's SHAs
 * (core's pure-JS ones run at a tenth of the speed), core's CRCs (several hundred MB/s).
 */
function computing(algorithm: ChecksumAlgorithm | undefined, kept: Record<string, string> | undefined): Computing | undefined {
  if (algorithm === undefined || kept !== undefined) return undefined;
  const name = checksumHeaderName(algorithm);
  if (algorithm !== "sha1" && algorithm !== "sha256") return { name, hash: DEFAULT_CHECKSUM_FACTORIES[algorithm]() };
  const hash = createHash(algorithm);
  return { name, hash: { update: (bytes) => void hash.update(bytes), digest: async () => hash.digest() } };
}

/** The checksums a copy keeps: those it carried over, else the one it computed. */
async function keptChecksums(kept: Record<string, string> | undefined, computed: Computing | undefined): Promise<Record<string, string> | undefined> {
  if (computed !== undefined) return { [computed.name]: toBase64(await computed.hash.digest()) };
  return kept !== undefined && Object.keys(kept).length > 0 ? kept : undefined;
}

/** `source`'s chunks, each added to `checksum` as it passes. */
async function* hashed(source: AsyncIterable<unknown>, checksum: IncrementalChecksum): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    await checksum.update(chunk as Uint8Array);
    yield chunk as Uint8Array;
  }
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
    const computed = computing(algorithm, carried);
    if (destination.isFolder) {
      if (opened.size > 0) {
        throw new S3Error("InvalidRequest", { message: "The fs backend stores keys ending in `/` only as empty folder markers." });
      }
      // An empty object's checksum: the hash of nothing.
      const checksums = await keptChecksums(carried, computed);
      const lastModified = await commitFolder(layout, destination, headers, request.headers, checksums);
      return { etag: EMPTY_ETAG, lastModified, ...(checksums !== undefined && { checksums }) };
    }
    // The stream closes the handle when it ends or fails.
    const stream = opened.handle === undefined ? bodySource(null) : opened.handle.createReadStream({ autoClose: true });
    handleOwned = opened.handle === undefined;
    const staged = await stageBody(layout, computed === undefined ? stream : hashed(stream, computed.hash));
    const checksums = await keptChecksums(carried, computed);
    const etag = `"${staged.md5?.toString("hex")}"`;
    const lastModified = await commitFile(layout, destination, staged, { etag, headers, conditions: request.headers, ...(checksums !== undefined && { checksums }) });
    return { etag, lastModified, ...(checksums !== undefined && { checksums }) };
  } finally {
    if (handleOwned) await opened.handle?.close();
  }
}
