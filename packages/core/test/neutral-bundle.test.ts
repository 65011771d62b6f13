/**
 * Core is web-standard: its built entry points bundle for esbuild's neutral platform with the conditions a Worker
 * bundler uses, without main-field fallbacks, and nothing they reach imports a Node built-in, even indirectly.
 */
import { existsSync } from "node:fs";
import { builtinModules } from "node:module";
import { join } from "node:path";
import { build, type BuildFailure, type Metafile } from "esbuild";
import { describe, expect, it } from "vitest";

const dist = join(import.meta.dirname, "../dist");
const ENTRY_POINTS = ["index.js", "backend.js", "runtime.js", "sigv4.js"].map((name) => join(dist, name));
const NODE_BUILTINS = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

/** A Node built-in specifier (`buffer`, `node:crypto`, `fs/promises`). */
function isNodeBuiltin(specifier: string): boolean {
  return specifier.startsWith("node:") || NODE_BUILTINS.has(specifier);
}

/** Bundles the entry points as a Worker bundler would; returns the metafile, or esbuild's error messages. */
async function bundleNeutral(): Promise<{ metafile?: Metafile; errors: string[] }> {
  try {
    const result = await build({
      entryPoints: ENTRY_POINTS,
      bundle: true,
      write: false,
      outdir: "neutral-out",
      format: "esm",
      platform: "neutral",
      conditions: ["workerd", "worker", "browser"],
      metafile: true,
      logLevel: "silent",
    });
    return { metafile: result.metafile, errors: result.errors.map((error) => error.text) };
  } catch (error) {
    const failure = error as BuildFailure;
    if (!Array.isArray(failure.errors)) throw error;
    return { errors: failure.errors.map((message) => `${message.location?.file ?? "?"}: ${message.text}`) };
  }
}

/** Every import in the bundle that stays external or names a Node built-in, as `importer -> specifier`. */
function forbiddenImports(metafile: Metafile): string[] {
  const found: string[] = [];
  for (const [path, input] of Object.entries(metafile.inputs)) {
    for (const imported of input.imports) {
      if (imported.external || isNodeBuiltin(imported.path) || isNodeBuiltin(imported.original ?? "")) found.push(`${path} -> ${imported.original ?? imported.path}`);
    }
  }
  for (const [path, output] of Object.entries(metafile.outputs)) {
    for (const imported of output.imports) if (imported.external) found.push(`${path} -> ${imported.path}`);
  }
  return found;
}

describe("neutral platform bundle", () => {
  it("bundles every entry point with no unresolved import and no Node built-in", async () => {
    for (const entry of ENTRY_POINTS) expect(existsSync(entry), `${entry} is missing: build @multistore/core first`).toBe(true);
    const { metafile, errors } = await bundleNeutral();
    expect(errors).toEqual([]);
    expect(metafile).toBeDefined();
    expect(forbiddenImports(metafile!)).toEqual([]);
    // The bundle really did follow the entry points into core's own modules.
    expect(Object.keys(metafile!.inputs).filter((path) => path.includes("checksums/algorithms.js"))).toHaveLength(1);
  });
});
