import { describe, expect, it } from "vitest";
import {
  BACKEND_OPTION_RULES,
  BUILT_IN_BACKEND_TYPES,
  parseConfig,
  parseTomlConfig,
  redactConfig,
  registerBackendOptionRules,
} from "./index.js";
import { issuesOf } from "./test-fixtures.js";

/** Parses a config whose buckets are `buckets` (each gets a name and anonymous_access). */
function parseBuckets(buckets: Record<string, unknown>[], baseDirectory?: string) {
  const named = buckets.map((bucket, index) => ({ name: `bucket-${index}`, anonymous_access: false, ...bucket }));
  return parseConfig({ buckets: named }, { baseDirectory });
}

function issuesFor(backend_type: string, backend_options: Record<string, unknown>): string[] {
  return issuesOf(() => parseBuckets([{ backend_type, backend_options }]));
}

const S3 = { bucket_name: "real", region: "us-east-1" };

describe("backend option rules", () => {
  it("knows the built-in backend types", () => {
    expect(BUILT_IN_BACKEND_TYPES).toEqual(["s3", "az", "gcs", "fs", "r2"]);
  });

  it("names missing required options per backend type", () => {
    expect(
      issuesOf(() =>
        parseBuckets([
          { backend_type: "fs", backend_options: { root: "/x" } },
          { backend_type: "s3", backend_options: { region: "us-east-1" } },
        ])
      )
    ).toEqual(['buckets[1].backend_options.bucket_name is required for backend_type "s3"']);
    // region defaults to us-east-1.
    expect(issuesFor("s3", {})).toEqual(['buckets[0].backend_options.bucket_name is required for backend_type "s3"']);
    expect(issuesFor("az", { account_name: "acct" })).toEqual([
      'buckets[0].backend_options.container_name is required for backend_type "az"',
    ]);
    expect(issuesFor("gcs", {})).toEqual(['buckets[0].backend_options.bucket_name is required for backend_type "gcs"']);
    expect(issuesFor("fs", {})).toEqual(['buckets[0].backend_options.root is required for backend_type "fs"']);
    expect(issuesOf(() => parseBuckets([{ backend_type: "r2" }]))).toEqual([
      'buckets[0].backend_options.binding is required for backend_type "r2"',
    ]);
  });

  it("rejects unknown backend types and options", () => {
    expect(issuesFor("ftp", {})).toEqual([
      'buckets[0].backend_type: "ftp" is not a backend type (expected one of: s3, az, gcs, fs, r2)',
    ]);
    expect(issuesFor("fs", { root: "/x", bucket_name: "y" })).toEqual([
      'buckets[0].backend_options.bucket_name is not a known option for backend_type "fs" (expected one of: root, temp_max_age_secs, multipart_max_age_secs, sweep_interval_secs, encrypted_at_rest)',
    ]);
  });

  it("converts TOML booleans and numbers to strings", () => {
    const config = parseTomlConfig(`
[[buckets]]
name = "minio"
backend_type = "s3"
anonymous_access = false
[buckets.backend_options]
bucket_name = 2024
region = "us-east-1"
endpoint = "http://localhost:9000"
skip_signature = true
force_path_style = false
`);
    expect(config.buckets[0]?.backend_options).toStrictEqual({
      bucket_name: "2024",
      region: "us-east-1",
      endpoint: "http://localhost:9000",
      skip_signature: "true",
      force_path_style: "false",
    });
  });

  it("checks boolean, enum and URL options", () => {
    expect(
      issuesFor("s3", {
        ...S3,
        skip_signature: "yes",
        force_path_style: "",
        auth_type: "magic",
        endpoint: "ftp://example.com",
        sts_endpoint: "not a url",
      })
    ).toEqual([
      "buckets[0].backend_options.endpoint must be an absolute http:// or https:// URL",
      'buckets[0].backend_options.skip_signature must be "true" or "false" (got "yes")',
      'buckets[0].backend_options.force_path_style must be "true" or "false"',
      'buckets[0].backend_options.auth_type: "magic" is not supported (expected one of: static, oidc)',
      "buckets[0].backend_options.sts_endpoint must be an https:// URL (http:// only to a loopback host such as 127.0.0.1)",
    ]);
  });

  it("requires static keys in pairs, never echoing the secret", () => {
    expect(issuesFor("s3", { ...S3, access_key_id: "AKIA" })).toEqual([
      "buckets[0].backend_options.secret_access_key is required when access_key_id is set (set both or neither)",
    ]);
    const issues = issuesFor("s3", { ...S3, secret_access_key: "hunter2-secret" });
    expect(issues).toEqual([
      "buckets[0].backend_options.access_key_id is required when secret_access_key is set (set both or neither)",
    ]);
    expect(
      parseBuckets([{ backend_type: "s3", backend_options: { ...S3, access_key_id: "A", secret_access_key: "B" } }])
        .buckets
    ).toHaveLength(1);
  });

  it("requires the OIDC settings of auth_type = oidc", () => {
    expect(issuesFor("s3", { ...S3, auth_type: "oidc" })).toEqual([
      'buckets[0].backend_options.oidc_role_arn is required when auth_type is "oidc"',
    ]);
    expect(issuesFor("az", { account_name: "a", container_name: "c", auth_type: "oidc" })).toEqual([
      'buckets[0].backend_options.client_id is required when auth_type is "oidc"',
      'buckets[0].backend_options.tenant_id is required when auth_type is "oidc"',
    ]);
    expect(
      issuesFor("gcs", { bucket_name: "b", auth_type: "oidc", service_account_email: "x@y.iam.gserviceaccount.com" })
    ).toEqual(['buckets[0].backend_options.workload_identity_provider is required when auth_type is "oidc"']);
  });

  it("accepts a subject and endpoint overrides for federation on every cloud, checking the URLs", () => {
    const az = { account_name: "a", container_name: "c", auth_type: "oidc", tenant_id: "t", client_id: "c" };
    const gcs = { bucket_name: "b", auth_type: "oidc", service_account_email: "x@y.iam.gserviceaccount.com", workload_identity_provider: "projects/1/locations/global/workloadIdentityPools/p/providers/q" };
    expect(parseBuckets([{ backend_type: "gcs", backend_options: { ...gcs, sts_endpoint: "http://127.0.0.1:8080/v1/token", iam_credentials_endpoint: "http://localhost:9" } }]).buckets).toHaveLength(1);
    const parsed = parseBuckets([
      { backend_type: "az", backend_options: { ...az, oidc_subject: "proxy-az", authority_host: "https://login.microsoftonline.us" } },
      { backend_type: "gcs", backend_options: { ...gcs, oidc_subject: "proxy-gcs", sts_endpoint: "https://sts.example/v1/token", iam_credentials_endpoint: "https://iam.example" } },
    ]);
    expect(parsed.buckets.map((bucket) => bucket.backend_options.oidc_subject)).toEqual(["proxy-az", "proxy-gcs"]);
    expect(issuesFor("az", { ...az, authority_host: "login.microsoftonline.us" })).toEqual([expect.stringContaining("buckets[0].backend_options.authority_host")]);
    // These endpoints receive the proxy's tokens: never over plain http beyond the machine.
    expect(issuesFor("az", { ...az, authority_host: "http://login.example" })).toEqual([
      'buckets[0].backend_options.authority_host must be an https:// URL (http:// only to a loopback host such as 127.0.0.1)',
    ]);
    expect(issuesFor("gcs", { ...gcs, sts_endpoint: "http://10.0.0.8/v1/token" })).toEqual([expect.stringContaining("buckets[0].backend_options.sts_endpoint must be an https:// URL")]);
    expect(issuesFor("s3", { ...S3, auth_type: "oidc", oidc_role_arn: "arn:aws:iam::1:role/r", sts_endpoint: "http://sts.example" })).toEqual([
      expect.stringContaining("buckets[0].backend_options.sts_endpoint must be an https:// URL"),
    ]);
    expect(issuesFor("gcs", { ...gcs, iam_credentials_endpoint: "iam" })).toEqual([expect.stringContaining("buckets[0].backend_options.iam_credentials_endpoint")]);
  });

  it("checks service_account_key is JSON without quoting it", () => {
    const issues = issuesFor("gcs", { bucket_name: "b", service_account_key: "{not json: private-key-material" });
    expect(issues).toEqual([
      "buckets[0].backend_options.service_account_key must be a JSON document (e.g. the contents of a key file)",
    ]);
  });

  it("checks R2 binding names", () => {
    expect(issuesFor("r2", { binding: "my-bucket" })).toEqual([
      'buckets[0].backend_options.binding must be a JavaScript identifier (got "my-bucket")',
    ]);
  });

  it("rejects empty option values", () => {
    expect(issuesFor("s3", { bucket_name: "", region: "r", endpoint: "" })).toEqual([
      "buckets[0].backend_options.bucket_name must not be empty",
      "buckets[0].backend_options.endpoint must not be empty (remove it to leave it unset)",
    ]);
  });

  it("resolves a relative fs root against the config directory", () => {
    const roots = (baseDirectory: string | undefined, ...paths: string[]) =>
      parseBuckets(
        paths.map((root) => ({ backend_type: "fs", backend_options: { root } })),
        baseDirectory
      ).buckets.map((bucket) => bucket.backend_options.root);
    expect(roots("/etc/multistore", "data", "./data/", "../srv//data/./x", "/abs/path", "../../../../x", ".")).toEqual([
      "/etc/multistore/data",
      "/etc/multistore/data",
      "/etc/srv/data/x",
      "/abs/path",
      "/x",
      "/etc/multistore",
    ]);
    expect(roots("config", "data", "../../data")).toEqual(["config/data", "../data"]);
    expect(roots(undefined, "./data")).toEqual(["./data"]);
  });
});

