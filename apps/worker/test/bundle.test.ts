/**
 * The deployable bundle (what `wrangler deploy` uploads) must carry the worker build of every backend: no Node
 * built-in and no Node-only dependency may end up in it.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { bundleWorker } from "./helpers/worker-harness.js";

/** Packages that only work on Node; their presence means a Node build was bundled. */
const NODE_ONLY = ["undici", "@smithy/signature-v4", "@smithy/node-http-handler", "@azure/storage-blob", "@google-cloud/storage", "pino", "@multistore/backend-fs"];

function bundleText(options: { minify?: boolean } = {}): string {
  const outdir = bundleWorker(options);
  return readdirSync(outdir)
    .filter((name) => name.endsWith(".js") || name.endsWith(".mjs"))
    .map((name) => readFileSync(join(outdir, name), "utf8"))
    .join("\n");
}

describe("worker bundle", () => {
  const text = bundleText();

  it("imports no Node built-in", () => {
    const builtins = [...text.matchAll(/(?:from\s*|import\s*\(\s*|require\s*\(\s*)["'](node:[^"']+|fs|path|crypto|stream|http|https|net|os|zlib|buffer|util|events|child_process)["']/g)].map((match) => match[1]);
    expect(builtins).toEqual([]);
  });

  it("contains no Node-only dependency", () => {
    // esbuild leaves the path of every bundled module in a comment (`// ../../node_modules/.pnpm/<pkg>@...`) when it
    // does not minify: the same modules as the deployed (minified) bundle, with their names.
    const modules = [...bundleText({ minify: false }).matchAll(/^\/\/ (.+\.(?:m?js|ts))$/gm)].map((match) => match[1]!);
    expect(modules.length).toBeGreaterThan(10);
    const offenders = modules.filter((path) => NODE_ONLY.some((name) => path.includes(`/node_modules/${name}/`) || path.includes(`${name.replace("/", "+")}@`)));
    expect(offenders).toEqual([]);
  });

  it("leaves out the TOML parser and TypeBox", () => {
    // The Worker reads PROXY_CONFIG as JSON or as a structured binding, and validation walks a plain-data snapshot of
    // the schema: neither library runs in it, and together they were a third of the bundle.
    const modules = [...bundleText({ minify: false }).matchAll(/^\/\/ (.+\.(?:m?js|ts))$/gm)].map((match) => match[1]!);
    expect(modules.some((path) => path.includes("packages/config/dist/"))).toBe(true);
    expect(modules.filter((path) => /\/node_modules\/(?:typebox|toml)\//.test(path))).toEqual([]);
  });

  it("bundles the worker builds of the backends", () => {
    expect(text).toContain("aws4fetch");
    expect(text).not.toMatch(/backend-s3\/dist\/node\.js/);
  });
});
