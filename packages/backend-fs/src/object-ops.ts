/** GetObject, HeadObject, PutObject and DeleteObject on the filesystem. */
import { rm, rmdir } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { S3Error } from "@multistore/core";
import {
  applyResponseOverrides,
  contentMd5Of,
  checkReadConditions,
  checkIfMatch,
  checkWriteConditions,
  parseRangeHeader,
  resolveRange,
  setChecksumHeaders,
  type ObjectRequest,
  type PlainResponse,
} from "@multistore/core/backend";
import { checkedDigests, givenChecksums } from "./checksums.js";
import { locks } from "./locks-names.js";
import { withLock } from "./locks.js";
import { metaFor, pickStoredHeaders, removeSidecar } from "./metadata.js";
import { objectHeaders, openObject, statObject } from "./object-read.js";
import { isRealDirectory, lstatOrUndefined, type FsLayout, type KeyPath } from "./paths.js";
import { commitFile, commitFolder, EMPTY_ETAG, stageBody } from "./write-atomic.js";

/** Turns the runtime's body (a Node Readable, or bytes when called directly) into something `pipeline` reads. */
export function bodySource(body: unknown): AsyncIterable<unknown> {
  if (body === null || body === undefined) return chunksOf([]);
  if (typeof body === "string" || body instanceof Uint8Array) return chunksOf([body]);
  if (typeof (body as AsyncIterable<unknown>)[Symbol.asyncIterator] === "function") return body as AsyncIterable<unknown>;
  throw new TypeError("unsupported body type for the fs backend");
}

async function* chunksOf(chunks: unknown[]): AsyncGenerator<unknown> {
  yield* chunks;
}

/** The length the client announced: the decoded length of an aws-chunked body, else Content-Length. */
export function expectedLength(headers: Headers): number | undefined {
  const value = headers.get("x-amz-decoded-content-length") ?? headers.get("content-length");
  if (value === null || !/^\d+$/.test(value.trim())) return undefined;
  return Number(value);
}

/** Decodes Content-MD5 (core's reader): InvalidDigest unless it is the base64 of 16 bytes. */
export function contentMd5(headers: Headers): Buffer | undefined {
  const bytes = contentMd5Of(headers);
  return bytes === undefined ? undefined : Buffer.from(bytes);
}

function noSuchKey(key: string): S3Error {
  return new S3Error("NoSuchKey", { details: { Key: key } });
}

/** GetObject / HeadObject: conditions first, then the range, as S3 evaluates them. */
export async function readObject(layout: FsLayout, kp: KeyPath, request: ObjectRequest, signal: AbortSignal): Promise<PlainResponse<Readable>> {
  const head = request.operation === "HeadObject";
  const opened = await openObject(layout, kp);
  if (opened === undefined) throw noSuchKey(kp.key);
  let keepOpen = false;
  try {
    checkReadConditions(request.headers, opened.etag, opened.lastModified);
    const headers = objectHeaders(opened, head);
    const range = resolveRange(parseRangeHeader(request.headers.get("range")), opened.size);
    const start = range?.start ?? 0;
    const end = range?.end ?? opened.size - 1;
    if (range !== undefined) headers.set("content-range", `bytes ${start}-${end}/${opened.size}`);
    headers.set("content-length", String(end - start + 1));
    applyResponseOverrides(headers, request.responseOverrides);
    setChecksumHeaders(headers, request.headers, opened.entry?.checksums, { ranged: range !== undefined });
    const status = range === undefined ? 200 : 206;
    if (head) return { status, headers, body: null };
    if (opened.handle === undefined || end < start) return { status, headers, body: Readable.from([]) };
    // The client left while the file was opened: nothing to send (the handle is closed below).
    signal.throwIfAborted();
    // The stream reads the inode opened above, so a concurrent overwrite cannot change what this response sends.
    const stream = opened.handle.createReadStream({ start, end, autoClose: true });
    keepOpen = true;
    return { status, headers, body: closedOnAbort(stream, signal) };
  } finally {
    if (!keepOpen) await opened.handle?.close();
  }
}

/**
 * Destroys `stream` (closing its file) when `signal` aborts. Without an error: the runtime attaches its listeners
 * only once the response is handed over, and an `error` event before that (what `addAbortSignal` emits) would be
 * unhandled, taking the process down. A stream destroyed unread ends the runtime's pipe as a premature close.
 */
function closedOnAbort(stream: Readable, signal: AbortSignal): Readable {
  const onAbort = () => stream.destroy();
  signal.addEventListener("abort", onAbort, { once: true });
  stream.once("close", () => signal.removeEventListener("abort", onAbort));
  return stream;
}

/**
 * PutObject: stream, verify, then commit atomically (with the preconditions re-checked under the key's lock).
 * `checksums` yields what the runtime verified while the body streamed; it is read once the body has ended.
 */
