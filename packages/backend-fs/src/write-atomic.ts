/**
 * Atomic writes: a body streams into a temp file under `.multistore/tmp/` (hashed on the way, fsynced), and only a
 * complete, verified file is renamed over the key. A failed or aborted write leaves neither an object nor a temp
 * file; a reader sees the old object or the new one, never a mix.
 */
import { createHash, randomBytes } from "node:crypto";
import { createWriteStream, type BigIntStats } from "node:fs";
import { lstat, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { S3Error } from "@multistore/core";
import { checkWriteConditions } from "@multistore/core/backend";
import { checkedDigests, type StagedChecksum } from "./checksums.js";
import { locks } from "./locks-names.js";
import { withLock } from "./locks.js";
import { fingerprint, writeSidecar, type SidecarEntry } from "./metadata.js";
import { statObject } from "./object-read.js";
import { conflictError, ensureDirectories, lstatOrUndefined, type FsLayout, type KeyPath } from "./paths.js";

/** S3's size limit of one PutObject or UploadPart body. */
export const MAX_SINGLE_UPLOAD = 5 * 1024 ** 3;

/** A body written to a temp file, not yet visible. */
export interface StagedFile {
  /** Temp file path. */
  path: string;
  /** Bytes written. */
  size: number;
  /** MD5 of the bytes, unless hashing was turned off. */
  md5?: Buffer;
  /** Stats of the temp file after fsync and close (rename keeps inode, size and mtime: the final fingerprint). */
  stats: BigIntStats;
  /** The checksums computed while staging (`options.checksums`), by header name, each as expected where given. */
  checksums?: Record<string, string>;
}

/** Options of `stageBody`. */
export interface StageOptions {
  /** Bytes the client announced; a different count fails with IncompleteBody. */
  expectedLength?: number;
  /** Decoded Content-MD5; a different digest fails with BadDigest. */
  contentMd5?: Buffer;
  /** Compute the MD5 (default true). */
  hash?: boolean;
  /** EntityTooLarge beyond this many bytes (default 5 GiB). */
  maxSize?: number;
  /** Aborts the write; the temp file is removed and the signal's reason is thrown. */
  signal?: AbortSignal;
  /** Checksums to compute as the body streams; one that does not come to its expected value fails with BadDigest. */
  checksums?: readonly StagedChecksum[];
}

function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (typeof chunk === "string") return Buffer.from(chunk, "utf8");
  throw new TypeError("body chunks must be bytes");
}

/** Streams `source` into a new temp file. Never buffers more than one chunk. */
export async function stageBody(layout: FsLayout, source: AsyncIterable<unknown>, options: StageOptions = {}): Promise<StagedFile> {
  const path = join(layout.tmpDir, `body-${randomBytes(12).toString("hex")}`);
  const hash = options.hash === false ? undefined : createHash("md5");
  const maxSize = options.maxSize ?? MAX_SINGLE_UPLOAD;
  const checksums = options.checksums ?? [];
  let size = 0;
  // The body is consumed here, not by pipeline, so a failing body surfaces as IncompleteBody rather than as its
  // raw socket error.
  async function* counted(): AsyncGenerator<Buffer> {
    const iterator = source[Symbol.asyncIterator]();
    let done = false;
    try {
      for (;;) {
        let next: IteratorResult<unknown>;
        try {
          next = await iterator.next();
        } catch (error) {
          done = true;
          throw options.signal?.aborted ? error : new S3Error("IncompleteBody", { cause: error });
        }
        if (next.done === true) {
          done = true;
          return;
        }
        const bytes = toBuffer(next.value);
        size += bytes.length;
        if (size > maxSize) throw new S3Error("EntityTooLarge");
        hash?.update(bytes);
        for (const checksum of checksums) await checksum.hash.update(bytes);
        yield bytes;
      }
    } finally {
      if (!done) await iterator.return?.();
    }
  }
  // Destroying the body on abort is what unblocks a read waiting for bytes that will never come; pipeline's own
  // signal option would wait for that read to finish first.
  const signal = options.signal;
  const onAbort = () => (source as Partial<Readable>).destroy?.(signal?.reason);
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    signal?.throwIfAborted();
    await pipeline(counted(), createWriteStream(path, { flags: "wx", flush: true }));
    if (options.expectedLength !== undefined && size !== options.expectedLength) throw new S3Error("IncompleteBody");
    const md5 = hash?.digest();
    if (options.contentMd5 !== undefined && md5 !== undefined && !md5.equals(options.contentMd5)) throw new S3Error("BadDigest");
    const computed = checksums.length === 0 ? undefined : await checkedDigests(checksums);
    const stats = await lstat(path, { bigint: true });
    return { path, size, stats, ...(md5 === undefined ? {} : { md5 }), ...(computed !== undefined && { checksums: computed }) };
  } catch (error) {
    // A stream left mid-way (abort, failed write) is released; its bytes are not wanted any more.
    (source as Partial<Readable>).destroy?.();
    await rm(path, { force: true });
    if (signal?.aborted) throw signal.reason ?? error;
    throw error;
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
}

