/** Object tags kept in the sidecar: the tagging calls, tags set at write time, copies, and files dropped in. */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { freshBackend, get, put, run } from "./test-support.js";

describe("fs backend tags", () => {
  it("gets, puts and deletes tags without changing the object's ETag or Last-Modified", async () => {
    const { backend } = await freshBackend();
    await put(backend, "k.txt", "data", { "content-type": "text/x-k", "x-amz-meta-colour": "blue" });
    const before = await get(backend, "k.txt");
    expect((await backend.getObjectTagging!("k.txt")).tags).toEqual([]);
    await backend.putObjectTagging!("k.txt", [{ key: "project", value: "a & b" }, { key: "tier", value: "ünï+1" }]);
    expect((await backend.getObjectTagging!("k.txt")).tags).toEqual([{ key: "project", value: "a & b" }, { key: "tier", value: "ünï+1" }]);
    const after = await get(backend, "k.txt");
    for (const name of ["etag", "last-modified", "content-type", "x-amz-meta-colour"]) expect(after.headers.get(name), name).toBe(before.headers.get(name));
    // GetObject counts the tags, HeadObject does not, and neither sends them.
    expect([after.headers.get("x-amz-tagging-count"), after.headers.get("x-amz-tagging")]).toEqual(["2", null]);
    expect((await run(backend, { operation: "HeadObject", key: "k.txt" })).headers.get("x-amz-tagging-count")).toBeNull();
    await backend.deleteObjectTagging!("k.txt");
    expect((await backend.getObjectTagging!("k.txt")).tags).toEqual([]);
    expect((await get(backend, "k.txt")).headers.get("x-amz-tagging-count")).toBeNull();
    await expect(backend.getObjectTagging!("missing")).rejects.toMatchObject({ code: "NoSuchKey" });
    await expect(backend.putObjectTagging!("missing", [{ key: "a", value: "1" }])).rejects.toMatchObject({ code: "NoSuchKey" });
    await expect(backend.getObjectTagging!("k.txt", "v2")).rejects.toMatchObject({ code: "NoSuchVersion" });
  });

  it("tags a file dropped into the root, keeping its ETag; a later edit by hand drops them with the old metadata", async () => {
    const { backend, root } = await freshBackend();
    await writeFile(join(root, "dropped.txt"), "by hand");
    const etag = (await get(backend, "dropped.txt")).headers.get("etag");
    await backend.putObjectTagging!("dropped.txt", [{ key: "found", value: "yes" }]);
    expect((await backend.getObjectTagging!("dropped.txt")).tags).toEqual([{ key: "found", value: "yes" }]);
    expect((await get(backend, "dropped.txt")).headers.get("etag")).toBe(etag);
    await writeFile(join(root, "dropped.txt"), "edited by hand");
    expect((await backend.getObjectTagging!("dropped.txt")).tags).toEqual([]);
  });

  it("keeps x-amz-tagging of PutObject, CreateMultipartUpload and folder markers; an overwrite without tags has none", async () => {
    const { backend } = await freshBackend();
    await put(backend, "w.txt", "tagged", { "x-amz-tagging": "a=1&b=two%20words" });
    expect((await backend.getObjectTagging!("w.txt")).tags).toEqual([{ key: "a", value: "1" }, { key: "b", value: "two words" }]);
    await put(backend, "w.txt", "untagged");
    expect((await backend.getObjectTagging!("w.txt")).tags).toEqual([]);
    await put(backend, "folder/", "", { "x-amz-tagging": "kind=folder" });
    expect((await backend.getObjectTagging!("folder/")).tags).toEqual([{ key: "kind", value: "folder" }]);
    const { uploadId } = await backend.createMultipartUpload("m.txt", new Headers({ "x-amz-tagging": "stage=raw" }));
    const part = await run(backend, { operation: "UploadPart", key: "m.txt", uploadId, partNumber: 1, headers: { "content-length": "4" } }, "part");
    await backend.completeMultipartUpload("m.txt", uploadId, [{ partNumber: 1, etag: part.headers.get("etag")! }], new Headers());
    expect((await backend.getObjectTagging!("m.txt")).tags).toEqual([{ key: "stage", value: "raw" }]);
  });

  it("copies the source's tags, or the request's with the REPLACE tagging directive, whatever the metadata directive", async () => {
    const { backend } = await freshBackend();
    await put(backend, "src.txt", "source", { "x-amz-tagging": "origin=src", "x-amz-meta-m": "1" });
    const copy = async (key: string, headers: Record<string, string>) => {
      await backend.copyObject({ sourceBackend: backend, sourceKey: "src.txt", key, headers: new Headers(headers) });
      const got = await get(backend, key);
      return { tags: (await backend.getObjectTagging!(key)).tags, meta: got.headers.get("x-amz-meta-m") };
    };
    expect(await copy("c1", {})).toEqual({ tags: [{ key: "origin", value: "src" }], meta: "1" });
    expect(await copy("c2", { "x-amz-metadata-directive": "REPLACE", "x-amz-meta-m": "2" })).toEqual({ tags: [{ key: "origin", value: "src" }], meta: "2" });
    expect(await copy("c3", { "x-amz-tagging-directive": "REPLACE", "x-amz-tagging": "origin=copy" })).toEqual({ tags: [{ key: "origin", value: "copy" }], meta: "1" });
    expect(await copy("c4", { "x-amz-tagging-directive": "REPLACE" })).toEqual({ tags: [], meta: "1" });
    // Without the directive, a request's x-amz-tagging is not the copy's (S3 ignores it).
    expect(await copy("c5", { "x-amz-tagging": "ignored=1" })).toEqual({ tags: [{ key: "origin", value: "src" }], meta: "1" });
  });
});
