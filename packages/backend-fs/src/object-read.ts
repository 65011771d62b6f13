/**
 * Reading an object's current state: its data file (opened once, so a concurrent replacement cannot mix two
 * versions into one response) and the sidecar entry matching that exact file.
 */
import { constants, type BigIntStats } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import { fingerprint, metaFor, statEtag, storedTags, TAGGING, type SidecarEntry } from "./metadata.js";
import { isMissing, isRealDirectory, lstatOrUndefined, type FsLayout, type KeyPath } from "./paths.js";

/** Default Content-Type of objects stored without one, as S3 answers. */
export const DEFAULT_CONTENT_TYPE = "binary/octet-stream";

/** What is known about an existing object. */
export interface ObjectState {
  /** Stats of the data file (or of the directory, for a folder marker). */
  stats: BigIntStats;
  /** ETag including quotes. */
  etag: string;
  /** Stored headers (empty for dropped-in files). */
  headers: Record<string, string>;
  /** Size in bytes. */
  size: number;
  /** Last-Modified. */
  lastModified: Date;
  /** The sidecar entry, when the object was written through the gateway. */
  entry?: SidecarEntry;
}

/** An object opened for reading. `handle` is undefined for folder markers (zero bytes, no file). */
export interface OpenObject extends ObjectState {
  handle?: FileHandle;
}

// O_NONBLOCK keeps a FIFO dropped into the root from blocking the thread pool; it does nothing for regular files.
const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/** Describes the file or directory with `stats` as the object `kp`, or undefined when it is not one. */
export async function describeObject(layout: FsLayout, kp: Pick<KeyPath, "key" | "isFolder">, stats: BigIntStats): Promise<ObjectState | undefined> {
  if (kp.isFolder) {
    if (!stats.isDirectory()) return undefined;
    // A plain directory is not an object; only one created as a folder marker (it has a sidecar entry) is.
    const entry = await metaFor(layout, kp.key, stats);
    if (entry === undefined) return undefined;
    const lastModified = entry.time === undefined ? new Date(Number(stats.mtimeMs)) : new Date(entry.time);
    return { stats, etag: entry.etag, headers: entry.headers, size: 0, lastModified, entry };
  }
  if (!stats.isFile()) return undefined;
  const entry = await metaFor(layout, kp.key, stats);
  return {
    stats,
    etag: entry?.etag ?? statEtag(stats),
    headers: entry?.headers ?? {},
    size: Number(stats.size),
    lastModified: new Date(Number(stats.mtimeMs)),
    ...(entry === undefined ? {} : { entry }),
  };
}

/** The current state of `kp` without opening it (for write preconditions and listings), or undefined. */
export async function statObject(layout: FsLayout, kp: KeyPath): Promise<ObjectState | undefined> {
  if (!(await isRealDirectory(layout, kp.parent))) return undefined;
  const stats = await lstatOrUndefined(kp.path);
  return stats === undefined ? undefined : describeObject(layout, kp, stats);
}

/**
 * Opens `kp` for reading, or returns undefined when there is no such object (missing, a directory, a symlink, a
 * special file). The caller owns `handle` and must close it (a read stream made from it closes it at the end).
 */
export async function openObject(layout: FsLayout, kp: KeyPath): Promise<OpenObject | undefined> {
  if (kp.isFolder) return statObject(layout, kp);
  // Symlinked parents are refused here and the final component by O_NOFOLLOW: nothing outside the root is read.
  if (!(await isRealDirectory(layout, kp.parent))) return undefined;
  for (let attempt = 0; ; attempt++) {
    let handle: FileHandle;
    try {
      handle = await open(kp.path, READ_FLAGS);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (isMissing(error) || code === "ELOOP" || code === "EISDIR" || code === "ENXIO") return undefined;
      throw error;
    }
    try {
      const stats = await handle.stat({ bigint: true });
      const state = await describeObject(layout, kp, stats);
      if (state === undefined) {
        await handle.close();
        return undefined;
      }
      if (state.entry === undefined && attempt < 2) {
        // A writer may have replaced the file between our open and our sidecar read, dropping the entry of the
        // file we hold; the file at the path then differs from ours and a fresh attempt gets consistent metadata.
        const now = await lstatOrUndefined(kp.path);
        if (now !== undefined && fingerprint(now) !== fingerprint(stats)) {
          await handle.close();
          continue;
        }
      }
      return { ...state, handle };
    } catch (error) {
      await handle.close();
      throw error;
    }
  }
}

/**
 * Response headers of GetObject / HeadObject (before range and overrides). The tags are not sent: a GetObject says
 * how many there are (`x-amz-tagging-count`), a HeadObject nothing, as on S3.
 */
export function objectHeaders(state: ObjectState, head: boolean): Headers {
  const headers = new Headers();
  headers.set("content-type", state.headers["content-type"] ?? DEFAULT_CONTENT_TYPE);
  for (const [name, value] of Object.entries(state.headers)) if (name !== TAGGING) headers.set(name, value);
  const tagCount = head ? 0 : storedTags(state.headers).length;
  if (tagCount > 0) headers.set("x-amz-tagging-count", String(tagCount));
  headers.set("etag", state.etag);
  headers.set("last-modified", state.lastModified.toUTCString());
  headers.set("accept-ranges", "bytes");
  return headers;
}
