/** The STS route: parameters from query or form, POST / detection, validation, minting and the XML it answers. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runRoutes, S3Error, type GatewayRequest } from "@multistore/core";
import { startOidcIssuer, type OidcIssuer } from "@multistore/testing";
import { createSessionTokenSealer, createStsRoute, generateSessionTokenKey, type StsRole, type StsRouteOptions } from "../src/index.js";

let idp: OidcIssuer;
const sealer = createSessionTokenSealer({ keys: [generateSessionTokenKey()] });
let routes: ReturnType<typeof createStsRoute>;
let role: StsRole;
beforeAll(async () => {
  idp = await startOidcIssuer();
  role = {
    role_id: "reader",
    trusted_oidc_issuers: [idp.issuer],
    required_audiences: ["multistore"],
    subject_conditions: [],
    max_session_duration_secs: 7200,
    allowed_scopes: [{ bucket: "data", prefixes: ["users/{sub}/", "mail/{email}/"], actions: ["get_object"] }],
  };
  routes = createStsRoute({ roles: [role], sealer, allowInsecureIssuers: true });
});
afterAll(() => idp.close());

const FORM = { "content-type": "application/x-www-form-urlencoded; charset=utf-8" };

async function call(method: string, target: string, init: { headers?: Record<string, string>; body?: string } = {}, use = routes) {
  let bodyRead = false;
  const body = Buffer.from(init.body ?? "");
  const request: GatewayRequest<unknown> = {
    method,
    target,
    headers: new Headers(init.headers),
    body: init.body === undefined ? null : body,
    async readBody(limit) {
      bodyRead = true;
      if (body.length > limit) throw new S3Error("EntityTooLarge");
      return body;
    },
  };
  const url = new URL(target, "http://proxy.test");
  const response = await runRoutes(use, request, { requestId: "REQ123", path: target.split("?")[0]!, url });
  const text = typeof response?.body === "string" ? response.body : "";
  const field = (name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(text)?.[1];
  return { response, status: response?.status, text, field, bodyRead };
}

const params = async (extra: Record<string, string> = {}, claims = {}) =>
  new URLSearchParams({ Action: "AssumeRoleWithWebIdentity", Version: "2011-06-15", RoleArn: "reader", RoleSessionName: "s1", WebIdentityToken: await idp.mint(claims), ...extra });

describe("STS route", () => {
  it("answers AssumeRoleWithWebIdentity in the query string with AWS STS XML and sealed credentials", async () => {
    const before = Date.now();
    const { status, text, field, response } = await call("GET", `/.sts?${await params({}, { sub: "alice", email: "a@x.org" })}`);
    expect(status).toBe(200);
    expect(response?.headers.get("content-type")).toBe("text/xml");
    expect(text).toContain('<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleWithWebIdentityResult>');
    expect(field("AccessKeyId")).toMatch(/^STSPRXY[A-Z0-9]{13}$/);
    expect(field("SubjectFromWebIdentityToken")).toBe("alice");
    expect(field("Audience")).toBe("multistore");
    expect(field("Provider")).toBe(idp.issuer);
    expect(field("Arn")).toBe("arn:aws:sts:::assumed-role/reader/s1");
    expect(field("AssumedRoleId")).toBe("reader:s1");
    expect(field("RequestId")).toBe("REQ123");
    const expiration = Date.parse(field("Expiration")!);
    expect(field("Expiration")).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Math.abs(expiration - before - 3600_000)).toBeLessThan(5_000);
    const sealed = await sealer.unseal(field("SessionToken")!);
    expect(sealed).toMatchObject({
      accessKeyId: field("AccessKeyId"),
      secretAccessKey: field("SecretAccessKey"),
      roleId: "reader",
      subject: "alice",
      principalName: "assumed-role/reader/s1",
      scopes: [{ bucket: "data", prefixes: ["users/alice/", "mail/a@x.org/"], actions: ["get_object"] }],
    });
    expect(sealed?.expiresAt.getTime()).toBe(expiration);
  });

  it("reads a form-encoded POST body, on the STS path (with or without a trailing /) and on POST /", async () => {
    for (const path of ["/.sts", "/.sts/", "/"]) {
      const result = await call("POST", path, { headers: FORM, body: String(await params()) });
      expect(result.status, path).toBe(200);
      expect(result.field("AccessKeyId")).toMatch(/^STSPRXY/);
    }
  });

  it("declines POST / that is not STS, without reading bodies that are not forms", async () => {
    const xml = await call("POST", "/", { headers: { "content-type": "application/xml" }, body: "<Delete/>" });
    expect(xml.response).toBeUndefined();
    expect(xml.bodyRead).toBe(false);
    expect((await call("POST", "/", { headers: FORM, body: "a=b" })).response).toBeUndefined();
    // `POST /?delete` on a virtual host (curl -d sends a form content type): S3's, body unread.
    const deleteObjects = await call("POST", "/?delete", { headers: FORM, body: String(await params()) });
    expect([deleteObjects.response, deleteObjects.bodyRead]).toEqual([undefined, false]);
    expect((await call("GET", "/?Action=AssumeRoleWithWebIdentity")).response).toBeUndefined();
    const other = await call("POST", "/", { headers: FORM, body: "Action=GetCallerIdentity&Version=2011-06-15" });
    expect(other.status).toBe(400);
    expect(other.field("Code")).toBe("InvalidAction");
  });

  it("serves a configured path, and can leave POST / alone", async () => {
    const custom = createStsRoute({ roles: [role], sealer, allowInsecureIssuers: true, path: "/auth/sts", rootPost: false });
    expect((await call("GET", `/auth/sts?${await params()}`, {}, custom)).status).toBe(200);
    expect((await call("GET", `/.sts?${await params()}`, {}, custom)).response).toBeUndefined();
    expect((await call("POST", "/", { headers: FORM, body: String(await params()) }, custom)).response).toBeUndefined();
    expect(() => createStsRoute({ roles: [], sealer, path: "/" })).toThrow(/STS path/);
  });

  it("refuses form bodies over 64 KiB", async () => {
    const body = `${await params()}&Padding=${"x".repeat(64 * 1024)}`;
    const result = await call("POST", "/.sts", { headers: FORM, body });
    expect(result.status).toBe(413);
    expect(result.text).toMatch(/<ErrorResponse xmlns="https:\/\/sts.amazonaws.com\/doc\/2011-06-15\/"><Error><Type>Sender<\/Type><Code>RequestEntityTooLarge<\/Code>/);
  });

  it("answers a body the client cut short or stalled as the client's error, reporting no internal failure", async () => {
    const reported: unknown[] = [];
    const quiet = createStsRoute({ roles: [], sealer, onError: (error) => reported.push(error) });
    for (const cut of [new S3Error("IncompleteBody"), new S3Error("RequestTimeout")]) {
      const request: GatewayRequest<unknown> = { method: "POST", target: "/.sts", headers: new Headers(FORM), body: null, readBody: async () => Promise.reject(cut) };
      const response = await runRoutes(quiet, request, { requestId: "REQ9", path: "/.sts", url: new URL("http://proxy.test/.sts") });
      expect([response?.status, /<Code>(\w+)<\/Code>/.exec(String(response?.body))?.[1]], cut.code).toEqual([400, "InvalidParameterValue"]);
    }
    expect(reported).toEqual([]);
  });

  it("validates parameters", async () => {
    const cases: [Record<string, string>, string, number][] = [
      [{ Action: "" }, "MissingAction", 400],
      [{ Action: "AssumeRole" }, "InvalidAction", 400],
      [{ Version: "2020-01-01" }, "InvalidParameterValue", 400],
      [{ RoleArn: "" }, "MissingParameter", 400],
      [{ WebIdentityToken: "" }, "MissingParameter", 400],
      [{ RoleSessionName: "x" }, "InvalidParameterValue", 400],
      [{ RoleSessionName: "has space" }, "InvalidParameterValue", 400],
      [{ DurationSeconds: "12.5" }, "InvalidParameterValue", 400],
      [{ DurationSeconds: "-1" }, "InvalidParameterValue", 400],
      [{ WebIdentityToken: "not-a-jwt" }, "InvalidIdentityToken", 400],
      [{ RoleArn: "nobody" }, "AccessDenied", 403],
      [{ RoleArn: "arn:aws:iam::123456789012:role/nobody" }, "AccessDenied", 403],
    ];
    for (const [extra, code, status] of cases) {
      const result = await call("GET", `/.sts?${await params(extra)}`);
      expect([result.field("Code"), result.status], JSON.stringify(extra)).toEqual([code, status]);
      expect(result.field("RequestId")).toBe("REQ123");
    }
    const put = await call("PUT", "/.sts");
    expect(put.field("Code")).toBe("InvalidAction");
  });

  it("takes a call without RoleSessionName (as the original multistore does), naming the session web-identity", async () => {
    for (const extra of [{ RoleSessionName: "" }, {}] as Record<string, string>[]) {
      const query = await params(extra);
      query.delete("RoleSessionName");
      if ("RoleSessionName" in extra) query.set("RoleSessionName", "");
      const result = await call("GET", `/.sts?${query}`);
      expect([result.status, result.field("Arn")]).toEqual([200, "arn:aws:sts:::assumed-role/reader/web-identity"]);
    }
  });

  it("accepts a role ARN whose last path part is the role id", async () => {
    for (const arn of ["arn:aws:iam::123456789012:role/reader", "arn:aws:iam::123456789012:role/some/path/reader"]) {
      expect((await call("GET", `/.sts?${await params({ RoleArn: arn })}`)).status).toBe(200);
    }
    const lookup: StsRouteOptions["roles"] = async (id) => (id === "reader" ? role : undefined);
    const viaLookup = createStsRoute({ roles: lookup, sealer, allowInsecureIssuers: true });
    expect((await call("GET", `/.sts?${await params()}`, {}, viaLookup)).status).toBe(200);
  });

  it("passes jwksShareInFlight to its JWKS cache: concurrent cold requests fetch once shared, once each unshared", async () => {
    for (const [share, expected] of [[undefined, 1], [true, 1], [false, 3]] as const) {
      let jwksFetches = 0;
      const counting = (input: RequestInfo | URL, init?: RequestInit) => {
        if (String(input).endsWith("/jwks")) jwksFetches++;
        return fetch(input, init);
      };
      const use = createStsRoute({ roles: [role], sealer, allowInsecureIssuers: true, fetch: counting, ...(share !== undefined && { jwksShareInFlight: share }) });
      const queries = await Promise.all([params(), params(), params()]);
      const results = await Promise.all(queries.map((query) => call("GET", `/.sts?${query}`, {}, use)));
      expect(results.map((result) => result.status), String(share)).toEqual([200, 200, 200]);
      expect(jwksFetches, String(share)).toBe(expected);
    }
  });

  it("clamps DurationSeconds to [900, max_session_duration_secs]", async () => {
    for (const [requested, expected] of [["60", 900], ["1000", 1000], ["43200", 7200]] as const) {
      const before = Math.floor(Date.now() / 1000) * 1000;
      const result = await call("GET", `/.sts?${await params({ DurationSeconds: requested })}`);
      const lifetime = (Date.parse(result.field("Expiration")!) - before) / 1000;
      expect(lifetime - expected, requested).toBeGreaterThanOrEqual(0);
      expect(lifetime - expected, requested).toBeLessThan(3);
    }
  });

  it("maps token failures to STS errors", async () => {
    const error = async (claims: Record<string, unknown>) => (await call("GET", `/.sts?${await params({}, claims)}`)).field("Code");
    const t = Math.floor(Date.now() / 1000);
    expect(await error({ exp: t - 3600 })).toBe("ExpiredTokenException");
    expect(await error({ aud: "nope" })).toBe("AccessDenied");
    expect(await error({ iss: "https://untrusted.example" })).toBe("AccessDenied");
    const noKeys = createStsRoute({ roles: [role], sealer });
    expect((await call("GET", `/.sts?${await params()}`, {}, noKeys)).field("Code")).toBe("IDPCommunicationError");
  });
});
