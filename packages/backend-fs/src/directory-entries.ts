/**
 * The entries of a directory in key order, for listings. A page of a listing over a large directory would otherwise
 * read, decode and sort the whole directory again (a 100,000-entry directory: about 0.4 s of the event loop per page,
 * during which the server serves no one). Large directories keep their sorted entries while their modification time
 * says they are unchanged; a page then starts at its marker by binary search.
 */
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { isMissing, lstatOrUndefined, MAX_KEY_BYTES, RESERVED_DIR, type FsLayout } from "./paths.js";

/** One entry: a file (an object key) or a directory (a key prefix ending in `/`). */
export interface Entry {
  /** The key (files) or the key prefix `dir/` (directories). */
  full: string;
  isDir: boolean;
  /** `full` as UTF-8: S3 orders keys by these bytes. */
  sortKey: Buffer;
}

/** Directories with fewer entries are read each time: cheap, and no memory kept. */
const MIN_KEPT_ENTRIES = 1000;
/** The most entries kept over all directories (about 200 bytes each: 100 MB at most). */
const MAX_KEPT_ENTRIES = 500_000;
/**
 * A directory changed this recently may change again within its timestamp's granularity (a second on some file
 * systems) without its time moving: its entries are not trusted from memory (as git treats "racy" files).
 */
const SETTLED_MS = 2000;

const utf8 = new TextDecoder("utf-8", { fatal: true });

interface Kept {
  /** Identity and state of the directory when read. */
  ino: bigint;
  mtimeNs: bigint;
  entries: Entry[];
}

const kept = new Map<string, Kept>();
let keptEntries = 0;

function forget(path: string, value: Kept): void {
  kept.delete(path);
  keptEntries -= value.entries.length;
}

function keep(path: string, value: Kept): void {
  const previous = kept.get(path);
  if (previous !== undefined) forget(path, previous);
  if (value.entries.length > MAX_KEPT_ENTRIES) return;
  // The oldest go first (a Map iterates in insertion order).
  for (const [oldest, entry] of kept) {
    if (keptEntries + value.entries.length <= MAX_KEPT_ENTRIES) break;
    forget(oldest, entry);
  }
  kept.set(path, value);
  keptEntries += value.entries.length;
}

async function readSorted(layout: FsLayout, path: string, dirKey: string): Promise<Entry[]> {
  let dirents;
  try {
    dirents = await readdir(path, { withFileTypes: true, encoding: "buffer" });
  } catch (error) {
    if (isMissing(error)) return [];
    throw error;
  }
  const entries: Entry[] = [];
  for (const dirent of dirents) {
    // Symlinks are never followed and special files are not objects.
    const isDir = dirent.isDirectory();
    if (!isDir && !dirent.isFile()) continue;
    let name: string;
    try {
      name = utf8.decode(dirent.name);
    } catch {
      continue; // A name that is not UTF-8 cannot be a key.
    }
    if (dirKey === "" && name === RESERVED_DIR) continue;
    const full = isDir ? `${dirKey}${name}/` : `${dirKey}${name}`;
    const sortKey = Buffer.from(full, "utf8");
    if (sortKey.length > MAX_KEY_BYTES) continue; // Not addressable, so not listed (nor anything below).
    entries.push({ full, isDir, sortKey });
  }
  return entries.sort((a, b) => Buffer.compare(a.sortKey, b.sortKey));
}

/** Sorted entries of the directory `dirKey` (`""` for the root) that can be objects or lead to some. */
export async function directoryEntries(layout: FsLayout, dirKey: string): Promise<Entry[]> {
  const path = dirKey === "" ? layout.root : join(layout.root, dirKey);
  const stats = await lstatOrUndefined(path);
  if (stats === undefined || !stats.isDirectory()) return [];
  const settled = Number(stats.mtimeNs / 1_000_000n) < Date.now() - SETTLED_MS;
  // By root and key, not by path: the entries hold keys, and one directory is another key under a nested root.
  const name = `${layout.root}\0${dirKey}`;
  const known = kept.get(name);
  if (settled && known !== undefined && known.ino === stats.ino && known.mtimeNs === stats.mtimeNs) return known.entries;
  const entries = await readSorted(layout, path, dirKey);
  if (settled && entries.length >= MIN_KEPT_ENTRIES) keep(name, { ino: stats.ino, mtimeNs: stats.mtimeNs, entries });
  else if (known !== undefined) forget(name, known);
  return entries;
}

/** The first index whose key is after `bytes` (`orEqual`: at or after). */
function bound(entries: readonly Entry[], bytes: Buffer, orEqual: boolean): number {
  let low = 0;
  let high = entries.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    const order = Buffer.compare(entries[middle]!.sortKey, bytes);
    if (order < 0 || (order === 0 && !orEqual)) low = middle + 1;
    else high = middle;
  }
  return low;
}

/**
 * Where a walk of `entries` starts for a page of keys starting with `prefix`, after `marker`: every entry before is
 * wholly outside the prefix or at or before the marker. Keys starting with the prefix sort at or after it; a
 * directory the marker is inside sorts at or before the marker, and its later keys are still to come.
 */
export function startIndex(entries: readonly Entry[], prefix: string, marker: string | undefined): number {
  let start = prefix === "" ? 0 : bound(entries, Buffer.from(prefix, "utf8"), true);
  if (marker !== undefined) {
    let after = bound(entries, Buffer.from(marker, "utf8"), false);
    const before = entries[after - 1];
    if (before !== undefined && before.isDir && marker.startsWith(before.full)) after--;
    start = Math.max(start, after);
  }
  return start;
}
