/**
 * The TypeScript examples of the Worker-side READMEs type-check as a Worker project sees them: Cloudflare's workers
 * types and the `workerd` export condition (the builds a Worker gets). apps/server's README test checks the Node-side
 * ones. The files live under apps/worker/.tmp (git-ignored), so that imports resolve through this app's dependencies;
 * the Worker README's example imports the app as `../src/index.js` (it sits in `examples/`), rewritten to where the
 * app is from there.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { blocksOf } from "../../server/test/helpers/markdown-fences.js";

const run = promisify(execFile);
const WORKER_DIR = join(import.meta.dirname, "..");
const REPOSITORY_DIR = join(WORKER_DIR, "..", "..");
const READMES = ["packages/fetch/README.md", "packages/backend-r2/README.md", "apps/worker/README.md"];

/** The ```ts blocks of a Markdown file. */
function typeScriptBlocks(file: string): string[] {
  return blocksOf(readFileSync(join(REPOSITORY_DIR, file), "utf8"), "ts");
}

describe("Worker-side README examples", () => {
  let scratch: string | undefined;
  afterAll(async () => {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it("type-check with the workers types and the workerd condition", async () => {
    await mkdir(join(WORKER_DIR, ".tmp"), { recursive: true });
    scratch = await mkdtemp(join(WORKER_DIR, ".tmp", "readme-"));
    let count = 0;
    for (const file of READMES) {
      const blocks = typeScriptBlocks(file);
      expect(blocks.length, `${file}: TypeScript blocks`).toBeGreaterThan(0);
      for (const block of blocks) await writeFile(join(scratch, `example-${count++}.ts`), block.replaceAll('"../src/index.js"', '"../../src/index.js"'));
    }
    await writeFile(
      join(scratch, "tsconfig.json"),
      // (Examples may name a value without using it further.)
      JSON.stringify({ extends: "../../tsconfig.json", compilerOptions: { noEmit: true, rootDir: "../..", noUnusedLocals: false, customConditions: ["workerd"] }, include: ["*.ts"] }),
    );
    const tsc = join(WORKER_DIR, "node_modules", "typescript", "bin", "tsc");
    const finished = await run(process.execPath, [tsc, "-p", join(scratch, "tsconfig.json"), "--pretty", "false"], { cwd: WORKER_DIR }).then(
      (result) => ({ code: 0, output: result.stdout }),
      (error: { code?: number; stdout?: string }) => ({ code: error.code ?? -1, output: error.stdout ?? String(error) }),
    );
    // Every error line, config-level ones (at the start of a line) included; and tsc must have succeeded.
    expect(finished.output.split("\n").filter((line) => /(^|\s)error TS\d+:/.test(line))).toEqual([]);
    expect(finished.code, finished.output).toBe(0);
  }, 120_000);
});
