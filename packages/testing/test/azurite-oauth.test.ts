/**
 * Azurite over HTTPS with OAuth (`startAzurite({ tls, oauth })`) and a token from the local Entra endpoint: the
 * workload identity federation path end to end, client assertion -> access token -> Get User Delegation Key ->
 * user delegation SAS, with the test CA trusted explicitly (never by turning verification off).
 */
import { createHmac } from "node:crypto";
import { rmSync } from "node:fs";
import * as tls from "node:tls";
import { decodeJwt, generateKeyPair, SignJWT, type JWTPayload } from "jose";
import { Agent, fetch as undiciFetch } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAzurite, type AzuriteHandle } from "../src/azurite.js";
import { createTestCa, type TestCa } from "../src/clients/tls.js";
import { startEntraEndpoint, type EntraEndpoint } from "../src/entra-endpoint.js";
import { startOidcIssuer, type OidcIssuer } from "../src/oidc-issuer.js";

const TENANT = "72f988bf-0000-4000-8000-00000000c0de";
const CLIENT = "0b1c2d3e-1111-4222-8333-444455556666";
const VERSION = "2021-12-02";
const CONTAINER = "federated";

let ca: TestCa;
let azurite: AzuriteHandle;
let issuer: OidcIssuer;
let entra: EntraEndpoint;
let agent: Agent;
let token: string;

/** A request to Azurite that trusts the test CA and nothing else. */
async function azure(path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; code: string | null; body: string }> {
  const response = await undiciFetch(`${azurite.endpoint}${path}`, { ...init, dispatcher: agent });
  return { status: response.status, code: response.headers.get("x-ms-error-code"), body: await response.text() };
}

const bearer = (value: string) => ({ authorization: `Bearer ${value}`, "x-ms-version": VERSION });
/** Azure's SAS and KeyInfo time format: ISO 8601 UTC without milliseconds. */
const azureTime = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
const xmlValue = (xml: string, name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];

function keyInfo(start: string, expiry: string): string {
  return `<?xml version="1.0" encoding="utf-8"?><KeyInfo><Start>${start}</Start><Expiry>${expiry}</Expiry></KeyInfo>`;
}

/** The token Entra issued, with some claims changed and signed by another key (Azurite does not check signatures). */
async function forged(changes: JWTPayload): Promise<string> {
  const { privateKey } = await generateKeyPair("RS256");
  return new SignJWT({ ...decodeJwt(token), ...changes }).setProtectedHeader({ alg: "RS256", typ: "JWT" }).sign(privateKey);
}

