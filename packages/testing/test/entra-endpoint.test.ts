/**
 * The local Entra token endpoint: a good federated client assertion gets an access token Azurite can use; every
 * mismatch a real federated identity credential would refuse gets the matching OAuth error and AADSTS code.
 */
import { decodeJwt, decodeProtectedHeader, type JWTPayload } from "jose";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startEntraEndpoint, type EntraEndpoint } from "../src/entra-endpoint.js";
import { startOidcIssuer, type MintOptions, type OidcIssuer } from "../src/oidc-issuer.js";

const TENANT = "72f988bf-0000-4000-8000-00000000c0de";
const CLIENT = "0b1c2d3e-1111-4222-8333-444455556666";
const OBJECT = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";
const ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

let issuer: OidcIssuer;
let entra: EntraEndpoint;
let jwksUri = "";

beforeAll(async () => {
  issuer = await startOidcIssuer();
  // Set after the endpoint starts, as a proxy's URL would be: the endpoint must read it lazily.
  entra = await startEntraEndpoint({ issuer: issuer.issuer, jwksUri: () => jwksUri, tenantId: TENANT, clientId: CLIENT, objectId: OBJECT, expiresInSeconds: 1800 });
  jwksUri = `${issuer.issuer}/jwks`;
});

afterAll(async () => {
  await entra?.close();
  await issuer?.close();
});

beforeEach(() => entra.recover());

function assertion(claims: JWTPayload = {}, options?: MintOptions): Promise<string> {
  return issuer.mint({ sub: "s3-proxy", aud: "api://AzureADTokenExchange", ...claims }, options);
}

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

