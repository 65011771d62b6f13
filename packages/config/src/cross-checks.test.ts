import { describe, expect, it } from "vitest";
import { parseConfig } from "./index.js";
import { issuesOf, minimalConfig } from "./test-fixtures.js";

function issuesAfter(change: (config: Record<string, any>) => void): string[] {
  const config = minimalConfig();
  change(config);
  return issuesOf(() => parseConfig(config));
}

describe("uniqueness", () => {
  it("rejects duplicate bucket names", () => {
    expect(
      issuesAfter((c) =>
        c.buckets.push({ name: "alpha", backend_type: "fs", anonymous_access: true, backend_options: { root: "/a2" } })
      )
    ).toEqual(['buckets[2].name: "alpha" is already used by buckets[0] (bucket names must be unique)']);
  });

  it("rejects duplicate access key ids, naming the id but not the secret", () => {
    const issues = issuesAfter((c) => c.credentials.push({ ...c.credentials[0], secret_access_key: "other-secret" }));
    expect(issues).toEqual([
      'credentials[1].access_key_id: "AKTEST" is already used by credentials[0] (access key ids must be unique)',
    ]);
  });

  it("rejects duplicate role ids", () => {
    expect(issuesAfter((c) => c.roles.push({ ...c.roles[0], name: "Other" }))).toEqual([
      'roles[1].role_id: "ci" is already used by roles[0] (role ids must be unique)',
    ]);
  });

  it("treats names case-sensitively", () => {
    const config = minimalConfig();
    config.credentials.push({ ...config.credentials[0], access_key_id: "aktest" });
    expect(parseConfig(config).credentials).toHaveLength(2);
  });
});

describe("references", () => {
  it("rejects scopes naming no configured bucket", () => {
    expect(
      issuesAfter((c) => {
        c.credentials[0].allowed_scopes.push({ bucket: "nope", actions: ["get_object"] });
        c.roles[0].allowed_scopes[0].bucket = "Alpha";
      })
    ).toEqual([
      'credentials[0].allowed_scopes[1].bucket: "nope" is not a configured bucket (configured: alpha, beta; use "*" for every bucket)',
      'roles[0].allowed_scopes[0].bucket: "Alpha" is not a configured bucket (configured: alpha, beta; use "*" for every bucket)',
    ]);
  });

  it("says when no bucket is configured at all", () => {
    expect(issuesOf(() => parseConfig({ credentials: [{ ...minimalConfig().credentials[0] }] }))).toEqual([
      'credentials[0].allowed_scopes[0].bucket: "beta" is not a configured bucket (no buckets are configured; use "*" for every bucket)',
    ]);
  });

  it('accepts "*" for every bucket and defaults prefixes', () => {
    const config = minimalConfig();
    config.credentials[0].allowed_scopes = [{ bucket: "*", actions: ["put_object"] }];
    expect(parseConfig(config).credentials[0]?.allowed_scopes).toStrictEqual([
      { bucket: "*", prefixes: [], actions: ["put_object"] },
    ]);
  });

  it("warns about allowed_roles naming no configured role, and loads", () => {
    const warningsAfter = (change: (config: Record<string, any>) => void) => {
      const config = minimalConfig();
      change(config);
      const warnings: string[] = [];
      parseConfig(config, { onWarning: (message) => warnings.push(message), source: "test.toml" });
      return warnings;
    };
    expect(warningsAfter((c) => (c.buckets[0].allowed_roles = ["ci", "deploy"]))).toEqual([
      'test.toml: buckets[0].allowed_roles[1]: "deploy" is not a configured role_id (configured: ci); it grants nothing',
    ]);
    expect(
      warningsAfter((c) => {
        c.roles = [];
        c.buckets[1].allowed_roles = ["ci"];
      })
    ).toEqual(['test.toml: buckets[1].allowed_roles[0]: "ci" is not a configured role_id (no roles are configured); it grants nothing']);
    // "*" lets every role in: nothing to warn about.
    expect(warningsAfter((c) => (c.buckets[0].allowed_roles = ["*"]))).toEqual([]);
  });

  it("lets role scopes name claim templates (filled in by STS), not only configured buckets", () => {
    const config = minimalConfig();
    config.roles[0].allowed_scopes[0].bucket = "{sub}";
    expect(parseConfig(config).roles[0]!.allowed_scopes[0]!.bucket).toBe("{sub}");
    expect(issuesAfter((c) => (c.roles[0].allowed_scopes[0].bucket = "sub"))[0]).toContain('"sub" is not a configured bucket');
  });
});

describe("role audiences", () => {
  const audiencesOf = (role: Record<string, unknown>) => {
    const config = minimalConfig();
    Object.assign(config.roles[0], role);
    return parseConfig(config).roles[0]?.required_audiences;
  };

  it("normalizes every spelling to a list", () => {
    expect(audiencesOf({})).toEqual([]);
    expect(audiencesOf({ required_audience: "sts.amazonaws.com" })).toEqual(["sts.amazonaws.com"]);
    expect(audiencesOf({ required_audiences: "multistore" })).toEqual(["multistore"]);
    expect(audiencesOf({ required_audiences: ["a", "b"] })).toEqual(["a", "b"]);
  });

  it("drops the legacy field from the normalized role and applies defaults", () => {
    const config = minimalConfig();
    config.roles[0].required_audience = "aud";
    expect(parseConfig(config).roles[0]).toStrictEqual({
      role_id: "ci",
      name: "CI",
      trusted_oidc_issuers: ["https://token.actions.githubusercontent.com"],
      required_audiences: ["aud"],
      subject_conditions: [],
      max_session_duration_secs: 3600,
      allowed_scopes: [{ bucket: "alpha", prefixes: [], actions: ["get_object"] }],
    });
  });

  it("rejects both spellings at once", () => {
    expect(
      issuesAfter((c) => {
        c.roles[0].required_audience = "a";
        c.roles[0].required_audiences = ["b"];
      })
    ).toEqual(["roles[0].required_audience: set either required_audiences or the legacy required_audience, not both"]);
  });
});
