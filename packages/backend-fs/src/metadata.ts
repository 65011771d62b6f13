/**
 * Object metadata sidecars. Each object written through the gateway has a JSON file under `.multistore/meta/`,
 * named by the SHA-256 of its key (so keys of any shape map to a flat, collision-free name), holding its ETag and
 * stored headers. Each entry is bound to a fingerprint of the data file (inode, size, mtime in ns): a file replaced
 * or edited by hand no longer matches and is served as a dropped-in file, so stale metadata is never returned.
 */
import { createHash, randomBytes } from "node:crypto";
import type { BigIntStats } from "node:fs";
import { mkdir, open, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { tagsOfHeader, type ObjectTag } from "@multistore/core/backend";
import type { FsLayout } from "./paths.js";
import { keptStorageClass, STORAGE_CLASS } from "./storage-class.js";

/** ETag and stored headers of one object version. */
export interface ObjectMeta {
  /** ETag including quotes. */
  etag: string;
  /** Stored content headers and `x-amz-meta-*`, names lowercased. */
  headers: Record<string, string>;
}

/** One sidecar entry: the metadata of the data file whose fingerprint is `fp`. */
export interface SidecarEntry extends ObjectMeta {
  /** See `fingerprint`. */
  fp: string;
  /** Last-Modified (ISO 8601) of folder markers, whose directory mtime changes with every child. */
  time?: string;
  /**
   * Checksums verified when the object was written, by header name (`x-amz-checksum-crc32` -> base64). Kept apart
   * from `headers` because S3 returns them only when asked (`x-amz-checksum-mode: ENABLED`).
   */
  checksums?: Record<string, string>;
}

/** The sidecar document. It keeps at most two entries: the new version and the one it replaces. */
export interface Sidecar {
  /** Format version. */
  v: 1;
  /** The key (guards against reading a sidecar of another key). */
  key: string;
  /** Newest first. */
  entries: SidecarEntry[];
}

/** Headers stored with an object and returned on GET/HEAD (besides `x-amz-meta-*`). */
export const STORED_HEADERS = [
  "content-type",
  "content-encoding",
  "content-disposition",
  "content-language",
  "cache-control",
  "expires",
] as const;

/** Identifies the content of a data file without reading it. Rename keeps all three, so it survives the commit. */
export function fingerprint(stats: BigIntStats): string {
  if (stats.isDirectory()) return `d:${stats.ino}`;
  return `f:${stats.ino}:${stats.size}:${stats.mtimeNs}`;
}

/**
 * ETag of a file dropped into the root by hand: derived from its fingerprint, so it changes whenever the file does,
 * costs no read of the data, and is stable across restarts. The `-1` suffix marks it, like multipart ETags, as not
 * the MD5 of the content, so clients do not verify downloads against it.
 */
export function statEtag(stats: BigIntStats): string {
  return `"${createHash("md5").update(fingerprint(stats)).digest("hex")}-1"`;
}

/**
 * Where an object's tags are kept among its stored headers: the `x-amz-tagging` value (a URL query string), which
 * core checked against S3's limits. Never sent back as a header: GetObject answers `x-amz-tagging-count`.
 */
export const TAGGING = "x-amz-tagging";

/**
 * Picks the headers to store from a PutObject / CreateMultipartUpload / CopyObject (REPLACE) request, its tags
 * (`x-amz-tagging`) and storage class among them.
 */
export function pickStoredHeaders(headers: Headers): Record<string, string> {
  const stored: Record<string, string> = {};
  for (const name of STORED_HEADERS) {
    let value = headers.get(name);
    // The runtime removed the aws-chunked framing; the token describes the upload, not the stored object.
    if (name === "content-encoding" && value !== null) {
      value = value.split(",").map((token) => token.trim()).filter((token) => token !== "" && token.toLowerCase() !== "aws-chunked").join(", ");
      if (value === "") value = null;
    }
    if (value !== null) stored[name] = value;
  }
  headers.forEach((value, name) => {
    if (name.startsWith("x-amz-meta-")) stored[name] = value;
  });
  const tagging = headers.get(TAGGING);
  if (tagging !== null && tagging.trim() !== "") stored[TAGGING] = tagging;
  // Returned with the object's headers, as S3 names a class other than STANDARD (checked by `keptStorageClass`).
  const storageClass = keptStorageClass(headers);
  if (storageClass !== undefined) stored[STORAGE_CLASS] = storageClass;
  return stored;
}

/** The tags among stored headers (none for a file dropped in, or an object written without). */
export function storedTags(stored: Record<string, string>): ObjectTag[] {
  const tagging = stored[TAGGING];
  return tagging === undefined ? [] : tagsOfHeader(tagging);
}

/** Path of the sidecar of `key`. */
export function sidecarPath(layout: FsLayout, key: string): string {
  const hash = createHash("sha256").update(key, "utf8").digest("hex");
  return join(layout.metaDir, hash.slice(0, 2), `${hash}.json`);
}

/** The sidecar of `key`, or undefined when there is none (or it is unreadable: the data is then served bare). */
export async function readSidecar(layout: FsLayout, key: string): Promise<Sidecar | undefined> {
  let text: string;
  try {
    text = await readFile(sidecarPath(layout, key), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  try {
    const sidecar = JSON.parse(text) as Sidecar;
    return sidecar.v === 1 && sidecar.key === key && Array.isArray(sidecar.entries) ? sidecar : undefined;
  } catch {
    return undefined;
  }
}

/** The metadata of the file with `stats` according to the sidecar of `key`, if it describes that file. */
export async function metaFor(layout: FsLayout, key: string, stats: BigIntStats): Promise<SidecarEntry | undefined> {
  const fp = fingerprint(stats);
  return (await readSidecar(layout, key))?.entries.find((entry) => entry.fp === fp);
}

/** Atomically replaces the sidecar of `key` (temp file, fsync, rename), so readers see the old or the new one. */
export async function writeSidecar(layout: FsLayout, key: string, entries: SidecarEntry[]): Promise<void> {
  const target = sidecarPath(layout, key);
  const temp = join(layout.tmpDir, `meta-${randomBytes(12).toString("hex")}`);
  const document: Sidecar = { v: 1, key, entries };
  const handle = await open(temp, "wx");
  try {
    await handle.writeFile(JSON.stringify(document));
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await mkdir(join(target, ".."), { recursive: true });
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** Removes the sidecar of `key` (no error when absent). */
export async function removeSidecar(layout: FsLayout, key: string): Promise<void> {
  await rm(sidecarPath(layout, key), { force: true });
}
