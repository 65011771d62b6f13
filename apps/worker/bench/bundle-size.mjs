#!/usr/bin/env node
/** Reports the size of the deployable Worker bundle (raw and gzip), as `wrangler deploy --dry-run` produces it. */
import { rmSync } from "node:fs";
import { bundleWorker } from "./worker-bundle.mjs";

const { outdir, raw, gzip } = bundleWorker({ minify: true });
rmSync(outdir, { recursive: true, force: true });
console.log(`worker bundle (minified): ${(raw / 1024).toFixed(1)} KiB raw, ${(gzip / 1024).toFixed(1)} KiB gzip`);
