/** The periodic sweep: stale temp files and abandoned multipart uploads go, live ones stay. */
import { existsSync } from "node:fs";
import { readdir, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createFsBackend } from "../src/index.js";
import { layoutOf } from "../src/paths.js";
import { sweepRoot } from "../src/sweep.js";
import { run, tempDir } from "./test-support.js";

const HOUR = 3600_000;

describe("fs backend sweep", () => {
  it("removes temp files and uploads older than their ages, and keeps younger ones", async () => {
    const root = await tempDir();
    const backend = createFsBackend({ root });
    const layout = layoutOf(root);
    const old = await backend.createMultipartUpload("abandoned.bin", new Headers());
    const fresh = await backend.createMultipartUpload("in-progress.bin", new Headers());
    await run(backend, { operation: "UploadPart", key: "abandoned.bin", uploadId: old.uploadId, partNumber: 1, headers: { "content-length": "4" } }, "part");
    await writeFile(join(layout.tmpDir, "stale"), "x");
    await writeFile(join(layout.tmpDir, "live"), "x");
    const longAgo = new Date(Date.now() - 30 * HOUR);
    await utimes(join(layout.tmpDir, "stale"), longAgo, longAgo);
    // An upload's age is from its record: started eight days ago.
    const record = join(layout.uploadsDir, old.uploadId, "upload.json");
    const { readFile } = await import("node:fs/promises");
    const parsed = JSON.parse(await readFile(record, "utf8")) as Record<string, unknown>;
    await writeFile(record, JSON.stringify({ ...parsed, initiated: new Date(Date.now() - 8 * 24 * HOUR).toISOString() }));
    const result = await sweepRoot(layout, { tempMaxAgeMs: 24 * HOUR, uploadMaxAgeMs: 7 * 24 * HOUR });
    expect(result).toEqual({ tempFiles: 1, uploads: 1 });
    expect(await readdir(layout.tmpDir)).toEqual(["live"]);
    expect(existsSync(join(layout.uploadsDir, old.uploadId))).toBe(false);
    expect(existsSync(join(layout.uploadsDir, fresh.uploadId))).toBe(true);
    await expect(backend.abortMultipartUpload("abandoned.bin", old.uploadId)).rejects.toMatchObject({ code: "NoSuchUpload" });
  });

  it("runs by itself while the process runs, at the configured interval", async () => {
    const root = await tempDir();
    createFsBackend({ root, temp_max_age_secs: "1", sweep_interval_secs: "1" });
    const layout = layoutOf(root);
    await writeFile(join(layout.tmpDir, "crash-leftover"), "x");
    const longAgo = new Date(Date.now() - HOUR);
    await utimes(join(layout.tmpDir, "crash-leftover"), longAgo, longAgo);
    await expect.poll(() => existsSync(join(layout.tmpDir, "crash-leftover")), { timeout: 5000, interval: 100 }).toBe(false);
  });

  it("refuses ages that are not whole seconds, naming the option", () => {
    expect(() => createFsBackend({ root: "/tmp/multistore-sweep-bad", multipart_max_age_secs: "soon" })).toThrow("multipart_max_age_secs must be a whole number of seconds");
  });
});
