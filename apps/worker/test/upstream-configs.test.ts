/**
 * The original multistore's five published configs run the Worker unchanged, as PROXY_CONFIG given both ways (a
 * structured [vars] table and a JSON secret); backends are built with the config, so a bad option is named at once.
 */
import { spawnSync } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { parse as parseToml } from "toml";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { UPSTREAM_CONFIGS_DIR, upstreamConfigs } from "@multistore/testing";
import { afterEach, describe, expect, it } from "vitest";
import { startWorker, type WorkerHandle } from "./helpers/worker-harness.js";

const PROVIDER_KEY = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ format: "pem", type: "pkcs8" }).toString();
// Roles need STS (a sealing key); federated buckets need the proxy's OIDC provider.
const SECRETS = { SESSION_TOKEN_KEY: randomBytes(32).toString("base64"), OIDC_PROVIDER_KEY: PROVIDER_KEY, OIDC_PROVIDER_ISSUER: "https://proxy.example.com" };

let worker: WorkerHandle | undefined;
afterEach(async () => {
  await worker?.close();
  worker = undefined;
});

/** The other [vars] of a Workers config (VIRTUAL_HOST_DOMAIN, ...), as wrangler would pass them. */
function otherVars(file: string): Record<string, unknown> {
  if (!file.includes("wrangler")) return {};
  const { PROXY_CONFIG: _config, ...vars } = (parseToml(readFileSync(join(UPSTREAM_CONFIGS_DIR, file), "utf8")) as { vars: Record<string, unknown> }).vars;
  return vars;
}

describe("the original's published configs on the Worker", () => {
  const cases = upstreamConfigs().flatMap((config) => [
    [config.file, "a structured var", config.table, config] as const,
    [config.file, "a JSON secret", JSON.stringify(config.table), config] as const,
  ]);
  it.each(cases)("runs on %s given as %s", async (file, _form, proxyConfig) => {
    const logs: string[] = [];
    worker = await startWorker({ bindings: { ...otherVars(file), ...SECRETS, PROXY_CONFIG: proxyConfig }, onLog: (line) => logs.push(line) });
    const listing = await fetch(`${worker.endpoint}/`);
    const text = await listing.text();
    expect([listing.status, text.includes("<ListAllMyBucketsResult")], text).toEqual([200, true]);
    expect(logs.filter((line) => line.includes("invalid configuration"))).toEqual([]);
  });
});

describe("backends built with the config", () => {
  const bucket = (backend_type: string, backend_options: Record<string, string>) => JSON.stringify({ buckets: [{ name: "data", backend_type, anonymous_access: true, backend_options }] });

  it("answers a bad backend option with a 500 naming the field, never the secret", async () => {
    worker = await startWorker({ bindings: { PROXY_CONFIG: bucket("s3", { bucket_name: "b", access_key_id: "AK", secret_access_key: "do-not-print-me", presign_ttl_secs: "0" }) } });
    const response = await fetch(`${worker.endpoint}/`);
    const text = await response.text();
    expect(response.status).toBe(500);
    expect(text).toContain("buckets[0].backend_options.presign_ttl_secs: presign_ttl_secs must be 1..604800");
    expect(text).not.toContain("do-not-print-me");
  });

  it("names an fs bucket (no file system here) and a service_account_path (no files to read)", async () => {
    worker = await startWorker({ bindings: { PROXY_CONFIG: bucket("fs", { root: "/srv/data" }) } });
    expect(await (await fetch(`${worker.endpoint}/`)).text()).toMatch(/buckets\[0\]\.backend_type: &quot;fs&quot; cannot be served here: the Worker has no file system/);
    await worker.close();
    worker = await startWorker({ bindings: { PROXY_CONFIG: bucket("gcs", { bucket_name: "b", service_account_path: "/keys/sa.json" }) } });
    expect(await (await fetch(`${worker.endpoint}/`)).text()).toContain("buckets[0].backend_options.service_account_path: the Worker has no files to read a key from");
  });
});

describe("scripts/check-config.mjs (run by `pnpm deploy` before wrangler)", () => {
  const script = join(import.meta.dirname, "../scripts/check-config.mjs");
  const check = (file: string) => spawnSync(process.execPath, [script, file], { encoding: "utf8", timeout: 30_000 });

  it("passes the Worker's own wrangler.toml and the original's Workers configs", () => {
    for (const file of [join(import.meta.dirname, "../wrangler.toml"), ...["", ".deploy", ".integration"].map((suffix) => join(UPSTREAM_CONFIGS_DIR, `examples_cf-workers_wrangler${suffix}.toml`))]) {
      const result = check(file);
      expect([result.status, result.stderr], file).toEqual([0, ""]);
    }
  });

  it("rejects a bad embedded config with exit code 2, naming the field in each place it is embedded", () => {
    const file = join(mkdtempSync(join(tmpdir(), "check-config-")), "wrangler.toml");
    writeFileSync(
      file,
      [
        'name = "x"',
        "[[vars.PROXY_CONFIG.buckets]]",
        'name = "data"',
        'backend_type = "s3"',
        "anonymous_access = true",
        'backend_options = { bucket_name = "b", presign_ttl_secs = "0" }',
        "[[env.production.vars.PROXY_CONFIG.buckets]]",
        'name = "files"',
        'backend_type = "r2"',
        "anonymous_access = true",
        'backend_options = { binding = "FILES" }',
      ].join("\n"),
    );
    const result = check(file);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("buckets[0].backend_options.presign_ttl_secs: presign_ttl_secs must be 1..604800");
    expect(result.stderr).toMatch(/\[env\.production\.vars\] PROXY_CONFIG\): 1 problem\n\s+- buckets\[0\]\.backend_options\.binding: binding "FILES" is not an R2 binding of this Worker/);
  });
});
