/** Authorization: prefix rules, anonymous access, scopes, roles and bucket visibility. */
import { describe, expect, it } from "vitest";
import { ACTIONS, isAllowed, S3Error, type AccessScope, type Action, type BucketConfig, type Identity } from "../src/index.js";
import { authorize, canUseBucket, prefixCoversListing, prefixMatches } from "../src/authorize.js";

function bucket(name: string, extra: Partial<BucketConfig> = {}): BucketConfig {
  return { name, backend_type: "memory", anonymous_access: false, backend_options: {}, ...extra };
}

function caller(scopes: AccessScope[], roleId?: string): Identity {
  return { type: "credential", accessKeyId: "AKID", principalName: "tester", scopes, ...(roleId !== undefined && { roleId }) };
}

const anonymous: Identity = { type: "anonymous" };
const READS: Action[] = ["get_object", "get_object_version", "head_object", "list_bucket"];
const WRITES = ACTIONS.filter((action) => !READS.includes(action));

describe("prefixMatches", () => {
  it("matches a bare prefix as a file or a directory, never as a string prefix", () => {
    expect(prefixMatches("data", "data")).toBe(true);
    expect(prefixMatches("data", "data/x")).toBe(true);
    expect(prefixMatches("data", "data/a/b")).toBe(true);
    expect(prefixMatches("data", "data-private/x")).toBe(false);
    expect(prefixMatches("data", "data-private")).toBe(false);
    expect(prefixMatches("data", "datax")).toBe(false);
    expect(prefixMatches("data", "dat")).toBe(false);
    expect(prefixMatches("data", "other/data/x")).toBe(false);
  });

  it("treats a prefix ending in / as a plain string prefix", () => {
    expect(prefixMatches("data/", "data/x")).toBe(true);
    expect(prefixMatches("data/", "data/")).toBe(true);
    expect(prefixMatches("data/", "data")).toBe(false);
    expect(prefixMatches("data/", "data-private/x")).toBe(false);
  });

  it("matches everything with the empty prefix", () => {
    expect(prefixMatches("", "anything")).toBe(true);
    expect(prefixMatches("", "a/b/c")).toBe(true);
  });

  it("is case- and byte-exact", () => {
    expect(prefixMatches("Data", "data/x")).toBe(false);
    expect(prefixMatches("café", "café/x")).toBe(true);
    expect(prefixMatches("cafe", "café/x")).toBe(false);
  });
});

describe("prefixCoversListing", () => {
  it("covers listings inside the prefix's directory only", () => {
    expect(prefixCoversListing("data", "data/")).toBe(true);
    expect(prefixCoversListing("data", "data/sub")).toBe(true);
    expect(prefixCoversListing("data", "data")).toBe(false);
    expect(prefixCoversListing("data", "dat")).toBe(false);
    expect(prefixCoversListing("data", "")).toBe(false);
    expect(prefixCoversListing("data", "data-private/")).toBe(false);
  });

  it("uses a trailing-slash prefix as is", () => {
    expect(prefixCoversListing("data/", "data/")).toBe(true);
    expect(prefixCoversListing("data/", "data/x")).toBe(true);
    expect(prefixCoversListing("data/", "data")).toBe(false);
  });

  it("covers every listing with the empty prefix", () => {
    expect(prefixCoversListing("", "")).toBe(true);
    expect(prefixCoversListing("", "anything")).toBe(true);
  });
});

