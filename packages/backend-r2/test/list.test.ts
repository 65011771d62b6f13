/**
 * Listing: S3 pages (max-keys counts keys and common prefixes) assembled from R2 pages. Runs against miniflare and
 * against a scripted binding with R2's documented quirks that miniflare lacks: `limit` counting objects only (so a
 * page may carry any number of prefixes on top), truncated pages with fewer objects than asked, and a common prefix
 * repeated on the next page when the cursor stops inside it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Backend, ListRequest } from "@multistore/core/backend";
import { createR2Backend, type R2Bucket, type R2ListOptions, type R2Object } from "../src/index.js";
import { compareUtf8, decodeToken, encodeToken } from "../src/list.js";
import { fresh, installFixedLengthStream, put, startR2 } from "./support.js";

installFixedLengthStream();

const byteOrder = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** Every entry of a listing, page by page, checking each page's size. */
async function listAll(backend: Backend<ReadableStream>, request: Omit<ListRequest, "continuationToken">, paging: "token" | "marker" = "token") {
  const entries: string[] = [];
  let token: string | undefined;
  let startAfter = request.startAfter;
  for (let page = 0; page < 500; page++) {
    const result = await backend.listObjects({ ...request, ...(startAfter !== undefined && { startAfter }), ...(token !== undefined && { continuationToken: token }) });
    const items = [...result.objects.map((o) => o.key), ...result.commonPrefixes].sort(byteOrder);
    expect(items.length).toBeLessThanOrEqual(request.maxKeys);
    entries.push(...items);
    if (!result.isTruncated) return entries;
    expect(items.length).toBeGreaterThan(0);
    if (paging === "token") token = result.nextContinuationToken;
    else startAfter = items[items.length - 1];
  }
  throw new Error("listing did not end");
}

/** What S3 lists for `keys`. */
function expected(keys: string[], prefix: string, delimiter?: string, startAfter?: string): string[] {
  const entries = new Set<string>();
  for (const key of keys) {
    if (!key.startsWith(prefix)) continue;
    const at = delimiter === undefined ? -1 : key.indexOf(delimiter, prefix.length);
    const entry = at < 0 ? key : key.slice(0, at + delimiter!.length);
    if (startAfter === undefined || byteOrder(entry, startAfter) > 0) entries.add(entry);
  }
  return [...entries].sort(byteOrder);
}

/** A binding whose list behaves as R2 documents it (see the module comment); `scan` bounds the keys read per call. */
function scriptedBucket(keys: string[], scan: number): R2Bucket & { calls: number } {
  const sorted = [...keys].sort(byteOrder);
  const object = (key: string) => ({ key, size: 1, etag: "e", httpEtag: '"e"', uploaded: new Date(0), storageClass: "Standard" }) as R2Object;
  const bucket = {
    calls: 0,
    get: async () => null,
    put: async () => null,
    async list(options: R2ListOptions = {}) {
      bucket.calls++;
      const prefix = options.prefix ?? "";
      const after = options.cursor ?? options.startAfter;
      const objects: R2Object[] = [];
      const prefixes: string[] = [];
      let index = sorted.findIndex((key) => key.startsWith(prefix) && (after === undefined || byteOrder(key, after) > 0));
      if (index < 0) index = sorted.length;
      let scanned = 0;
      for (; index < sorted.length && objects.length < (options.limit ?? 1000) && scanned < scan; index++, scanned++) {
        const key = sorted[index]!;
        if (!key.startsWith(prefix)) break;
        const at = options.delimiter === undefined ? -1 : key.indexOf(options.delimiter, prefix.length);
        if (at < 0) objects.push(object(key));
        else if (prefixes.at(-1) !== key.slice(0, at + 1)) prefixes.push(key.slice(0, at + 1));
      }
      const more = index < sorted.length && sorted[index]!.startsWith(prefix);
      return { objects, delimitedPrefixes: prefixes, truncated: more, ...(more && { cursor: sorted[index - 1] }) };
    },
  };
  return bucket as unknown as R2Bucket & { calls: number };
}

