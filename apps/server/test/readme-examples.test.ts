/**
 * The code blocks of the READMEs and docs, run as a reader would run them: every TOML and JSON block of every README
 * (root, apps, packages) and of docs/*.md is a configuration that loads, unless marked as a fragment; each package
 * README's TypeScript example is written to a file and started with `node` (types stripped), then asked over S3;
 * every example type-checks; the install lines name real packages. The files live under apps/server/.tmp
 * (git-ignored) so that their imports resolve through this app's dependencies, which are every package the examples
 * use.
 */
import { generateKeyPairSync } from "node:crypto";
import type { ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { isConfigError, parseJsonConfig, parseTomlConfig } from "@multistore/config";
import { errorCode, rawRequest, signedRawRequest, startS3rver } from "@multistore/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fencedBlocks, type FencedBlock } from "./helpers/markdown-fences.js";
import { codeBlocks, freePort, runToEnd, startExample, type RunningExample } from "./helpers/readme-examples.js";

const SERVER_DIR = fileURLToPath(new URL("..", import.meta.url));
const REPOSITORY_DIR = join(SERVER_DIR, "..", "..");
const PACKAGES_DIR = join(REPOSITORY_DIR, "packages");
const readme = (pkg: string) => join(PACKAGES_DIR, pkg, "README.md");
/**
 * The package READMEs whose TypeScript example runs and whose install lines are checked (their config blocks are
 * checked with every other document's). Other packages' READMEs join the list once their example runs as a program
 * (backend-azure's second block is an excerpt, for one).
 */
const COVERED = ["core", "config", "backend-s3", "oidc-provider", "testing", "metering", "path-mapping"];
/**
 * Package READMEs whose TypeScript blocks are type-checked (not run): each block not marked as a fragment. Not here:
 * the Worker-targeted ones (backend-r2, fetch, apps/worker: workerd types and conditions, checked by apps/worker's
 * bundle), lambda's (a `.mjs` handler, shown as JavaScript) and sts's (an excerpt of a gateway's options).
 */
const TYPE_CHECKED = ["node", "backend-fs", "backend-gcs", "backend-azure"];

/** Every README and doc, relative to the repository: the root README, each app's and package's, and docs/*.md. */
async function documents(): Promise<string[]> {
  const readmesIn = async (parent: string) =>
    (await readdir(join(REPOSITORY_DIR, parent), { withFileTypes: true })).filter((entry) => entry.isDirectory()).map((entry) => join(parent, entry.name, "README.md"));
  const docs = (await readdir(join(REPOSITORY_DIR, "docs"))).filter((name) => name.endsWith(".md")).map((name) => join("docs", name));
  const candidates = ["README.md", ...(await readmesIn("apps")), ...(await readmesIn("packages")), ...docs];
  return candidates.filter((file) => existsSync(join(REPOSITORY_DIR, file)));
}

/** The fenced blocks of a document of the repository. */
function documentBlocks(file: string): FencedBlock[] {
  return fencedBlocks(file, readFileSync(join(REPOSITORY_DIR, file), "utf8"));
}

/** Loads a TOML or JSON block as a configuration (warnings, such as a path-style-only bucket name, are allowed). */
function loadConfigBlock(block: FencedBlock): void {
  const options = { source: block.where, onWarning: () => {} };
  if (block.lang === "json") parseJsonConfig(block.text, options);
  else parseTomlConfig(block.text, options);
}

/** The config blocks of every document, found once. */
let configBlocks: FencedBlock[];
/** Untagged blocks, which must not hide a config from the checks. */
let untaggedBlocks: FencedBlock[];
/** Where each README's one TypeScript example is written, relative to the scratch directory. */
const EXAMPLE_FILE: Record<string, string> = Object.fromEntries(COVERED.map((pkg) => [pkg, pkg === "testing" ? "testing/contract.test.ts" : `${pkg}.ts`]));
/** The credential of the core README's example. */
const UPLOADER = { accessKeyId: "AKIAREADMEEXAMPLE001", secretAccessKey: "change-me-to-a-long-random-secret" };

let scratch: string;
const children: ChildProcess[] = [];
const servers: RunningExample[] = [];

/** A working directory holding `data/hello.txt`, as the examples' fs buckets (`root = "./data"`) expect. */
async function workDir(name: string): Promise<string> {
  const dir = join(scratch, "cwd", name);
  await mkdir(join(dir, "data"), { recursive: true });
  await writeFile(join(dir, "data", "hello.txt"), "hello");
  return dir;
}

/** Starts a README's server example on a free port. */
async function serve(pkg: string, env: Record<string, string> = {}): Promise<RunningExample> {
  const port = await freePort();
  const server = await startExample(join(scratch, EXAMPLE_FILE[pkg]!), { cwd: await workDir(pkg), env: { PORT: String(port), ...env }, children });
  servers.push(server);
  return server;
}

beforeAll(async () => {
  const blocks = (await documents()).flatMap((file) => documentBlocks(file));
  configBlocks = blocks.filter((block) => block.lang === "toml" || block.lang === "json");
  untaggedBlocks = blocks.filter((block) => block.lang === "");
  await mkdir(join(SERVER_DIR, ".tmp"), { recursive: true });
  scratch = await mkdtemp(join(SERVER_DIR, ".tmp", "readme-"));
  for (const pkg of COVERED) {
    const blocks = codeBlocks(readme(pkg), "ts");
    // One program per README, so that "every block runs" stays true as READMEs change.
    expect(blocks, `${pkg}/README.md: TypeScript blocks`).toHaveLength(1);
    const file = join(scratch, EXAMPLE_FILE[pkg]!);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, blocks[0]!);
  }
  for (const pkg of TYPE_CHECKED) {
    const blocks = documentBlocks(join("packages", pkg, "README.md")).filter((block) => block.lang === "ts" && block.fragment === undefined);
    expect(blocks.length, `${pkg}/README.md: TypeScript blocks to type-check`).toBeGreaterThan(0);
    await mkdir(join(scratch, "type-checked"), { recursive: true });
    for (const [index, block] of blocks.entries()) await writeFile(join(scratch, "type-checked", `${pkg}-${index}.ts`), block.text);
  }
});

