/**
 * The contract's listing checks: grouping by delimiter under a prefix, UTF-8 byte order of keys, and paging by
 * continuation token and start-after (with and without a delimiter).
 */
import { expect, it } from "vitest";
import type { BackendContractContext } from "./backend-contract-context.js";

/** Registers the listing checks (inside the contract's "listing" describe). */
export function listingContract(context: BackendContractContext): void {
  const { gaps, fresh, head, putOk, listAll } = context;

  it("groups by delimiter under a prefix", async () => {
    const backend = context.backend();
    const prefix = fresh();
    for (const name of ["a.txt", "dir/x", "dir/y", "dir2/sub/z", "e", "dir-file"]) await putOk(prefix + name, name);
    const result = await backend.listObjects({ prefix, delimiter: "/", maxKeys: 1000 });
    expect(result.objects.map((object) => object.key)).toEqual([`${prefix}a.txt`, `${prefix}dir-file`, `${prefix}e`]);
    // `dir2/` holds only the deeper `dir2/sub/z`.
    if (!gaps.omitsDeepCommonPrefixes) expect(result.commonPrefixes).toEqual([`${prefix}dir/`, `${prefix}dir2/`]);
    else expect(result.commonPrefixes).toContain(`${prefix}dir/`);
    expect(result.isTruncated).toBe(false);
    const object = result.objects[0]!;
    expect(object.size).toBe(5);
    expect(object.etag).toBe((await head(`${prefix}a.txt`)).headers.get("etag"));
    expect(object.lastModified).toBeInstanceOf(Date);
    const narrowed = await backend.listObjects({ prefix: `${prefix}dir`, delimiter: "/", maxKeys: 1000 });
    expect(narrowed.objects.map((o) => o.key)).toEqual([`${prefix}dir-file`]);
    if (!gaps.omitsDeepCommonPrefixes) expect(narrowed.commonPrefixes).toEqual([`${prefix}dir/`, `${prefix}dir2/`]);
    else expect(narrowed.commonPrefixes).toContain(`${prefix}dir/`);
    const deep = await backend.listObjects({ prefix: `${prefix}dir2/`, maxKeys: 1000 });
    expect(deep.objects.map((o) => o.key)).toEqual([`${prefix}dir2/sub/z`]);
  });

  it("lists keys in UTF-8 byte order", async () => {
    const prefix = fresh();
    // No key is both an object and a "directory" (`c` and `c/d`): filesystem backends cannot store that shape.
    const names = ["a", "b", "é", "Z", "~", "\uFF5E", "😀", "c/d", "c-d", "c0"];
    for (const name of names) await putOk(prefix + name, "x");
    const { keys } = await listAll({ prefix, maxKeys: 1000 });
    const expected = names.map((name) => prefix + name).sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    if (gaps.listsInFileOrder) expect(new Set(keys)).toEqual(new Set(expected));
    else expect(keys).toEqual(expected);
  });

  it("paginates with continuation tokens and start-after", async () => {
    const backend = context.backend();
    const prefix = fresh();
    const names = ["k1", "k2", "k3", "k4", "k5", "d1/a", "d1/b", "d2/a", "d3/a"];
    for (const name of names) await putOk(prefix + name, "x");
    const sorted = names.map((name) => prefix + name).sort();
    expect((await listAll({ prefix, maxKeys: 2 })).keys).toEqual(sorted);
    expect((await listAll({ prefix, maxKeys: 1 })).keys).toEqual(sorted);
    const grouped = await listAll({ prefix, delimiter: "/", maxKeys: 2 });
    expect(grouped.prefixes).toEqual([`${prefix}d1/`, `${prefix}d2/`, `${prefix}d3/`]);
    expect(grouped.keys).toEqual(["k1", "k2", "k3", "k4", "k5"].map((name) => prefix + name));
    const after = await backend.listObjects({ prefix, maxKeys: 1000, startAfter: `${prefix}k2` });
    expect(after.objects.map((object) => object.key)).toEqual([`${prefix}k3`, `${prefix}k4`, `${prefix}k5`]);
    const afterPrefix = await backend.listObjects({ prefix, delimiter: "/", maxKeys: 1000, startAfter: `${prefix}d1/` });
    const laterPrefixes = [`${prefix}d2/`, `${prefix}d3/`];
    if (gaps.startAfterKeepsCommonPrefix) expect(afterPrefix.commonPrefixes).toEqual(expect.arrayContaining(laterPrefixes));
    else expect(afterPrefix.commonPrefixes).toEqual(laterPrefixes);
    // A start point inside a common prefix (`d1/a` in `d1/`) still lists the prefix: `d1/b` follows it.
    const inside = await backend.listObjects({ prefix, delimiter: "/", maxKeys: 1000, startAfter: `${prefix}d1/a` });
    expect(inside.commonPrefixes).toEqual([`${prefix}d1/`, ...laterPrefixes]);
    // One past every key of the prefix does not.
    const beyond = await backend.listObjects({ prefix, delimiter: "/", maxKeys: 1000, startAfter: `${prefix}d1/z` });
    expect(beyond.commonPrefixes).toEqual(laterPrefixes);
    const page = await backend.listObjects({ prefix, maxKeys: 3 });
    expect(page.isTruncated).toBe(true);
    expect(page.objects).toHaveLength(3);
    const empty = await backend.listObjects({ prefix: `${prefix}nothing-here/`, delimiter: "/", maxKeys: 10 });
    expect(empty).toMatchObject({ objects: [], commonPrefixes: [], isTruncated: false });
  });
}
