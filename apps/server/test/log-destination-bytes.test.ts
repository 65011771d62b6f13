/**
 * The batched log destination counts batches in UTF-16 units; a batch of text past ASCII can be longer in bytes than
 * one write may hold whole (PIPE_BUF on a pipe the cluster's processes share). Each write must stay within the
 * batch, in whole lines. (`writeSync` is watched here: its sizes are what a shared pipe keeps atomic or not.)
 */
import { closeSync, mkdtempSync, openSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";

const writes = vi.hoisted(() => [] as number[]);
vi.mock("node:fs", async (importOriginal) => {
  const actual = await importOriginal<typeof import("node:fs")>();
  return {
    ...actual,
    writeSync: (fd: number, buffer: Uint8Array, offset?: number, length?: number) => {
      writes.push(length ?? buffer.length);
      return actual.writeSync(fd, buffer, offset, length);
    },
  };
});

const { BatchedDestination, SHARED_PIPE_BATCH } = await import("../src/log-destination.js");

describe("BatchedDestination, text past ASCII", () => {
  it("writes a batch that is longer in bytes than in characters in several writes, each within the batch, of whole lines", () => {
    const path = join(mkdtempSync(join(tmpdir(), "log-destination-bytes-")), "log.jsonl");
    const fd = openSync(path, "a");
    const destination = new BatchedDestination(fd, SHARED_PIPE_BATCH);
    // 900 characters, about 1800 bytes each: four fit a batch by count, twice its size in bytes.
    const lines = Array.from({ length: 4 }, (_, index) => `{"n":${index},"key":"${"ключ".repeat(225)}"}\n`);
    for (const line of lines) destination.writeBatched(line);
    destination.flush();
    closeSync(fd);
    expect(readFileSync(path, "utf8")).toBe(lines.join(""));
    expect(writes.length).toBeGreaterThan(1);
    expect(Math.max(...writes)).toBeLessThanOrEqual(SHARED_PIPE_BATCH);
  });
});
