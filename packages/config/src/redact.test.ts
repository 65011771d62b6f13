import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig, parseTomlConfig, redactConfig, REDACTED } from "./index.js";
import { FULL_TOML, SECRETS } from "./test-fixtures.js";

describe("redactConfig", () => {
  const config = parseTomlConfig(FULL_TOML, { baseDirectory: "/etc/multistore" });

  it("removes every secret", () => {
    const printed = JSON.stringify(redactConfig(config));
    for (const secret of SECRETS) expect(printed).not.toContain(secret);
    expect(printed).not.toContain("private_key");
  });

  it("keeps everything else, access key ids included", () => {
    const redacted = redactConfig(config) as typeof config;
    expect(redacted.credentials[0]?.access_key_id).toBe("AKPROXYEXAMPLE");
    expect(redacted.credentials[0]?.secret_access_key).toBe(REDACTED);
    expect(redacted.buckets[0]?.backend_options).toStrictEqual({
      ...config.buckets[0]?.backend_options,
      secret_access_key: REDACTED,
    });
    expect(redacted.buckets[2]?.backend_options.access_key).toBe(REDACTED);
    expect(redacted.buckets[3]?.backend_options.service_account_key).toBe(REDACTED);
    expect(redacted.roles).toStrictEqual(config.roles);
  });

  it("redacts password- and token-like options and works on raw documents", () => {
    const redacted = redactConfig({
      buckets: [{ backend_options: { db_password: "pw1", session_token: "tok1", Api_Key: "k1", region: "r" } }],
      when: new Date("2024-01-01T00:00:00Z"),
    });
    expect(redacted).toStrictEqual({
      buckets: [
        { backend_options: { db_password: REDACTED, session_token: REDACTED, Api_Key: REDACTED, region: "r" } },
      ],
      when: "2024-01-01T00:00:00.000Z",
    });
  });

  it("leaves its input alone", () => {
    redactConfig(config);
    expect(config.credentials[0]?.secret_access_key).toBe("proxy-secret-value");
  });
});

describe("error messages", () => {
  it("never contain secret values", () => {
    const secretValued = parseTomlConfig(FULL_TOML);
    const broken = JSON.parse(JSON.stringify(secretValued)) as Record<string, any>;
    // Break everything next to the secrets so their fields are in error paths.
    broken.buckets[0].backend_options.access_key_id = undefined;
    broken.buckets[0].backend_options.skip_signature = "maybe";
    broken.buckets[2].backend_options.access_key = "";
    broken.buckets[3].backend_options.service_account_key = "gcs-private-key-value";
    broken.credentials[0].secret_access_key = ["proxy-secret-value"];
    broken.credentials.push({ ...secretValued.credentials[0] });
    let message = "";
    try {
      parseConfig(broken);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      message = (error as ConfigError).message;
    }
    expect(message).toContain("credentials[0].secret_access_key must be a string (got a list)");
    expect(message).toContain("service_account_key must be a JSON document");
    expect(message).toContain("buckets[0].backend_options.access_key_id is required when secret_access_key is set");
    expect(message).toContain("buckets[2].backend_options.access_key must not be empty");
    expect(message).toContain('credentials[1].access_key_id: "AKPROXYEXAMPLE" is already used by credentials[0]');
    for (const secret of SECRETS) expect(message).not.toContain(secret);
  });
});
