import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import Value from "typebox/value";
import { parseTomlConfig } from "./index.js";
import { ConfigSchema, createConfigJsonSchema } from "./schema-entry.js";
import { FULL_TOML, minimalConfig } from "./test-fixtures.js";

// Written by the build (`node dist/emit-json-schema.js`); turbo runs the build before the tests.
const emitted: unknown = JSON.parse(readFileSync(new URL("../schema/config.schema.json", import.meta.url), "utf8"));
const schema = emitted as Record<string, unknown>;

describe("schema/config.schema.json", () => {
  it("is the current schema in the 2020-12 dialect", () => {
    expect(schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(emitted).toStrictEqual(createConfigJsonSchema());
  });

  it("accepts valid configurations", () => {
    expect(Value.Check(schema, minimalConfig())).toBe(true);
    const normalized = parseTomlConfig(FULL_TOML, { baseDirectory: "/etc/multistore" });
    expect(Value.Check(schema, JSON.parse(JSON.stringify(normalized)))).toBe(true);
    expect(Value.Check(schema, { $schema: "./config.schema.json" })).toBe(true);
  });

  it.each<[string, (config: Record<string, any>) => void]>([
    ["an unknown top-level field", (c) => (c.frobnicate = 1)],
    ["an unknown bucket field", (c) => (c.buckets[0].frobnicate = 1)],
    ["an unknown scope field", (c) => (c.credentials[0].allowed_scopes[0].frobnicate = 1)],
    ["an unknown backend option", (c) => (c.buckets[1].backend_options.frobnicate = "x")],
    ["a missing required backend option", (c) => delete c.buckets[1].backend_options.bucket_name],
    ["a missing anonymous_access", (c) => delete c.buckets[0].anonymous_access],
    ["an unknown action", (c) => c.credentials[0].allowed_scopes[0].actions.push("get")],
    ["a bad bucket name", (c) => (c.buckets[0].name = "-Bad_Name")],
    ["a bad date", (c) => (c.credentials[0].created_at = "yesterday")],
    ["half a key pair", (c) => (c.buckets[1].backend_options.access_key_id = "AK")],
    ["oidc without a role", (c) => (c.buckets[1].backend_options.auth_type = "oidc")],
  ])("rejects %s", (_, change) => {
    const config = minimalConfig();
    change(config);
    expect(Value.Check(schema, config)).toBe(false);
  });

  it("accepts TOML-style booleans and numbers in backend options", () => {
    const config = minimalConfig();
    Object.assign(config.buckets[1].backend_options, { skip_signature: true, force_path_style: "false" });
    expect(Value.Check(schema, config)).toBe(true);
  });
});

describe("ConfigSchema", () => {
  it("is plain JSON Schema usable by TypeBox's validator", () => {
    expect(Value.Check(ConfigSchema, minimalConfig())).toBe(true);
    expect(Value.Check(ConfigSchema, { ...minimalConfig(), frobnicate: 1 })).toBe(false);
  });
});
