/**
 * Packs every publishable package of the workspace (packages/* and apps/* not marked private) as `pnpm publish` would,
 * and checks each tarball as a user would get it: the build is in it, every entry point it declares exists, it carries
 * its licence and README, it ships no tests or user data, its workspace ranges are rewritten, and neither publint nor
 * arethetypeswrong finds a problem. Packages are not built here: the test suite runs after `turbo build` (this app depends on every package,
 * some only as devDependencies, so that turbo builds them all first), and a missing `dist` is reported as such.
 */
import { type Analysis, checkPackage, createPackageFromTarballData, type Problem, type ResolutionKind } from "@arethetypeswrong/core";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { publint } from "publint";
import { formatMessage } from "publint/utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Manifest, type Packed, pack, publishable, ROOT, tarballText } from "./helpers/packing.js";

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

/**
 * The resolutions our packages support, as attw's `esm-only` profile has them. They are ESM only (`"type": "module"`,
 * `exports` with `types` and `default` conditions, no `require`), by design: `node10` resolution ignores `exports`
 * altogether and `node16-cjs` is CommonJS importing ESM, so a problem seen only under those two is the design, not a
 * defect. A problem under `node16-esm` (Node, and TypeScript's `module: node16/nodenext`) or `bundler` fails the test.
 */
const SUPPORTED_RESOLUTIONS: readonly ResolutionKind[] = ["node16-esm", "bundler"];

/** The resolution kinds (under any entry point) in which arethetypeswrong shows the problem at `problemIndex`. */
function resolutionsShowing(problemIndex: number, entrypoints: Analysis["entrypoints"]): ResolutionKind[] {
  const kinds = new Set<ResolutionKind>();
  for (const entrypoint of Object.values(entrypoints)) {
    for (const [kind, resolution] of Object.entries(entrypoint.resolutions)) if (resolution.visibleProblems?.includes(problemIndex)) kinds.add(kind as ResolutionKind);
  }
  return [...kinds];
}

/** arethetypeswrong's analysis of a tarball; a package that ships no types at all is a failure of its own. */
async function typesAnalysis(tarball: string): Promise<Analysis> {
  const result = await checkPackage(createPackageFromTarballData(new Uint8Array(await readFile(tarball))));
  if (result.types === false) throw new Error(`${result.packageName}: no type declarations found`);
  return result;
}

/** One line per problem: its kind, the resolutions it shows in, and what it concerns. */
function describeProblem(problem: Problem, kinds: readonly ResolutionKind[]): string {
  const where =
    problem.kind === "InternalResolutionError"
      ? `${problem.fileName} imports "${problem.moduleSpecifier}"`
      : "entrypoint" in problem
        ? `entry point ${problem.entrypoint}`
        : "typesFileName" in problem
          ? `${problem.typesFileName} / ${problem.implementationFileName}`
          : problem.fileName;
  return `${problem.kind} (${kinds.join(", ")}): ${where}`;
}

let destination: string;
let packed: Packed[] = [];

beforeAll(async () => {
  destination = await mkdtemp(join(tmpdir(), "multistore-tarballs-"));
  packed = await pack(await publishable(), destination);
}, 60_000);

afterAll(async () => {
  if (destination) await rm(destination, { recursive: true, force: true });
});

describe("package tarballs", () => {
  it("packs every publishable package", async () => {
    expect(packed.map(({ manifest }) => manifest.name)).toContain("@multistore/core");
    expect(packed).toHaveLength((await publishable()).length);
  });

  it("every publishable package builds when packed, and the root release script versions, builds and tests before it publishes", async () => {
    for (const { manifest } of await publishable()) expect((manifest as { scripts?: Record<string, string> }).scripts?.prepack, `${manifest.name}: prepack`).toMatch(/\bbuild\b/);
    const root = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };
    const steps = root.scripts.release!.split("&&").map((step) => step.trim());
    const at = (pattern: RegExp) => steps.findIndex((step) => pattern.test(step));
    expect([at(/^changeset version$/), at(/^pnpm build$/), at(/^pnpm test$/), at(/^changeset publish$/)]).toEqual([0, 2, 3, 4]);
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
      const text = await tarballText(tarball, "package/package.json");
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

  it("arethetypeswrong finds no problem in the resolutions we support (attw's esm-only profile)", async () => {
    const problems: string[] = [];
    let entrypointsChecked = 0;
    for (const { manifest, tarball } of packed) {
      const analysis = await typesAnalysis(tarball);
      entrypointsChecked += Object.keys(analysis.entrypoints).length;
      analysis.problems.forEach((problem, index) => {
        const kinds = resolutionsShowing(index, analysis.entrypoints);
        if (kinds.some((kind) => SUPPORTED_RESOLUTIONS.includes(kind))) problems.push(`${manifest.name}: ${describeProblem(problem, kinds)}`);
      });
    }
    // Every package declares at least its root entry point: an analysis that found none would check nothing.
    expect(entrypointsChecked).toBeGreaterThanOrEqual(packed.length);
    expect(problems).toEqual([]);
  }, 120_000);
});
