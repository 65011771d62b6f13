/**
 * The contract's ListMultipartUploads checks, for backends that implement the optional `listMultipartUploads`: the
 * uploads in progress under a prefix with the ids CreateMultipartUpload answered, in key order, paged by `maxUploads`,
 * `keyMarker` and `uploadIdMarker` with every upload listed once, completed (and, where the backend can, aborted)
 * uploads gone. A backend says whether it lists uploads (`capabilities.listUploads`), and the contract holds it to that.
 */
import { expect, it } from "vitest";
import type { Backend, ListedUpload, ListUploadsRequest } from "@multistore/core/backend";
import type { ExecutedResponse } from "./backend-contract-execute.js";

/** What the checks need from the contract that registers them. */
export interface ListUploadsContext {
  /** The backend under test (once set up). */
  backend(): Backend<unknown>;
  /** Whether the backend declared that it lists uploads. */
  declared: boolean;
  /** Whether the backend can abort uploads (its emulator may not). */
  aborts: boolean;
  /** A key prefix no other test uses. */
  fresh(): string;
  /** Uploads one part through the backend's dispatch. */
  uploadPart(key: string, uploadId: string, partNumber: number, bytes: Uint8Array): Promise<ExecutedResponse>;
}

/** Every upload under `prefix`, `maxUploads` a page, following the markers of each page's last upload. */
async function listAll(backend: Backend<unknown>, prefix: string, maxUploads: number): Promise<{ uploads: ListedUpload[]; pages: number }> {
  const uploads: ListedUpload[] = [];
  let request: ListUploadsRequest = { prefix, maxUploads };
  for (let pages = 1; pages <= 20; pages++) {
    const page = await backend.listMultipartUploads!(request);
    expect(page.uploads.length).toBeLessThanOrEqual(maxUploads);
    uploads.push(...page.uploads);
    const last = page.uploads.at(-1);
    if (!page.isTruncated || last === undefined) return { uploads, pages };
    request = { prefix, maxUploads, keyMarker: last.key, uploadIdMarker: last.uploadId };
  }
  throw new Error("the listing of uploads did not end within 20 pages");
}

/** Registers the checks (inside the contract's multipart describe). */
export function listUploadsContract(context: ListUploadsContext): void {
  it("lists the uploads in progress under a prefix, in pages, when it declares it can (listMultipartUploads)", async () => {
    const backend = context.backend();
    expect(backend.listMultipartUploads !== undefined, "capabilities.listUploads must say whether listMultipartUploads exists").toBe(context.declared);
    if (backend.listMultipartUploads === undefined) return;
    const prefix = context.fresh();
    const keys = [`${prefix}a.bin`, `${prefix}b ü.bin`, `${prefix}b ü.bin`, `${prefix}c/d.bin`];
    const started: { key: string; uploadId: string }[] = [];
    for (const key of keys) started.push({ key, uploadId: (await backend.createMultipartUpload(key, new Headers())).uploadId });
    const byKey = (uploads: { key: string; uploadId: string }[]) => uploads.map(({ key, uploadId }) => `${key} ${uploadId}`).sort();

    const all = await listAll(backend, prefix, 1000);
    expect(all.pages).toBe(1);
    expect(byKey(all.uploads)).toEqual(byKey(started));
    expect(all.uploads.map((upload) => upload.key)).toEqual(keys);
    for (const upload of all.uploads) expect(Math.abs(upload.initiated.getTime() - Date.now())).toBeLessThan(10 * 60_000);

    // Pages of one: the second upload of a key comes after its first, through the upload id marker.
    const paged = await listAll(backend, prefix, 1);
    expect([paged.pages, paged.uploads]).toEqual([4, all.uploads]);
    const afterKey = await backend.listMultipartUploads({ prefix, maxUploads: 10, keyMarker: keys[1]! });
    expect(afterKey.uploads.map((upload) => upload.key)).toEqual([keys[3]]);
    expect((await backend.listMultipartUploads({ prefix: `${prefix}c/`, maxUploads: 10 })).uploads.map((upload) => upload.uploadId)).toEqual([started[3]!.uploadId]);
    expect(await backend.listMultipartUploads({ prefix: `${prefix}nothing/`, maxUploads: 10 })).toEqual({ uploads: [], isTruncated: false });

    const { key, uploadId } = started[0]!;
    const etag = (await context.uploadPart(key, uploadId, 1, new Uint8Array(100).fill(1))).headers.get("etag")!;
    await backend.completeMultipartUpload(key, uploadId, [{ partNumber: 1, etag }], new Headers());
    expect(byKey((await listAll(backend, prefix, 1000)).uploads)).toEqual(byKey(started.slice(1)));
    if (context.aborts) {
      for (const upload of started.slice(1)) await backend.abortMultipartUpload(upload.key, upload.uploadId);
      expect((await listAll(backend, prefix, 1000)).uploads).toEqual([]);
    }
  }, 60_000);
}