describe("registerBackendOptionRules", () => {
  it("teaches the parser a new backend type", () => {
    registerBackendOptionRules("webdav", {
      url: { description: "Server URL.", required: true, kind: "url" },
      password: { description: "Password.", secret: true },
      login_secret: { description: "Also secret.", secret: true },
    });
    expect(Object.keys(BACKEND_OPTION_RULES)).toContain("webdav");
    const config = parseBuckets([
      {
        backend_type: "webdav",
        backend_options: { url: "https://dav.example.com", password: "pw", login_secret: "ls" },
      },
    ]);
    expect(config.buckets[0]?.backend_options.url).toBe("https://dav.example.com");
    expect(JSON.stringify(redactConfig(config))).not.toMatch(/"pw"|"ls"/);
    expect(issuesFor("webdav", { user: "x" })).toEqual([
      'buckets[0].backend_options.user is not a known option for backend_type "webdav" (expected one of: url, password, login_secret)',
      'buckets[0].backend_options.url is required for backend_type "webdav"',
    ]);
  });

  it("refuses duplicates, bad names and inconsistent rules", () => {
    expect(() => registerBackendOptionRules("s3", {})).toThrow('backend type "s3" is already registered');
    expect(() => registerBackendOptionRules("__proto__", {})).toThrow("must match");
    expect(() => registerBackendOptionRules("Bad Type", {})).toThrow("must match");
    expect(() => registerBackendOptionRules("odd", { a: { description: "a", requires: ["b"] } })).toThrow(
      'option "a" of backend type "odd" refers to unknown option "b"'
    );
    expect(() => registerBackendOptionRules("odd", { a: { description: "a", kind: "enum" } })).toThrow(
      "enum without values"
    );
  });

  it("replaces rules when asked to", () => {
    registerBackendOptionRules("mem", { size: { description: "Size." } });
    registerBackendOptionRules("mem", { limit: { description: "Limit." } }, { replace: true });
    expect(Object.keys(BACKEND_OPTION_RULES.mem ?? {})).toEqual(["limit"]);
  });
});