/** Removes a staged file that will not be committed. */
export async function discardStaged(staged: StagedFile): Promise<void> {
  await rm(staged.path, { force: true });
}

/** What to record for a committed object. */
export interface CommitMeta {
  /** ETag including quotes. */
  etag: string;
  /** Headers to store. */
  headers: Record<string, string>;
  /** Request headers holding `if-match` / `if-none-match` for a conditional write. */
  conditions?: Headers;
  /** Verified checksums to return on reads that ask for them. */
  checksums?: Record<string, string>;
}

/**
 * Makes `staged` the object `kp`: under the key's lock, checks the write conditions, writes the sidecar (keeping
 * the entry of the file being replaced, so readers that opened it still find its metadata) and renames the file
 * into place. The staged file is gone afterwards, committed or not. Returns Last-Modified.
 */
export async function commitFile(layout: FsLayout, kp: KeyPath, staged: StagedFile, meta: CommitMeta): Promise<Date> {
  try {
    return await withLock(locks.key(kp), async () => {
      const current = await statObject(layout, kp);
      if (meta.conditions !== undefined) checkWriteConditions(meta.conditions, kp.key, current?.etag);
      const entry: SidecarEntry = {
        fp: fingerprint(staged.stats),
        etag: meta.etag,
        headers: meta.headers,
        ...(meta.checksums !== undefined && Object.keys(meta.checksums).length > 0 && { checksums: meta.checksums }),
      };
      for (let attempt = 0; ; attempt++) {
        // A concurrent delete may prune a parent directory at any moment until the rename: make it again.
        if (!(await directoriesMade(layout, kp, kp.segments.slice(0, -1), attempt))) continue;
        const target = await lstatOrUndefined(kp.path);
        if (target?.isDirectory()) throw conflictError(kp.key, "a directory (folder) exists at this key");
        if (target !== undefined && !target.isFile()) throw conflictError(kp.key, "a symbolic link or special file exists at this key");
        if (attempt === 0) await writeSidecar(layout, kp.key, current?.entry === undefined ? [entry] : [entry, current.entry]);
        try {
          await rename(staged.path, kp.path);
          return new Date(Number(staged.stats.mtimeMs));
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code === "ENOENT" && attempt < MAX_ATTEMPTS - 1) continue;
          if (code === "EISDIR" || code === "ENOTDIR" || code === "ENOTEMPTY" || code === "EEXIST") {
            throw conflictError(kp.key, "the filesystem refused the rename");
          }
          throw error;
        }
      }
    });
  } finally {
    await discardStaged(staged);
  }
}

/** Tries at making a key's directories while deletes prune them (each try is a few syscalls). */
const MAX_ATTEMPTS = 6;

/**
 * Makes `segments`' directories; false when a concurrent delete pruned one of them in between (ENOENT) and another
 * try is due; throws on the last try.
 */
async function directoriesMade(layout: FsLayout, kp: KeyPath, segments: string[], attempt: number): Promise<boolean> {
  try {
    await ensureDirectories(layout, kp.key, segments);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT" && attempt < MAX_ATTEMPTS - 1) return false;
    throw error;
  }
}

/** The ETag of zero bytes (folder markers). */
export const EMPTY_ETAG = '"d41d8cd98f00b204e9800998ecf8427e"';

/** Makes the folder marker `kp` (a directory plus a sidecar entry bound to it, with its checksums). Returns Last-Modified. */
export async function commitFolder(layout: FsLayout, kp: KeyPath, headers: Record<string, string>, conditions?: Headers, checksums?: Record<string, string>): Promise<Date> {
  return withLock(locks.key(kp), async () => {
    const current = await statObject(layout, kp);
    if (conditions !== undefined) checkWriteConditions(conditions, kp.key, current?.etag);
    // (Pruning takes this key's lock before it removes the directory: once made here, it stays.)
    for (let attempt = 0; !(await directoriesMade(layout, kp, kp.segments, attempt)); attempt++);
    const stats = await lstat(kp.path, { bigint: true });
    const now = new Date();
    const kept = checksums !== undefined && Object.keys(checksums).length > 0 ? { checksums } : {};
    await writeSidecar(layout, kp.key, [{ fp: fingerprint(stats), etag: EMPTY_ETAG, headers, time: now.toISOString(), ...kept }]);
    return now;
  });
}
