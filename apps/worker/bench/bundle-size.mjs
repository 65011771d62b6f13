#!/usr/bin/env node
/** Reports the size of the deployable Worker bundle (raw and gzip), as `wrangler deploy --dry-run` produces it. */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const appDir = join(import.meta.dirname, "..");
const outdir = mkdtempSync(join(tmpdir(), "multistore-worker-size-"));
// wrangler's exports do not include its bin; its package directory does.
const wrangler = join(realpathSync(join(appDir, "node_modules/wrangler")), "bin/wrangler.js");
execFileSync(process.execPath, [wrangler, "deploy", "--dry-run", "--outdir", outdir, "--minify"], {
  cwd: appDir,
  env: { ...process.env, WRANGLER_SEND_METRICS: "false", WRANGLER_LOG: "error", CI: "true" },
  stdio: ["ignore", "ignore", "inherit"],
});
let raw = 0;
let gzip = 0;
for (const name of readdirSync(outdir).filter((file) => /\.m?js$/.test(file))) {
  const bytes = readFileSync(join(outdir, name));
  raw += bytes.length;
  gzip += gzipSync(bytes, { level: 9 }).length;
}
rmSync(outdir, { recursive: true, force: true });
console.log(`worker bundle (minified): ${(raw / 1024).toFixed(1)} KiB raw, ${(gzip / 1024).toFixed(1)} KiB gzip`);
