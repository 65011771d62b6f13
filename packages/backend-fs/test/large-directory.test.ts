/**
 * Listings of a directory large enough for its sorted entries to be kept between pages: every page, every prefix
 * and marker, as a plain sort of the keys says; and a directory that changed is read again.
 */
import { mkdir, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Backend } from "@multistore/core/backend";
import type { Readable } from "node:stream";
import { createFsBackend } from "../src/index.js";
import { freshBackend, put } from "./test-support.js";

const byUtf8 = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** Every key of a listing, page by page (`maxKeys` each), with its common prefixes. */
async function listAll(backend: Backend<Readable>, prefix: string, delimiter: string | undefined, maxKeys: number, startAfter?: string): Promise<string[]> {
  const seen: string[] = [];
  let token: string | undefined;
  for (let pages = 0; pages < 10_000; pages++) {
    const page = await backend.listObjects({ prefix, maxKeys, ...(delimiter && { delimiter }), ...(token ? { continuationToken: token } : startAfter ? { startAfter } : {}) });
    // One ordered run per page: objects and prefixes interleave by key.
    seen.push(...[...page.objects.map((object) => object.key), ...page.commonPrefixes].sort(byUtf8));
    if (!page.isTruncated) return seen;
    token = page.nextContinuationToken;
  }
  throw new Error("no end");
}

/** What S3 lists for `keys`: those after `startAfter` starting with `prefix`, rolled up at `delimiter`. */
function expected(keys: string[], prefix: string, delimiter: string | undefined, startAfter?: string): string[] {
  const out = new Set<string>();
  for (const key of [...keys].sort(byUtf8)) {
    if (!key.startsWith(prefix)) continue;
    const at = delimiter === undefined ? -1 : key.indexOf(delimiter, prefix.length);
    const item = at < 0 ? key : key.slice(0, at + delimiter!.length);
    if (startAfter !== undefined && byUtf8(item, startAfter) <= 0 && !(at >= 0 && byUtf8(key, startAfter) > 0)) continue;
    out.add(item);
  }
  return [...out];
}

describe("listing a large directory", () => {
  it("pages through it as a sort of its keys says, for prefixes, markers and delimiters, and sees it change", async () => {
    const { backend, root } = await freshBackend();
    // 1200 files (past the size whose entries are kept), names crossing UTF-8 vs UTF-16 order, and a subdirectory.
    const names = Array.from({ length: 1200 }, (_, index) => `f${String(index).padStart(4, "0")}${index % 7 === 0 ? "\u{1F389}" : index % 5 === 0 ? "\uff01" : ""}`);
    await mkdir(join(root, "big", "sub"), { recursive: true });
    await Promise.all(names.map((name) => writeFile(join(root, "big", name), "x")));
    await put(backend, "big/sub/inner", "x");
    await put(backend, "big/f0500/", "");
    const keys = [...names.map((name) => `big/${name}`), "big/sub/inner", "big/f0500/"];
    // Settled (changed more than a moment ago): its entries are kept from the first page on.
    const past = new Date(Date.now() - 60_000);
    await utimes(join(root, "big"), past, past);
    for (const [prefix, delimiter, maxKeys, startAfter] of [
      ["big/", undefined, 250, undefined],
      ["big/", "/", 333, undefined],
      ["big/f05", undefined, 7, undefined],
      ["big/f0", "/", 100, "big/f0499"],
      ["big/", undefined, 1000, "big/f0500/"],
      ["big/s", "/", 1, undefined],
      ["big/zzz", undefined, 10, undefined],
    ] as const) {
      const listed = await listAll(backend, prefix, delimiter, maxKeys, startAfter);
      expect(listed, `${prefix} ${delimiter} ${maxKeys} ${startAfter}`).toEqual(expected(keys, prefix, delimiter, startAfter));
    }
    // A file added and a file removed since: the directory's time moved, so it is read again.
    await writeFile(join(root, "big", "f0600a"), "x");
    await put(backend, "big/f0001", "replaced");
    const { rm } = await import("node:fs/promises");
    await rm(join(root, "big", "f0002"));
    const later = new Date(Date.now() - 30_000);
    await utimes(join(root, "big"), later, later);
    const changed = [...keys.filter((key) => key !== "big/f0002"), "big/f0600a"];
    expect(await listAll(backend, "big/", undefined, 500)).toEqual(expected(changed, "big/", undefined));
  }, 60_000);

  it("keeps the entries of one directory apart for backends whose roots are nested (other keys, same directory)", async () => {
    const { backend, root } = await freshBackend();
    const names = Array.from({ length: 1100 }, (_, index) => `n${String(index).padStart(4, "0")}`);
    await mkdir(join(root, "team", "deep"), { recursive: true });
    await Promise.all(names.map((name) => writeFile(join(root, "team", "deep", name), "x")));
    const past = new Date(Date.now() - 60_000);
    await utimes(join(root, "team", "deep"), past, past);
    const nested = createFsBackend({ root: join(root, "team") });
    // Each lists `deep` under its own keys, whichever read it first.
    for (let round = 0; round < 2; round++) {
      expect(await listAll(backend, "team/deep/", undefined, 1000)).toEqual(names.map((name) => `team/deep/${name}`));
      expect(await listAll(nested, "deep/", undefined, 1000)).toEqual(names.map((name) => `deep/${name}`));
    }
  }, 60_000);
});
