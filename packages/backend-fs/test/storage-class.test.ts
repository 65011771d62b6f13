/**
 * Storage classes on fs buckets: kept with the object, shown by GET, HEAD and listings as S3 names them; archive
 * classes kept as GLACIER_IR (a directory serves every object at once); a copy takes the class it asks for, else
 * STANDARD; AWS's own hardware classes refused before anything is stored.
 */
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { codeOf, freshBackend, get, put, run } from "./test-support.js";

const classOf = async (backend: Awaited<ReturnType<typeof freshBackend>>["backend"], key: string) => (await run(backend, { operation: "HeadObject", key })).headers.get("x-amz-storage-class");

describe("fs storage classes", () => {
  it("keeps the class a put asks for and shows it on GET, HEAD and in listings; STANDARD is not shown", async () => {
    const { backend } = await freshBackend();
    await put(backend, "ia", "x", { "x-amz-storage-class": "STANDARD_IA" });
    await put(backend, "archived", "x", { "x-amz-storage-class": "DEEP_ARCHIVE" });
    await put(backend, "standard", "x", { "x-amz-storage-class": "STANDARD" });
    await put(backend, "plain", "x");
    expect((await get(backend, "ia")).headers.get("x-amz-storage-class")).toBe("STANDARD_IA");
    expect([await classOf(backend, "ia"), await classOf(backend, "archived"), await classOf(backend, "standard"), await classOf(backend, "plain")]).toEqual(["STANDARD_IA", "GLACIER_IR", null, null]);
    const listed = await backend.listObjects({ prefix: "", maxKeys: 10 });
    expect(listed.objects.map((object) => [object.key, object.storageClass])).toEqual([
      ["archived", "GLACIER_IR"],
      ["ia", "STANDARD_IA"],
      ["plain", "STANDARD"],
      ["standard", "STANDARD"],
    ]);
  });

  it("gives a copy the class it asks for, else STANDARD whatever the source's; a self-copy changes the class", async () => {
    const { backend } = await freshBackend();
    await put(backend, "source", "x", { "x-amz-storage-class": "ONEZONE_IA", "x-amz-meta-kept": "yes" });
    const copy = (key: string, headers: Record<string, string>) => backend.copyObject({ sourceBackend: backend, sourceKey: "source", key, headers: new Headers(headers) });
    await copy("plain-copy", {});
    await copy("classed-copy", { "x-amz-storage-class": "GLACIER_IR" });
    await copy("replaced-copy", { "x-amz-metadata-directive": "REPLACE", "x-amz-storage-class": "INTELLIGENT_TIERING" });
    expect([await classOf(backend, "plain-copy"), await classOf(backend, "classed-copy"), await classOf(backend, "replaced-copy")]).toEqual([null, "GLACIER_IR", "INTELLIGENT_TIERING"]);
    expect((await get(backend, "plain-copy")).headers.get("x-amz-meta-kept")).toBe("yes");
    await copy("source", { "x-amz-storage-class": "STANDARD" });
    expect(await classOf(backend, "source")).toBeNull();
    expect((await get(backend, "source")).headers.get("x-amz-meta-kept")).toBe("yes");
  });

  it("keeps the class of a multipart upload for the completed object", async () => {
    const { backend } = await freshBackend();
    const { uploadId } = await backend.createMultipartUpload("parts", new Headers({ "x-amz-storage-class": "GLACIER" }));
    const part = await run(backend, { operation: "UploadPart", key: "parts", uploadId, partNumber: 1, headers: { "content-length": "3" } }, "one");
    await backend.completeMultipartUpload("parts", uploadId, [{ partNumber: 1, etag: part.headers.get("etag")! }], new Headers());
    expect(await classOf(backend, "parts")).toBe("GLACIER_IR");
  });

  it("refuses a class of AWS's own hardware or services before storing or staging anything", async () => {
    const { backend, root } = await freshBackend();
    const refused = await put(backend, "outposts", "x", { "x-amz-storage-class": "OUTPOSTS" });
    expect([refused.status, codeOf(refused)]).toEqual([400, "InvalidStorageClass"]);
    expect((await get(backend, "outposts")).status).toBe(404);
    expect(await readdir(join(root, ".multistore", "tmp"))).toEqual([]);
    await expect(backend.createMultipartUpload("express", new Headers({ "x-amz-storage-class": "EXPRESS_ONEZONE" }))).rejects.toMatchObject({ code: "InvalidStorageClass" });
    expect(await readdir(join(root, ".multistore", "uploads"))).toEqual([]);
    await put(backend, "source", "x");
    await expect(backend.copyObject({ sourceBackend: backend, sourceKey: "source", key: "copy", headers: new Headers({ "x-amz-storage-class": "SNOW" }) })).rejects.toMatchObject({ code: "InvalidStorageClass" });
    expect((await get(backend, "copy")).status).toBe(404);
  });
});
