/**
 * ListObjects over the directory tree. Directories are read one at a time, their entries sorted by the UTF-8
 * bytes of the key they lead to (a directory `d` sorts as `d/`), so a depth-first walk yields keys in S3's order
 * and a page stops reading as soon as it is full. The walk starts at the deepest directory the prefix names, skips
 * subtrees wholly before the marker, and with a delimiter rolls a subtree up into one common prefix without
 * descending further than needed to prove it holds an object.
 */
import { join } from "node:path";
import { S3Error } from "@multistore/core";
import type { ListedObject, ListRequest, ListResult } from "@multistore/core/backend";
import { describeObject, type ObjectState } from "./object-read.js";
import { directoryEntries, startIndex } from "./directory-entries.js";
import { isRealDirectory, lstatOrUndefined, RESERVED_DIR, type FsLayout } from "./paths.js";
import { STORAGE_CLASS } from "./storage-class.js";

interface WalkState {
  layout: FsLayout;
  prefix: string;
  delimiter: string | undefined;
  /** Exclusive lower bound (start-after, marker or continuation token). */
  marker: string | undefined;
  /** Last common prefix emitted (or a marker that is one): every key under it is already accounted for. */
  rolledUp: string | undefined;
}

type Item = { kind: "object"; key: string; state: ObjectState } | { kind: "prefix"; key: string };

/** Byte order of UTF-8 encodings (JS `<` compares UTF-16 code units, which differs above U+FFFF). */
function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

/** The common prefix `key` rolls up into, if the delimiter occurs after the prefix. */
function rollUp(s: WalkState, key: string): string | undefined {
  if (s.delimiter === undefined || !key.startsWith(s.prefix)) return undefined;
  const at = key.indexOf(s.delimiter, s.prefix.length);
  return at < 0 ? undefined : key.slice(0, at + s.delimiter.length);
}

/** Whether `key` (an object key in walk order) is before the page or already covered by a common prefix. */
function skipped(s: WalkState, key: string): boolean {
  if (!key.startsWith(s.prefix)) return true;
  if (s.marker !== undefined && compareKeys(key, s.marker) <= 0) return true;
  return s.rolledUp !== undefined && key.startsWith(s.rolledUp);
}

/** Emits the object `key` (or the common prefix it rolls up into) if it exists. */
async function* emit(s: WalkState, key: string, isFolder: boolean): AsyncGenerator<Item> {
  if (skipped(s, key)) return;
  // No trailing slash on the path: `lstat("link/")` would follow a symlink.
  const path = join(s.layout.root, isFolder ? key.slice(0, -1) : key);
  const stats = await lstatOrUndefined(path);
  const state = stats === undefined ? undefined : await describeObject(s.layout, { key, isFolder }, stats);
  if (state === undefined) return; // Removed since readdir, or a directory that is not a folder marker.
  const prefix = rollUp(s, key);
  if (prefix === undefined) {
    yield { kind: "object", key, state };
  } else {
    s.rolledUp = prefix;
    yield { kind: "prefix", key: prefix };
  }
}

async function* walk(s: WalkState, dirKey: string): AsyncGenerator<Item> {
  // A folder marker `dir/` sorts before everything inside `dir/`.
  if (dirKey !== "") yield* emit(s, dirKey, true);
  const entries = await directoryEntries(s.layout, dirKey);
  // Entries outside the prefix or wholly at or before the marker are passed over at once (a later page of a large
  // directory starts where the last ended). The walk starts in the deepest directory the prefix names: the keys
  // of its entries that start with the prefix are one run, and a walk below it is all inside the prefix.
  const marker = s.marker !== undefined && s.marker.startsWith(dirKey) ? s.marker : undefined;
  const prefix = s.prefix.startsWith(dirKey) ? s.prefix : "";
  for (let index = startIndex(entries, prefix, marker); index < entries.length; index++) {
    const entry = entries[index]!;
    const { full } = entry;
    if (!full.startsWith(prefix)) return;
    if (!entry.isDir) {
      yield* emit(s, full, false);
      continue;
    }
    if (!full.startsWith(s.prefix) && !s.prefix.startsWith(full)) continue;
    // Every key below starts with `full`: all of them are <= the marker unless the marker is inside.
    if (s.marker !== undefined && compareKeys(full, s.marker) < 0 && !s.marker.startsWith(full)) continue;
    if (s.rolledUp !== undefined && full.startsWith(s.rolledUp)) continue;
    const rolled = rollUp(s, full);
    if (rolled === undefined) {
      yield* walk(s, full);
    } else if (await hasObjects(s, full)) {
      // Every key below rolls up into `rolled`; an empty directory tree is not a common prefix.
      s.rolledUp = rolled;
      yield { kind: "prefix", key: rolled };
    }
  }
}

