/** Token verification against a role, and the JWKS cache, with a local OIDC issuer. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOidcIssuer, type OidcIssuer } from "@multistore/testing";
import { checkIssuerUrl, createJwksCache, globMatches, verifyWebIdentityToken, type TrustPolicy } from "../src/index.js";

let idp: OidcIssuer;
let policy: TrustPolicy;
beforeAll(async () => {
  idp = await startOidcIssuer();
  policy = { trusted_oidc_issuers: [idp.issuer], required_audiences: ["multistore"], subject_conditions: ["repo:acme/*:ref:*", "user-*"] };
});
afterAll(() => idp.close());

const cache = () => createJwksCache({ allowInsecureIssuers: true });
const now = () => Date.now();
const secs = () => Math.floor(Date.now() / 1000);
async function failure(promise: Promise<unknown>) {
  return promise.then(() => undefined, (error: unknown) => error as { code: string; message: string; cause?: unknown });
}

describe("verifyWebIdentityToken", () => {
  it("accepts RS256 and ES256 tokens and reports subject, issuer and matched audience", async () => {
    const keys = cache();
    const rs = await verifyWebIdentityToken(await idp.mint({ aud: ["other", "multistore"] }), policy, keys, now());
    expect(rs).toMatchObject({ subject: "user-1", issuer: idp.issuer, audience: "multistore" });
    const es = await verifyWebIdentityToken(await idp.mint({ sub: "repo:acme/app:ref:main" }, { alg: "ES256" }), policy, keys, now());
    expect(es.subject).toBe("repo:acme/app:ref:main");
  });

  it("rejects untrusted issuers, wrong audiences and unmatched subjects", async () => {
    const keys = cache();
    // What the role refuses answers as an unknown role does (role ids and their issuers cannot be probed); why is kept.
    const denied = await failure(verifyWebIdentityToken(await idp.mint({ aud: "someone-else" }), policy, keys, now()));
    expect(denied).toMatchObject({ code: "AccessDenied", message: "Not authorized to perform sts:AssumeRoleWithWebIdentity." });
    expect(String(denied?.cause)).toContain("Incorrect token audience.");
    expect(await failure(verifyWebIdentityToken(await idp.mint({ iss: "https://evil.example" }), policy, keys, now()))).toMatchObject({ code: "AccessDenied" });
    expect(await failure(verifyWebIdentityToken(await idp.mint({ aud: undefined }), policy, keys, now()))).toMatchObject({ code: "AccessDenied" });
    expect(await failure(verifyWebIdentityToken(await idp.mint({ sub: "repo:other/app:ref:main" }), policy, keys, now()))).toMatchObject({ code: "AccessDenied" });
    expect(await failure(verifyWebIdentityToken(await idp.mint({ sub: undefined }), policy, keys, now()))).toMatchObject({ code: "InvalidIdentityToken" });
    // Without audiences or subject conditions the role takes any.
    const open = { ...policy, required_audiences: [], subject_conditions: [] };
    expect((await verifyWebIdentityToken(await idp.mint({ aud: "x", sub: "anyone" }), open, keys, now())).audience).toBe("x");
    // ... but not a subject XML cannot carry (echoed into the answer), nor an audience claim of another shape (a 500).
    for (const sub of ["a\u0000b", "a\u0001", "\ud800"]) {
      expect(await failure(verifyWebIdentityToken(await idp.mint({ sub }), open, keys, now())), JSON.stringify(sub)).toMatchObject({ code: "InvalidIdentityToken" });
    }
    for (const aud of [[5], [null], [["a"]], { 0: {} }]) {
      expect(await failure(verifyWebIdentityToken(await idp.mint({ aud, sub: "anyone" } as never), open, keys, now())), JSON.stringify(aud)).toMatchObject({ code: "InvalidIdentityToken" });
    }
  });

  it("verifies a token without kid against each published key of its algorithm", async () => {
    const crowded = await startOidcIssuer();
    try {
      await crowded.publishExtraKey("RS256");
      await crowded.publishExtraKey("RS256");
      const own = { ...policy, trusted_oidc_issuers: [crowded.issuer] };
      const verified = await verifyWebIdentityToken(await crowded.mint({}, { kid: null }), own, cache(), now());
      expect(verified.subject).toBe("user-1");
      const forged = await crowded.mint({}, { kid: null, key: await crowded.strangerKey() });
      expect(await failure(verifyWebIdentityToken(forged, own, cache(), now()))).toMatchObject({ code: "AccessDenied" });
    } finally {
      await crowded.close();
    }
  });

  it("checks exp, nbf and iat with 60 s of clock skew", async () => {
    const keys = cache();
    const t = secs();
    const verify = async (claims: Record<string, number>) => failure(verifyWebIdentityToken(await idp.mint(claims), policy, keys, t * 1000));
    expect(await verify({ exp: t - 30 })).toBeUndefined();
    expect(await verify({ exp: t - 61 })).toMatchObject({ code: "ExpiredTokenException" });
    expect(await verify({ nbf: t + 30 })).toBeUndefined();
    expect(await verify({ nbf: t + 120 })).toMatchObject({ code: "InvalidIdentityToken", message: expect.stringContaining("not valid yet") });
    expect(await verify({ iat: t + 120 })).toMatchObject({ code: "InvalidIdentityToken" });
    expect(await failure(verifyWebIdentityToken(await idp.mint({ exp: undefined }), policy, keys, now()))).toMatchObject({ code: "InvalidIdentityToken" });
  });

  it("rejects bad signatures, alg none, HS256 and other algorithms", async () => {
    const keys = cache();
    const forged = await idp.mint({}, { key: await idp.strangerKey() });
    const refused = await failure(verifyWebIdentityToken(forged, policy, keys, now()));
    expect([refused?.code, String(refused?.cause)]).toEqual(["AccessDenied", expect.stringContaining("signature")]);
    const good = await idp.mint();
    const [header, payload] = good.split(".");
    const otherPayload = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, "base64url").toString()), sub: "user-2" })).toString("base64url");
    expect(await failure(verifyWebIdentityToken(`${header}.${otherPayload}.${good.split(".")[2]}`, policy, keys, now()))).toMatchObject({ code: "AccessDenied" });
    for (const alg of ["none", "HS256"] as const) {
      expect(await failure(verifyWebIdentityToken(await idp.mint({}, { alg }), policy, keys, now()))).toMatchObject({ code: "InvalidIdentityToken", message: expect.stringContaining("RS256 or ES256") });
    }
    for (const token of ["", "a.b", "a.b.c", "x.y.z.w.v", good.replace(/\./g, "")]) {
      expect(await failure(verifyWebIdentityToken(token, policy, keys, now())), token).toMatchObject({ code: "InvalidIdentityToken" });
    }
  });

  it("refetches the JWKS for an unknown kid after a rotation, at most once per 30 s", async () => {
    let clock = Date.now();
    const keys = createJwksCache({ allowInsecureIssuers: true, now: () => clock });
    const before = { ...idp.fetches };
    await verifyWebIdentityToken(await idp.mint(), policy, keys, clock);
    await verifyWebIdentityToken(await idp.mint(), policy, keys, clock);
    expect(idp.fetches.jwks - before.jwks).toBe(1);
    await idp.rotateKeys();
    await verifyWebIdentityToken(await idp.mint(), policy, keys, clock);
    expect(idp.fetches.jwks - before.jwks).toBe(2);
    // Made-up kids cannot make us hammer the issuer: no further refetch within 30 s of the last one.
    for (let index = 0; index < 3; index++) {
      expect(await failure(verifyWebIdentityToken(await idp.mint({}, { kid: `nope-${index}` }), policy, keys, clock))).toMatchObject({ code: "AccessDenied" });
    }
    await idp.rotateKeys();
    expect(await failure(verifyWebIdentityToken(await idp.mint(), policy, keys, clock + 29_000))).toMatchObject({ code: "AccessDenied" });
    expect(idp.fetches.jwks - before.jwks).toBe(2);
    clock += 30_000;
    await verifyWebIdentityToken(await idp.mint(), policy, keys, clock);
    expect(idp.fetches.jwks - before.jwks).toBe(3);
    // After the TTL the keys are fetched again even for known kids.
    clock += 10 * 60_000;
    await verifyWebIdentityToken(await idp.mint({ exp: secs() + 3600 }), policy, keys, clock);
    expect(idp.fetches.jwks - before.jwks).toBe(4);
  });

  it("answers IDPCommunicationError when discovery fails, and fetches only https (or loopback http when allowed)", async () => {
    const gone = await startOidcIssuer();
    const token = await gone.mint();
    await gone.close();
    const gonePolicy = { ...policy, trusted_oidc_issuers: [gone.issuer] };
    expect(await failure(verifyWebIdentityToken(token, gonePolicy, cache(), now()))).toMatchObject({ code: "IDPCommunicationError" });
    const strict = createJwksCache();
    expect(await failure(verifyWebIdentityToken(await idp.mint(), policy, strict, now()))).toMatchObject({ code: "IDPCommunicationError", message: expect.stringContaining("https") });
    expect(() => checkIssuerUrl("http://example.com", true)).toThrow(/https/);
    expect(() => checkIssuerUrl("http://127.0.0.1:9", true)).not.toThrow();
    expect(() => checkIssuerUrl("http://[::1]:9", true)).not.toThrow();
    expect(() => checkIssuerUrl("https://issuer.example", false)).not.toThrow();
  });

  it("answers IDPCommunicationError for broken discovery documents", async () => {
    const documents: Record<string, unknown> = {};
    const fake = async (url: string | URL | Request) => {
      const body = documents[String(url)];
      return body === undefined ? new Response("no", { status: 404 }) : new Response(typeof body === "string" ? body : JSON.stringify(body));
    };
    const issuer = "https://idp.example";
    const keys = createJwksCache({ fetch: fake as typeof fetch });
    const attempt = () => keys.keys(issuer).then(() => undefined, (error: unknown) => error as { code: string; message: string; cause?: unknown });
    expect(await attempt()).toMatchObject({ code: "IDPCommunicationError", message: expect.stringContaining("404") });
    documents[`${issuer}/.well-known/openid-configuration`] = { issuer: "https://other.example", jwks_uri: `${issuer}/jwks` };
    expect(await attempt()).toMatchObject({ message: expect.stringContaining("names another issuer") });
    documents[`${issuer}/.well-known/openid-configuration`] = { issuer, jwks_uri: "http://idp.example/jwks" };
    expect(await attempt()).toMatchObject({ message: expect.stringContaining("must use https") });
    documents[`${issuer}/.well-known/openid-configuration`] = { issuer, jwks_uri: `${issuer}/jwks` };
    documents[`${issuer}/jwks`] = "not json";
    expect(await attempt()).toMatchObject({ message: expect.stringContaining("not a JSON object") });
    documents[`${issuer}/jwks`] = { keys: [] };
    expect(await attempt()).toBeUndefined();
  });
});

describe("globMatches", () => {
  it("matches * as any run of characters, nothing else special", () => {
    expect(globMatches("user-*", "user-1")).toBe(true);
    expect(globMatches("user-*", "user-")).toBe(true);
    expect(globMatches("user-*", "admin-user-1")).toBe(false);
    expect(globMatches("repo:acme/*:ref:*", "repo:acme/app:ref:refs/heads/main")).toBe(true);
    expect(globMatches("a.c", "abc")).toBe(false);
    expect(globMatches("*", "")).toBe(true);
    expect(globMatches("exact", "exact")).toBe(true);
    expect(globMatches("exact", "exactly")).toBe(false);
    expect(globMatches("*a*a*a*a*a*b", "a".repeat(5000))).toBe(false);
  });
});
