/**
 * What a server loads: packages only some configurations need (the Azure SDK, ioredis for a shared metering store,
 * prom-client for metrics, jose for web identity tokens and the OIDC provider, @smithy/signature-v4 for S3 control
 * requests, TypeBox's schema builder) stay out of a server that does not use them, even once it serves. Each one
 * loaded holds heap that every garbage collection walks; 64 MiB PUTs run about 1.6 mark-compacts each (speed issue,
 * goal 3).
 */
import type { ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { startCli } from "@multistore/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

const cli = join(import.meta.dirname, "../dist/cli.js");
const children: ChildProcess[] = [];
let scratch: string;

/** Records each package a process loads (by its node_modules path) and writes the list to MODULES_OUT at exit. */
const HOOK = `
import { registerHooks } from "node:module";
import { writeFileSync } from "node:fs";
const seen = new Set();
registerHooks({
  load(url, context, next) {
    const match = /node_modules\\/(?:\\.pnpm\\/[^/]+\\/node_modules\\/)?((?:@[^/]+\\/)?[^/]+)\\//.exec(url);
    if (match) seen.add(match[1]);
    return next(url, context);
  },
});
process.on("exit", () => writeFileSync(process.env.MODULES_OUT, JSON.stringify([...seen])));
`;

/** Starts the CLI on `config`, sends it one anonymous GET, stops it; resolves to the packages it loaded. */
async function packagesLoaded(config: object): Promise<string[]> {
  const path = join(scratch, `config-${children.length}.json`);
  const out = join(scratch, `modules-${children.length}.json`);
  await writeFile(path, JSON.stringify(config));
  const env = { ...process.env, NODE_OPTIONS: `--import ${pathToFileURL(join(scratch, "hook.mjs")).href}`, MODULES_OUT: out };
  const server = await startCli(cli, ["--config", path, "--listen", "127.0.0.1:0", "--workers", "1"], { env, children });
  const response = await fetch(`${server.endpoint}/open/hello.txt`);
  expect(response.status).toBe(200);
  expect(await response.text()).toBe("hello");
  const exited = new Promise((resolve) => server.child.once("exit", resolve));
  server.child.kill("SIGTERM");
  await exited;
  return JSON.parse(await readFile(out, "utf8")) as string[];
}

const OPEN_BUCKET = { name: "open", backend_type: "fs", anonymous_access: true, backend_options: { root: "" } };
/** An Azure bucket that is configured but gets no request (its endpoint is never reached). */
const AZURE_BUCKET = {
  name: "blobs",
  backend_type: "az",
  anonymous_access: false,
  backend_options: { account_name: "acct", container_name: "data", access_key: "c2VjcmV0", endpoint: "http://127.0.0.1:9/acct" },
};

/** An S3 bucket with keys, also unused: its control-request signer (@smithy/signature-v4) is not loaded. */
const S3_BUCKET = {
  name: "objects",
  backend_type: "s3",
  anonymous_access: false,
  backend_options: { endpoint: "http://127.0.0.1:9", region: "us-east-1", bucket_name: "objects", access_key_id: "AKIAUNUSED", secret_access_key: "unused-secret" },
};

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "multistore-startup-modules-"));
  await writeFile(join(scratch, "hook.mjs"), HOOK);
  await writeFile(join(scratch, "hello.txt"), "hello");
  OPEN_BUCKET.backend_options.root = scratch;
});

afterEach(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe("a server's loaded packages", () => {
  it("leave out the Azure SDK, ioredis, prom-client, jose, smithy's signer and TypeBox when the server does not use them", async () => {
    const loaded = await packagesLoaded({ buckets: [OPEN_BUCKET, AZURE_BUCKET, S3_BUCKET], roles: [], credentials: [] });
    // The hook sees packages: the server's own forwarding library is among them.
    expect(loaded).toContain("undici");
    expect(loaded).not.toContain("@azure/storage-blob");
    expect(loaded).not.toContain("ioredis");
    expect(loaded).not.toContain("typebox");
    // Metrics are off, no web identity token was verified and no OIDC provider is configured.
    expect(loaded).not.toContain("prom-client");
    expect(loaded).not.toContain("jose");
    expect(loaded).not.toContain("@smithy/signature-v4");
  });

  it("load ioredis when metering counts in Redis", async () => {
    const loaded = await packagesLoaded({
      buckets: [OPEN_BUCKET],
      roles: [],
      credentials: [],
      rate_limits: [{ scope: "bucket", bucket: "open", requests: 100 }],
      // Nothing listens there: the server warns and serves (on_store_error = "allow").
      metering: { store: "redis", redis_url: "redis://127.0.0.1:9", on_store_error: "allow", timeout_ms: 100 },
    });
    expect(loaded).toContain("ioredis");
  });
});