beforeAll(async () => {
  ca = createTestCa();
  azurite = await startAzurite({ tls: { cert: ca.cert, key: ca.key, ca: ca.ca }, oauth: true });
  // Shared Key over HTTPS through the harness's own CA-trusting client: global fetch does not trust the test CA.
  await azurite.createContainer(CONTAINER);
  agent = new Agent({ connect: { ca: ca.ca } });
  issuer = await startOidcIssuer();
  entra = await startEntraEndpoint({ issuer: issuer.issuer, jwksUri: () => `${issuer.issuer}/jwks`, tenantId: TENANT, clientId: CLIENT });
  const assertion = await issuer.mint({ sub: "s3-proxy", aud: "api://AzureADTokenExchange" });
  const form = new URLSearchParams({ grant_type: "client_credentials", client_id: CLIENT, client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", client_assertion: assertion, scope: "https://storage.azure.com/.default" });
  const response = await fetch(entra.tokenUrl(), { method: "POST", body: form });
  expect(response.status).toBe(200);
  token = ((await response.json()) as { access_token: string }).access_token;
}, 60_000);

afterAll(async () => {
  await agent?.close();
  await azurite?.close();
  await entra?.close();
  await issuer?.close();
  if (ca) rmSync(ca.dir, { recursive: true, force: true });
});

describe("Azurite with tls and oauth", () => {
  it("serves HTTPS that a client without the test CA refuses", async () => {
    expect(azurite.endpoint).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/devstoreaccount1$/);
    const failure = await fetch(`${azurite.endpoint}/${CONTAINER}?restype=container`).then(
      () => undefined,
      (error: unknown) => error as { cause?: { code?: string } },
    );
    expect(failure?.cause?.code).toMatch(/CERT|SIGNATURE|ISSUER/);
  });

  it("refuses oauth without tls", async () => {
    await expect(startAzurite({ oauth: true })).rejects.toThrow(/oauth requires tls/);
  });

  it("answers Get User Delegation Key to the Entra token", async () => {
    const start = azureTime(Date.now() - 60_000);
    const expiry = azureTime(Date.now() + 3_600_000);
    const answer = await azure("/?restype=service&comp=userdelegationkey", { method: "POST", headers: bearer(token), body: keyInfo(start, expiry) });
    expect(answer.status, answer.body).toBe(200);
    expect(answer.body).toContain("<UserDelegationKey>");
    expect({ oid: xmlValue(answer.body, "SignedOid"), tid: xmlValue(answer.body, "SignedTid"), start: xmlValue(answer.body, "SignedStart"), expiry: xmlValue(answer.body, "SignedExpiry"), service: xmlValue(answer.body, "SignedService") }).toEqual({ oid: entra.objectId, tid: TENANT, start, expiry, service: "b" });
    expect(xmlValue(answer.body, "SignedVersion")).toMatch(/^\d{4}-\d\d-\d\d$/);
    expect(Buffer.from(xmlValue(answer.body, "Value") ?? "", "base64")).toHaveLength(32);
  });

  it("authorizes blob writes and List Blobs with the bearer token", async () => {
    const put = await azure(`/${CONTAINER}/bearer.txt`, { method: "PUT", headers: { ...bearer(token), "x-ms-blob-type": "BlockBlob", "content-type": "text/plain" }, body: "by bearer" });
    expect(put.status, put.body).toBe(201);
    const list = await azure(`/${CONTAINER}?restype=container&comp=list`, { headers: bearer(token) });
    expect(list.status, list.body).toBe(200);
    expect(list.body).toContain("<EnumerationResults");
    expect(list.body).toContain("<Name>bearer.txt</Name>");
  });

  it("accepts a user delegation SAS signed with the key (skv = the key's SignedVersion)", async () => {
    await azure(`/${CONTAINER}/sas.txt`, { method: "PUT", headers: { ...bearer(token), "x-ms-blob-type": "BlockBlob" }, body: "read through a user delegation SAS" });
    const keyStart = azureTime(Date.now() - 60_000);
    const keyExpiry = azureTime(Date.now() + 3_600_000);
    const key = (await azure("/?restype=service&comp=userdelegationkey", { method: "POST", headers: bearer(token), body: keyInfo(keyStart, keyExpiry) })).body;
    const fields = { sp: "r", st: keyStart, se: azureTime(Date.now() + 600_000), skoid: xmlValue(key, "SignedOid")!, sktid: xmlValue(key, "SignedTid")!, skt: xmlValue(key, "SignedStart")!, ske: xmlValue(key, "SignedExpiry")!, sks: "b", skv: xmlValue(key, "SignedVersion")!, spr: "https", sv: VERSION, sr: "b" };
    // String-to-sign of a user delegation SAS for sv 2020-12-06 and later (before 2025-07-05), per Microsoft's docs.
    const stringToSign = [fields.sp, fields.st, fields.se, `/blob/${azurite.accountName}/${CONTAINER}/sas.txt`, fields.skoid, fields.sktid, fields.skt, fields.ske, fields.sks, fields.skv, "", "", "", "", fields.spr, fields.sv, fields.sr, "", "", "", "", "", "", ""].join("\n");
    const sig = createHmac("sha256", Buffer.from(xmlValue(key, "Value")!, "base64")).update(stringToSign, "utf8").digest("base64");
    const read = await azure(`/${CONTAINER}/sas.txt?${new URLSearchParams({ ...fields, sig })}`);
    expect(read.status, read.body).toBe(200);
    expect(read.body).toBe("read through a user delegation SAS");
    const tampered = await azure(`/${CONTAINER}/sas.txt?${new URLSearchParams({ ...fields, skoid: "00000000-0000-4000-8000-000000000000", sig })}`);
    expect(tampered.status).toBe(403);
  });

  it("refuses Get User Delegation Key without a bearer token", async () => {
    const answer = await azure("/?restype=service&comp=userdelegationkey", { method: "POST", headers: { "x-ms-version": VERSION }, body: keyInfo(azureTime(Date.now()), azureTime(Date.now() + 3_600_000)) });
    expect({ status: answer.status, code: answer.code }).toEqual({ status: 403, code: "AuthorizationFailure" });
    expect(answer.body).not.toContain("<UserDelegationKey>");
  });

  it("refuses tokens for another audience, from another issuer, or expired", async () => {
    const now = Math.floor(Date.now() / 1000);
    const cases = { audience: { aud: "https://management.azure.com" }, issuer: { iss: "https://login.example.com/tenant/" }, expired: { iat: now - 7200, nbf: now - 7200, exp: now - 3600 } };
    for (const [name, changes] of Object.entries(cases)) {
      const list = await azure(`/${CONTAINER}?restype=container&comp=list`, { headers: bearer(await forged(changes)) });
      expect({ name, status: list.status, code: list.code }).toEqual({ name, status: 403, code: "AuthenticationFailed" });
    }
    // The same re-signing with unchanged claims is accepted: what failed above is the claim, not the signature.
    expect((await azure(`/${CONTAINER}?restype=container&comp=list`, { headers: bearer(await forged({})) })).status).toBe(200);
  });

  it("global fetch trusts the CA after tls.setDefaultCACertificates (how in-process code can trust it)", async () => {
    const original = tls.getCACertificates("default");
    tls.setDefaultCACertificates([...original, ca.ca]);
    try {
      const response = await fetch(`${azurite.endpoint}/${CONTAINER}?restype=container&comp=list`, { headers: bearer(token) });
      expect(response.status).toBe(200);
      await response.body?.cancel();
    } finally {
      tls.setDefaultCACertificates(original);
    }
  });
});

describe("Azurite without oauth", () => {
  it("with tls only, does not accept bearer tokens", async () => {
    const plain = await startAzurite({ tls: { cert: ca.cert, key: ca.key, ca: ca.ca } });
    try {
      await plain.createContainer(CONTAINER);
      const response = await undiciFetch(`${plain.endpoint}/${CONTAINER}?restype=container&comp=list`, { headers: bearer(token), dispatcher: agent });
      expect({ status: response.status, code: response.headers.get("x-ms-error-code") }).toEqual({ status: 403, code: "AuthorizationFailure" });
      await response.body?.cancel();
    } finally {
      await plain.close();
    }
  }, 60_000);

  it("without options, is plain HTTP as before", async () => {
    const plain = await startAzurite();
    try {
      expect(plain.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1$/);
      await plain.createContainer(CONTAINER);
      await plain.createContainer(CONTAINER);
    } finally {
      await plain.close();
    }
  }, 60_000);
});