describe("listing against miniflare", () => {
  let backend: Backend<ReadableStream>;
  let dispose: () => Promise<void>;
  const prefix = fresh();
  const keys: string[] = [];
  beforeAll(async () => {
    let bucket: R2Bucket;
    ({ bucket, dispose } = await startR2());
    backend = createR2Backend({ bucket });
    for (let i = 0; i < 40; i++) keys.push(`${prefix}dir${String(i).padStart(2, "0")}/a`, `${prefix}dir${String(i).padStart(2, "0")}/b/c`);
    keys.push(`${prefix}a-file`, `${prefix}m-file`, `${prefix}z-file`, `${prefix}é`, `${prefix}😀`, `${prefix}\uFF5E`);
    for (const key of keys) await put(backend, key, "x");
  }, 60_000);
  afterAll(() => dispose());

  it("pages many common prefixes with max-keys counting prefixes too", async () => {
    for (const maxKeys of [1, 3, 7, 1000]) {
      expect(await listAll(backend, { prefix, delimiter: "/", maxKeys }), `maxKeys ${maxKeys}`).toEqual(expected(keys, prefix, "/"));
    }
    expect(await listAll(backend, { prefix, maxKeys: 9 })).toEqual(expected(keys, prefix));
  });

  it("pages with start-after as V1 markers do, a common prefix marker included", async () => {
    expect(await listAll(backend, { prefix, delimiter: "/", maxKeys: 4 }, "marker")).toEqual(expected(keys, prefix, "/"));
    const after = `${prefix}dir05/`;
    expect(await listAll(backend, { prefix, delimiter: "/", maxKeys: 6, startAfter: after })).toEqual(expected(keys, prefix, "/", after));
    // A start point inside a prefix (`dir05/a` in `dir05/`, which holds `dir05/b/c` after it) lists the prefix: S3 lists
    // every key after the start point, rolled up (which is why its V1 NextMarker names the prefix, not a key in it).
    const inside = `${prefix}dir05/a`;
    const result = await backend.listObjects({ prefix, delimiter: "/", maxKeys: 2, startAfter: inside });
    expect(result.commonPrefixes).toEqual([`${prefix}dir05/`, `${prefix}dir06/`]);
  });
});

describe("listing against R2's documented page semantics", () => {
  const keys = [
    ...Array.from({ length: 25 }, (_, i) => `p/d${String(i).padStart(2, "0")}/x`),
    ...Array.from({ length: 25 }, (_, i) => `p/d${String(i).padStart(2, "0")}/y/z`),
    "p/a", "p/b", "p/e", "p/k1", "p/k2", "p/é", "p/😀", "q/outside",
  ];

  it("never exceeds max-keys although R2 adds prefixes on top of its limit", async () => {
    for (const scan of [1, 2, 5, 1000]) {
      const backend = createR2Backend({ bucket: scriptedBucket(keys, scan) });
      for (const maxKeys of [1, 2, 3, 10, 1000]) {
        const label = `scan ${scan}, maxKeys ${maxKeys}`;
        expect(await listAll(backend, { prefix: "p/", delimiter: "/", maxKeys }), label).toEqual(expected(keys, "p/", "/"));
        expect(await listAll(backend, { prefix: "p/", maxKeys }), label).toEqual(expected(keys, "p/"));
        expect(await listAll(backend, { prefix: "p/", delimiter: "/", maxKeys }, "marker"), label).toEqual(expected(keys, "p/", "/"));
      }
    }
  });

  it("fetches only what a page needs", async () => {
    const bucket = scriptedBucket(keys, 1000);
    const backend = createR2Backend({ bucket });
    const first = await backend.listObjects({ prefix: "p/", delimiter: "/", maxKeys: 2 });
    expect([...first.objects.map((o) => o.key), ...first.commonPrefixes]).toEqual(["p/a", "p/b"]);
    expect(first.isTruncated).toBe(true);
    expect(bucket.calls).toBe(1);
    const last = await backend.listObjects({ prefix: "p/", delimiter: "/", maxKeys: 1000 });
    expect(last.isTruncated).toBe(false);
    expect(last.nextContinuationToken).toBeUndefined();
  });
});

describe("tokens and ordering", () => {
  it("round-trips continuation tokens and refuses foreign ones", () => {
    for (const key of ["a", "dir/", "é😀\uFF5E", "x".repeat(1024)]) expect(decodeToken(encodeToken(key))).toBe(key);
    for (const token of ["", "abc", "1.", "2.YQ", "1.YQ==", "1.//8"]) expect(() => decodeToken(token), token).toThrow(/continuation token/);
  });

  it("compares in UTF-8 byte order", () => {
    const names = ["a", "b", "é", "Z", "~", "\uFF5E", "😀", "c/d", "c-d", "c0", "", "ab"];
    expect([...names].sort(compareUtf8)).toEqual([...names].sort(byteOrder));
  });
});
