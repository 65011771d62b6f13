import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig, parseJsonConfig, parseTomlConfig, type MultistoreConfig } from "./index.js";
import { FULL_TOML, SECRETS, issuesOf } from "./test-fixtures.js";

const EXPECTED: MultistoreConfig = {
  owner_id: "acme",
  owner_display_name: "ACME Corp",
  buckets: [
    {
      name: "public-data",
      backend_type: "s3",
      backend_prefix: "mirror/",
      anonymous_access: true,
      allowed_roles: ["deployer"],
      backend_options: {
        bucket_name: "acme-public",
        region: "us-east-1",
        endpoint: "https://s3.us-east-1.amazonaws.com",
        access_key_id: "AKIABACKEND",
        secret_access_key: "backend-secret-value",
        force_path_style: "true",
        skip_signature: "false",
      },
    },
    {
      name: "local-files",
      backend_type: "fs",
      anonymous_access: false,
      allowed_roles: [],
      backend_options: { root: "/etc/multistore/data/local" },
    },
    {
      name: "azure-archive",
      backend_type: "az",
      anonymous_access: false,
      allowed_roles: [],
      backend_options: { account_name: "acmestorage", container_name: "archive", access_key: "azure-secret-key-value" },
    },
    {
      name: "gcs-data",
      backend_type: "gcs",
      anonymous_access: false,
      allowed_roles: [],
      backend_options: {
        bucket_name: "acme-gcs",
        service_account_key: '{"type": "service_account", "private_key": "gcs-private-key-value"}',
      },
    },
    {
      name: "edge-cache",
      backend_type: "r2",
      anonymous_access: false,
      allowed_roles: [],
      backend_options: { binding: "EDGE_BUCKET" },
    },
  ],
  roles: [
    {
      role_id: "deployer",
      name: "GitHub Actions deployer",
      trusted_oidc_issuers: ["https://token.actions.githubusercontent.com"],
      required_audiences: ["sts.amazonaws.com"],
      subject_conditions: ["repo:acme/site:ref:refs/heads/main"],
      max_session_duration_secs: 7200,
      allowed_scopes: [{ bucket: "public-data", prefixes: ["site/"], actions: ["get_object", "put_object"] }],
    },
    {
      role_id: "reader",
      name: "Reader",
      trusted_oidc_issuers: ["https://accounts.google.com"],
      required_audiences: ["multistore", "other"],
      subject_conditions: [],
      max_session_duration_secs: 3600,
      allowed_scopes: [{ bucket: "*", prefixes: [], actions: ["list_bucket"] }],
    },
  ],
  credentials: [
    {
      access_key_id: "AKPROXYEXAMPLE",
      secret_access_key: "proxy-secret-value",
      principal_name: "dashboard",
      created_at: "2024-01-15T00:00:00Z",
      expires_at: "2030-01-01T00:00:00.000Z",
      enabled: true,
      allowed_scopes: [
        { bucket: "local-files", prefixes: ["reports/"], actions: ["get_object", "head_object", "list_bucket"] },
        { bucket: "*", prefixes: [], actions: ["get_object"] },
      ],
    },
  ],
};

describe("parseTomlConfig", () => {
  it("parses and normalizes a complete configuration", () => {
    const config = parseTomlConfig(FULL_TOML, { baseDirectory: "/etc/multistore", source: "multistore.toml" });
    expect(config).toStrictEqual(EXPECTED);
  });

  it("round-trips: the normalized config, as JSON, parses to itself", () => {
    const config = parseTomlConfig(FULL_TOML, { baseDirectory: "/etc/multistore" });
    expect(parseJsonConfig(JSON.stringify(config), { baseDirectory: "/elsewhere" })).toStrictEqual(config);
  });

  it("applies the owner defaults", () => {
    const config = parseTomlConfig("");
    expect(config).toStrictEqual({
      owner_id: "multistore-proxy",
      owner_display_name: "multistore-proxy",
      buckets: [],
      roles: [],
      credentials: [],
    });
  });

  it("reports a syntax error with the source, line and column", () => {
    const text = 'owner_id = "a"\n\n[[buckets]]\nname = \n';
    expect(issuesOf(() => parseTomlConfig(text, { source: "multistore.toml" }))).toEqual([
      'multistore.toml: syntax error at line 4, column 8: unexpected "\\n"',
    ]);
    expect(() => parseTomlConfig(text, { source: "multistore.toml" })).toThrow(ConfigError);
  });

  it("never quotes the document in syntax errors", () => {
    const text = 'secret_access_key = "proxy-secret-value" trailing';
    const message = (() => {
      try {
        parseTomlConfig(text);
      } catch (error) {
        return (error as Error).message;
      }
      return "";
    })();
    expect(message).toMatch(
      /^invalid multistore configuration \(TOML configuration\): 1 problem\n  - TOML configuration: syntax error at line 1/
    );
    expect(message).not.toContain("proxy-secret-value");
  });
});

