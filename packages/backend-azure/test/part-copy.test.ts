/**
 * The az backend's UploadPartCopy against a source replaced mid-copy: the source's properties are read again after
 * Put Block From URL, and a changed ETag fails the copy (503) instead of completing a part whose bytes the copy-source
 * conditions were not checked against. A recording client stands in for Azure (the race cannot be timed on Azurite).
 */
import { describe, expect, it } from "vitest";
import type { Backend } from "@multistore/core/backend";
import type { AzureBlobInfo, AzureClient } from "../src/client.js";
import { uploadPartCopy } from "../src/part-copy.js";

const UPLOAD_ID = "0123456789abcdef0123456789abcdef";

function fixture(etags: string[]) {
  const staged: string[] = [];
  const client = {
    getText: async () => JSON.stringify({ v: 1, key: "dest", headers: {}, metadata: {} }),
    stageBlockFromUrl: async (_blob: string, blockId: string) => void staged.push(blockId),
  } as unknown as AzureClient;
  const self = { copyDomain: "az:test" } as Backend<unknown>;
  const reads = [...etags];
  const source = {
    copyDomain: "az:test",
    readUrl: async () => "https://account.example/container/source?sas",
    blobProperties: async (): Promise<AzureBlobInfo> => ({ etag: reads.shift() ?? "gone", lastModified: new Date(0), size: 10, metadata: {} }),
  } as unknown as Backend<unknown>;
  const copy = (headers: Record<string, string> = {}) =>
    uploadPartCopy(client, self, { sourceBackend: source, sourceKey: "source", key: "dest", uploadId: UPLOAD_ID, partNumber: 1, headers: new Headers(headers) });
  return { copy, staged };
}

describe("az UploadPartCopy", () => {
  it("copies when the source is unchanged, and fails with 503 when it was replaced during the copy", async () => {
    const unchanged = fixture(['"0x1"', '"0x1"']);
    expect((await unchanged.copy({ "x-amz-copy-source-if-match": '"0x1"' })).etag).toMatch(/^"az[0-9a-f]{32}"$/);
    const replaced = fixture(['"0x1"', '"0x2"']);
    await expect(replaced.copy({ "x-amz-copy-source-if-match": '"0x1"' })).rejects.toMatchObject({ code: "ServiceUnavailable" });
    expect(replaced.staged).toHaveLength(1);
  });

  it("checks the copy-source conditions and the range against the source before copying", async () => {
    const failing = fixture(['"0x1"', '"0x1"']);
    await expect(failing.copy({ "x-amz-copy-source-if-match": '"0x9"' })).rejects.toMatchObject({ code: "PreconditionFailed" });
    expect(failing.staged).toEqual([]);
  });
});
