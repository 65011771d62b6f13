/**
 * Range readers data users rely on: hyparquet reads a Parquet file's footer and one column of a row range, and
 * pmtiles reads single tiles of an archive, with ranged GETs (every answer a 206, far fewer bytes than the object),
 * through an anonymous bucket and a presigned URL.
 */
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { asyncBufferFromUrl, parquetMetadataAsync, parquetReadObjects } from "hyparquet";
import { parquetWriteBuffer } from "hyparquet-writer";
import { FetchSource, PMTiles } from "pmtiles";
import { pmtilesArchive } from "./pmtiles-archive.js";
import { beforeAll, describe, expect, it } from "vitest";
import { sdkClient } from "./clients.js";
import { BUCKETS, type World } from "./setup.js";

// Larger than hyparquet's first footer read (512 KiB), so that the footer and the column are real ranges.
const ROWS = 150_000;
const KEY = "ranges/table.parquet";

/** Fetch that records each answer's status and body size. */
function recordingFetch() {
  const answers: { status: number; bytes: number }[] = [];
  // The fetch of the moment it was made: a reader that only uses the global one gets this installed in its place.
  const base = globalThis.fetch;
  const recording: typeof fetch = async (input, init) => {
    const response = await base(input, init);
    const body = await response.arrayBuffer();
    answers.push({ status: response.status, bytes: body.byteLength });
    return new Response(body, { status: response.status, headers: response.headers });
  };
  return { fetch: recording, answers };
}

/** Registers range-reader tests. */
export function rangeReaderBehaviour(world: () => World): void {
  describe.each([["anonymous bucket", BUCKETS.publicS3], ["anonymous native bucket", BUCKETS.publicNative]] as const)("hyparquet through an %s", (_label, bucket) => {
    let file: ArrayBuffer;
    beforeAll(async () => {
      file = parquetWriteBuffer({
        columnData: [
          { name: "id", data: Array.from({ length: ROWS }, (_, index) => index), type: "INT32" },
          { name: "label", data: Array.from({ length: ROWS }, (_, index) => `row-${index}-${"x".repeat(index % 17)}`), type: "STRING" },
        ],
        rowGroupSize: 25_000,
      });
      await sdkClient(world(), world().admin).send(new PutObjectCommand({ Bucket: bucket, Key: KEY, Body: new Uint8Array(file) }));
    });

    const check = async (url: string) => {
      const recorder = recordingFetch();
      const buffer = await asyncBufferFromUrl({ url, byteLength: file.byteLength, fetch: recorder.fetch });
      const metadata = await parquetMetadataAsync(buffer);
      expect(Number(metadata.num_rows)).toBe(ROWS);
      const rows = await parquetReadObjects({ file: buffer, metadata, columns: ["label"], rowStart: 12_345, rowEnd: 12_348 });
      expect(rows).toEqual([12_345, 12_346, 12_347].map((index) => ({ label: `row-${index}-${"x".repeat(index % 17)}` })));
      // Real range reads: partial answers only, and a small part of the file.
      expect(recorder.answers.every((answer) => answer.status === 206)).toBe(true);
      expect(recorder.answers.reduce((sum, answer) => sum + answer.bytes, 0)).toBeLessThan(file.byteLength / 2);
    };

    it("reads the footer and a row range of one column with ranged GETs (anonymous)", async () => {
      await check(`${world().endpoint}/${bucket}/${KEY}`);
    });

    it("reads the same through a presigned URL", async () => {
      await check(await getSignedUrl(sdkClient(world(), world().admin), new GetObjectCommand({ Bucket: bucket, Key: KEY }), { expiresIn: 300 }));
    });
  });
}

/** Registers pmtiles tests. */
export function pmtilesBehaviour(world: () => World): void {
  describe.each([["anonymous bucket", BUCKETS.publicS3], ["anonymous native bucket", BUCKETS.publicNative]] as const)("pmtiles through an %s", (_label, bucket) => {
    // z0 and the four z1 tiles, each 100 KiB of its own byte value.
    const tiles = [{ z: 0, x: 0, y: 0 }, ...[0, 1].flatMap((x) => [0, 1].map((y) => ({ z: 1, x, y })))].map((tile, index) => ({ ...tile, data: new Uint8Array(100 * 1024).fill(index + 1) }));
    const archive = pmtilesArchive(tiles);
    const key = "ranges/tiles.pmtiles";
    beforeAll(async () => {
      await sdkClient(world(), world().admin).send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: archive }));
    });

    const check = async (url: string) => {
      const recorder = recordingFetch();
      const original = globalThis.fetch;
      globalThis.fetch = recorder.fetch;
      try {
        const reader = new PMTiles(new FetchSource(url));
        expect((await reader.getHeader()).maxZoom).toBe(1);
        for (const [index, tile] of tiles.entries()) {
          const got = await reader.getZxy(tile.z, tile.x, tile.y);
          expect(got && new Uint8Array(got.data).every((byte) => byte === index + 1), `${tile.z}/${tile.x}/${tile.y}`).toBe(true);
        }
      } finally {
        globalThis.fetch = original;
      }
      expect(recorder.answers.every((answer) => answer.status === 206)).toBe(true);
      // The header and directory once, then each tile: about the archive's size, never several times it.
      expect(recorder.answers.reduce((sum, answer) => sum + answer.bytes, 0)).toBeLessThan(archive.length + 64 * 1024);
    };

    it("reads the header and each tile with ranged GETs (anonymous)", async () => {
      await check(`${world().endpoint}/${bucket}/${key}`);
    });

    it("reads the same through a presigned URL", async () => {
      await check(await getSignedUrl(sdkClient(world(), world().admin), new GetObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: 300 }));
    });
  });
}