/** Whether the subtree `dirKey` holds an object that the listing would include. */
async function hasObjects(s: WalkState, dirKey: string): Promise<boolean> {
  for await (const item of walk({ ...s, delimiter: undefined }, dirKey)) {
    void item;
    return true;
  }
  return false;
}

/** Continuation tokens are the last key or common prefix of the page, versioned and base64url encoded. */
function encodeToken(key: string): string {
  return `1.${Buffer.from(key, "utf8").toString("base64url")}`;
}

function decodeToken(token: string): string {
  const encoded = token.startsWith("1.") ? token.slice(2) : undefined;
  const key = encoded === undefined ? undefined : Buffer.from(encoded, "base64url").toString("utf8");
  if (key === undefined || key === "" || encodeToken(key) !== token) {
    throw new S3Error("InvalidArgument", {
      message: "The continuation token provided is incorrect",
      details: { ArgumentName: "continuation-token" },
    });
  }
  return key;
}

/** The directory key a prefix confines the walk to, or undefined when no valid key can have this prefix. */
function startDirectory(prefix: string): string | undefined {
  const dirKey = prefix.slice(0, prefix.lastIndexOf("/") + 1);
  if (dirKey === "") return "";
  const segments = dirKey.slice(0, -1).split("/");
  if (segments[0] === RESERVED_DIR || segments.some((segment) => segment === "" || segment === "." || segment === "..")) {
    return undefined;
  }
  return dirKey;
}

/** One page of a listing (see the module comment). */
export async function listObjects(layout: FsLayout, request: ListRequest): Promise<ListResult> {
  const prefix = request.prefix ?? "";
  const marker = request.continuationToken !== undefined ? decodeToken(request.continuationToken) : request.startAfter || undefined;
  const s: WalkState = { layout, prefix, delimiter: request.delimiter || undefined, marker, rolledUp: undefined };
  // A marker that is itself a common prefix (the last item of the previous page) covers everything under it.
  if (marker !== undefined && rollUp(s, marker) === marker) s.rolledUp = marker;
  const result: ListResult = { objects: [], commonPrefixes: [], isTruncated: false };
  const dirKey = startDirectory(prefix);
  if (request.maxKeys <= 0 || dirKey === undefined) return result;
  if (!(await isRealDirectory(layout, dirKey === "" ? layout.root : join(layout.root, dirKey.slice(0, -1))))) return result;
  let count = 0;
  let last: string | undefined;
  for await (const item of walk(s, dirKey)) {
    if (count === request.maxKeys) {
      result.isTruncated = true;
      break;
    }
    if (item.kind === "prefix") {
      result.commonPrefixes.push(item.key);
    } else {
      const { state } = item;
      const listed: ListedObject = { key: item.key, lastModified: state.lastModified, etag: state.etag, size: state.size, storageClass: state.headers[STORAGE_CLASS] ?? "STANDARD" };
      result.objects.push(listed);
    }
    last = item.key;
    count++;
  }
  if (result.isTruncated && last !== undefined) result.nextContinuationToken = encodeToken(last);
  return result;
}
