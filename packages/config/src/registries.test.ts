import { describe, expect, it } from "vitest";
import type { BucketRegistry, CredentialRegistry } from "@multistore/core";
import { createStaticRegistries, parseConfig, parseTomlConfig } from "./index.js";
import { FULL_TOML, minimalConfig } from "./test-fixtures.js";

describe("createStaticRegistries", () => {
  const config = parseTomlConfig(FULL_TOML, { baseDirectory: "/etc/multistore" });
  const { buckets, credentials }: { buckets: BucketRegistry; credentials: CredentialRegistry } =
    createStaticRegistries(config);

  it("looks buckets up by exact name", () => {
    expect(buckets.getBucket("local-files")).toBe(config.buckets[1]);
    expect(buckets.getBucket("Local-Files")).toBeUndefined();
    expect(buckets.getBucket("missing")).toBeUndefined();
    expect(buckets.getBucket("__proto__")).toBeUndefined();
    expect(buckets.getBucket("constructor")).toBeUndefined();
  });

  it("lists buckets in config order, as a copy", () => {
    const listed = buckets.listBuckets() as unknown[];
    expect(listed).toEqual(config.buckets);
    listed.pop();
    expect(buckets.listBuckets()).toHaveLength(config.buckets.length);
  });

  it("looks credentials up by exact access key id", () => {
    expect(credentials.getCredential("AKPROXYEXAMPLE")).toBe(config.credentials[0]);
    expect(credentials.getCredential("akproxyexample")).toBeUndefined();
    expect(credentials.getCredential("toString")).toBeUndefined();
  });

  it("works on an empty config", () => {
    const empty = createStaticRegistries(parseConfig({}));
    expect(empty.buckets.listBuckets()).toEqual([]);
    expect(empty.credentials.getCredential("AKTEST")).toBeUndefined();
    expect(createStaticRegistries(parseConfig(minimalConfig())).credentials.getCredential("AKTEST")).toMatchObject({
      principal_name: "tester",
    });
  });
});

describe("createStaticRegistries roles", () => {
  it("looks roles up by exact role_id", () => {
    const config = parseTomlConfig(FULL_TOML, { baseDirectory: "/etc/multistore" });
    const { roles } = createStaticRegistries(config);
    expect(config.roles.length).toBeGreaterThan(0);
    expect(roles(config.roles[0]!.role_id)).toBe(config.roles[0]);
    expect(roles("no-such-role")).toBeUndefined();
    expect(roles("__proto__")).toBeUndefined();
    expect(createStaticRegistries({ buckets: [], credentials: [] }).roles("any")).toBeUndefined();
  });
});
