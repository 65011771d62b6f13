/** Shared test data (excluded from the build). Secrets are recognisable so tests can prove they never leak. */
import { expect } from "vitest";
import { isConfigError } from "./config-error.js";

/** Every secret value in FULL_TOML. */
export const SECRETS = [
  "backend-secret-value",
  "azure-secret-key-value",
  "gcs-private-key-value",
  "proxy-secret-value",
] as const;

/** A complete configuration using every backend type, roles and credentials. */
export const FULL_TOML = `
owner_id = "acme"
owner_display_name = "ACME Corp"

[[buckets]]
name = "public-data"
backend_type = "s3"
backend_prefix = "mirror/"
anonymous_access = true
allowed_roles = ["deployer"]

[buckets.backend_options]
bucket_name = "acme-public"
region = "us-east-1"
endpoint = "https://s3.us-east-1.amazonaws.com"
access_key_id = "AKIABACKEND"
secret_access_key = "backend-secret-value"
force_path_style = true
skip_signature = false

[[buckets]]
name = "local-files"
backend_type = "fs"
anonymous_access = false

[buckets.backend_options]
root = "./data/local"

[[buckets]]
name = "azure-archive"
backend_type = "az"
anonymous_access = false

[buckets.backend_options]
account_name = "acmestorage"
container_name = "archive"
access_key = "azure-secret-key-value"

[[buckets]]
name = "gcs-data"
backend_type = "gcs"
anonymous_access = false

[buckets.backend_options]
bucket_name = "acme-gcs"
service_account_key = '{"type": "service_account", "private_key": "gcs-private-key-value"}'

[[buckets]]
name = "edge-cache"
backend_type = "r2"
anonymous_access = false

[buckets.backend_options]
binding = "EDGE_BUCKET"

[[roles]]
role_id = "deployer"
name = "GitHub Actions deployer"
trusted_oidc_issuers = ["https://token.actions.githubusercontent.com"]
required_audience = "sts.amazonaws.com"
subject_conditions = ["repo:acme/site:ref:refs/heads/main"]
max_session_duration_secs = 7200

[[roles.allowed_scopes]]
bucket = "public-data"
prefixes = ["site/"]
actions = ["get_object", "put_object"]

[[roles]]
role_id = "reader"
name = "Reader"
trusted_oidc_issuers = ["https://accounts.google.com"]
required_audiences = ["multistore", "other"]

[[roles.allowed_scopes]]
bucket = "*"
actions = ["list_bucket"]

[[credentials]]
access_key_id = "AKPROXYEXAMPLE"
secret_access_key = "proxy-secret-value"
principal_name = "dashboard"
created_at = "2024-01-15T00:00:00Z"
expires_at = 2030-01-01T00:00:00Z
enabled = true

[[credentials.allowed_scopes]]
bucket = "local-files"
prefixes = ["reports/"]
actions = ["get_object", "head_object", "list_bucket"]

[[credentials.allowed_scopes]]
bucket = "*"
actions = ["get_object"]
`;

/** A small valid configuration as a plain object; tests modify a fresh copy. */
export function minimalConfig(): Record<string, any> {
  return {
    buckets: [
      { name: "alpha", backend_type: "fs", anonymous_access: false, backend_options: { root: "/srv/alpha" } },
      {
        name: "beta",
        backend_type: "s3",
        anonymous_access: true,
        backend_options: { bucket_name: "real-beta", region: "eu-west-1" },
      },
    ],
    roles: [
      {
        role_id: "ci",
        name: "CI",
        trusted_oidc_issuers: ["https://token.actions.githubusercontent.com"],
        allowed_scopes: [{ bucket: "alpha", actions: ["get_object"] }],
      },
    ],
    credentials: [
      {
        access_key_id: "AKTEST",
        secret_access_key: "test-secret-value",
        principal_name: "tester",
        created_at: "2024-01-01T00:00:00Z",
        enabled: true,
        allowed_scopes: [{ bucket: "beta", prefixes: [], actions: ["get_object", "list_bucket"] }],
      },
    ],
  };
}

/** Runs `parse` and returns the issue messages of the ConfigError it must throw. */
export function issuesOf(parse: () => unknown): string[] {
  try {
    parse();
  } catch (error) {
    if (!isConfigError(error)) throw error;
    return error.issues.map((issue) => issue.message);
  }
  expect.fail("expected a ConfigError");
}
