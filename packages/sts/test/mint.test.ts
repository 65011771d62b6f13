/** Minting: access key ids, secrets, session length, and claim templates in scopes (which must never widen). */
import { describe, expect, it } from "vitest";
import { isAllowed, type BucketConfig, type Identity } from "@multistore/core";
import { expandScopes, fillTemplate, newAccessKeyId, newSecretAccessKey, sessionDuration } from "../src/index.js";

const bucket = (name: string): BucketConfig => ({ name, backend_type: "fs", anonymous_access: false, allowed_roles: ["r"], backend_options: {} });
const identity = (scopes: ReturnType<typeof expandScopes>): Identity => ({ type: "credential", accessKeyId: "STSPRXY", principalName: "p", scopes, roleId: "r" });

describe("keys and durations", () => {
  it("mints recognisable, random access key ids and 40-character secrets", () => {
    const ids = new Set(Array.from({ length: 200 }, newAccessKeyId));
    expect(ids.size).toBe(200);
    for (const id of ids) expect(id).toMatch(/^STSPRXY[A-Z0-9]{13}$/);
    const secret = newSecretAccessKey();
    expect(secret).toHaveLength(40);
    expect(secret).not.toBe(newSecretAccessKey());
  });

  it("clamps the session to [900, max], 3600 by default", () => {
    expect(sessionDuration(undefined, 43200)).toBe(3600);
    expect(sessionDuration(undefined, 1800)).toBe(1800);
    expect(sessionDuration(60, 43200)).toBe(900);
    expect(sessionDuration(0, 43200)).toBe(900);
    expect(sessionDuration(7200, 43200)).toBe(7200);
    expect(sessionDuration(999_999, 7200)).toBe(7200);
  });
});

describe("claim templates", () => {
  it("fills string claims, and refuses missing, non-string, empty and wildcard values", () => {
    const claims = { sub: "alice", email: "a@example.com", n: 7, empty: "", star: "*", nested: { a: "b" } };
    expect(fillTemplate("users/{sub}/", claims)).toBe("users/alice/");
    expect(fillTemplate("{email}/{sub}", claims)).toBe("a@example.com/alice");
    expect(fillTemplate("plain/", claims)).toBe("plain/");
    expect(fillTemplate("{not a template}/", claims)).toBe("{not a template}/");
    for (const name of ["missing", "n", "empty", "star", "nested"]) expect(fillTemplate(`users/{${name}}/`, claims), name).toBeUndefined();
  });

  it("expands the role's scopes per token", () => {
    const scopes = [
      { bucket: "data", prefixes: ["users/{sub}/", "shared/"], actions: ["get_object"] },
      { bucket: "team-{team}", prefixes: [], actions: ["list_bucket"] },
      { bucket: "public", prefixes: [], actions: ["get_object"] },
    ];
    expect(expandScopes(scopes, { sub: "alice", team: "blue" })).toEqual([
      { bucket: "data", prefixes: ["users/alice/", "shared/"], actions: ["get_object"] },
      { bucket: "team-blue", prefixes: [], actions: ["list_bucket"] },
      { bucket: "public", prefixes: [], actions: ["get_object"] },
    ]);
    // Without `team` the templated bucket's scope is gone; without `sub` only the shared prefix remains.
    expect(expandScopes(scopes, { sub: "" })).toEqual([
      { bucket: "data", prefixes: ["shared/"], actions: ["get_object"] },
      { bucket: "public", prefixes: [], actions: ["get_object"] },
    ]);
  });

  it("an empty substitution matches nothing: users/{sub}/ never becomes users// nor the whole bucket", () => {
    const scopes = [{ bucket: "data", prefixes: ["users/{sub}/"], actions: ["get_object", "list_bucket"] }];
    for (const claims of [{ sub: "" }, {}, { sub: 42 }, { sub: "*" }]) {
      const expanded = expandScopes(scopes, claims);
      expect(expanded).toEqual([]);
      const who = identity(expanded);
      for (const key of ["users//secret", "users/alice/x", "users/", "other"]) {
        expect(isAllowed(who, "get_object", bucket("data"), { key })).toBe(false);
      }
      expect(isAllowed(who, "list_bucket", bucket("data"), { listPrefix: "users//" })).toBe(false);
      expect(isAllowed(who, "list_bucket", bucket("data"), { listPrefix: "" })).toBe(false);
    }
    const alice = identity(expandScopes(scopes, { sub: "alice" }));
    expect(isAllowed(alice, "get_object", bucket("data"), { key: "users/alice/x" })).toBe(true);
    expect(isAllowed(alice, "get_object", bucket("data"), { key: "users//secret" })).toBe(false);
    expect(isAllowed(alice, "get_object", bucket("data"), { key: "users/alicex/y" })).toBe(false);
  });

  it("a templated bucket can never become the * wildcard", () => {
    const scopes = [{ bucket: "{tenant}", prefixes: [], actions: ["get_object"] }];
    expect(expandScopes(scopes, { tenant: "*" })).toEqual([]);
    expect(expandScopes(scopes, {})).toEqual([]);
    expect(expandScopes(scopes, { tenant: "acme" })).toEqual([{ bucket: "acme", prefixes: [], actions: ["get_object"] }]);
  });
});
