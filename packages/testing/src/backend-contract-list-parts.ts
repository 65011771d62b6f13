/**
 * The contract's ListParts checks, for backends that implement the optional `listParts`: ascending parts with the
 * ETags and sizes UploadPart answered, the last upload of a part winning, paging by `maxParts` and
 * `partNumberMarker`, and NoSuchUpload for an unknown upload. A backend says whether it lists parts
 * (`capabilities.listParts`), and the contract holds it to that.
 */
import { expect, it } from "vitest";
import type { Backend } from "@multistore/core/backend";
import type { ExecutedResponse } from "./backend-contract-execute.js";

/** What the checks need from the contract that registers them. */
export interface ListPartsContext {
  /** The backend under test (once set up). */
  backend(): Backend<unknown>;
  /** Whether the backend declared that it lists parts. */
  declared: boolean;
  /** A key prefix no other test uses. */
  fresh(): string;
  /** Uploads one part through the backend's dispatch. */
  uploadPart(key: string, uploadId: string, partNumber: number, bytes: Uint8Array): Promise<ExecutedResponse>;
}

/** Registers the checks (inside the contract's multipart describe). */
export function listPartsContract(context: ListPartsContext): void {
  it("lists an upload's parts in pages when it declares it can (listParts)", async () => {
    const backend = context.backend();
    expect(backend.listParts !== undefined, "capabilities.listParts must say whether listParts exists").toBe(context.declared);
    if (backend.listParts === undefined) return;
    const key = `${context.fresh()}parts.bin`;
    const { uploadId } = await backend.createMultipartUpload(key, new Headers());
    try {
      const sizes = [1000, 2000, 3000];
      const etags: string[] = [];
      for (const [index, size] of sizes.entries()) {
        const uploaded = await context.uploadPart(key, uploadId, index + 1, new Uint8Array(size).fill(index + 1));
        expect(uploaded.status).toBe(200);
        etags.push(uploaded.headers.get("etag")!);
      }
      // Part 2 again: only the new one is listed.
      sizes[1] = 2500;
      etags[1] = (await context.uploadPart(key, uploadId, 2, new Uint8Array(2500).fill(9))).headers.get("etag")!;
      const all = await backend.listParts(key, uploadId, { maxParts: 1000, partNumberMarker: 0 });
      expect(all.isTruncated).toBe(false);
      expect(all.parts.map((part) => [part.partNumber, part.etag, part.size])).toEqual(sizes.map((size, index) => [index + 1, etags[index], size]));
      for (const part of all.parts) expect(part.lastModified.getTime()).not.toBeNaN();
      const first = await backend.listParts(key, uploadId, { maxParts: 2, partNumberMarker: 0 });
      expect([first.parts.map((part) => part.partNumber), first.isTruncated]).toEqual([[1, 2], true]);
      const rest = await backend.listParts(key, uploadId, { maxParts: 2, partNumberMarker: 2 });
      expect([rest.parts.map((part) => part.partNumber), rest.isTruncated]).toEqual([[3], false]);
    } finally {
      await backend.abortMultipartUpload(key, uploadId).catch(() => undefined);
    }
    const otherKey = `${context.fresh()}other.bin`;
    const { uploadId: other } = await backend.createMultipartUpload(otherKey, new Headers());
    try {
      await expect(backend.listParts(key, other, { maxParts: 10, partNumberMarker: 0 })).rejects.toMatchObject({ code: "NoSuchUpload" });
    } finally {
      await backend.abortMultipartUpload(otherKey, other).catch(() => undefined);
    }
  }, 60_000);
}
