/**
 * Range readers data users rely on: hyparquet reads a Parquet file's footer and one column of a row range with
 * ranged GETs (every answer a 206, far fewer bytes than the file), through an anonymous bucket and a presigned URL.
 */
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { asyncBufferFromUrl, parquetMetadataAsync, parquetReadObjects } from "hyparquet";
import { parquetWriteBuffer } from "hyparquet-writer";
import { beforeAll, describe, expect, it } from "vitest";
import { sdkClient } from "./clients.js";
import { BUCKETS, type World } from "./setup.js";

// Larger than hyparquet's first footer read (512 KiB), so that the footer and the column are real ranges.
const ROWS = 150_000;
const KEY = "ranges/table.parquet";

/** Fetch that records each answer's status and body size. */
function recordingFetch() {
  const answers: { status: number; bytes: number }[] = [];
  const recording: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
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
