import { describe, expect, it } from "vitest";
import { ACTIONS } from "@multistore/core";
import { parseConfig, parseTomlConfig } from "./index.js";
import { issuesOf, minimalConfig } from "./test-fixtures.js";

function issuesAfter(change: (config: Record<string, any>) => void): string[] {
  const config = minimalConfig();
  change(config);
  return issuesOf(() => parseConfig(config));
}

describe("structural errors", () => {
  it("accepts the minimal config", () => {
    expect(parseConfig(minimalConfig()).buckets).toHaveLength(2);
  });

  it("requires anonymous_access and says how to set it", () => {
    expect(issuesAfter((c) => delete c.buckets[0].anonymous_access)).toEqual([
      "buckets[0].anonymous_access is required: set it to true or false",
    ]);
  });

  it("rejects unknown fields everywhere", () => {
    expect(
      issuesAfter((c) => {
        c.buckets.push({
          name: "gamma",
          backend_type: "fs",
          anonymous_access: false,
          frobnicate: 1,
          backend_options: { root: "/g" },
        });
        c.frobnicate = true;
        c.roles[0].allowed_scopes[0].colour = "red";
        c.credentials[0].Enabled = true;
      })
    ).toEqual([
      "buckets[2].frobnicate is not a known field",
      "roles[0].allowed_scopes[0].colour is not a known field",
      "credentials[0].Enabled is not a known field (did you mean enabled?)",
      "frobnicate is not a known field",
    ]);
  });

  it("names the closest known field of a misspelt one", () => {
    expect(
      issuesAfter((c) => {
        c.bukets = [];
        c.buckets[0].anonymous_acess = true;
        c.credentials[0].secret_acces_key = "x";
        c.roles[0].max_session_duration_sec = 3600;
      })
    ).toEqual(
      expect.arrayContaining([
        "bukets is not a known field (did you mean buckets?)",
        "buckets[0].anonymous_acess is not a known field (did you mean anonymous_access?)",
        "credentials[0].secret_acces_key is not a known field (did you mean secret_access_key?)",
        "roles[0].max_session_duration_sec is not a known field (did you mean max_session_duration_secs?)",
      ])
    );
  });

  it("names invalid actions and lists the valid ones", () => {
    expect(issuesAfter((c) => (c.credentials[0].allowed_scopes[0].actions = ["get_object", "get"]))).toEqual([
      `credentials[0].allowed_scopes[0].actions[1]: "get" is not an action (expected one of: ${ACTIONS.join(", ")})`,
    ]);
  });

  it("accepts an empty actions list, which grants nothing", () => {
    const config = minimalConfig();
    config.roles[0].allowed_scopes[0].actions = [];
    expect(parseConfig(config).roles[0]!.allowed_scopes[0]!.actions).toEqual([]);
  });

  it.each([["ab"], ["a".repeat(256)], ["-leading"], ["sp ace"], ["sla/sh"]])("rejects the bucket name %j", (name) => {
    expect(issuesAfter((c) => (c.buckets[0].name = name))).toEqual([
      `buckets[0].name: ${JSON.stringify(name)} is not a valid bucket name (3-255 characters: letters, digits, ".", ` +
        '"_", "-" and ":", starting with a letter or digit; 3-63 lowercase letters, digits, "." and "-" for virtual-hosted style)',
      // The scope naming the old name "alpha" no longer finds it.
      'roles[0].allowed_scopes[0].bucket: "alpha" is not a configured bucket (configured: ' +
        `${name}, beta; use "*" for every bucket)`,
    ]);
  });

  it.each([["My_Data"], ["a".repeat(64)], ["Upper"], ["trailing."], ["noaa:goes16"]])(
    "loads the legacy bucket name %j with a warning that it cannot be used virtual-hosted",
    (name) => {
      const config = minimalConfig();
      config.buckets[0].name = name;
      config.roles[0].allowed_scopes[0].bucket = name;
      const warnings: string[] = [];
      expect(parseConfig(config, { onWarning: (message) => warnings.push(message) }).buckets[0]!.name).toBe(name);
      expect(warnings).toEqual([
        `buckets[0].name: ${JSON.stringify(name)} cannot be used in a host name (virtual-hosted style needs 3-63 ` +
          'lowercase letters, digits, "." and "-"): clients must address it path-style',
      ]);
    }
  );

  it("accepts bucket names at the length limits", () => {
    const config = minimalConfig();
    config.buckets[0].name = "a.b";
    config.buckets[1].name = "9".repeat(63);
    config.roles[0].allowed_scopes[0].bucket = "*";
    config.credentials[0].allowed_scopes[0].bucket = "*";
    expect(parseConfig(config).buckets.map((bucket) => bucket.name)).toEqual(["a.b", "9".repeat(63)]);
  });

  it("reports wrong types with what was expected", () => {
    expect(
      issuesAfter((c) => {
        c.owner_id = 7;
        c.buckets[0].name = 42;
        c.buckets[0].allowed_roles = "ci";
        c.buckets[1].backend_options = ["x"];
        c.credentials[0].enabled = "yes";
        c.roles[0].required_audiences = [1];
      })
    ).toEqual([
      // Document order: owner_id was added last. Scopes naming "alpha" are not reported: a name is unreadable.
      "buckets[0].name must be a string (got an integer)",
      "buckets[0].allowed_roles must be a list of strings (got a string)",
      "buckets[1].backend_options must be a table (object) (got a list)",
      "roles[0].required_audiences[0] must be a string (got an integer)",
      "credentials[0].enabled must be true or false (got a string)",
      "owner_id must be a string (got an integer)",
    ]);
  });

  it("rejects non-scalar backend option values", () => {
    expect(issuesAfter((c) => (c.buckets[0].backend_options.root = { path: "/x" }))).toEqual([
      "buckets[0].backend_options.root must be a string, a number or a boolean (got a table)",
    ]);
    // 1e309 parses to Infinity: the message must not say it is of a kind the field takes.
    expect(issuesAfter((c) => (c.buckets[0].backend_options.root = Number.POSITIVE_INFINITY))).toEqual([
      "buckets[0].backend_options.root must be a string, a number or a boolean (got a number out of range)",
    ]);
  });

  it("cannot be tricked by __proto__ keys", () => {
    const config = JSON.parse(
      '{"__proto__": {"polluted": 1}, "buckets": [{"name": "abc", "backend_type": "fs", "anonymous_access": true,' +
        ' "backend_options": {"root": "/x", "__proto__": "y"}}]}'
    ) as unknown;
    expect(issuesOf(() => parseConfig(config))).toEqual([
      "__proto__ is not a known field",
      'buckets[0].backend_options.__proto__ is not a known option for backend_type "fs" (expected one of: root, temp_max_age_secs, multipart_max_age_secs, sweep_interval_secs, encrypted_at_rest)',
    ]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("reports missing required fields", () => {
    expect(
      issuesAfter((c) => {
        delete c.buckets[1].name;
        delete c.credentials[0].secret_access_key;
        delete c.credentials[0].enabled;
        delete c.roles[0].name;
      })
    ).toEqual([
      "buckets[1].name is required",
      "roles[0].name is required",
      "credentials[0].secret_access_key is required",
      "credentials[0].enabled is required: set it to true or false",
    ]);
  });

  it("rejects empty strings without echoing secrets", () => {
    expect(
      issuesAfter((c) => {
        c.credentials[0].secret_access_key = "";
        c.credentials[0].principal_name = "";
      })
    ).toEqual([
      "credentials[0].secret_access_key must not be empty",
      "credentials[0].principal_name must not be empty",
    ]);
  });

  it("validates access key ids", () => {
    expect(issuesAfter((c) => (c.credentials[0].access_key_id = "AK/TEST"))).toEqual([
      'credentials[0].access_key_id: "AK/TEST" is not a valid access key id (no whitespace or "/")',
    ]);
  });

  it("validates ISO 8601 dates", () => {
    expect(
      issuesAfter((c) => {
        c.credentials[0].created_at = "yesterday";
        c.credentials[0].expires_at = "2024-02-30T00:00:00Z";
      })
    ).toEqual([
      'credentials[0].created_at: "yesterday" is not an ISO 8601 date-time (e.g. 2024-01-15T00:00:00Z)',
      'credentials[0].expires_at: "2024-02-30T00:00:00Z" is not an ISO 8601 date-time (e.g. 2024-01-15T00:00:00Z)',
    ]);
  });

  it("accepts offsets, fractions and TOML date-times", () => {
    const config = parseTomlConfig(`
[[credentials]]
access_key_id = "AK1"
secret_access_key = "s"
principal_name = "p"
created_at = 2024-01-15T10:00:00+02:00
expires_at = "2030-06-01T12:30:00.5-05:00"
enabled = false
allowed_scopes = []
`);
    expect(config.credentials[0]).toMatchObject({
      created_at: "2024-01-15T08:00:00.000Z",
      expires_at: "2030-06-01T12:30:00.5-05:00",
      enabled: false,
    });
  });

  it("clamps max_session_duration_secs into 900..43200 with a warning, and wants an integer", () => {
    for (const [written, used] of [[60, 900], [43201, 43200], [3600, 3600]] as const) {
      const config = minimalConfig();
      config.roles[0].max_session_duration_secs = written;
      const warnings: string[] = [];
      expect(parseConfig(config, { onWarning: (message) => warnings.push(message) }).roles[0]!.max_session_duration_secs).toBe(used);
      expect(warnings).toEqual(written === used ? [] : [`roles[0].max_session_duration_secs: ${written} is outside 900..43200; using ${used}`]);
    }
    expect(issuesAfter((c) => (c.roles[0].max_session_duration_secs = 3600.5))).toEqual([
      "roles[0].max_session_duration_secs must be an integer (got a decimal number)",
    ]);
  });

  it("takes trusted issuers as URLs; a role without any (or without scopes) loads but can grant nothing", () => {
    const config = minimalConfig();
    delete config.roles[0].trusted_oidc_issuers;
    delete config.roles[0].allowed_scopes;
    const warnings: string[] = [];
    const role = parseConfig(config, { onWarning: (message) => warnings.push(message) }).roles[0]!;
    expect([role.trusted_oidc_issuers, role.allowed_scopes]).toEqual([[], []]);
    expect(warnings).toEqual(["roles[0].trusted_oidc_issuers: no issuers are trusted, so no token can assume this role"]);
    expect(issuesAfter((c) => (c.roles[0].trusted_oidc_issuers = ["token.actions.githubusercontent.com"]))).toEqual([
      'roles[0].trusted_oidc_issuers[0]: "token.actions.githubusercontent.com" is not an OIDC issuer URL (https://...)',
    ]);
    // An http issuer loads, said once: STS would refuse it on every call (loopback ones are test issuers).
    const plain = minimalConfig();
    plain.roles[0].trusted_oidc_issuers = ["http://issuer.example", "http://127.0.0.1:8080", "https://issuer.example"];
    const remarks: string[] = [];
    parseConfig(plain, { onWarning: (message) => remarks.push(message) });
    expect(remarks).toEqual(['roles[0].trusted_oidc_issuers[0]: "http://issuer.example" is not https; STS fetches issuers over https only, so no token from it can assume this role']);
  });

  it("reports every issue of a list, with positions kept", () => {
    expect(
      issuesAfter((c) => {
        c.buckets[0] = "alpha";
        c.buckets[1].anonymous_access = "no";
      })
    ).toEqual([
      "buckets[0] must be a table (object) (got a string)",
      "buckets[1].anonymous_access must be true or false (got a string)",
    ]);
  });
});
