/** fs-specific ListMultipartUploads behaviour beyond the shared contract: staging leftovers and vanished markers. */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { freshBackend } from "./test-support.js";

describe("fs backend ListMultipartUploads", () => {
  it("orders a key's uploads by initiation and skips staging directories without a readable record", async () => {
    const { backend, root } = await freshBackend();
    const uploads = join(root, ".multistore", "uploads");
    const staged = async (id: string, record: string) => {
      await mkdir(join(uploads, id, "parts"), { recursive: true });
      await writeFile(join(uploads, id, "upload.json"), record);
    };
    // Ids in the opposite order of their initiation: the listing follows the initiation.
    await staged("zzzzzzzzzzzzzzzzzzzzzz", JSON.stringify({ key: "k", headers: {}, initiated: "2026-01-01T00:00:00.000Z" }));
    await staged("aaaaaaaaaaaaaaaaaaaaaa", JSON.stringify({ key: "k", headers: {}, initiated: "2026-01-02T00:00:00.000Z" }));
    await staged("half-written-record-00", '{"key": "k", "head');
    await mkdir(join(uploads, "no-record-yet-0000000"), { recursive: true });
    await mkdir(join(uploads, "not an id"), { recursive: true });
    const listed = await backend.listMultipartUploads!({ prefix: "", maxUploads: 10 });
    expect(listed).toEqual({
      uploads: [
        { key: "k", uploadId: "zzzzzzzzzzzzzzzzzzzzzz", initiated: new Date("2026-01-01T00:00:00.000Z") },
        { key: "k", uploadId: "aaaaaaaaaaaaaaaaaaaaaa", initiated: new Date("2026-01-02T00:00:00.000Z") },
      ],
      isTruncated: false,
    });
  });

  it("pages by key and upload, listing a key's uploads again when the marker's upload has gone", async () => {
    const { backend } = await freshBackend();
    const ids: string[] = [];
    for (const key of ["a", "b", "b", "c"]) ids.push((await backend.createMultipartUpload(key, new Headers())).uploadId);
    const page = (keyMarker: string, uploadIdMarker?: string) =>
      backend.listMultipartUploads!({ prefix: "", maxUploads: 10, keyMarker, ...(uploadIdMarker !== undefined && { uploadIdMarker }) }).then((result) => result.uploads.map((upload) => upload.uploadId));
    const order = (await backend.listMultipartUploads!({ prefix: "", maxUploads: 10 })).uploads.map((upload) => upload.uploadId);
    expect(order[0]).toBe(ids[0]);
    expect(order[3]).toBe(ids[3]);
    expect(await page("b")).toEqual([ids[3]]);
    expect(await page("b", order[1])).toEqual([order[2], ids[3]]);
    await backend.abortMultipartUpload("b", order[1]!);
    expect(await page("b", order[1])).toEqual([order[2], ids[3]]);
    const first = await backend.listMultipartUploads!({ prefix: "", maxUploads: 2 });
    expect([first.uploads.length, first.isTruncated]).toEqual([2, true]);
    expect((await backend.listMultipartUploads!({ prefix: "c", maxUploads: 2 })).uploads.map((upload) => upload.key)).toEqual(["c"]);
  });
});