afterAll(async () => {
  await Promise.all(servers.map((server) => server.stop()));
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe("config blocks of every README and doc", () => {
  it("finds the documents and their blocks", async () => {
    const files = await documents();
    for (const file of ["README.md", "apps/server/README.md", "apps/worker/README.md", "packages/config/README.md", "docs/clients.md"]) expect(files).toContain(file);
    expect(configBlocks.length).toBeGreaterThan(10);
  });

  it("every TOML and JSON block is a configuration that loads", () => {
    const failures: string[] = [];
    for (const block of configBlocks.filter((candidate) => candidate.fragment === undefined)) {
      try {
        loadConfigBlock(block);
      } catch (error) {
        failures.push(error instanceof Error ? error.message : String(error));
      }
    }
    expect(failures).toEqual([]);
  });

  it("a block marked as a fragment says why, and still parses", () => {
    for (const block of configBlocks.filter((candidate) => candidate.fragment !== undefined)) {
      expect(block.fragment, `${block.where}: <!-- fragment: --> needs a reason`).not.toBe("");
      // Skipped as a configuration (not a whole one, by design); its syntax is still checked.
      console.info(`${block.where}: not loaded as a configuration: ${block.fragment}`);
      try {
        loadConfigBlock(block);
      } catch (error) {
        if (!isConfigError(error)) throw error;
        expect(error.issues.filter((issue) => / syntax error/.test(issue.message)).map((issue) => issue.message)).toEqual([]);
      }
    }
  });

  it("no config hides in an untagged block", () => {
    const disguised = untaggedBlocks.filter((block) => /^\s*\[\[?(?:buckets|credentials|roles|cors_rules|rate_limits|quotas|metering|path_mapping)\]/m.test(block.text) || /"buckets"\s*:/.test(block.text));
    expect(disguised.map((block) => block.where)).toEqual([]);
  });

  it("reads fragments, indented fences and info strings as written", () => {
    const markdown = ["Intro", "", "<!-- fragment: only the CORS part -->", "```toml", "[[cors_rules]]", "```", "", "1. step", "   ```json title=config.json", '   { "buckets": [] }', "   ```", ""].join("\n");
    const blocks = fencedBlocks("example.md", markdown);
    expect(blocks).toEqual([
      { where: "example.md:4", lang: "toml", text: "[[cors_rules]]\n", fragment: "only the CORS part" },
      { where: "example.md:9", lang: "json", text: '{ "buckets": [] }\n', fragment: undefined },
    ]);
    expect(() => loadConfigBlock({ where: "x", lang: "toml", text: "[[buckets]]\nname = 'x'\n" })).toThrow(/backend_type is required/);
  });
});

describe("package READMEs", () => {
  it("install lines name published packages", async () => {
    const published = new Set<string>();
    for (const dir of await readdir(PACKAGES_DIR)) {
      const pkg = JSON.parse(await readFile(join(PACKAGES_DIR, dir, "package.json"), "utf8")) as { name: string; private?: boolean };
      if (!pkg.private) published.add(pkg.name);
    }
    for (const pkg of COVERED) {
      const lines = codeBlocks(readme(pkg), "sh").flatMap((block) => block.split("\n").filter((line) => line.startsWith("npm install")));
      expect(lines.length, `${pkg}/README.md: an install line`).toBeGreaterThan(0);
      // A package's own peer dependencies (optional ones for one build, e.g. the Node build's SDK) may be named too.
      const manifest = JSON.parse(await readFile(join(PACKAGES_DIR, pkg, "package.json"), "utf8")) as { peerDependencies?: Record<string, string> };
      const peers = new Set(Object.keys(manifest.peerDependencies ?? {}));
      for (const name of lines.flatMap((line) => line.split(/\s+/).slice(2).filter((word) => !word.startsWith("-")))) {
        expect(published.has(name) || peers.has(name) || name === "vitest", `${pkg}/README.md installs ${name}`).toBe(true);
      }
    }
  });

  it("every TypeScript example type-checks, with no cast", async () => {
    await writeFile(
      join(scratch, "tsconfig.json"),
      // (Examples may name a value without using it further: `const backend = createXBackend(...)`.)
      JSON.stringify({ extends: "../../tsconfig.json", compilerOptions: { noEmit: true, rootDir: ".", noUnusedLocals: false }, include: ["**/*.ts"] }),
    );
    const tsc = join(SERVER_DIR, "node_modules", "typescript", "bin", "tsc");
    const finished = await runToEnd([tsc, "-p", join(scratch, "tsconfig.json"), "--pretty", "false"], { cwd: SERVER_DIR });
    // Every error line, config-level ones (at the start of a line) included; and tsc must have succeeded.
    expect(finished.stdout.split("\n").filter((line) => /(^|\s)error TS\d+:/.test(line))).toEqual([]);
    expect(finished.code, finished.stdout).toBe(0);
  }, 60_000);

  it("core: createGateway on the Node runtime serves the fs bucket, anonymous reads and signed writes", async () => {
    const { endpoint } = await serve("core");
    const read = await rawRequest(endpoint, { method: "GET", path: "/public/hello.txt" });
    expect([read.status, read.text]).toEqual([200, "hello"]);
    const listing = await rawRequest(endpoint, { method: "GET", path: "/public?list-type=2" });
    expect(listing.text).toContain("<Key>hello.txt</Key>");
    const anonymousWrite = await rawRequest(endpoint, { method: "PUT", path: "/public/new.txt", body: "x" });
    expect([anonymousWrite.status, errorCode(anonymousWrite.text)]).toEqual([403, "AccessDenied"]);
    const signedWrite = await signedRawRequest(endpoint, UPLOADER, { method: "PUT", path: "/public/uploaded.txt", body: "written through the gateway" });
    expect(signedWrite.status).toBe(200);
    expect(await readFile(join(scratch, "cwd", "core", "data", "uploaded.txt"), "utf8")).toBe("written through the gateway");
  });

  it("metering: the sixth anonymous request within the window gets 503 SlowDown with Retry-After", async () => {
    const { endpoint } = await serve("metering");
    for (let i = 0; i < 5; i++) expect((await rawRequest(endpoint, { method: "GET", path: "/public/hello.txt" })).status).toBe(200);
    const refused = await rawRequest(endpoint, { method: "GET", path: "/public/hello.txt" });
    expect([refused.status, errorCode(refused.text)]).toEqual([503, "SlowDown"]);
    expect(Number(refused.headers["retry-after"])).toBeGreaterThan(0);
  });

  it("path-mapping: /noaa/goes16/<key> is a key of bucket noaa:goes16, listed as the client named it", async () => {
    const { endpoint } = await serve("path-mapping");
    const read = await rawRequest(endpoint, { method: "GET", path: "/noaa/goes16/hello.txt" });
    expect([read.status, read.text]).toEqual([200, "hello"]);
    const listing = await rawRequest(endpoint, { method: "GET", path: "/noaa?list-type=2&prefix=goes16/" });
    expect(listing.text).toContain("<Key>goes16/hello.txt</Key>");
    const above = await rawRequest(endpoint, { method: "GET", path: "/noaa?list-type=2&delimiter=/" });
    expect(above.text).toContain("<Prefix>goes16/</Prefix>");
  });

  it("oidc-provider: the gateway publishes its discovery document and JWKS", async () => {
    const port = await freePort();
    const issuer = `http://127.0.0.1:${port}`; // http is accepted on loopback only, for tests like this one
    const key = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    const server = await startExample(join(scratch, EXAMPLE_FILE["oidc-provider"]!), {
      cwd: await workDir("oidc-provider"),
      env: { PORT: String(port), OIDC_PROVIDER_ISSUER: issuer, OIDC_PROVIDER_KEY: key },
      children,
    });
    servers.push(server);
    const discovery = JSON.parse((await rawRequest(server.endpoint, { method: "GET", path: "/.well-known/openid-configuration" })).text) as Record<string, unknown>;
    expect([discovery.issuer, discovery.jwks_uri]).toEqual([issuer, `${issuer}/.well-known/jwks.json`]);
    const jwks = JSON.parse((await rawRequest(server.endpoint, { method: "GET", path: "/.well-known/jwks.json" })).text) as { keys: { kty: string; kid: string }[] };
    expect(jwks.keys.map((jwk) => jwk.kty)).toEqual(["RSA"]);
  });

  it("config: the example loads the README's config.toml and prints no secret", async () => {
    const cwd = await workDir("config");
    await writeFile(join(cwd, "config.toml"), codeBlocks(readme("config"), "toml")[0]!);
    const { code, stdout, stderr } = await runToEnd([join(scratch, EXAMPLE_FILE.config!)], { cwd, ts: true });
    expect([code, stderr]).toEqual([0, ""]);
    expect(stdout).toContain(`fs ${join(cwd, "data")}`);
    expect(stdout).toContain("AKIAREADMEEXAMPLE001");
    expect(stdout).not.toContain("change-me-to-a-long-random-secret");
  });

  it("backend-s3: the standalone backend lists a bucket of an S3-compatible store", async () => {
    const s3 = await startS3rver({ buckets: ["my-archive"] });
    try {
      const keys = { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey };
      expect((await signedRawRequest(s3.endpoint, keys, { method: "PUT", path: "/my-archive/hello.txt", body: "hello" })).status).toBe(200);
      const env = { S3_ENDPOINT: s3.endpoint, AWS_REGION: s3.region, AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey };
      const { code, stdout, stderr } = await runToEnd([join(scratch, EXAMPLE_FILE["backend-s3"]!)], { cwd: scratch, env, ts: true });
      expect([code, stderr, stdout]).toEqual([0, "", "hello.txt 5\n"]);
    } finally {
      await s3.close();
    }
  });

  it("testing: the backend contract example passes under vitest", async () => {
    const dir = join(scratch, "testing");
    await writeFile(join(dir, "vitest.config.mjs"), "export default {};\n"); // so that vitest does not take apps/server's config
    const vitest = join(SERVER_DIR, "node_modules", "vitest", "vitest.mjs");
    const { code, stdout, stderr } = await runToEnd([vitest, "run", "--root", dir, "--config", "vitest.config.mjs"], { cwd: dir, env: { NO_COLOR: "1" } });
    expect(code, stdout + stderr).toBe(0);
    expect(stdout).toMatch(/Tests\s+\d+ passed/);
  }, 60_000);
});
