/** What the STS route refuses, and how: roles that cannot be probed, session policies, a failing role lookup, XML-safe answers. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runRoutes, type GatewayRequest } from "@multistore/core";
import { startOidcIssuer, type OidcIssuer } from "@multistore/testing";
import { createSessionTokenSealer, createStsRoute, generateSessionTokenKey, type StsRole, type StsRouteOptions } from "../src/index.js";

let idp: OidcIssuer;
let role: StsRole;
const sealer = createSessionTokenSealer({ keys: [generateSessionTokenKey()] });
beforeAll(async () => {
  idp = await startOidcIssuer();
  role = { role_id: "reader", trusted_oidc_issuers: [idp.issuer], required_audiences: ["multistore"], subject_conditions: ["user-*"], max_session_duration_secs: 3600, allowed_scopes: [] };
});
afterAll(() => idp.close());

async function call(query: URLSearchParams, roles: StsRouteOptions["roles"] = [role]) {
  const routes = createStsRoute({ roles, sealer, allowInsecureIssuers: true, onError: () => {} });
  const target = `/.sts?${query.toString().replace(/\+/g, "%20")}`;
  const request: GatewayRequest<unknown> = { method: "GET", target, headers: new Headers(), body: null, readBody: async () => new Uint8Array() };
  const response = await runRoutes(routes, request, { requestId: "REQ1", path: "/.sts", url: new URL(target, "http://proxy.test") });
  const text = typeof response?.body === "string" ? response.body : "";
  return { status: response?.status, code: /<Code>([^<]*)<\/Code>/.exec(text)?.[1], text };
}

/** A token no key signed, claiming the test issuer, with `header`. */
function handWritten(header: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${part(header)}.${part({ iss: idp.issuer, sub: "user-1", aud: "multistore", exp: Math.floor(Date.now() / 1000) + 600 })}.AAAA`;
}

const params = (roleArn: string, token: string, extra: Record<string, string> = {}) =>
  new URLSearchParams({ Action: "AssumeRoleWithWebIdentity", Version: "2011-06-15", RoleArn: roleArn, RoleSessionName: "s1", WebIdentityToken: token, ...extra });

describe("STS refusals", () => {
  it("answers a known and an unknown role alike for any token the role does not accept, so roles cannot be probed", async () => {
    const tokens = [
      await idp.mint({ iss: "https://untrusted.example" }),
      await idp.mint({ aud: "someone-else" }),
      await idp.mint({ sub: "robot-1" }),
      await idp.mint({}, { key: await idp.strangerKey() }),
      await idp.mint({}, { kid: "unknown-kid" }),
      // What jose refuses only once it verifies: a critical header it does not know, a signature that is no base64url.
      handWritten({ alg: "RS256", kid: "made-up", crit: ["zzz"], zzz: true }),
      `${(await idp.mint()).split(".").slice(0, 2).join(".")}.!!!!`,
    ];
    for (const token of tokens) {
      const known = await call(params("reader", token));
      const unknown = await call(params("admin", token));
      expect([known.status, known.code]).toEqual([403, "AccessDenied"]);
      expect(known.text).toBe(unknown.text);
    }
    // What the token says whatever the role (malformed, expired) is answered before the role is looked up.
    for (const token of ["x.y.z", await idp.mint({ exp: Math.floor(Date.now() / 1000) - 3600 })]) {
      const known = await call(params("reader", token));
      const unknown = await call(params("admin", token));
      expect([known.status, known.text]).toEqual([400, unknown.text]);
    }
    expect((await call(params("reader", await idp.mint()))).status).toBe(200);
  });

  it("refuses session policies rather than handing out credentials broader than asked for", async () => {
    const token = await idp.mint();
    const policy = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Deny", Action: "*", Resource: "*" }] });
    const sessionPolicies: Record<string, string>[] = [{ Policy: policy }, { "PolicyArns.member.1.arn": "arn:aws:iam::aws:policy/ReadOnlyAccess" }];
    for (const extra of sessionPolicies) {
      const refused = await call(params("reader", token, extra));
      expect([refused.status, refused.code]).toEqual([400, "InvalidParameterValue"]);
      expect(refused.text).toContain("Session policies");
    }
  });

  it("finds a role of an ARN by its id first, and answers 503 when the lookup fails", async () => {
    const asked: string[] = [];
    const registry = (id: string) => {
      asked.push(id);
      if (id === "reader") return role;
      throw new Error("registry unreachable");
    };
    expect((await call(params("arn:aws:iam::123456789012:role/reader", await idp.mint()), registry)).status).toBe(200);
    expect(asked).toEqual(["reader"]);
    const failing = await call(params("arn:aws:iam::123456789012:role/other", await idp.mint()), registry);
    expect([failing.status, failing.code]).toEqual([503, "ServiceUnavailable"]);
    expect(failing.text).not.toContain("unreachable");
  });

  it("answers well-formed XML whatever the caller's parameters and token hold", async () => {
    const refused = [await call(new URLSearchParams({ Action: "Assume\u0001Role" })), await call(params("reader", await idp.mint(), { Version: "2011\u0000" }))];
    for (const { status, text } of refused) {
      expect(status).toBe(400);
      // biome-ignore lint/suspicious/noControlCharactersInRegex: what XML cannot carry.
      expect(text).not.toMatch(/[\u0000-\u0008]/);
    }
    const open = { ...role, required_audiences: [], subject_conditions: [] };
    const audience = await call(params("reader", await idp.mint({ aud: "x\u0001y" })), [open]);
    expect([audience.status, audience.code]).toEqual([400, "InvalidIdentityToken"]);
  });
});