describe("seconds options", () => {
  it("accepts whole seconds (TOML integers too) and names the option otherwise", async () => {
    const { parseConfig } = await import("./parse-config.js");
    const config = (options: Record<string, unknown>) => ({ buckets: [{ name: "files", backend_type: "fs", anonymous_access: false, backend_options: { root: "/tmp/x", ...options } }] });
    expect(parseConfig(config({ multipart_max_age_secs: 86400, temp_max_age_secs: "3600" })).buckets[0]!.backend_options).toMatchObject({ multipart_max_age_secs: "86400", temp_max_age_secs: "3600" });
    expect(() => parseConfig(config({ sweep_interval_secs: "0" }))).toThrow('buckets[0].backend_options.sweep_interval_secs must be a whole number of seconds, at least 1 (got "0")');
    expect(() => parseConfig(config({ sweep_interval_secs: "1h" }))).toThrow("sweep_interval_secs must be a whole number of seconds");
  });
});

describe("rules owned by the backend packages", () => {
  it("are the backends' own tables, and every option a backend requires is required by its rules", async () => {
    const { createS3Backend, S3_OPTION_RULES } = await import("@multistore/backend-s3");
    const { createAzureBackend, AZURE_OPTION_RULES } = await import("@multistore/backend-azure");
    const { createGcsBackend, GCS_OPTION_RULES } = await import("@multistore/backend-gcs");
    const { FS_OPTION_RULES } = await import("@multistore/backend-fs");
    const { R2_OPTION_RULES } = await import("@multistore/backend-r2");
    expect(BACKEND_OPTION_RULES).toMatchObject({ s3: S3_OPTION_RULES, az: AZURE_OPTION_RULES, gcs: GCS_OPTION_RULES, fs: FS_OPTION_RULES, r2: R2_OPTION_RULES });
    const valid: [string, Record<string, string>, (options: Record<string, string>) => unknown][] = [
      ["s3", { bucket_name: "b" }, (options) => createS3Backend(options)],
      ["az", { account_name: "acct1", container_name: "data" }, (options) => createAzureBackend(options)],
      ["gcs", { bucket_name: "b-1" }, (options) => createGcsBackend(options)],
    ];
    for (const [type, options, create] of valid) {
      expect(() => create(options), type).not.toThrow();
      // What the backend cannot do without, the config refuses too (so a config that loads also builds).
      for (const name of Object.keys(options)) {
        const { [name]: _dropped, ...without } = options;
        expect(() => create(without), `${type} without ${name}`).toThrow(name);
        expect(BACKEND_OPTION_RULES[type]![name]!.required, `${type}.${name}`).toBe(true);
      }
    }
  });
});
