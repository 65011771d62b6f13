/** Keys can never reach outside the root, the bookkeeping directory or through a symlink. */
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { codeOf, freshBackend, get, put, run, tempDir } from "./test-support.js";

describe("fs backend safety", () => {
  it("refuses keys with dot segments, empty segments, NUL or a leading slash", async () => {
    const { backend, root } = await freshBackend();
    const outside = await tempDir();
    const escape = `../${outside.split("/").pop()}/evil`;
    for (const key of ["..", "../x", "a/../../x", escape, "./a", "a/./b", "a/..", "a//b", "/abs", "a\0b", "//"]) {
      const written = await put(backend, key, "x");
      expect(written.status, JSON.stringify(key)).toBe(400);
      expect(codeOf(written), JSON.stringify(key)).toBe("InvalidArgument");
      expect((await get(backend, key)).status, JSON.stringify(key)).toBe(400);
    }
    expect(await readdir(outside)).toEqual([]);
    expect(await readdir(root)).toEqual([".multistore"]);
  });

  it("refuses keys longer than 1024 bytes", async () => {
    const { backend } = await freshBackend();
    const long = await put(backend, "é".repeat(513), "x");
    expect(long.status).toBe(400);
    expect(codeOf(long)).toBe("KeyTooLongError");
  });

  it("hides the .multistore directory", async () => {
    const { backend } = await freshBackend();
    await put(backend, "visible", "x");
    for (const key of [".multistore/tmp/x", ".multistore", ".multistore/"]) {
      expect(codeOf(await put(backend, key, "x")), key).toBe("InvalidArgument");
      expect(codeOf(await get(backend, key)), key).toBe("InvalidArgument");
    }
    const all = await backend.listObjects({ prefix: "", maxKeys: 1000 });
    expect(all.objects.map((o) => o.key)).toEqual(["visible"]);
    expect((await backend.listObjects({ prefix: ".multistore/", maxKeys: 1000 })).objects).toEqual([]);
    expect((await backend.listObjects({ prefix: ".multi", delimiter: "/", maxKeys: 1000 })).commonPrefixes).toEqual([]);
    await expect(backend.createMultipartUpload(".multistore/x", new Headers())).rejects.toMatchObject({ code: "InvalidArgument" });
  });

  it("never reads, writes or lists through symlinks", async () => {
    const { backend, root } = await freshBackend();
    const outside = await tempDir();
    await writeFile(join(outside, "secret.txt"), "secret");
    await symlink(outside, join(root, "linkdir"));
    await symlink(join(outside, "secret.txt"), join(root, "linkfile"));
    await mkdir(join(root, "real"));
    await symlink("../linkdir", join(root, "real", "relative"));

    for (const key of ["linkdir/secret.txt", "linkfile", "real/relative/secret.txt"]) {
      expect((await get(backend, key)).status, key).toBe(404);
      expect((await run(backend, { operation: "HeadObject", key })).status, key).toBe(404);
    }
    for (const key of ["linkdir/new.txt", "linkfile", "real/relative/new.txt", "linkdir/deep/new.txt"]) {
      const written = await put(backend, key, "pwned");
      expect(written.status, key).toBe(409);
      expect(codeOf(written), key).toBe("InvalidRequest");
    }
    expect((await readdir(outside)).sort()).toEqual(["secret.txt"]);
    expect(await readFile(join(outside, "secret.txt"), "utf8")).toBe("secret");

    expect((await run(backend, { operation: "DeleteObject", key: "linkdir/secret.txt" })).status).toBe(204);
    expect((await run(backend, { operation: "DeleteObject", key: "linkfile" })).status).toBe(204);
    expect(existsSync(join(outside, "secret.txt"))).toBe(true);

    const listed = await backend.listObjects({ prefix: "", maxKeys: 1000 });
    expect(listed.objects).toEqual([]);
    expect((await backend.listObjects({ prefix: "linkdir/", maxKeys: 1000 })).objects).toEqual([]);
    expect((await backend.listObjects({ prefix: "", delimiter: "/", maxKeys: 1000 })).commonPrefixes).toEqual([]);

    const source = await backend.copyObject({ sourceBackend: backend, sourceKey: "linkfile", key: "stolen", headers: new Headers() }).catch((e) => e);
    expect(source).toMatchObject({ code: "NoSuchKey" });
  });

  it("accepts a root that is itself a symlink", async () => {
    // The root is resolved once at construction; only links below it are refused.
    const target = await tempDir();
    const parent = await tempDir();
    await symlink(target, join(parent, "bucket"));
    const { createFsBackend } = await import("../src/index.js");
    const backend = createFsBackend({ root: join(parent, "bucket") });
    expect((await put(backend, "k", "v")).status).toBe(200);
    expect(await readFile(join(target, "k"), "utf8")).toBe("v");
  });

  it("rejects version ids other than null", async () => {
    const { backend } = await freshBackend();
    await put(backend, "k", "v");
    expect((await run(backend, { operation: "GetObject", key: "k", versionId: "null" })).status).toBe(200);
    const versioned = await run(backend, { operation: "GetObject", key: "k", versionId: "abc" });
    expect(versioned.status).toBe(404);
    expect(codeOf(versioned)).toBe("NoSuchVersion");
  });
});
