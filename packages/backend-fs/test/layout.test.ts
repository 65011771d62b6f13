/** How keys map onto the directory tree: files dropped in by hand, folder markers, conflicts, pruning. */
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, stat, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createFsBackend } from "../src/index.js";
import { codeOf, freshBackend, get, put, run, tempDir, text } from "./test-support.js";

describe("fs backend layout", () => {
  it("says it encrypts at rest only where encrypted_at_rest says the root's storage does", async () => {
    const root = await tempDir();
    expect(createFsBackend({ root }).encryptsAtRest).toBe(false);
    expect(createFsBackend({ root, encrypted_at_rest: "false" }).encryptsAtRest).toBe(false);
    expect(createFsBackend({ root, encrypted_at_rest: "true" }).encryptsAtRest).toBe(true);
    expect(() => createFsBackend({ root, encrypted_at_rest: "yes" })).toThrow('encrypted_at_rest must be "true" or "false" for backend_type = fs');
  });

  it("requires a root and creates it when absent", async () => {
    expect(() => createFsBackend({} as { root: string })).toThrow("root is required for backend_type = fs");
    expect(() => createFsBackend({ root: "" })).toThrow("root is required for backend_type = fs");
    const root = join(await tempDir(), "nested", "bucket");
    createFsBackend({ root });
    expect((await stat(root)).isDirectory()).toBe(true);
    // A file where the root (or a directory above it) should be: the error names the option, not only mkdir's.
    const file = join(await tempDir(), "a-file");
    await writeFile(file, "x");
    for (const path of [file, join(file, "below")]) expect(() => createFsBackend({ root: path }), path).toThrow(/^root is not a directory for backend_type = fs: /);
  });

  it("stores keys as files under the root", async () => {
    const { backend, root } = await freshBackend();
    expect((await put(backend, "a/b/c.txt", "hello")).status).toBe(200);
    expect(await readFile(join(root, "a/b/c.txt"), "utf8")).toBe("hello");
    expect((await readdir(root)).sort()).toEqual([".multistore", "a"]);
    expect(await readdir(join(root, ".multistore", "tmp"))).toEqual([]);
  });

  it("serves files dropped in by hand, with an ETag that follows the file", async () => {
    const { backend, root } = await freshBackend();
    await mkdir(join(root, "dropped"));
    await writeFile(join(root, "dropped", "file.txt"), "by hand");
    const got = await get(backend, "dropped/file.txt");
    expect(got.status).toBe(200);
    expect(text(got.body)).toBe("by hand");
    expect(got.headers.get("content-type")).toBe("binary/octet-stream");
    const etag = got.headers.get("etag")!;
    expect(etag).toMatch(/^"[0-9a-f]{32}-1"$/);
    expect((await get(backend, "dropped/file.txt", { "if-none-match": etag })).status).toBe(304);
    const listed = await backend.listObjects({ prefix: "", maxKeys: 10 });
    expect(listed.objects).toMatchObject([{ key: "dropped/file.txt", size: 7, etag }]);
    await writeFile(join(root, "dropped", "file.txt"), "changed by hand");
    const changed = await get(backend, "dropped/file.txt");
    expect(changed.headers.get("etag")).not.toBe(etag);
    expect(text(changed.body)).toBe("changed by hand");
  });

  it("forgets stored metadata when the file is edited by hand", async () => {
    const { backend, root } = await freshBackend();
    const written = await put(backend, "doc.txt", "v1", { "content-type": "text/plain", "x-amz-meta-a": "1" });
    expect((await get(backend, "doc.txt")).headers.get("content-type")).toBe("text/plain");
    await writeFile(join(root, "doc.txt"), "v2 by hand");
    await utimes(join(root, "doc.txt"), new Date(), new Date(Date.now() + 5000));
    const got = await get(backend, "doc.txt");
    expect(got.headers.get("content-type")).toBe("binary/octet-stream");
    expect(got.headers.get("x-amz-meta-a")).toBeNull();
    expect(got.headers.get("etag")).not.toBe(written.headers.get("etag"));
  });

  it("prunes directories emptied by deletes, never the root", async () => {
    const { backend, root } = await freshBackend();
    await put(backend, "x/y/z/one", "1");
    await put(backend, "x/two", "2");
    expect((await run(backend, { operation: "DeleteObject", key: "x/y/z/one" })).status).toBe(204);
    expect(existsSync(join(root, "x/y"))).toBe(false);
    expect(existsSync(join(root, "x/two"))).toBe(true);
    await run(backend, { operation: "DeleteObject", key: "x/two" });
    expect(await readdir(root)).toEqual([".multistore"]);
  });

  it("refuses keys that conflict with the directory shape with a 409", async () => {
    const { backend } = await freshBackend();
    await put(backend, "file", "f");
    const under = await put(backend, "file/child", "c");
    expect(under.status).toBe(409);
    expect(codeOf(under)).toBe("InvalidRequest");
    await put(backend, "dir/child", "c");
    const over = await put(backend, "dir", "d");
    expect(over.status).toBe(409);
    expect(codeOf(over)).toBe("InvalidRequest");
    expect((await get(backend, "dir")).status).toBe(404); // A directory is not an object.
    expect(text((await get(backend, "dir/child")).body)).toBe("c");
  });

  it("stores folder markers as directories", async () => {
    const { backend, root } = await freshBackend();
    expect((await put(backend, "folder/", "", { "x-amz-meta-kind": "marker" })).status).toBe(200);
    expect((await stat(join(root, "folder"))).isDirectory()).toBe(true);
    const headed = await run(backend, { operation: "HeadObject", key: "folder/" });
    expect(headed.status).toBe(200);
    expect(headed.headers.get("content-length")).toBe("0");
    expect(headed.headers.get("x-amz-meta-kind")).toBe("marker");
    await put(backend, "folder/inside", "i");
    const listed = await backend.listObjects({ prefix: "folder/", maxKeys: 10 });
    expect(listed.objects.map((o) => o.key)).toEqual(["folder/", "folder/inside"]);
    // Deleting the object inside keeps the marker's directory.
    await run(backend, { operation: "DeleteObject", key: "folder/inside" });
    expect((await run(backend, { operation: "HeadObject", key: "folder/" })).status).toBe(200);
    await run(backend, { operation: "DeleteObject", key: "folder/" });
    expect(existsSync(join(root, "folder"))).toBe(false);
    const nonEmpty = await put(backend, "other/", "data");
    expect(nonEmpty.status).toBe(400);
    expect(codeOf(nonEmpty)).toBe("InvalidRequest");
  });

  it("does not list empty directories, nor as common prefixes", async () => {
    const { backend, root } = await freshBackend();
    await mkdir(join(root, "empty/deeper"), { recursive: true });
    await put(backend, "full/x", "x");
    const listed = await backend.listObjects({ prefix: "", delimiter: "/", maxKeys: 10 });
    expect(listed.commonPrefixes).toEqual(["full/"]);
    expect(listed.objects).toEqual([]);
    expect((await run(backend, { operation: "HeadObject", key: "empty/" })).status).toBe(404);
  });
});
