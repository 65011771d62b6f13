#!/usr/bin/env node
/**
 * Writes `src/version.ts` of the package in the current directory from its package.json, so the version a build
 * reports (User-Agent, `--version`) is the one `changeset version` wrote. Run by the package's `prebuild`.
 */
import { readFileSync, writeFileSync } from "node:fs";

const { name, version } = JSON.parse(readFileSync("package.json", "utf8"));
const text = `/** ${name}'s version, written from package.json by scripts/write-version.mjs before each build. */\nexport const VERSION = ${JSON.stringify(version)};\n`;
let current = "";
try {
  current = readFileSync("src/version.ts", "utf8");
} catch {
  // first run
}
if (current !== text) writeFileSync("src/version.ts", text);
