/** Block ids and part ETags of multipart uploads (see block-ids.ts), and how an upload's parts are told from them. */
import { isS3Error } from "@multistore/core";
import { fromBase64, toBase64 } from "@multistore/core/backend";
import { describe, expect, it } from "vitest";
import { blockId, newPartTag, parseBlockId, partEtag, stagingTime, tagOfPartEtag } from "../src/block-ids.js";
import { newUploadId } from "../src/names.js";
import { earlierBlockId } from "./helpers/earlier-block-id.js";
import { blockWithTag, latestBlock, partsOfUpload } from "../src/staged-parts.js";

describe("block ids", () => {
  it("are 48 base64 characters for every upload, part and tag, and say what they hold", () => {
    const upload = newUploadId();
    expect(upload).toMatch(/^[0-9a-f]{32}$/);
    const ids = new Set<string>();
    for (const partNumber of [1, 2, 10000]) {
      for (const uploadId of [upload, newUploadId()]) {
        for (const part of [newPartTag(null), newPartTag("eB5eJF1ptWaXm4bijSPyxw==")]) {
          const stagedAt = stagingTime();
          const id = blockId(uploadId, partNumber, part, stagedAt);
          expect(id).toMatch(/^[A-Za-z0-9+/]{48}$/);
          expect(fromBase64(id)).toHaveLength(36);
          expect(parseBlockId(id, uploadId)).toEqual({ id, partNumber, tag: part.tag, opaque: part.opaque, stagedAt: new Date(stagedAt) });
          ids.add(id);
        }
      }
    }
    expect(ids.size).toBe(12);
    // Another upload's block, or no block of an upload at all, is no part.
    const id = blockId(upload, 1, newPartTag(null), stagingTime());
    expect(parseBlockId(id, newUploadId())).toBeUndefined();
    expect(parseBlockId(toBase64(new Uint8Array(36)), upload)).toBeUndefined();
    expect(parseBlockId("not base64!", upload)).toBeUndefined();
    expect(parseBlockId(toBase64(new Uint8Array(12)), upload)).toBeUndefined();
  });

  it("read ids of earlier versions as parts of unknown age", () => {
    const uploadId = newUploadId();
    const { tag } = newPartTag(null);
    const id = earlierBlockId(uploadId, 7, tag);
    expect(parseBlockId(id, uploadId)).toEqual({ id, partNumber: 7, tag, opaque: true });
  });

  it("are read in the current layout when their time happens to equal the rest of the upload id", () => {
    const uploadId = newUploadId();
    const bytes = Buffer.from(uploadId, "hex");
    const stagedAt = bytes.readUIntBE(10, 6);
    for (const part of [newPartTag(null), newPartTag("eB5eJF1ptWaXm4bijSPyxw==")]) {
      const parsed = parseBlockId(blockId(uploadId, 3, part, stagedAt), uploadId);
      // An opaque tag's flag tells the layouts apart; an MD5 part only loses its age (and shows the az ETag).
      expect(parsed?.partNumber).toBe(3);
      expect(parsed?.stagedAt?.getTime()).toBe(part.opaque ? stagedAt : undefined);
    }
  });

  it("are staged at a time that never repeats in one process", () => {
    const now = Date.now();
    const first = stagingTime(now);
    const second = stagingTime(now);
    expect(second).toBeGreaterThan(first);
    expect(stagingTime(now - 60_000)).toBeGreaterThan(second);
  });

  it("carry the part's tag: its MD5 with Content-MD5, a random one (az-prefixed ETag) without", () => {
    const md5 = "eB5eJF1ptWaXm4bijSPyxw==";
    const withMd5 = newPartTag(md5);
    expect(withMd5.etag).toBe('"781e5e245d69b566979b86e28d23f2c7"');
    expect([withMd5.opaque, partEtag(withMd5)]).toEqual([false, withMd5.etag]);
    expect(tagOfPartEtag(withMd5.etag)).toEqual(withMd5.tag);
    const random = newPartTag(null);
    expect(random.etag).toMatch(/^"az[0-9a-f]{32}"$/);
    expect([random.opaque, partEtag(random)]).toEqual([true, random.etag]);
    expect(tagOfPartEtag(random.etag.replaceAll('"', ""))).toEqual(random.tag);
    expect(tagOfPartEtag('"not-an-etag"')).toBeUndefined();
  });
});

describe("an upload's staged parts", () => {
  const uploadId = newUploadId();
  const block = (partNumber: number, part: { tag: Uint8Array; opaque: boolean }, stagedAt: number, size = 10) => ({ name: blockId(uploadId, partNumber, part, stagedAt), size });

  it("are the latest upload of each part; an older upload's ETag still names its bytes", () => {
    const [first, second, third] = [newPartTag(null), newPartTag(null), newPartTag(null)];
    const now = Date.now();
    // Azure's order says nothing: the later upload is listed first here.
    const blocks = [block(1, second, now + 5, 20), block(1, first, now, 10), block(2, third, now + 1), { name: blockId(newUploadId(), 1, first, now + 9), size: 1 }];
    const parts = partsOfUpload(blocks, uploadId);
    expect([...parts.keys()].sort()).toEqual([1, 2]);
    expect(parts.get(1)).toHaveLength(2);
    expect(latestBlock(1, parts.get(1)!)).toMatchObject({ tag: second.tag, size: 20 });
    expect(blockWithTag(parts.get(1), second.tag)?.size).toBe(20);
    // Clocks order uploads: CompleteMultipartUpload takes what the ETag names rather than trust them
    // (see blockWithTag).
    expect(blockWithTag(parts.get(1), first.tag)?.size).toBe(10);
    expect(blockWithTag(parts.get(1), third.tag)).toBeUndefined();
    expect(blockWithTag(parts.get(3), first.tag)).toBeUndefined();
    // The same bytes uploaded twice: the later block.
    const twice = partsOfUpload([block(1, first, now, 10), block(1, first, now + 3, 11)], uploadId).get(1);
    expect(blockWithTag(twice, first.tag)?.size).toBe(11);
  });

  it("take a timed upload over earlier versions' blocks, and refuse to list a part those leave ambiguous", () => {
    const [first, second, third] = [newPartTag(null), newPartTag(null), newPartTag(null)];
    const earlier = [{ name: earlierBlockId(uploadId, 1, first.tag), size: 1 }, { name: earlierBlockId(uploadId, 1, second.tag), size: 2 }];
    const ambiguous = partsOfUpload(earlier, uploadId).get(1)!;
    // CompleteMultipartUpload takes either (as it did), ListParts cannot say which is the part.
    expect(blockWithTag(ambiguous, first.tag)?.size).toBe(1);
    expect(blockWithTag(ambiguous, second.tag)?.size).toBe(2);
    let refused: unknown;
    try {
      latestBlock(1, ambiguous);
    } catch (error) {
      refused = error;
    }
    expect(isS3Error(refused) && refused.code).toBe("NotImplemented");
    // The same bytes twice are one part; a new upload of the part settles it.
    expect(latestBlock(1, partsOfUpload([earlier[0]!, earlier[0]!], uploadId).get(1)!).size).toBe(1);
    const settled = partsOfUpload([...earlier, block(1, third, Date.now(), 3)], uploadId).get(1)!;
    expect(latestBlock(1, settled).size).toBe(3);
    expect(blockWithTag(settled, third.tag)?.size).toBe(3);
  });
});
