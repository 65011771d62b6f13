/**
 * Microsoft Entra and Google workload identity federation against local endpoints that record the wire format:
 * token requests, Get User Delegation Key, Google STS, generateAccessToken and signBlob, their answers and errors.
 */
import type { BucketConfig } from "@multistore/core";
import { createLocalJWKSet, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createFederatedCredentials,
  createOidcProvider,
  exchangeForAzureToken,
  exchangeForGoogleToken,
  FederationError,
  generateServiceAccountAccessToken,
  getUserDelegationKey,
  signBlobAsServiceAccount,
  type OidcProvider,
} from "../src/index.js";
import { fakeClock, recordingEndpoint, rsaPem, type Received } from "./helpers.js";

const ISSUER = "https://proxy.multistore.test";
const TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const CLIENT = "6e3a1c2b-0000-4000-8000-000000000001";
const WIP = "projects/123456/locations/global/workloadIdentityPools/multistore/providers/proxy";
const SA = "backend@my-project.iam.gserviceaccount.com";

const clock = fakeClock();
let provider: OidcProvider;
let server: Awaited<ReturnType<typeof recordingEndpoint>>;
let mode: "ok" | "fail" = "ok";

const json = (status: number, body: unknown) => ({ status, headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

function answer(request: Received) {
  const path = request.path;
  if (path === `/${TENANT}/oauth2/v2.0/token`) {
    return mode === "ok"
      ? json(200, { token_type: "Bearer", expires_in: 3599, ext_expires_in: 3599, access_token: "entra-access-token" })
      : json(400, { error: "invalid_client", error_description: "AADSTS700213: No matching federated identity record found", error_codes: [700213] });
  }
  if (path === "/devstoreaccount1/?restype=service&comp=userdelegationkey") {
    if (mode === "fail") {
      const body = '<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthorizationPermissionMismatch</Code><Message>This request is not authorized</Message></Error>';
      return { status: 403, headers: { "x-ms-error-code": "AuthorizationPermissionMismatch", "content-type": "application/xml" }, body };
    }
    const body =
      '<?xml version="1.0" encoding="utf-8"?><UserDelegationKey><SignedOid>oid-1</SignedOid><SignedTid>' + TENANT +
      "</SignedTid><SignedStart>2030-01-01T00:00:00Z</SignedStart><SignedExpiry>2030-01-01T01:00:00Z</SignedExpiry>" +
      "<SignedService>b</SignedService><SignedVersion>2021-12-02</SignedVersion><Value>a2V5LWJ5dGVz</Value></UserDelegationKey>";
    return { status: 200, headers: { "content-type": "application/xml" }, body };
  }
  if (path === "/v1/token") {
    return mode === "ok"
      ? json(200, { access_token: "federated-token", issued_token_type: "urn:ietf:params:oauth:token-type:access_token", token_type: "Bearer", expires_in: 3600 })
      : json(400, { error: "invalid_grant", error_description: "The audience in ID Token does not match the expected audience." });
  }
  if (path === `/v1/projects/-/serviceAccounts/${encodeURIComponent(SA)}:generateAccessToken`) {
    return mode === "ok"
      ? json(200, { accessToken: "service-account-token", expireTime: "2030-01-01T01:00:00Z" })
      : json(403, { error: { code: 403, message: "Permission 'iam.serviceAccounts.getAccessToken' denied", status: "PERMISSION_DENIED" } });
  }
  if (path === `/v1/projects/-/serviceAccounts/${encodeURIComponent(SA)}:signBlob`) return json(200, { keyId: "key-1", signedBlob: "c2lnbmF0dXJl" });
  return { status: 404, body: "" };
}

const last = () => server.received[server.received.length - 1]!;
const formOf = (request: Received) => Object.fromEntries(new URLSearchParams(request.body));

async function verify(token: string, audience: string) {
  return (await jwtVerify(token, createLocalJWKSet(await provider.jwks()), { issuer: ISSUER, audience, currentDate: new Date(clock.now()) })).payload;
}

beforeAll(async () => {
  provider = createOidcProvider({ issuer: ISSUER, keys: [{ pem: rsaPem() }], now: clock.now });
  server = await recordingEndpoint((request) => answer(request));
});
afterAll(() => server.close());

describe("Microsoft Entra workload identity federation", () => {
  it("exchangeForAzureToken: client credentials with the proxy's token as client assertion", async () => {
    mode = "ok";
    const assertion = await provider.mintToken({ subject: "s3-proxy", audience: "api://AzureADTokenExchange" });
    const token = await exchangeForAzureToken({ tenantId: TENANT, clientId: CLIENT, assertion, authorityHost: server.url, now: clock.now });
    expect(token).toEqual({ accessToken: "entra-access-token", expiresAt: new Date(clock.now() + 3599_000) });
    expect(last().method).toBe("POST");
    expect(last().headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(formOf(last())).toEqual({
      grant_type: "client_credentials",
      client_id: CLIENT,
      client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
      client_assertion: assertion,
      scope: "https://storage.azure.com/.default",
    });
    expect(await verify(assertion, "api://AzureADTokenExchange")).toMatchObject({ sub: "s3-proxy" });
  });

  it("exchangeForAzureToken: Entra's error and AADSTS code are named", async () => {
    mode = "fail";
    const failure = await exchangeForAzureToken({ tenantId: TENANT, clientId: CLIENT, assertion: "x", authorityHost: server.url }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(FederationError);
    expect((failure as FederationError).summary).toBe("Microsoft Entra token request answered invalid_client (AADSTS700213)");
    expect((failure as Error).message).toContain("No matching federated identity record");
  });

  it("getUserDelegationKey: bearer POST with KeyInfo, answer parsed", async () => {
    mode = "ok";
    const start = new Date("2030-01-01T00:00:00.123Z");
    const key = await getUserDelegationKey({ endpoint: `${server.url}/devstoreaccount1`, accessToken: "entra-access-token", start, expiry: new Date(start.getTime() + 3600_000) });
    expect(key).toEqual({
      signedObjectId: "oid-1",
      signedTenantId: TENANT,
      signedStart: "2030-01-01T00:00:00Z",
      signedExpiry: "2030-01-01T01:00:00Z",
      signedService: "b",
      signedVersion: "2021-12-02",
      value: "a2V5LWJ5dGVz",
    });
    expect(last().headers.authorization).toBe("Bearer entra-access-token");
    expect(last().headers["x-ms-version"]).toBe("2021-12-02");
    expect(last().body).toContain("<KeyInfo><Start>2030-01-01T00:00:00Z</Start><Expiry>2030-01-01T01:00:00Z</Expiry></KeyInfo>");
  });

  it("getUserDelegationKey: Storage's error code is named", async () => {
    mode = "fail";
    await expect(getUserDelegationKey({ endpoint: `${server.url}/devstoreaccount1`, accessToken: "t", expiry: new Date() })).rejects.toMatchObject({
      summary: "Azure Get User Delegation Key answered AuthorizationPermissionMismatch",
      status: 403,
    });
  });

  it("federation.azureAccessToken: tenant_id and client_id of an az bucket, cached", async () => {
    mode = "ok";
    const bucket: BucketConfig = { name: "blobs", backend_type: "az", anonymous_access: false, backend_options: { account_name: "a", container_name: "c", auth_type: "oidc", tenant_id: TENANT, client_id: CLIENT } };
    const federation = createFederatedCredentials({ provider, now: clock.now, endpoints: { azureAuthority: server.url } });
    const before = server.received.length;
    const token = federation.azureAccessToken(bucket);
    expect((await token()).accessToken).toBe("entra-access-token");
    await token();
    expect(server.received.length - before).toBe(1);
    mode = "fail";
    const failing = createFederatedCredentials({ provider, now: clock.now, endpoints: { azureAuthority: server.url } }).azureAccessToken(bucket);
    await expect(failing()).rejects.toMatchObject({ status: 503, message: "federated credentials for bucket blobs: Microsoft Entra token request answered invalid_client (AADSTS700213)" });
  });
});

describe("federation.azureUserDelegationKey", () => {
  const bucket = (options: Record<string, string> = {}): BucketConfig => ({
    name: "blobs-udk",
    backend_type: "az",
    anonymous_access: false,
    backend_options: { account_name: "devstoreaccount1", container_name: "c", auth_type: "oidc", tenant_id: TENANT, client_id: CLIENT, endpoint: `${server.url}/devstoreaccount1`, ...options },
  });

  it("gets the key at the bucket's endpoint with the federated token, once per key lifetime", async () => {
    mode = "ok";
    clock.set(Date.UTC(2030, 0, 1));
    const federation = createFederatedCredentials({ provider, now: clock.now, endpoints: { azureAuthority: "http://127.0.0.1:9/unused" } });
    const before = server.received.length;
    // The bucket's own authority_host wins over the federation-wide override (which would fail: nothing listens on 9).
    const key = federation.azureUserDelegationKey(bucket({ authority_host: server.url }));
    const first = await key();
    expect(first).toMatchObject({ signedObjectId: "oid-1", signedTenantId: TENANT, value: "a2V5LWJ5dGVz" });
    const calls = () => server.received.slice(before).map((request) => request.path);
    expect(calls()).toEqual([`/${TENANT}/oauth2/v2.0/token`, "/devstoreaccount1/?restype=service&comp=userdelegationkey"]);
    expect(await Promise.all([key(), key()])).toEqual([first, first]);
    expect(calls()).toHaveLength(2);
    const keyRequest = server.received[before + 1]!;
    expect(keyRequest.headers.authorization).toBe("Bearer entra-access-token");
    const start = Date.parse(/<Start>([^<]+)<\/Start>/.exec(keyRequest.body)![1]!);
    const expiry = Date.parse(/<Expiry>([^<]+)<\/Expiry>/.exec(keyRequest.body)![1]!);
    // Five minutes back for clock skew; the session duration plus the 20 minutes a key must outlive its SAS URLs.
    expect(expiry - start).toBe(3600_000 + 20 * 60_000 + 5 * 60_000);
    // The answer's key expires at 01:00: it is renewed in the background within a minute of 00:40, still served.
    clock.set(Date.UTC(2030, 0, 1, 0, 39, 30));
    expect(await key()).toEqual(first);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(calls().filter((path) => path.endsWith("comp=userdelegationkey"))).toHaveLength(2);
  });

  it("a refused key request is the bucket's actionable 503", async () => {
    const federation = createFederatedCredentials({ provider, now: clock.now, endpoints: { azureAuthority: server.url } });
    mode = "ok";
    const token = federation.azureAccessToken(bucket({ container_name: "other" }));
    await token();
    mode = "fail";
    const key = federation.azureUserDelegationKey(bucket({ container_name: "other", endpoint: `${server.url}/devstoreaccount1/` }));
    await expect(key()).rejects.toMatchObject({ status: 503, message: "federated credentials for bucket blobs-udk: Azure Get User Delegation Key answered AuthorizationPermissionMismatch" });
  });
});

describe("Google workload identity federation", () => {
  it("exchangeForGoogleToken: RFC 8693 token exchange with the provider's audience", async () => {
    mode = "ok";
    const subjectToken = await provider.mintToken({ subject: "s3-proxy", audience: `https://iam.googleapis.com/${WIP}` });
    const token = await exchangeForGoogleToken({ workloadIdentityProvider: WIP, subjectToken, endpoint: `${server.url}/v1/token`, now: clock.now });
    expect(token).toEqual({ accessToken: "federated-token", expiresAt: new Date(clock.now() + 3600_000) });
    expect(formOf(last())).toEqual({
      grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
      audience: `//iam.googleapis.com/${WIP}`,
      scope: "https://www.googleapis.com/auth/cloud-platform",
      requested_token_type: "urn:ietf:params:oauth:token-type:access_token",
      subject_token_type: "urn:ietf:params:oauth:token-type:jwt",
      subject_token: subjectToken,
    });
    // The prefixed resource name is accepted too.
    await exchangeForGoogleToken({ workloadIdentityProvider: `//iam.googleapis.com/${WIP}`, subjectToken, endpoint: `${server.url}/v1/token` });
    expect(formOf(last()).audience).toBe(`//iam.googleapis.com/${WIP}`);
  });

  it("generateAccessToken and signBlob impersonate the service account with the federated token", async () => {
    mode = "ok";
    const token = await generateServiceAccountAccessToken({ serviceAccountEmail: SA, accessToken: "federated-token", endpoint: server.url });
    expect(token).toEqual({ accessToken: "service-account-token", expiresAt: new Date("2030-01-01T01:00:00Z") });
    expect(last().headers.authorization).toBe("Bearer federated-token");
    expect(JSON.parse(last().body)).toEqual({ scope: ["https://www.googleapis.com/auth/cloud-platform"], lifetime: "3600s" });
    const signed = await signBlobAsServiceAccount({ serviceAccountEmail: SA, accessToken: "federated-token", endpoint: server.url, payload: new TextEncoder().encode("GOOG4-RSA-SHA256\n...") });
    expect(JSON.parse(last().body)).toEqual({ payload: Buffer.from("GOOG4-RSA-SHA256\n...").toString("base64") });
    expect(signed.keyId).toBe("key-1");
    expect(new TextDecoder().decode(signed.signature)).toBe("signature");
  });

  it("errors name the OAuth error or the Google status", async () => {
    mode = "fail";
    await expect(exchangeForGoogleToken({ workloadIdentityProvider: WIP, subjectToken: "x", endpoint: `${server.url}/v1/token` })).rejects.toMatchObject({
      summary: "Google STS token exchange answered invalid_grant",
    });
    await expect(generateServiceAccountAccessToken({ serviceAccountEmail: SA, accessToken: "t", endpoint: server.url })).rejects.toMatchObject({
      summary: "IAM generateAccessToken answered PERMISSION_DENIED",
    });
  });

  it("federation.googleAccessToken: STS exchange then impersonation, once per lifetime", async () => {
    mode = "ok";
    const bucket: BucketConfig = {
      name: "gcs-data",
      backend_type: "gcs",
      anonymous_access: false,
      backend_options: { bucket_name: "b", auth_type: "oidc", workload_identity_provider: WIP, service_account_email: SA },
    };
    const federation = createFederatedCredentials({ provider, now: clock.now, endpoints: { googleSts: `${server.url}/v1/token`, googleIamCredentials: server.url } });
    const before = server.received.length;
    const token = federation.googleAccessToken(bucket);
    expect((await token()).accessToken).toBe("service-account-token");
    await token();
    const calls = server.received.slice(before);
    expect(calls.map((call) => call.path.split(":").pop())).toEqual(["/v1/token", "generateAccessToken"]);
    expect(await verify(formOf(calls[0]!).subject_token!, `https://iam.googleapis.com/${WIP}`)).toMatchObject({ iss: ISSUER, sub: "s3-proxy" });
  });

  it("federation.googleFederatedToken: the STS token itself, cached and shared with signBlob; per-bucket endpoints win", async () => {
    mode = "ok";
    const bucket: BucketConfig = {
      name: "gcs-direct",
      backend_type: "gcs",
      anonymous_access: false,
      backend_options: { bucket_name: "b", auth_type: "oidc", workload_identity_provider: WIP, service_account_email: SA, oidc_subject: "direct", sts_endpoint: `${server.url}/v1/token`, iam_credentials_endpoint: server.url },
    };
    // Nothing listens on port 9: only the bucket's own endpoints can make this pass.
    const federation = createFederatedCredentials({ provider, now: clock.now, endpoints: { googleSts: "http://127.0.0.1:9/v1/token", googleIamCredentials: "http://127.0.0.1:9" } });
    const before = server.received.length;
    const token = federation.googleFederatedToken(bucket);
    expect(await token()).toEqual({ accessToken: "federated-token", expiresAt: new Date(clock.now() + 3600_000) });
    await federation.googleSignBlob(bucket)(new TextEncoder().encode("string to sign"));
    await token();
    const calls = server.received.slice(before);
    expect(calls.map((call) => call.path.split(":").pop())).toEqual(["/v1/token", "signBlob"]);
    expect(await verify(formOf(calls[0]!).subject_token!, `https://iam.googleapis.com/${WIP}`)).toMatchObject({ iss: ISSUER, sub: "direct" });
  });
});
