/** fs-specific ListMultipartUploads behaviour beyond the shared contract: staging leftovers and vanished markers. */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Backend, ListedUpload, ListUploadsRequest } from "@multistore/core/backend";
import { describe, expect, it, vi } from "vitest";
import { createFsBackend } from "../src/index.js";
import { readUploadRecord } from "../src/multipart.js";
import { freshBackend } from "./test-support.js";

// Counts the records the listing reads (multipart.ts's own calls are inside the module, so they are not counted).
vi.mock("../src/multipart.js", async (importOriginal) => {
  const actual = await importOriginal<typeof import("../src/multipart.js")>();
  return { ...actual, readUploadRecord: vi.fn(actual.readUploadRecord) };
});

/** Every upload under `prefix`, `maxUploads` a page, following each page's last upload as core does. */
async function listAll(backend: Backend<unknown>, maxUploads: number): Promise<{ uploads: ListedUpload[]; pages: number }> {
  const uploads: ListedUpload[] = [];
  let request: ListUploadsRequest = { prefix: "", maxUploads };
  for (let pages = 1; ; pages++) {
    const page = await backend.listMultipartUploads!(request);
    uploads.push(...page.uploads);
    const last = page.uploads.at(-1);
    if (!page.isTruncated || last === undefined) return { uploads, pages };
    request = { prefix: "", maxUploads, keyMarker: last.key, uploadIdMarker: last.uploadId };
  }
}

describe("fs backend ListMultipartUploads", () => {
  it("orders a key's uploads by initiation and skips staging directories without a readable record", async () => {
    const { backend, root } = await freshBackend();
    const uploads = join(root, ".multistore", "uploads");
    const staged = async (id: string, record: string) => {
      await mkdir(join(uploads, id, "parts"), { recursive: true });
      await writeFile(join(uploads, id, "upload.json"), record);
    };
    // Ids in the opposite order of their initiation: the listing follows the initiation. Recent initiations: the
    // backend's sweep (which starts with it) aborts uploads older than seven days, and would race this test for them.
    const first = new Date(Date.now() - 120_000);
    const second = new Date(Date.now() - 60_000);
    await staged("zzzzzzzzzzzzzzzzzzzzzz", JSON.stringify({ key: "k", headers: {}, initiated: first.toISOString() }));
    await staged("aaaaaaaaaaaaaaaaaaaaaa", JSON.stringify({ key: "k", headers: {}, initiated: second.toISOString() }));
    await staged("half-written-record-00", '{"key": "k", "head');
    await mkdir(join(uploads, "no-record-yet-0000000"), { recursive: true });
    await mkdir(join(uploads, "not an id"), { recursive: true });
    const listed = await backend.listMultipartUploads!({ prefix: "", maxUploads: 10 });
    expect(listed).toEqual({
      uploads: [
        { key: "k", uploadId: "zzzzzzzzzzzzzzzzzzzzzz", initiated: first },
        { key: "k", uploadId: "aaaaaaaaaaaaaaaaaaaaaa", initiated: second },
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

  it("reads each upload's record once across the pages of a listing, and sees uploads come and go", async () => {
    const { backend, root } = await freshBackend();
    const ids: string[] = [];
    for (const key of ["a", "b", "b", "c", "d/e", "f", "g"]) ids.push((await backend.createMultipartUpload(key, new Headers())).uploadId);
    const reads = vi.mocked(readUploadRecord);
    reads.mockClear();
    const paged = await listAll(backend, 2);
    // Four pages of seven uploads: re-reading every record on every page would be 28 reads.
    expect([paged.pages, reads.mock.calls.length]).toEqual([4, 7]);
    expect(paged.uploads.map((upload) => upload.key)).toEqual(["a", "b", "b", "c", "d/e", "f", "g"]);

    // A new upload is read (once); an aborted one is gone; a directory whose record is not written yet is not an upload.
    await backend.abortMultipartUpload("c", ids[3]!);
    const added = await backend.createMultipartUpload("b2", new Headers());
    const pending = join(root, ".multistore", "uploads", "pending-record-0000000");
    await mkdir(pending, { recursive: true });
    reads.mockClear();
    const after = await listAll(backend, 2);
    // b2's record once; the directory without a record on each of the four pages.
    expect([after.pages, reads.mock.calls.length]).toEqual([4, 1 + 4]);
    expect(after.uploads.map((upload) => upload.key)).toEqual(["a", "b", "b", "b2", "d/e", "f", "g"]);
    expect(after.uploads.some((upload) => upload.uploadId === added.uploadId)).toBe(true);
    // Once the record is there, the upload is listed: a missing record is looked for again, not remembered.
    await writeFile(join(pending, "upload.json"), JSON.stringify({ key: "b3", headers: {}, initiated: new Date().toISOString() }));
    const withPending = await listAll(backend, 1000);
    expect(withPending.uploads.map((upload) => upload.key)).toEqual(["a", "b", "b", "b2", "b3", "d/e", "f", "g"]);
    // The same answer as a backend that has read nothing before.
    expect((await listAll(createFsBackend({ root }), 3)).uploads).toEqual(withPending.uploads);
  });
});
