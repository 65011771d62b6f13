/**
 * The workspace's publishable packages, packed as `pnpm publish` would pack them. Shared by the tarball checks
 * (every package) and the server package test (the server and what it installs).
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

/** Runs a program without a shell and resolves with its output. */
export const run = promisify(execFile);

/** The workspace root. */
export const ROOT = fileURLToPath(new URL("../../../..", import.meta.url));

/** The package.json fields the checks read. */
export interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  main?: string;
  types?: string;
  typings?: string;
  module?: string;
  bin?: string | Record<string, string>;
  exports?: unknown;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

/** A publishable package of the workspace: its directory and its manifest as in the working tree. */
export interface WorkspacePackage {
  dir: string;
  manifest: Manifest;
}

/** A packed package: its tarball and the tarball's paths (`package/...`). */
export interface Packed extends WorkspacePackage {
  tarball: string;
  files: string[];
}

/** pnpm itself when the suite runs under `pnpm test` (the same version that publishes), else the one on PATH. */
function pnpm(args: string[], cwd: string) {
  const execPath = process.env.npm_execpath;
  return execPath && /pnpm\.c?js$/.test(execPath) ? run(process.execPath, [execPath, ...args], { cwd }) : run("pnpm", args, { cwd });
}

/** Every package under packages/* and apps/* not marked private, sorted by directory. */
export async function publishable(): Promise<WorkspacePackage[]> {
  const found: WorkspacePackage[] = [];
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

/**
 * Packs packages into `destination`. Their builds must exist (the test suite runs after `turbo build`); a missing
 * `dist` is reported as such rather than as a missing file further on.
 */
export async function pack(packages: readonly WorkspacePackage[], destination: string): Promise<Packed[]> {
  const missing = packages.filter(({ dir }) => !existsSync(join(dir, "dist")));
  if (missing.length > 0) throw new Error(`not built (run \`pnpm build\` first): ${missing.map(({ manifest }) => manifest.name).join(", ")}`);
  return Promise.all(
    packages.map(async ({ dir, manifest }) => {
      // Scripts are off: prepack would build again, and what is checked here is the build the suite already made.
      const { stdout } = await pnpm(["pack", "--pack-destination", destination, "--config.ignore-scripts=true", "--json"], dir);
      const tarball = (JSON.parse(stdout) as { filename: string }).filename;
      const files = (await run("tar", ["-tzf", tarball])).stdout.split("\n").filter((line) => line !== "" && !line.endsWith("/"));
      return { dir, manifest, tarball, files };
    }),
  );
}

/** A file of a tarball (`package/...` path) as text. */
export async function tarballText(tarball: string, path: string): Promise<string> {
  return (await run("tar", ["-xzOf", tarball, path], { maxBuffer: 64 * 1024 * 1024 })).stdout;
}
