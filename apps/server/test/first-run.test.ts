/**
 * A first run that cannot go wrong (issue #15): paths relative to where the command was typed (INIT_CWD under
 * pnpm/npm), npm's leading `--`, and Ctrl-C under `pnpm start` ending with exit code 0, through the real pnpm.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startCli } from "@multistore/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { invocationDirectory, parseCli } from "../src/cli-options.js";

const appDir = join(import.meta.dirname, "..");
const cli = join(appDir, "dist/cli.js");
const children: ChildProcess[] = [];
/** Process groups started here (pnpm and what it runs), ended whole. */
const groups: ChildProcess[] = [];
let scratch: string;
/** Where the user "typed the command": holds my.toml and its bucket. */
let userDir: string;
/** Where pnpm "ran the script": a package directory without my.toml. */
let packageDir: string;

/** The environment without what the test run itself got from pnpm (INIT_CWD, npm_*) or MULTISTORE_*. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(INIT_CWD|PNPM_|npm_|MULTISTORE_)/i.test(name)));
  return { ...env, ...extra };
}

/** What pnpm sets for a script of the package in `packageDir` typed in `userDir`. */
const underPnpm = () => ({ INIT_CWD: userDir, npm_lifecycle_event: "start", npm_package_json: join(packageDir, "package.json") });

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  // "close", not "exit": what it wrote last may still be in its pipes when it exits.
  return new Promise((resolve) => child.once("close", (code) => resolve(code)));
}

/** Spawns `command` in a process group of its own (as a terminal runs it) and waits for the server's address. */
function startGroup(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }) {
  const child = spawn(command, args, { ...options, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  groups.push(child);
  let output = "";
  const listening = new Promise<string>((resolve, reject) => {
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /"address":"(https?:\/\/[^"]+)"/.exec(output);
      if (match) resolve(match[1]!);
    };
    child.stdout!.on("data", collect);
    child.stderr!.on("data", collect);
    child.once("exit", (code) => reject(new Error(`exited ${code}: ${output}`)));
  });
  return { child, listening, output: () => output };
}

