/**
 * The deployable Worker bundle, as `wrangler deploy --dry-run` produces it, for the benches: bench/bundle-size.mjs
 * reports its size, bench/cpu.mjs runs it under workerd.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const appDir = join(import.meta.dirname, "..");

/**
 * Bundles the Worker into a fresh temp directory (the caller removes `outdir`) and measures it. Every module counts
 * (a dynamic import() would add one next to the entry). `raw` and `gzip` (level 9) are bytes, summed over the modules.
 * @param {{ minify?: boolean }} [options] `minify`: as `wrangler deploy --minify` would deploy it.
 * @returns {{ outdir: string, entry: string, raw: number, gzip: number }}
 */
export function bundleWorker({ minify = false } = {}) {
  const outdir = mkdtempSync(join(tmpdir(), "multistore-worker-bench-"));
  // wrangler's exports do not include its bin; its package directory does.
  const wrangler = join(realpathSync(join(appDir, "node_modules/wrangler")), "bin/wrangler.js");
  try {
    execFileSync(process.execPath, [wrangler, "deploy", "--dry-run", "--outdir", outdir, ...(minify ? ["--minify"] : [])], {
      cwd: appDir,
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_LOG: "error", CI: "true" },
      stdio: ["ignore", "ignore", "inherit"],
    });
  } catch (error) {
    // A failed build leaves nothing worth keeping (wrangler has printed why).
    rmSync(outdir, { recursive: true, force: true });
    throw error;
  }
  const modules = readdirSync(outdir).filter((name) => /\.m?js$/.test(name));
  const entry = modules.includes("index.js") ? "index.js" : modules[0];
  let raw = 0;
  let gzip = 0;
  for (const name of modules) {
    const bytes = readFileSync(join(outdir, name));
    raw += bytes.length;
    gzip += gzipSync(bytes, { level: 9 }).length;
  }
  return { outdir, entry: join(outdir, entry), raw, gzip };
}
