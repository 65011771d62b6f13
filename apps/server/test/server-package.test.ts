/**
 * `@multistore/server` as npm users get it (`npx @multistore/server --config my.toml`). The server and every workspace
 * package it depends on are packed, then unpacked into the node_modules of a scratch project outside the workspace,
 * flat as npm lays out an install, with the `multistore` bin linked into node_modules/.bin. So the program that runs
 * is made only of the published files: a module missing from a tarball, a dependency the server's package.json does
 * not declare, or an `exports` entry the server imports but a package does not publish, fails here. Third-party
 * dependencies cannot be downloaded (tests run without the network): each is linked to the copy the workspace
 * installed for the package that declares it. npx itself runs offline: it finds the package installed in the project.
 */
import { type ChildProcess, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, realpath, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { startCli } from "@multistore/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Manifest, type Packed, pack, publishable, run, tarballText } from "./helpers/packing.js";

const SERVER = "@multistore/server";
const children: ChildProcess[] = [];
let scratch: string;
/** The user's project: a package.json naming the server, my.toml and the bucket's files. */
let project: string;
/** The project's node_modules, where the tarballs are unpacked. */
let nodeModules: string;
let server: Packed;
/** The server's package.json as published (workspace ranges rewritten). */
let published: Manifest;

/** The workspace packages `name` needs at run time (dependencies and peer dependencies), itself included. */
function closure(name: string, workspace: ReadonlyMap<string, { manifest: Manifest }>, found = new Set<string>()): Set<string> {
  const entry = workspace.get(name);
  if (!entry) throw new Error(`${name} is not a publishable package of the workspace`);
  found.add(name);
  for (const dependency of Object.keys({ ...entry.manifest.dependencies, ...entry.manifest.peerDependencies })) {
    if (dependency.startsWith("@multistore/") && !found.has(dependency)) closure(dependency, workspace, found);
  }
  return found;
}

/** Unpacks a tarball as an install would, and links its third-party dependencies to the workspace's copies. */
async function install({ dir, tarball }: Packed): Promise<Manifest> {
  const manifest = JSON.parse(await tarballText(tarball, "package/package.json")) as Manifest;
  const target = join(nodeModules, manifest.name);
  await mkdir(target, { recursive: true });
  await run("tar", ["-xzf", tarball, "-C", target, "--strip-components=1"]);
  for (const dependency of Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies })) {
    const link = join(nodeModules, dependency);
    if (dependency.startsWith("@multistore/") || existsSync(link)) continue;
    const installed = join(dir, "node_modules", dependency);
    if (!existsSync(installed)) {
      if (manifest.peerDependenciesMeta?.[dependency]?.optional) continue;
      throw new Error(`${manifest.name} needs ${dependency}, which the workspace did not install for it`);
    }
    await mkdir(dirname(link), { recursive: true });
    await symlink(await realpath(installed), link);
  }
  return manifest;
}

/** The environment of a user's shell: none of what the test run got from pnpm, node first on PATH (the shebang's). */
function userEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(INIT_CWD|PNPM_|npm_|MULTISTORE_)/i.test(name)));
  return { ...env, PATH: [dirname(process.execPath), env.PATH].filter(Boolean).join(delimiter) };
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "multistore-server-package-"));
  project = join(scratch, "project");
  nodeModules = join(project, "node_modules");
  const packages = await publishable();
  const workspace = new Map(packages.map((entry) => [entry.manifest.name, entry]));
  const needed = closure(SERVER, workspace);
  await mkdir(join(scratch, "tarballs"), { recursive: true });
  const packed = await pack(
    packages.filter(({ manifest }) => needed.has(manifest.name)),
    join(scratch, "tarballs"),
  );
  // One after the other: packages share third-party dependencies, linked once.
  const manifests: Manifest[] = [];
  for (const entry of packed) manifests.push(await install(entry));
  server = packed.find(({ manifest }) => manifest.name === SERVER)!;
  published = manifests.find(({ name }) => name === SERVER)!;
  // What npm does for a package's bin at install: a link in node_modules/.bin and the target made executable.
  await mkdir(join(nodeModules, ".bin"), { recursive: true });
  for (const [command, target] of Object.entries(typeof published.bin === "object" ? published.bin : {})) {
    await symlink(join("..", SERVER, target), join(nodeModules, ".bin", command));
    await chmod(join(nodeModules, SERVER, target), 0o755);
  }
  // As `npm install @multistore/server` leaves it.
  await writeFile(join(project, "package.json"), JSON.stringify({ name: "user-project", private: true, dependencies: { [SERVER]: published.version } }));
  await mkdir(join(project, "data"), { recursive: true });
  await writeFile(join(project, "data", "hello.txt"), "hello from the published server");
  // No development key: this config may listen anywhere.
  await writeFile(join(project, "my.toml"), `[[buckets]]\nname = "files"\nbackend_type = "fs"\nanonymous_access = true\n[buckets.backend_options]\nroot = "data"\n`);
}, 120_000);