/** Ctrl-C in a terminal: SIGINT to the whole foreground process group. */
const ctrlC = (child: ChildProcess) => process.kill(-child.pid!, "SIGINT");

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "multistore-first-run-"));
  userDir = join(scratch, "user");
  packageDir = join(scratch, "package");
  await mkdir(join(userDir, "data"), { recursive: true });
  await mkdir(packageDir, { recursive: true });
  await writeFile(join(packageDir, "package.json"), "{}");
  await writeFile(join(userDir, "data", "hello.txt"), "hello from the user's directory");
  // No development key: this config may listen anywhere.
  await writeFile(join(userDir, "my.toml"), `[[buckets]]\nname = "files"\nbackend_type = "fs"\nanonymous_access = true\n[buckets.backend_options]\nroot = "data"\n`);
});
afterEach(() => {
  for (const child of children.splice(0)) child.kill("SIGKILL");
  for (const group of groups.splice(0)) {
    try {
      process.kill(-group.pid!, "SIGKILL");
    } catch {
      // Already gone, every process of it.
    }
  }
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe("relative paths are the user's", () => {
  it("resolve against INIT_CWD only under a package manager's script, in the script's package directory", () => {
    expect(invocationDirectory(underPnpm(), packageDir)).toBe(userDir);
    // npm before 7 sets no npm_package_json.
    expect(invocationDirectory({ INIT_CWD: userDir, npm_lifecycle_event: "start" }, packageDir)).toBe(userDir);
    expect(invocationDirectory({ INIT_CWD: userDir }, packageDir)).toBe(packageDir);
    // A process started from a script, elsewhere (a test's server in a directory of its own), keeps its own.
    expect(invocationDirectory(underPnpm(), scratch)).toBe(scratch);
    expect(invocationDirectory({}, packageDir)).toBe(packageDir);
  });

  it("--config, MULTISTORE_CONFIG, --tls-cert and --tls-key are made absolute; the default config.toml is the working directory's", () => {
    const flags = parseCli(["--config", "my.toml", "--tls-cert", "tls/cert.pem", "--tls-key", "/abs/key.pem"], underPnpm(), packageDir);
    expect(flags).toMatchObject({ config: join(userDir, "my.toml"), tlsCert: join(userDir, "tls/cert.pem"), tlsKey: "/abs/key.pem" });
    expect(parseCli([], { ...underPnpm(), MULTISTORE_CONFIG: "my.toml", MULTISTORE_TLS_CERT: "c.pem", MULTISTORE_TLS_KEY: "k.pem" }, packageDir)).toMatchObject({
      config: join(userDir, "my.toml"),
      tlsCert: join(userDir, "c.pem"),
      tlsKey: join(userDir, "k.pem"),
    });
    expect(parseCli(["--config", "my.toml"], {}, packageDir).config).toBe(join(packageDir, "my.toml"));
    expect(parseCli([], underPnpm(), packageDir).config).toBe(join(packageDir, "config.toml"));
  });

  it("the CLI under pnpm's environment serves the my.toml beside the user, and without it looks in its working directory", async () => {
    const { endpoint, output } = await startCli(cli, ["--config", "my.toml", "--listen", "127.0.0.1:0", "--workers", "1"], { cwd: packageDir, env: cleanEnv(underPnpm()), children });
    expect(output()).toContain(`"config":"${join(userDir, "my.toml")}"`);
    expect(await (await fetch(`${endpoint}/files/hello.txt`)).text()).toBe("hello from the user's directory");
    const byEnv = await startCli(cli, ["--listen", "127.0.0.1:0", "--workers", "1"], { cwd: packageDir, env: cleanEnv({ ...underPnpm(), MULTISTORE_CONFIG: "my.toml" }), children });
    expect((await fetch(`${byEnv.endpoint}/files/hello.txt`)).status).toBe(200);
    const plain = spawnSync(process.execPath, [cli, "--config", "my.toml", "--listen", "127.0.0.1:0", "--workers", "1"], { cwd: packageDir, env: cleanEnv(), encoding: "utf8", timeout: 30_000 });
    expect(plain.status).toBe(2);
    expect(plain.stderr).toContain(`cannot read config file ${join(packageDir, "my.toml")}`);
  });

  it("names the TLS files as resolved when they cannot be read (exit code 2)", () => {
    const args = [cli, "--config", "my.toml", "--listen", "127.0.0.1:0", "--workers", "1", "--tls-cert", "cert.pem", "--tls-key", "key.pem"];
    const result = spawnSync(process.execPath, args, { cwd: packageDir, env: cleanEnv(underPnpm()), encoding: "utf8", timeout: 30_000 });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`cannot read the TLS certificate or key`);
    expect(result.stderr).toContain(join(userDir, "cert.pem"));
  });
});

describe("the README's first steps", () => {
  const repo = join(appDir, "..", "..");

  it("pins the pnpm version package.json's packageManager names (an older major refuses to switch to it)", async () => {
    const packageManager = (JSON.parse(await readFile(join(repo, "package.json"), "utf8")) as { packageManager: string }).packageManager;
    expect(packageManager).toMatch(/^pnpm@\d+\.\d+\.\d+$/);
    const readme = await readFile(join(repo, "README.md"), "utf8");
    const installs = [...readme.matchAll(/pnpm@[\w.^~-]+/g)].map((match) => match[0]);
    expect(installs.length).toBeGreaterThan(0);
    for (const install of installs) expect(install).toBe(packageManager);
    expect(readme).toContain("corepack enable");
  });

  it("the Worker README says how to keep wrangler dev off the network", async () => {
    expect(await readFile(join(repo, "apps", "worker", "README.md"), "utf8")).toContain("CLOUDFLARE_CF_FETCH_ENABLED=false pnpm --filter worker dev");
  });
});

describe("npm's leading --", () => {
  it("is skipped; a -- anywhere else is still refused", () => {
    expect(parseCli(["--", "--config", "my.toml", "--workers", "1"], {}, packageDir)).toMatchObject({ config: join(packageDir, "my.toml"), workers: 1 });
    expect(() => parseCli(["--workers", "1", "--", "--config", "my.toml"], {}, packageDir)).toThrow(/Unexpected argument/);
  });

  it("the CLI starts with it", async () => {
    const { endpoint } = await startCli(cli, ["--", "--config", join(userDir, "my.toml"), "--listen", "127.0.0.1:0", "--workers", "1"], { env: cleanEnv(), children });
    expect((await fetch(`${endpoint}/files/hello.txt`)).status).toBe(200);
  });
});

describe("Ctrl-C", () => {
  for (const workers of [1, 2]) {
    it(`drains and exits 0 when SIGINT comes twice (the terminal's and pnpm's forward), --workers ${workers}`, async () => {
      const started = startGroup(process.execPath, [cli, "--config", join(userDir, "my.toml"), "--listen", "127.0.0.1:0", "--workers", String(workers)], { cwd: userDir, env: cleanEnv() });
      await started.listening;
      const done = exited(started.child);
      ctrlC(started.child);
      started.child.kill("SIGINT");
      expect(await done).toBe(0);
      expect(started.output()).toMatch(/"msg":"stopped"/);
    });
  }

  it("through pnpm: `pnpm --filter <server> start -- --config my.toml` from the workspace root serves the root's my.toml and Ctrl-C exits 0", async () => {
    const version = spawnSync("pnpm", ["--version"], { encoding: "utf8", env: cleanEnv() });
    expect(version.status, "pnpm must be on PATH for this test (corepack enable)").toBe(0);
    // The server's start script builds with turbo, then `exec`s node: without `exec` the shell between pnpm and node
    // dies of the SIGINT and pnpm reports ERR_PNPM_RECURSIVE_RUN_FIRST_FAIL. The copy here runs that last part only.
    const start = (JSON.parse(await readFile(join(appDir, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts.start!;
    expect(start).toMatch(/ && exec node dist\/cli\.js$/);
    const workspace = join(scratch, "workspace");
    await mkdir(join(workspace, "server", "node_modules"), { recursive: true });
    await writeFile(join(workspace, "pnpm-workspace.yaml"), "packages:\n  - server\n");
    await writeFile(join(workspace, "package.json"), JSON.stringify({ name: "first-run-workspace", private: true }));
    const script = start.slice(start.lastIndexOf(" && ") + 4).replace("dist/cli.js", JSON.stringify(cli));
    await writeFile(join(workspace, "server", "package.json"), JSON.stringify({ name: "first-run-server", private: true, scripts: { start: script } }));
    await writeFile(join(workspace, "my.toml"), (await readFile(join(userDir, "my.toml"), "utf8")).replace('root = "data"', `root = ${JSON.stringify(join(userDir, "data"))}`));
    const args = ["--filter", "first-run-server", "start", "--", "--config", "my.toml", "--listen", "127.0.0.1:0", "--workers", "1"];
    const started = startGroup("pnpm", args, { cwd: workspace, env: cleanEnv() });
    const endpoint = await started.listening;
    expect((await fetch(`${endpoint}/files/hello.txt`)).status).toBe(200);
    const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => started.child.once("exit", (code, signal) => resolve({ code, signal })));
    ctrlC(started.child);
    // pnpm ends with 0 once the server has drained, or (depending on when the signal reaches it, as on a loaded
    // machine) by the SIGINT itself, as a shell reports Ctrl-C: never with a failure of its own.
    const { code, signal } = await done;
    expect(code === 0 || (code === null && signal === "SIGINT"), `exit ${code} / ${signal}`).toBe(true);
    // The server writes its last line itself (it shares pnpm's output pipe), possibly after pnpm ended.
    await expect.poll(() => started.output(), { timeout: 5000, interval: 100 }).toMatch(/"msg":"stopped"/);
    expect(started.output()).not.toContain("ERR_PNPM");
  });
});