async function requestToken(fields: Record<string, string | undefined>, tenant = TENANT): Promise<Answer> {
  const form = new URLSearchParams();
  for (const [name, value] of Object.entries(fields)) if (value !== undefined) form.set(name, value);
  const response = await fetch(entra.tokenUrl(tenant), { method: "POST", body: form });
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function exchange(claims: JWTPayload = {}, overrides: Record<string, string | undefined> = {}, tenant = TENANT, options?: MintOptions): Promise<Answer> {
  const fields = { grant_type: "client_credentials", client_id: CLIENT, client_assertion_type: ASSERTION_TYPE, client_assertion: await assertion(claims, options), scope: "https://storage.azure.com/.default", ...overrides };
  return requestToken(fields, tenant);
}

function expectRefusal(answer: Answer, status: number, error: string, code: number): void {
  expect({ status: answer.status, error: answer.body["error"], codes: answer.body["error_codes"] }).toEqual({ status, error, codes: [code] });
  expect(answer.body["error_description"]).toMatch(new RegExp(`^AADSTS${code}: .+ Trace ID: [0-9a-f-]{36} Correlation ID: [0-9a-f-]{36} Timestamp: `));
  expect(answer.body["timestamp"]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
  expect(answer.body["trace_id"]).toMatch(/^[0-9a-f-]{36}$/);
  expect(answer.body["correlation_id"]).toMatch(/^[0-9a-f-]{36}$/);
  expect(answer.body).not.toHaveProperty("access_token");
}

describe("startEntraEndpoint", () => {
  it("exchanges a good federated assertion for a storage access token", async () => {
    const before = Math.floor(Date.now() / 1000);
    const answer = await exchange();
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ token_type: "Bearer", expires_in: 1800, ext_expires_in: 1800 });
    const token = answer.body["access_token"] as string;
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: "RS256", typ: "JWT" });
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({ iss: `https://sts.windows.net/${TENANT}/`, aud: "https://storage.azure.com", oid: OBJECT, tid: TENANT, sub: OBJECT, appid: CLIENT });
    expect(claims.iat).toBeGreaterThanOrEqual(before);
    expect(claims.nbf).toBe(claims.iat);
    expect(claims.exp).toBe(claims.iat! + 1800);
    const last = entra.exchanges.at(-1)!;
    expect(last).toMatchObject({ outcome: "ok", tenant: TENANT, clientId: CLIENT, claims: { iss: issuer.issuer, sub: "s3-proxy", aud: "api://AzureADTokenExchange" } });
    expect(entra.objectId).toBe(OBJECT);
    expect(entra.tokenUrl()).toBe(`${entra.authorityHost}/${TENANT}/oauth2/v2.0/token`);
  });

  it("refuses an assertion for another audience (AADSTS700212)", async () => {
    expectRefusal(await exchange({ aud: "multistore" }), 401, "invalid_client", 700212);
    expect(entra.exchanges.at(-1)!.outcome).toBe("invalid_client");
  });

  it("refuses an assertion from another issuer (AADSTS700211)", async () => {
    expectRefusal(await exchange({ iss: "https://token.actions.githubusercontent.com" }), 401, "invalid_client", 700211);
  });

  it("refuses an assertion for another subject (AADSTS700213)", async () => {
    const answer = await exchange({ sub: "someone-else" });
    expectRefusal(answer, 401, "invalid_client", 700213);
    expect(answer.body["error_description"]).toContain("'someone-else'");
  });

  it("refuses an expired or not yet valid assertion (AADSTS700024)", async () => {
    const now = Math.floor(Date.now() / 1000);
    expectRefusal(await exchange({ iat: now - 1200, exp: now - 600 }), 401, "invalid_client", 700024);
    expectRefusal(await exchange({ nbf: now + 600, exp: now + 1200 }), 401, "invalid_client", 700024);
  });

  it("refuses an assertion signed by a key the JWKS does not publish (AADSTS700027)", async () => {
    const answer = await exchange({}, {}, TENANT, { key: await issuer.strangerKey("RS256") });
    expectRefusal(answer, 401, "invalid_client", 700027);
    expect(entra.exchanges.at(-1)!.claims).toBeUndefined();
  });

  it("refuses malformed, unsigned or non-RS256 assertions (AADSTS50027)", async () => {
    expectRefusal(await exchange({}, { client_assertion: "not-a-jwt" }), 401, "invalid_client", 50027);
    expectRefusal(await exchange({}, {}, TENANT, { alg: "none" }), 401, "invalid_client", 50027);
    expectRefusal(await exchange({}, {}, TENANT, { alg: "ES256" }), 401, "invalid_client", 50027);
  });

  it("refuses an unknown client_id (AADSTS700016) and a missing one (AADSTS900144)", async () => {
    expectRefusal(await exchange({}, { client_id: "11111111-2222-4333-8444-555555555555" }), 400, "unauthorized_client", 700016);
    expect(entra.exchanges.at(-1)!.clientId).toBe("11111111-2222-4333-8444-555555555555");
    expectRefusal(await exchange({}, { client_id: undefined }), 400, "invalid_request", 900144);
    expect(entra.exchanges.at(-1)!.clientId).toBeUndefined();
  });

  it("refuses another tenant (AADSTS90002)", async () => {
    expectRefusal(await exchange({}, {}, "common"), 400, "invalid_request", 90002);
    expect(entra.exchanges.at(-1)!.tenant).toBe("common");
  });

  it("refuses another scope (AADSTS70011)", async () => {
    expectRefusal(await exchange({}, { scope: "https://management.azure.com/.default" }), 400, "invalid_scope", 70011);
    expectRefusal(await exchange({}, { scope: undefined }), 400, "invalid_scope", 70011);
  });

  it("refuses other grant types and a missing or mistyped assertion", async () => {
    expectRefusal(await exchange({}, { grant_type: "password" }), 400, "unsupported_grant_type", 70003);
    expectRefusal(await exchange({}, { client_assertion: undefined }), 401, "invalid_client", 7000218);
    expectRefusal(await exchange({}, { client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:saml2-bearer" }), 401, "invalid_client", 7000218);
  });

  it("fails every request after failWith until recover", async () => {
    entra.failWith("temporarily_unavailable", 503);
    expectRefusal(await exchange(), 503, "temporarily_unavailable", 90033);
    expectRefusal(await exchange(), 503, "temporarily_unavailable", 90033);
    entra.failWith("invalid_client", 401, 700213);
    expectRefusal(await exchange(), 401, "invalid_client", 700213);
    expect(entra.exchanges.slice(-3).map((entry) => entry.outcome)).toEqual(["temporarily_unavailable", "temporarily_unavailable", "invalid_client"]);
    entra.recover();
    expect((await exchange()).status).toBe(200);
  });

  it("fetches the JWKS again when an assertion carries an unknown kid (key rotation)", async () => {
    expect((await exchange()).status).toBe(200);
    const fetched = issuer.fetches.jwks;
    await issuer.rotateKeys();
    expect((await exchange()).status).toBe(200);
    expect(issuer.fetches.jwks).toBe(fetched + 1);
    expect((await exchange()).status).toBe(200);
    expect(issuer.fetches.jwks).toBe(fetched + 1);
  });

  it("answers AADSTS50166 when the issuer's JWKS cannot be fetched", async () => {
    const saved = jwksUri;
    jwksUri = `${issuer.issuer}/missing-jwks`;
    try {
      await issuer.rotateKeys();
      expectRefusal(await exchange(), 401, "invalid_client", 50166);
    } finally {
      jwksUri = saved;
    }
    expect((await exchange()).status).toBe(200);
  });

  it("answers 404 outside the token route", async () => {
    const response = await fetch(`${entra.authorityHost}/${TENANT}/oauth2/v2.0/authorize`, { method: "POST" });
    expect(response.status).toBe(404);
    await response.body?.cancel();
  });
});