describe("isAllowed / authorize: anonymous callers", () => {
  const open = bucket("public", { anonymous_access: true });
  const closed = bucket("private");

  it("may read and list an anonymous_access bucket", () => {
    for (const action of READS) {
      expect(isAllowed(anonymous, action, open, { key: "any/key" })).toBe(true);
      expect(isAllowed(anonymous, action, open, { listPrefix: "" })).toBe(true);
    }
  });

  it("may never write, even to an anonymous_access bucket", () => {
    for (const action of WRITES) {
      expect(isAllowed(anonymous, action, open, { key: "k" })).toBe(false);
      expect(() => authorize(anonymous, action, open, { key: "k" })).toThrow(S3Error);
    }
  });

  it("may do nothing on other buckets", () => {
    for (const action of ACTIONS) expect(isAllowed(anonymous, action, closed, { key: "k" })).toBe(false);
  });

  it("throws 403 AccessDenied", () => {
    try {
      authorize(anonymous, "get_object", closed, { key: "k" });
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({ code: "AccessDenied", status: 403 });
    }
  });
});

describe("isAllowed: credentials and scopes", () => {
  const data = bucket("data");
  const reader = caller([{ bucket: "data", prefixes: ["reports"], actions: ["get_object", "list_bucket"] }]);

  it("grants only the scope's actions on the scope's bucket", () => {
    expect(isAllowed(reader, "get_object", data, { key: "reports/q1.csv" })).toBe(true);
    expect(isAllowed(reader, "head_object", data, { key: "reports/q1.csv" })).toBe(false);
    expect(isAllowed(reader, "put_object", data, { key: "reports/q1.csv" })).toBe(false);
    expect(isAllowed(reader, "get_object", bucket("other"), { key: "reports/q1.csv" })).toBe(false);
  });

  it("limits keys by prefix with the directory rule", () => {
    expect(isAllowed(reader, "get_object", data, { key: "reports" })).toBe(true);
    expect(isAllowed(reader, "get_object", data, { key: "reports-secret/x" })).toBe(false);
    expect(isAllowed(reader, "get_object", data, { key: "other/x" })).toBe(false);
  });

  it("limits listings to prefixes inside the scope", () => {
    expect(isAllowed(reader, "list_bucket", data, { listPrefix: "reports/" })).toBe(true);
    expect(isAllowed(reader, "list_bucket", data, { listPrefix: "reports/2024/" })).toBe(true);
    expect(isAllowed(reader, "list_bucket", data, { listPrefix: "reports" })).toBe(false);
    expect(isAllowed(reader, "list_bucket", data, { listPrefix: "" })).toBe(false);
  });

  it("grants the whole bucket with no prefixes, and bucket-only targets regardless of prefixes", () => {
    const whole = caller([{ bucket: "data", prefixes: [], actions: ["list_bucket", "delete_object"] }]);
    expect(isAllowed(whole, "list_bucket", data, { listPrefix: "" })).toBe(true);
    expect(isAllowed(whole, "delete_object", data, { key: "any/where" })).toBe(true);
    expect(isAllowed(reader, "list_bucket", data, { bucketOnly: true })).toBe(true);
    expect(isAllowed(reader, "put_object", data, { bucketOnly: true })).toBe(false);
  });

  it("accepts any of several scopes and prefixes", () => {
    const multi = caller([
      { bucket: "data", prefixes: ["a", "b/"], actions: ["put_object"] },
      { bucket: "logs", prefixes: [], actions: ["get_object"] },
    ]);
    expect(isAllowed(multi, "put_object", data, { key: "a/1" })).toBe(true);
    expect(isAllowed(multi, "put_object", data, { key: "b/1" })).toBe(true);
    expect(isAllowed(multi, "put_object", data, { key: "c/1" })).toBe(false);
    expect(isAllowed(multi, "get_object", bucket("logs"), { key: "x" })).toBe(true);
    expect(isAllowed(multi, "get_object", data, { key: "a/1" })).toBe(false);
  });

  it("applies a * scope to every bucket", () => {
    const everywhere = caller([{ bucket: "*", prefixes: ["shared/"], actions: ["get_object"] }]);
    expect(isAllowed(everywhere, "get_object", data, { key: "shared/x" })).toBe(true);
    expect(isAllowed(everywhere, "get_object", bucket("zzz"), { key: "shared/x" })).toBe(true);
    expect(isAllowed(everywhere, "get_object", data, { key: "private/x" })).toBe(false);
  });

  it("grants nothing with no scopes", () => {
    for (const action of ACTIONS) expect(isAllowed(caller([]), action, data, { key: "k" })).toBe(false);
  });

  it("keeps anonymous read rights for authenticated callers", () => {
    const open = bucket("public", { anonymous_access: true });
    const unrelated = caller([{ bucket: "elsewhere", prefixes: [], actions: ["put_object"] }]);
    for (const action of READS) expect(isAllowed(unrelated, action, open, { key: "k" })).toBe(true);
    expect(isAllowed(unrelated, "put_object", open, { key: "k" })).toBe(false);
    const role = caller([], "etl");
    expect(isAllowed(role, "get_object", open, { key: "k" })).toBe(true);
  });
});

