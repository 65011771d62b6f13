/**
 * The development key of the built-in config is public: a server holding it listens on loopback by default and
 * refuses (exit code 2) an address other machines reach unless `--allow-development-key` says otherwise.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startCli } from "@multistore/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { parseCli } from "../src/cli-options.js";
import { developmentKeyIn, developmentKeyPolicy, isLoopbackListenHost } from "../src/development-key.js";

const appDir = join(import.meta.dirname, "..");
const cli = join(appDir, "dist/cli.js");
/** The built-in config: the development key, buckets under apps/server/data. */
const builtIn = join(appDir, "config.toml");
const children: ChildProcess[] = [];
let scratch: string;
let ownKeyConfig: string;

/** The environment without what could choose the address or the config (MULTISTORE_*) or move paths (INIT_CWD). */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(INIT_CWD|npm_|MULTISTORE_)/i.test(name)));
  return { ...env, ...extra };
}

function run(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [cli, "--workers", "1", ...args], { cwd: appDir, env: cleanEnv(env), encoding: "utf8", timeout: 30_000 });
}

const start = (args: string[], env: Record<string, string> = {}) => startCli(cli, ["--workers", "1", ...args], { cwd: appDir, env: cleanEnv(env), children });

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "multistore-devkey-"));
  ownKeyConfig = join(scratch, "own-key.toml");
  const text = await readFile(builtIn, "utf8");
  await writeFile(
    ownKeyConfig,
    text
      .replace("MULTISTOREDEVKEY0001", "AKIAOWNKEY0000000001")
      .replace("multistore-dev-secret-change-me-0000000000", "a-secret-of-our-own-00000000000000000001")
      .replaceAll('root = "data/', `root = "${join(appDir, "data")}/`),
  );
});
afterEach(() => {
  for (const child of children.splice(0)) child.kill("SIGKILL");
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe("recognizing the key and the address", () => {
  it("finds the development key by its id or its published secret, and not when disabled", () => {
    const key = (access_key_id: string, secret_access_key: string, enabled = true) => ({ access_key_id, secret_access_key, enabled }) as never;
    expect(developmentKeyIn({ credentials: [key("AKIAOTHER", "other-secret"), key("MULTISTOREDEVKEY0001", "changed")] })).toBe("MULTISTOREDEVKEY0001");
    expect(developmentKeyIn({ credentials: [key("AKIACOPY", "multistore-dev-secret-change-me-0000000000")] })).toBe("AKIACOPY");
    expect(developmentKeyIn({ credentials: [key("MULTISTOREDEVKEY0001", "x", false)] })).toBeUndefined();
    expect(developmentKeyIn({ credentials: [] })).toBeUndefined();
  });

  it("counts 127.0.0.0/8, ::1 and localhost as loopback, and nothing else", () => {
    for (const host of ["127.0.0.1", "127.1.2.3", "127.1", "localhost", "LOCALHOST", "::1", "[::1]", "0:0:0:0:0:0:0:1", "::ffff:127.0.0.1"]) {
      expect(isLoopbackListenHost(host), host).toBe(true);
    }
    for (const host of ["0.0.0.0", "::", "10.0.0.1", "192.168.1.2", "::ffff:10.0.0.1", "example.com", "localhost.example.com", "", "128.0.0.1"]) {
      expect(isLoopbackListenHost(host), host).toBe(false);
    }
  });

  it("narrows the default address to loopback, refuses a given one, lets the operator allow it", () => {
    const facts = { key: "MULTISTOREDEVKEY0001", host: "0.0.0.0", port: 8080, listenGiven: false, allowed: false, source: "config.toml" };
    expect(developmentKeyPolicy(facts)).toEqual({ host: "127.0.0.1", notice: expect.stringContaining("listening on 127.0.0.1:8080") });
    expect(developmentKeyPolicy({ ...facts, listenGiven: true })).toEqual({ refusal: expect.stringContaining("refusing to listen on 0.0.0.0:8080") });
    expect(developmentKeyPolicy({ ...facts, listenGiven: true, host: "::" })).toEqual({ refusal: expect.stringContaining("[::]:8080") });
    expect(developmentKeyPolicy({ ...facts, allowed: true })).toEqual({ host: "0.0.0.0", notice: expect.stringContaining("--allow-development-key was given") });
    expect(developmentKeyPolicy({ ...facts, listenGiven: true, host: "::1" })).toEqual({ host: "::1" });
    expect(developmentKeyPolicy({ ...facts, key: undefined })).toEqual({ host: "0.0.0.0" });
  });

  it("reads --allow-development-key and MULTISTORE_ALLOW_DEVELOPMENT_KEY", () => {
    expect(parseCli([], {}).allowDevelopmentKey).toBe(false);
    expect(parseCli(["--allow-development-key"], {}).allowDevelopmentKey).toBe(true);
    expect(parseCli([], { MULTISTORE_ALLOW_DEVELOPMENT_KEY: "true" }).allowDevelopmentKey).toBe(true);
    expect(parseCli([], { MULTISTORE_ALLOW_DEVELOPMENT_KEY: "false" }).allowDevelopmentKey).toBe(false);
    expect(() => parseCli([], { MULTISTORE_ALLOW_DEVELOPMENT_KEY: "yes" })).toThrow("MULTISTORE_ALLOW_DEVELOPMENT_KEY must be true or false");
    expect(parseCli([], {})).toMatchObject({ host: "0.0.0.0", port: 8080, listenGiven: false });
    expect(parseCli([], { MULTISTORE_LISTEN: "0.0.0.0:9000" })).toMatchObject({ listenGiven: true });
  });
});

describe("the CLI with the development key", () => {
  it("refuses 0.0.0.0 with exit code 2, naming the key, the address and how to override", () => {
    for (const result of [run(["--listen", "0.0.0.0:0"]), run([], { MULTISTORE_LISTEN: "0.0.0.0:8080" })]) {
      expect(result.status).toBe(2);
      expect(result.stderr).toContain("refusing to listen on 0.0.0.0:");
      expect(result.stderr).toContain("MULTISTOREDEVKEY0001");
      expect(result.stderr).toContain("--allow-development-key");
      expect(result.stderr).toContain("MULTISTORE_ALLOW_DEVELOPMENT_KEY=true");
      expect(result.stderr).toContain("--listen 127.0.0.1:");
      expect(result.stderr).not.toContain("multistore-dev-secret-change-me");
    }
  });

  it("starts on 127.0.0.1", async () => {
    const { endpoint, output } = await start(["--listen", "127.0.0.1:0"]);
    expect(endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${endpoint}/public/hello.txt`)).status).toBe(200);
    expect(output()).not.toContain('"level":40');
  });

  it("starts on 0.0.0.0 when allowed (flag or environment), with a warning", async () => {
    for (const [args, env] of [[["--allow-development-key"], {}], [[], { MULTISTORE_ALLOW_DEVELOPMENT_KEY: "true" }]] as const) {
      const { endpoint, output } = await start(["--listen", "0.0.0.0:0", ...args], env);
      expect(endpoint).toMatch(/^http:\/\/0\.0\.0\.0:\d+$/);
      const warning = output().split("\n").find((line) => line.includes("--allow-development-key was given"));
      expect(warning).toContain('"level":40');
      expect(warning).toContain("MULTISTOREDEVKEY0001");
    }
  });

  it("listens on 127.0.0.1:8080 when no address is given, as the Quick start does", async () => {
    const child = spawn(process.execPath, [cli, "--workers", "1"], { cwd: appDir, env: cleanEnv(), stdio: ["ignore", "pipe", "pipe"] });
    children.push(child);
    let output = "";
    // Port 8080 may be taken on this machine: then the error names the address tried, which is what this checks.
    const outcome = await new Promise<string>((resolve) => {
      const collect = (chunk: Buffer) => {
        output += chunk.toString();
        if (/"address":"http:\/\/127\.0\.0\.1:8080"|EADDRINUSE/.test(output)) resolve(output);
      };
      child.stdout.on("data", collect);
      child.stderr.on("data", collect);
      // "close": on the EADDRINUSE path, the error may still be in the pipe at its exit.
      child.once("close", () => resolve(output));
    });
    expect(outcome).toMatch(/"address":"http:\/\/127\.0\.0\.1:8080"|EADDRINUSE[^\n]*127\.0\.0\.1:8080/);
    if (outcome.includes('"address"')) {
      expect(outcome).toContain("listening on 127.0.0.1:8080 (this machine only)");
      expect((await fetch("http://127.0.0.1:8080/healthz")).status).toBe(200);
    }
  });
});

describe("the CLI without the development key", () => {
  it("starts on 0.0.0.0 without a word about it", async () => {
    const { endpoint, output } = await start(["--listen", "0.0.0.0:0", "--config", ownKeyConfig]);
    expect(endpoint).toMatch(/^http:\/\/0\.0\.0\.0:\d+$/);
    expect(output()).not.toContain("development key");
  });
});