afterEach(() => {
  for (const child of children.splice(0)) child.kill("SIGKILL");
});

afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe("@multistore/server as published", () => {
  it("declares the multistore bin, which is in the tarball and starts with a node shebang", async () => {
    expect(published.bin).toEqual({ multistore: "./dist/cli.js" });
    expect(server.files).toContain("package/dist/cli.js");
    expect((await tarballText(server.tarball, "package/dist/cli.js")).split("\n")[0]).toBe("#!/usr/bin/env node");
  });

  it("ships only its build, README, LICENSE and package.json", () => {
    const tops = new Set(server.files.map((file) => file.split("/")[1]));
    expect([...tops].sort()).toEqual(["LICENSE", "README.md", "dist", "package.json"]);
  });

  it("runs from node_modules/.bin made of the published files: --help and --version", () => {
    const bin = join(nodeModules, ".bin", "multistore");
    // Run as a shell runs a command: through the link and the shebang, not as `node <file>`.
    const help = spawnSync(bin, ["--help"], { cwd: project, env: userEnv(), encoding: "utf8", timeout: 30_000 });
    expect(help.stderr).toBe("");
    expect(help.status).toBe(0);
    expect(help.stdout).toContain("--config");
    const version = spawnSync(bin, ["--version"], { cwd: project, env: userEnv(), encoding: "utf8", timeout: 30_000 });
    expect(version.status).toBe(0);
    expect(version.stdout.trim()).toBe(`multistore ${published.version}`);
  });

  it("`npx @multistore/server` runs the installed package (offline: nothing to fetch)", () => {
    // npm's cache and logs in the scratch directory, and no update check (it would ask the registry).
    const env = { ...userEnv(), npm_config_cache: join(scratch, "npm-cache"), npm_config_update_notifier: "false" };
    const npx = spawnSync("npx", ["--offline", "--yes", SERVER, "--version"], { cwd: project, env, encoding: "utf8", timeout: 60_000 });
    expect(npx.error, "npx must be on PATH for this test").toBeUndefined();
    expect(npx.status, npx.stderr).toBe(0);
    expect(npx.stdout.trim()).toBe(`multistore ${published.version}`);
  });

  it("serves `multistore --config my.toml` from the user's directory and stops cleanly on SIGTERM", async () => {
    const bin = join(nodeModules, ".bin", "multistore");
    const args = ["--config", "my.toml", "--listen", "127.0.0.1:0", "--workers", "1"];
    const { child, endpoint, output } = await startCli(bin, args, { cwd: project, env: userEnv(), children });
    const hello = await fetch(`${endpoint}/files/hello.txt`);
    expect(hello.status).toBe(200);
    expect(await hello.text()).toBe("hello from the published server");
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    child.kill("SIGTERM");
    expect(await exited, output()).toBe(0);
  });

  it("its programmatic entry resolves through `exports` and loads from the install", async () => {
    const script = `console.log(import.meta.resolve("${SERVER}")); console.log(Object.keys(await import("${SERVER}")).sort().join(" "))`;
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script], { cwd: project, env: userEnv() });
    const [resolved, names] = stdout.trim().split("\n");
    expect(resolved).toBe(`file://${await realpath(join(nodeModules, SERVER))}/dist/index.js`);
    expect(names!.split(" ")).toEqual(expect.arrayContaining(["createMultistoreServer", "loadConfigFile", "parseCli"]));
  });
});