export async function putObject(
  layout: FsLayout,
  kp: KeyPath,
  headers: Headers,
  body: unknown,
  signal: AbortSignal,
  checksums?: () => Record<string, string>,
): Promise<PlainResponse<Readable>> {
  const md5 = contentMd5(headers);
  const stored = pickStoredHeaders(headers);
  // Fail fast before receiving a large body that a precondition would refuse anyway.
  if (headers.has("if-none-match") || headers.has("if-match")) {
    checkWriteConditions(headers, kp.key, (await statObject(layout, kp))?.etag);
  }
  if (kp.isFolder) {
    for await (const chunk of bodySource(body)) {
      if ((chunk as Uint8Array).length > 0) {
        throw new S3Error("InvalidRequest", { message: "The fs backend stores keys ending in `/` only as empty folder markers." });
      }
    }
    // Checksums no runtime verified (an empty object copied from another store): those of no bytes.
    const verified = checksums?.() ?? (await checkedDigests(givenChecksums(headers)));
    await commitFolder(layout, kp, stored, headers, verified);
    return { status: 200, headers: new Headers({ etag: EMPTY_ETAG, ...verified }), body: null };
  }
  const length = expectedLength(headers);
  const staged = await stageBody(layout, bodySource(body), {
    signal,
    ...(length === undefined ? {} : { expectedLength: length }),
    ...(md5 === undefined ? {} : { contentMd5: md5 }),
    // Checksums no runtime verified (a copy streamed from another store gives its source's): verified here.
    ...(checksums === undefined && { checksums: givenChecksums(headers) }),
  });
  const etag = `"${staged.md5?.toString("hex")}"`;
  const verified = checksums?.() ?? staged.checksums ?? {};
  await commitFile(layout, kp, staged, { etag, headers: stored, conditions: headers, checksums: verified });
  // S3 echoes the checksums it verified.
  return { status: 200, headers: new Headers({ etag, ...verified }), body: null };
}

/**
 * Deletes the key if it is an object (never a symlink, a special file or a plain directory), its sidecar, and the
 * directories left empty above it. Returns whether an object was removed.
 */
export async function deleteKey(layout: FsLayout, kp: KeyPath, ifMatch?: string): Promise<boolean> {
  const removed = await withLock(locks.key(kp), async () => {
    // A conditional delete checks under the key's lock: a write landing in between is either seen or comes after.
    if (ifMatch !== undefined) checkIfMatch(ifMatch, kp.key, (await statObject(layout, kp))?.etag);
    if (!(await isRealDirectory(layout, kp.parent))) return false;
    const stats = await lstatOrUndefined(kp.path);
    if (kp.isFolder) {
      const isMarker = stats?.isDirectory() === true && (await metaFor(layout, kp.key, stats)) !== undefined;
      await removeSidecar(layout, kp.key);
      if (stats?.isDirectory()) await rmdir(kp.path).catch(() => undefined); // Not empty: the children stay.
      return isMarker;
    }
    if (stats?.isFile()) {
      await rm(kp.path, { force: true });
      await removeSidecar(layout, kp.key);
      return true;
    }
    return false;
  });
  if (removed) await pruneEmptyParents(layout, kp.segments);
  return removed;
}

/**
 * Removes now-empty directories above a deleted key, up to (not including) the root, stopping at folder markers.
 * Each directory is checked and removed under the lock of its folder key (`dir/`): a folder marker being written
 * there at the same moment is either seen, or written after the directory went (and makes it again).
 */
async function pruneEmptyParents(layout: FsLayout, segments: string[]): Promise<void> {
  for (let depth = segments.length - 1; depth >= 1; depth--) {
    const dirSegments = segments.slice(0, depth);
    const dir = join(layout.root, ...dirSegments);
    let pruned = false;
    try {
      pruned = await withLock(locks.key({ path: dir }), async () => {
        const stats = await lstatOrUndefined(dir);
        if (stats === undefined || !stats.isDirectory()) return false;
        if ((await metaFor(layout, `${dirSegments.join("/")}/`, stats)) !== undefined) return false;
        try {
          await rmdir(dir);
          return true;
        } catch {
          return false; // Not empty (or gone): nothing more to prune.
        }
      });
    } catch {
      // The lock could not be had in time (or the lock service failed): the delete itself is done; an empty
      // directory left behind is listed as nothing and pruned by a later delete.
    }
    if (!pruned) return;
  }
}

/**
 * DeleteObject: 204 whether or not the key existed. With `If-Match` (S3's conditional delete) only the object it
 * names: 412 for another, NoSuchKey without one, checked under the key's lock as writes are.
 */
export async function deleteObject(layout: FsLayout, kp: KeyPath, headers: Headers): Promise<PlainResponse<Readable>> {
  await deleteKey(layout, kp, headers.get("if-match") ?? undefined);
  return { status: 204, headers: new Headers(), body: null };
}
