/**
 * Maps S3 keys to paths under the root, refusing every key that could resolve outside it or into the bookkeeping
 * directory, and creates parent directories without ever following a symbolic link.
 */
import { lstat, mkdir, realpath } from "node:fs/promises";
import type { BigIntStats } from "node:fs";
import { join } from "node:path";
import { S3Error } from "@multistore/core";

/** Name of the bookkeeping directory at the root (metadata sidecars, temp files, multipart staging). */
export const RESERVED_DIR = ".multistore";

/** S3's key length limit, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;

/** Most filesystems (ext4, xfs, btrfs, APFS) cap one path component at 255 bytes. */
const MAX_SEGMENT_BYTES = 255;

/** Where a backend keeps its files. All paths are absolute and real (no symlinks in them). */
export interface FsLayout {
  /** The bucket directory (realpath of the configured root). */
  root: string;
  /** `<root>/.multistore/meta`: one JSON sidecar per object, named by the SHA-256 of the key. */
  metaDir: string;
  /** `<root>/.multistore/tmp`: bodies being written; renamed into place when complete. */
  tmpDir: string;
  /** `<root>/.multistore/uploads`: one directory per multipart upload. */
  uploadsDir: string;
}

/** A validated key and where it lives. */
export interface KeyPath {
  /** The S3 key. */
  key: string;
  /** Its path components (without the empty one after a trailing `/`). */
  segments: string[];
  /** Whether the key ends in `/`: a folder marker, stored as a directory plus a sidecar. */
  isFolder: boolean;
  /** Absolute path of the file (or of the directory, for a folder marker). */
  path: string;
  /** Absolute path of the directory holding `path`. */
  parent: string;
}

/** Builds the layout of a (real, existing) root directory. */
export function layoutOf(root: string): FsLayout {
  const base = join(root, RESERVED_DIR);
  return { root, metaDir: join(base, "meta"), tmpDir: join(base, "tmp"), uploadsDir: join(base, "uploads") };
}

function invalidKey(key: string, why: string): S3Error {
  return new S3Error("InvalidArgument", {
    message: `The key cannot be stored by the fs backend: ${why}.`,
    details: { ArgumentName: "key", ArgumentValue: key.slice(0, 1024) },
  });
}

/**
 * The segments of `key`, or an S3Error: `KeyTooLongError` beyond 1024 bytes, `InvalidArgument` for keys a
 * directory tree cannot represent safely (empty, absolute, `.`/`..`/empty segments, NUL, the reserved
 * `.multistore` directory, a segment over 255 bytes).
 */
export function keySegments(key: string): { segments: string[]; isFolder: boolean } {
  if (key === "") throw invalidKey(key, "the key is empty");
  if (Buffer.byteLength(key, "utf8") > MAX_KEY_BYTES) throw new S3Error("KeyTooLongError", { details: { Key: key.slice(0, 64) } });
  if (key.includes("\0")) throw invalidKey(key, "it contains a NUL character");
  const isFolder = key.endsWith("/");
  const segments = (isFolder ? key.slice(0, -1) : key).split("/");
  for (const segment of segments) {
    if (segment === "") throw invalidKey(key, "it has an empty path segment (leading `/` or `//`)");
    if (segment === "." || segment === "..") throw invalidKey(key, "it has a `.` or `..` path segment");
    if (Buffer.byteLength(segment, "utf8") > MAX_SEGMENT_BYTES) {
      throw new S3Error("KeyTooLongError", { message: "A path segment of the key is longer than 255 bytes." });
    }
  }
  if (segments[0] === RESERVED_DIR) throw invalidKey(key, "keys under `.multistore/` are reserved");
  return { segments, isFolder };
}

/** Validates `key` (see `keySegments`) and computes its paths. */
export function resolveKey(layout: FsLayout, key: string): KeyPath {
  const { segments, isFolder } = keySegments(key);
  const path = join(layout.root, ...segments);
  const parent = segments.length > 1 ? join(layout.root, ...segments.slice(0, -1)) : layout.root;
  return { key, segments, isFolder, path, parent };
}

/** The error for a key that does not fit the directory tree (a file where a directory is needed, or vice versa). */
export function conflictError(key: string, why: string): S3Error {
  return new S3Error("InvalidRequest", {
    status: 409,
    message: `The key conflicts with the directory layout of the fs backend: ${why}.`,
    details: { Key: key },
  });
}

/** `lstat` with bigint times (nanosecond mtimes for fingerprints); undefined when the path does not exist. */
export async function lstatOrUndefined(path: string): Promise<BigIntStats | undefined> {
  try {
    return await lstat(path, { bigint: true });
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

/** Whether a filesystem error means "nothing there" (including a file standing where a directory was expected). */
export function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === "ENOENT" || code === "ENOTDIR";
}

/**
 * Whether `dir` is a real directory inside the root reached without symlinks. Reads use it on the parent before
 * opening with O_NOFOLLOW, so neither an intermediate nor the final component can lead outside the root.
 */
export async function isRealDirectory(layout: FsLayout, dir: string): Promise<boolean> {
  if (dir === layout.root) return true;
  try {
    return (await realpath(dir)) === dir;
  } catch (error) {
    if (isMissing(error) || (error as NodeJS.ErrnoException).code === "ELOOP") return false;
    throw error;
  }
}

/**
 * Creates the directories `segments` below the root one component at a time, refusing (with the conflict error)
 * a symlink or a non-directory on the way. `mkdir -p` would follow a symlinked component out of the root.
 */
export async function ensureDirectories(layout: FsLayout, key: string, segments: string[]): Promise<void> {
  let current = layout.root;
  for (const segment of segments) {
    current = join(current, segment);
    let stats = await lstatOrUndefined(current);
    if (stats === undefined) {
      try {
        await mkdir(current);
        continue;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
        stats = await lstat(current, { bigint: true });
      }
    }
    if (stats.isSymbolicLink()) throw conflictError(key, `\`${segment}\` is a symbolic link`);
    if (!stats.isDirectory()) throw conflictError(key, `an object already exists at \`${relative(layout, current)}\``);
  }
}

/** `path` relative to the root, for messages (never reveals the root's location). */
export function relative(layout: FsLayout, path: string): string {
  return path.slice(layout.root.length + 1);
}
