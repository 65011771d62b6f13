/**
 * Packs every publishable package of the workspace (packages/* and apps/* not marked private) as `pnpm publish` would,
 * and checks each tarball as a user would get it: the build is in it, every entry point it declares exists, it carries
 * its licence and README, it ships no tests or user data, its workspace ranges are rewritten, and publint finds no
 * problem. Packages are not built here: the test suite runs after `turbo build` (this app depends on every package,
 * some only as devDependencies, so that turbo builds them all first), and a missing `dist` is reported as such.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { publint } from "publint";
import { formatMessage } from "publint/utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../../..", import.meta.url));

interface Manifest {
  name: string;
  private?: boolean;
  main?: string;
  types?: string;
  typings?: string;
  module?: string;
  bin?: string | Record<string, string>;
  exports?: unknown;
}

/** A publishable package and, once packed, its tarball's paths (`package/...`). */
interface Packed {
  dir: string;
  manifest: Manifest;
  tarball: string;
  files: string[];
}

/** Path segments and file names that are never part of a published package (tests, user data, local state). */
const FORBIDDEN_SEGMENTS = new Set(["test", "tests", "__tests__", "data", "coverage", "node_modules", ".tmp", ".turbo", ".multistore", ".wrangler"]);
const FORBIDDEN_NAMES = [/\.(test|spec)\.[cm]?[jt]sx?(\.map)?$/, /^\.env/, /\.tgz$/, /^vitest\.config\./];

/** Every file target a manifest declares: `exports` (all conditions, nested), `main`, `types`, `module`, `bin`. */
function entryPoints(manifest: Manifest): string[] {
  const targets: string[] = [];
  const walk = (value: unknown) => {
    if (typeof value === "string") targets.push(value);
    else if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === "object") Object.values(value).forEach(walk);
  };
  walk(manifest.exports);
  for (const field of [manifest.main, manifest.types, manifest.typings, manifest.module]) if (field) targets.push(field);
  if (typeof manifest.bin === "string") targets.push(manifest.bin);
  else if (manifest.bin) targets.push(...Object.values(manifest.bin));
  return [...new Set(targets)];
}

/** Whether a target (`./dist/x.js`, or a `*` pattern) names a file of the tarball. */
function shipped(files: readonly string[], target: string): boolean {
  const path = `package/${target.replace(/^\.\//, "")}`;
  if (!path.includes("*")) return files.includes(path);
  const pattern = new RegExp(`^${path.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".+")}$`);
  return files.some((file) => pattern.test(file));
}

/** pnpm itself when the suite runs under `pnpm test` (the same version that publishes), else the one on PATH. */
function pnpm(args: string[], cwd: string) {
  const execPath = process.env.npm_execpath;
  return execPath && /pnpm\.c?js$/.test(execPath) ? run(process.execPath, [execPath, ...args], { cwd }) : run("pnpm", args, { cwd });
}

async function publishable(): Promise<{ dir: string; manifest: Manifest }[]> {
  const found: { dir: string; manifest: Manifest }[] = [];
  for (const group of ["packages", "apps"]) {
    for (const name of (await readdir(join(ROOT, group))).sort()) {
      const file = join(ROOT, group, name, "package.json");
      if (!existsSync(file)) continue;
      const manifest = JSON.parse(await readFile(file, "utf8")) as Manifest;
      if (!manifest.private) found.push({ dir: join(ROOT, group, name), manifest });
    }
  }
  return found;
}

let destination: string;
let packed: Packed[] = [];

beforeAll(async () => {
  destination = await mkdtemp(join(tmpdir(), "multistore-tarballs-"));
  const packages = await publishable();
  const missing = packages.filter(({ dir }) => !existsSync(join(dir, "dist")));
  if (missing.length > 0) throw new Error(`not built (run \`pnpm build\` first): ${missing.map(({ manifest }) => manifest.name).join(", ")}`);
  // Scripts are off: prepack would build again, and what is checked here is the build the suite already made.
  packed = await Promise.all(
    packages.map(async ({ dir, manifest }) => {
      const { stdout } = await pnpm(["pack", "--pack-destination", destination, "--config.ignore-scripts=true", "--json"], dir);
      const tarball = (JSON.parse(stdout) as { filename: string }).filename;
      const files = (await run("tar", ["-tzf", tarball])).stdout.split("\n").filter((line) => line !== "" && !line.endsWith("/"));
      return { dir, manifest, tarball, files };
    }),
  );
}, 60_000);

afterAll(async () => {
  if (destination) await rm(destination, { recursive: true, force: true });
});

describe("package tarballs", () => {
  it("packs every publishable package", async () => {
    expect(packed.map(({ manifest }) => manifest.name)).toContain("@multistore/core");
    expect(packed).toHaveLength((await publishable()).length);
  });

  it("each carries its build, LICENSE and README.md", () => {
    for (const { manifest, files } of packed) {
      expect(files.some((file) => file.startsWith("package/dist/")), `${manifest.name}: dist/`).toBe(true);
      for (const file of ["package/LICENSE", "package/README.md", "package/package.json"]) expect(files, manifest.name).toContain(file);
    }
  });

  it("every entry point a manifest declares is in its tarball", () => {
    for (const { manifest, files } of packed) {
      const targets = entryPoints(manifest);
      expect(targets.length, `${manifest.name}: entry points`).toBeGreaterThan(0);
      expect(targets.filter((target) => !shipped(files, target)), `${manifest.name}: missing from the tarball`).toEqual([]);
    }
  });

  it("no tests, user data or local state is shipped", () => {
    for (const { manifest, files } of packed) {
      const unwanted = files.filter((file) => {
        const segments = file.split("/").slice(1);
        return segments.slice(0, -1).some((segment) => FORBIDDEN_SEGMENTS.has(segment)) || FORBIDDEN_NAMES.some((name) => name.test(segments.at(-1)!));
      });
      expect(unwanted, `${manifest.name}: shipped`).toEqual([]);
    }
  });

  it("source maps carry their sources (src/ is not shipped), and no declaration map points at missing files", async () => {
    for (const { dir, manifest, files } of packed) {
      expect(files.filter((file) => file.endsWith(".d.ts.map")), `${manifest.name}: declaration maps`).toEqual([]);
      for (const file of files.filter((name) => name.endsWith(".js.map"))) {
        const map = JSON.parse(await readFile(join(dir, file.slice("package/".length)), "utf8")) as { sources: string[]; sourcesContent?: (string | null)[] };
        expect(map.sourcesContent?.length === map.sources.length && map.sourcesContent.every((content) => typeof content === "string"), `${manifest.name}: ${file}`).toBe(true);
      }
    }
  });

  it("workspace: ranges are rewritten to versions", async () => {
    for (const { manifest, tarball } of packed) {
      const text = (await run("tar", ["-xzOf", tarball, "package/package.json"])).stdout;
      expect(text.includes("workspace:"), `${manifest.name}: packed package.json names workspace: ranges`).toBe(false);
    }
  });

  it("publint finds no errors or warnings", async () => {
    const problems: string[] = [];
    for (const { manifest, tarball } of packed) {
      const bytes = await readFile(tarball);
      // Linted as packed: publint then judges the files users get, not the working tree.
      const { messages, pkg } = await publint({ pack: { tarball: new Uint8Array(bytes).buffer }, level: "warning" });
      for (const message of messages) problems.push(`${manifest.name}: ${message.type} ${message.code}: ${formatMessage(message, pkg, { color: false })}`);
    }
    expect(problems).toEqual([]);
  });
});