describe("parseJsonConfig", () => {
  it("takes a document saved with a UTF-8 byte order mark, as the TOML loader does", () => {
    const config = parseConfig({ buckets: [], roles: [], credentials: [] });
    expect(parseJsonConfig(`\ufeff${JSON.stringify({ buckets: [], roles: [], credentials: [] })}`)).toStrictEqual(config);
  });

  it("reports a syntax error with its line and column", () => {
    const text = '{\n  "buckets": [],\n  "roles": [] x\n}';
    expect(issuesOf(() => parseJsonConfig(text, { source: "config.json" }))).toEqual([
      "config.json: syntax error at line 3, column 15: Expected ',' or '}' after property value",
    ]);
  });

  it("locates errors V8 reports without a position, without quoting the document", () => {
    const text = '{\n  "credentials": [{"secret_access_key": proxy-secret-value}]\n}';
    const [message] = issuesOf(() => parseJsonConfig(text));
    expect(message).toBe("JSON configuration: syntax error at line 2, column 41: Unexpected token 'p'");
    for (const secret of SECRETS) expect(message).not.toContain(secret);
  });

  it("reports truncated documents", () => {
    expect(issuesOf(() => parseJsonConfig('{"buckets": ['))).toEqual([
      "JSON configuration: syntax error at line 1, column 14: unexpected end of input",
    ]);
  });

  it("accepts a $schema reference and null for optional fields", () => {
    const config = parseJsonConfig(
      JSON.stringify({ $schema: "./node_modules/@multistore/config/schema.json", owner_id: null, buckets: [] })
    );
    expect(config).toStrictEqual({
      owner_id: "multistore-proxy",
      owner_display_name: "multistore-proxy",
      buckets: [],
      roles: [],
      credentials: [],
    });
  });
});

describe("parseConfig", () => {
  it("refuses text and points at the loaders", () => {
    expect(issuesOf(() => parseConfig("{}"))).toEqual([
      "the configuration must be a table (object) (got a string: parse text with parseJsonConfig or parseTomlConfig)",
    ]);
  });

  it("refuses a document that is not a table", () => {
    expect(issuesOf(() => parseConfig([]))).toEqual(["the configuration must be a table (object) (got a list)"]);
  });

  it("does not modify its input", () => {
    const input = {
      buckets: [{ name: "abc", backend_type: "fs", anonymous_access: true, backend_options: { root: "x" } }],
    };
    const copy = structuredClone(input);
    parseConfig(input, { baseDirectory: "/base" });
    expect(input).toStrictEqual(copy);
  });

  it("builds an error message listing every issue, one per line", () => {
    const error = (() => {
      try {
        parseConfig({ buckets: [{ name: "abc", backend_type: "fs" }], frobnicate: 1 }, { source: "env" });
      } catch (caught) {
        return caught as ConfigError;
      }
      throw new Error("no error");
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.name).toBe("ConfigError");
    expect(error.source).toBe("env");
    expect(error.issues.map((issue) => issue.path)).toEqual([
      "buckets[0].anonymous_access",
      "frobnicate",
      "buckets[0].backend_options.root",
    ]);
    expect(error.message).toBe(
      [
        "invalid multistore configuration (env): 3 problems",
        "  - buckets[0].anonymous_access is required: set it to true or false",
        "  - frobnicate is not a known field",
        '  - buckets[0].backend_options.root is required for backend_type "fs"',
      ].join("\n")
    );
  });
});

describe("CORS rules", () => {
  it("accepts global and per-bucket rules", () => {
    const config = parseTomlConfig(`
[[cors_rules]]
allowed_origins = ["https://app.example.com"]
allowed_methods = ["GET", "PUT"]
allowed_headers = ["*"]
expose_headers = ["ETag"]
max_age_secs = 600

[[buckets]]
name = "with-cors"
backend_type = "fs"
anonymous_access = false
backend_options = { root = "/tmp/x" }
[[buckets.cors_rules]]
allowed_origins = ["*"]
allowed_methods = ["GET"]
`);
    expect(config.cors_rules).toEqual([{ allowed_origins: ["https://app.example.com"], allowed_methods: ["GET", "PUT"], allowed_headers: ["*"], expose_headers: ["ETag"], max_age_secs: 600 }]);
    expect(config.buckets[0]!.cors_rules).toEqual([{ allowed_origins: ["*"], allowed_methods: ["GET"] }]);
  });

  it("names a bad method and an unknown field", () => {
    expect(() => parseConfig({ cors_rules: [{ allowed_origins: ["*"], allowed_methods: ["FETCH"], origin: "x" }] })).toThrow(
      /cors_rules\[0\]\.allowed_methods\[0\][\s\S]*cors_rules\[0\]\.origin is not a known field|cors_rules\[0\]\.origin is not a known field[\s\S]*cors_rules\[0\]\.allowed_methods\[0\]/,
    );
  });
});