describe("roles", () => {
  const scope: AccessScope = { bucket: "*", prefixes: [], actions: ["get_object", "put_object"] };

  it("lets role credentials use only buckets that allow the role", () => {
    const etl = caller([scope], "etl");
    expect(isAllowed(etl, "get_object", bucket("a", { allowed_roles: ["etl"] }), { key: "k" })).toBe(true);
    expect(isAllowed(etl, "get_object", bucket("b", { allowed_roles: ["other"] }), { key: "k" })).toBe(false);
    expect(isAllowed(etl, "get_object", bucket("c"), { key: "k" })).toBe(false);
    expect(isAllowed(etl, "get_object", bucket("d", { allowed_roles: [] }), { key: "k" })).toBe(false);
    expect(isAllowed(etl, "put_object", bucket("e", { allowed_roles: ["*"] }), { key: "k" })).toBe(true);
  });

  it("does not restrict long-lived credentials (no roleId)", () => {
    expect(isAllowed(caller([scope]), "get_object", bucket("b", { allowed_roles: ["other"] }), { key: "k" })).toBe(true);
  });

  it("still needs a scope when the role is allowed", () => {
    const etl = caller([{ bucket: "a", prefixes: [], actions: ["get_object"] }], "etl");
    expect(isAllowed(etl, "put_object", bucket("a", { allowed_roles: ["etl"] }), { key: "k" })).toBe(false);
  });
});

describe("canUseBucket", () => {
  it("shows anonymous_access buckets to everyone", () => {
    const open = bucket("public", { anonymous_access: true });
    expect(canUseBucket(anonymous, open)).toBe(true);
    expect(canUseBucket(caller([]), open)).toBe(true);
  });

  it("hides other buckets from anonymous callers", () => {
    expect(canUseBucket(anonymous, bucket("private"))).toBe(false);
  });

  it("shows buckets a scope names (or *) with at least one action", () => {
    expect(canUseBucket(caller([{ bucket: "data", prefixes: ["x"], actions: ["get_object"] }]), bucket("data"))).toBe(true);
    expect(canUseBucket(caller([{ bucket: "data", prefixes: [], actions: ["get_object"] }]), bucket("other"))).toBe(false);
    expect(canUseBucket(caller([{ bucket: "*", prefixes: [], actions: ["list_bucket"] }]), bucket("other"))).toBe(true);
    expect(canUseBucket(caller([{ bucket: "data", prefixes: [], actions: [] }]), bucket("data"))).toBe(false);
  });

  it("applies allowed_roles to role credentials", () => {
    const scopes: AccessScope[] = [{ bucket: "*", prefixes: [], actions: ["get_object"] }];
    expect(canUseBucket(caller(scopes, "etl"), bucket("a", { allowed_roles: ["etl"] }))).toBe(true);
    expect(canUseBucket(caller(scopes, "etl"), bucket("a", { allowed_roles: ["ops"] }))).toBe(false);
    expect(canUseBucket(caller(scopes, "etl"), bucket("a"))).toBe(false);
    expect(canUseBucket(caller(scopes), bucket("a", { allowed_roles: ["ops"] }))).toBe(true);
  });
});
