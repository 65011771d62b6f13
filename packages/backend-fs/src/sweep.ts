/**
 * The periodic clean-up of a root's bookkeeping while the server runs: temp files a crash left behind, and multipart
 * uploads nobody completed or aborted (what S3's AbortIncompleteMultipartUpload lifecycle rule does). Each upload is
 * removed under its lock, so a part being committed or a completion in progress is never cut short.
 */
import { readdir, readFile, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { locks } from "./locks-names.js";
import { withLock } from "./locks.js";
import type { FsLayout } from "./paths.js";

/** How old leftovers must be before the sweep removes them, and how often it looks. */
export interface SweepAges {
  /** Temp files (a live write renames or removes its file long before). */
  tempMaxAgeMs: number;
  /** Multipart uploads, by when they were started. */
  uploadMaxAgeMs: number;
}

/** What one sweep removed. */
export interface SweepResult {
  /** Temp files removed. */
  tempFiles: number;
  /** Uploads aborted. */
  uploads: number;
}

async function ageOf(path: string, now: number): Promise<number> {
  const { mtimeMs } = await stat(path).catch(() => ({ mtimeMs: now }));
  return now - mtimeMs;
}

/** Removes the root's stale temp files and uploads. Never throws: leftovers only take space. */
export async function sweepRoot(layout: FsLayout, ages: SweepAges, now = Date.now()): Promise<SweepResult> {
  const result: SweepResult = { tempFiles: 0, uploads: 0 };
  for (const name of await readdir(layout.tmpDir).catch(() => [] as string[])) {
    const path = join(layout.tmpDir, name);
    if ((await ageOf(path, now)) <= ages.tempMaxAgeMs) continue;
    await rm(path, { recursive: true, force: true }).catch(() => undefined);
    result.tempFiles++;
  }
  for (const name of await readdir(layout.uploadsDir).catch(() => [] as string[])) {
    const dir = join(layout.uploadsDir, name);
    await withLock(locks.upload(dir), async () => {
      const record = await readFile(join(dir, "upload.json"), "utf8").then((text) => JSON.parse(text) as { initiated?: string }, () => undefined);
      const started = record?.initiated === undefined ? Number.NaN : Date.parse(record.initiated);
      const age = Number.isFinite(started) ? now - started : await ageOf(dir, now);
      if (age <= ages.uploadMaxAgeMs) return;
      await rm(dir, { recursive: true, force: true }).catch(() => undefined);
      result.uploads++;
    }).catch(() => undefined);
  }
  return result;
}

/** Sweeps now and then every `intervalMs` (the timer does not keep the process alive). */
export function startSweeping(layout: FsLayout, ages: SweepAges, intervalMs: number): void {
  const run = () => void sweepRoot(layout, ages);
  run();
  setInterval(run, intervalMs).unref();
}
