/**
 * Configs of the original multistore (Rust) load unchanged and mean the same: its five published configs
 * (../shared/fixtures/upstream-configs), its option spellings (object_store's aliases, `azure` / `gs`), TOML 1.0/1.1.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseToml } from "toml";
import { describe, expect, it } from "vitest";
import { parseConfig, parseJsonConfig, parseTomlConfig } from "./index.js";
import { issuesOf } from "./test-fixtures.js";

const FIXTURES = join(import.meta.dirname, "../../../../shared/fixtures/upstream-configs");
const read = (name: string) => readFileSync(join(FIXTURES, name), "utf8");
const quiet = { onWarning: () => undefined };

/** The proxy config of a Workers config: its `[vars.PROXY_CONFIG]` table. */
function proxyConfigOf(name: string): Record<string, unknown> {
  return (parseToml(read(name)) as { vars: { PROXY_CONFIG: Record<string, unknown> } }).vars.PROXY_CONFIG;
}

describe("the original's published configs", () => {
  it("loads the server example unchanged, with its meaning", () => {
    const config = parseTomlConfig(read("examples_server_config.toml"), quiet);
    expect(config.buckets.map((bucket) => [bucket.name, bucket.backend_prefix, bucket.backend_options.skip_signature])).toEqual([
      ["harvard-lil", "harvard-lil/", "true"],
      ["cholmes", "cholmes/", "true"],
    ]);
    const noAccess = config.roles.find((role) => role.role_id === "github-actions-no-access")!;
    expect(noAccess.allowed_scopes).toEqual([]);
  });

  it("loads the documented full example (the TOML block of the reference page)", () => {
    const block = /```toml\n([\s\S]*?)```/.exec(read("docs_reference_config-example.md"))![1]!;
    const config = parseTomlConfig(block, quiet);
    expect(config.buckets.length).toBeGreaterThan(0);
    // A role scope may name a claim template, filled in when STS mints credentials.
    expect(config.roles.flatMap((role) => role.allowed_scopes.map((scope) => scope.bucket))).toContain("{sub}");
  });

  it.each(["examples_cf-workers_wrangler.toml", "examples_cf-workers_wrangler.deploy.toml", "examples_cf-workers_wrangler.integration.toml"])(
    "loads the proxy config of %s, as a structured var and as a JSON secret",
    (name) => {
      const table = proxyConfigOf(name);
      const structured = parseConfig(table, quiet);
      expect(parseJsonConfig(JSON.stringify(table), quiet)).toEqual(structured);
      expect(structured.buckets.length).toBeGreaterThan(0);
    }
  );

  it("reads a whole Workers config file for its [vars.PROXY_CONFIG] table (the server can be pointed at it)", () => {
    const file = "examples_cf-workers_wrangler.toml";
    const config = parseTomlConfig(read(file), quiet);
    expect(config).toEqual(parseConfig(proxyConfigOf(file), quiet));
    // A plain config with a [vars] table of its own is not mistaken for one.
    expect(() => parseTomlConfig('vars = { PROXY_CONFIG = { buckets = [] } }\nbuckets = []', quiet)).toThrow("vars is not a known field");
  });

  it("gives an s3 bucket without a region the default, us-east-1 (private-uploads in the Workers example)", () => {
    const bucket = parseConfig(proxyConfigOf("examples_cf-workers_wrangler.toml"), quiet).buckets.find((entry) => entry.name === "private-uploads")!;
    expect(bucket.backend_options.region).toBeUndefined();
    expect(bucket.backend_options.endpoint).toBe("http://localhost:9000");
  });
});

describe("the original's option spellings", () => {
  const bucketWith = (backend_type: string, backend_options: Record<string, unknown>) =>
    parseConfig({ buckets: [{ name: "data", backend_type, anonymous_access: false, backend_options }] }, quiet).buckets[0]!;

  it("files object_store aliases under our option names", () => {
    expect(
      bucketWith("s3", {
        aws_bucket: "real",
        aws_region: "eu-west-1",
        aws_endpoint: "https://minio.example.com",
        aws_access_key_id: "AK",
        aws_secret_access_key: "secret",
        aws_session_token: "token",
        aws_virtual_hosted_style_request: true,
        allow_http: true,
      }).backend_options
    ).toEqual({
      bucket_name: "real",
      region: "eu-west-1",
      endpoint: "https://minio.example.com",
      access_key_id: "AK",
      secret_access_key: "secret",
      session_token: "token",
      virtual_hosted_style_request: "true",
      allow_http: "true",
    });
    expect(bucketWith("s3", { bucket_name: "real", token: "t", access_key_id: "AK", secret_access_key: "s" }).backend_options.session_token).toBe("t");
    expect(
      bucketWith("azure", { azure_storage_account_name: "acct", azure_container_name: "data", azure_storage_account_key: "a2V5", use_emulator: true })
    ).toMatchObject({ backend_type: "az", backend_options: { account_name: "acct", container_name: "data", access_key: "a2V5", use_emulator: "true" } });
    expect(bucketWith("gs", { google_bucket: "b", service_account_path: "/keys/sa.json" })).toMatchObject({
      backend_type: "gcs",
      backend_options: { bucket_name: "b", service_account_path: "/keys/sa.json" },
    });
  });

  it("refuses the same option under two names", () => {
    expect(
      issuesOf(() =>
        parseConfig({ buckets: [{ name: "data", backend_type: "s3", anonymous_access: false, backend_options: { bucket_name: "a", aws_bucket: "b" } }] })
      )
    ).toEqual(["buckets[0].backend_options.aws_bucket and bucket_name are the same option: set one of them"]);
  });

  it("still refuses a truly unknown option or backend type, naming the closest known one", () => {
    const issues = issuesOf(() =>
      parseConfig({
        buckets: [
          { name: "data", backend_type: "s3", anonymous_access: false, backend_options: { bucket_name: "a", acess_key_id: "AK" } },
          { name: "more", backend_type: "azur", anonymous_access: false },
          { name: "most", backend_type: "s3", anonymous_access: false, backend_options: { bucket_name: "a", colour: "red" } },
        ],
      })
    );
    expect(issues[0]).toMatch(/^buckets\[0\]\.backend_options\.acess_key_id is not a known option for backend_type "s3" \(did you mean access_key_id\?\) \(expected one of: /);
    expect(issues[1]).toMatch(/^buckets\[1\]\.backend_type: "azur" is not a backend type \(did you mean az(ure)?\?\) /);
    expect(issues[2]).toMatch(/^buckets\[2\]\.backend_options\.colour is not a known option for backend_type "s3" \(expected one of: /);
  });
});

describe("TOML 1.0 and 1.1", () => {
  it("loads dotted keys, mixed-type arrays and unquoted date-times", () => {
    const config = parseTomlConfig(
      [
        "[[buckets]]",
        'name = "data"',
        'backend_type = "s3"',
        "anonymous_access = false",
        'backend_options.bucket_name = "real"',
        'backend_options.region = "eu-west-1"',
        "[[credentials]]",
        'access_key_id = "AKEXAMPLE"',
        'secret_access_key = "secret"',
        'principal_name = "ci"',
        "created_at = 2024-01-15T00:00:00Z",
        "enabled = true",
        'allowed_scopes = [{ bucket = "data", prefixes = [], actions = ["get_object"] }]',
        "[[roles]]",
        'role_id = "r"',
        'name = "R"',
        'required_audiences = ["a", "b"]',
        "max_session_duration_secs = 3_600",
      ].join("\n"),
      quiet
    );
    expect(config.buckets[0]!.backend_options).toEqual({ bucket_name: "real", region: "eu-west-1" });
    expect(config.credentials[0]!.created_at).toBe("2024-01-15T00:00:00.000Z");
    expect(config.roles[0]!.max_session_duration_secs).toBe(3600);
  });

  it("reports a syntax error with its line and column", () => {
    expect(issuesOf(() => parseTomlConfig("a = 1\nb = [1,\n x", { source: "f.toml" }))[0]).toMatch(/^f\.toml: syntax error at line 3, column 2: /);
  });
});
