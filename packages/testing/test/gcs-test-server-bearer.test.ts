/**
 * Direct resource access on the test doubles: a token from the local Google STS is accepted by the GCS test server
 * (`acceptBearer: google.isFederatedToken`) while it lives, refused as Cloud Storage refuses a bad OAuth credential
 * (401 AuthenticationRequired) once it expired or when it was never issued, and a request that is both signed and
 * bearer-authorized is ambiguous (400). Without `acceptBearer` the server answers exactly as before.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { startGcsTestServer, type GcsTestServer } from "../src/gcs-test-server.js";
import { startGoogleFederationEndpoint, type GoogleFederationEndpoint } from "../src/google-federation-endpoint.js";
import { startOidcIssuer, type OidcIssuer } from "../src/oidc-issuer.js";

const PROVIDER = "projects/123456789/locations/global/workloadIdentityPools/pool/providers/multistore";
const XML_PROLOG = "<?xml version='1.0' encoding='UTF-8'?>";
const AUTHENTICATION_REQUIRED = `${XML_PROLOG}<Error><Code>AuthenticationRequired</Code><Message>Authentication required.</Message></Error>`;
const ANONYMOUS_REFUSED = `${XML_PROLOG}<Error><Code>AccessDenied</Code><Message>Anonymous caller does not have storage.objects access (this server accepts V4 signed URLs only).</Message></Error>`;

let issuer: OidcIssuer;
let google: GoogleFederationEndpoint;
let gcs: GcsTestServer;
let plain: GcsTestServer;

beforeAll(async () => {
  issuer = await startOidcIssuer();
  plain = await startGcsTestServer({ buckets: ["direct"] });
  google = await startGoogleFederationEndpoint({ issuer: issuer.issuer, jwksUri: `${issuer.issuer}/jwks`, workloadIdentityProvider: PROVIDER, serviceAccountKey: plain.serviceAccountKey });
  // Asynchronous on purpose: the server awaits what acceptBearer returns.
  gcs = await startGcsTestServer({ buckets: ["direct"], acceptBearer: async (token) => google.isFederatedToken(token) });
});

afterAll(async () => {
  await Promise.all([gcs?.close(), plain?.close(), google?.close(), issuer?.close()]);
});

afterEach(() => {
  vi.useRealTimers();
});

/** A federated access token, through a real RFC 8693 exchange at the local STS. */
async function federatedToken(): Promise<string> {
  const subjectToken = await issuer.mint({ sub: "s3-proxy", aud: `https://iam.googleapis.com/${PROVIDER}` });
  const form = new URLSearchParams({
    grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
    subject_token_type: "urn:ietf:params:oauth:token-type:jwt",
    requested_token_type: "urn:ietf:params:oauth:token-type:access_token",
    audience: `//iam.googleapis.com/${PROVIDER}`,
    scope: "https://www.googleapis.com/auth/cloud-platform",
    subject_token: subjectToken,
  });
  const response = await fetch(google.stsEndpoint, { method: "POST", body: form });
  expect(response.status).toBe(200);
  return ((await response.json()) as { access_token: string }).access_token;
}

async function call(server: GcsTestServer, path: string, init: RequestInit = {}) {
  const response = await fetch(`${server.endpoint}${path}`, init);
  return { status: response.status, body: await response.text(), auth: server.requests.at(-1)!.auth };
}

/** A complete but wrongly signed V4 query: verification reaches the RSA check and fails there. */
function badlySignedQuery(server: GcsTestServer): string {
  const date = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
  const credential = encodeURIComponent(`${server.clientEmail}/${date.slice(0, 8)}/auto/storage/goog4_request`);
  return `X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Credential=${credential}&X-Goog-Date=${date}&X-Goog-Expires=60&X-Goog-SignedHeaders=host&X-Goog-Signature=00`;
}

describe("google federation endpoint: isFederatedToken", () => {
  it("holds for tokens its STS issued, until they expire", async () => {
    const token = await federatedToken();
    expect(google.isFederatedToken(token)).toBe(true);
    expect(google.isFederatedToken(`${token}x`)).toBe(false);
    expect(google.isFederatedToken("")).toBe(false);
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 3601_000 });
    expect(google.isFederatedToken(token)).toBe(false);
  });
});

describe("GCS test server with acceptBearer", () => {
  it("serves requests with a live federated token and records them as bearer", async () => {
    const authorization = `Bearer ${await federatedToken()}`;
    expect(await call(gcs, "/direct/a.txt", { method: "PUT", headers: { authorization }, body: "hello" })).toMatchObject({ status: 200, auth: "bearer" });
    expect(await call(gcs, "/direct/a.txt", { headers: { authorization } })).toEqual({ status: 200, body: "hello", auth: "bearer" });
    // The scheme is case-insensitive, as in RFC 9110.
    expect(await call(gcs, "/direct/a.txt", { headers: { authorization: authorization.replace("Bearer", "bearer") } })).toMatchObject({ status: 200, auth: "bearer" });
  });

  it("answers 401 AuthenticationRequired for an unknown or expired token and other schemes", async () => {
    const token = await federatedToken();
    expect(await call(gcs, "/direct/a.txt", { headers: { authorization: "Bearer never-issued" } })).toEqual({ status: 401, body: AUTHENTICATION_REQUIRED, auth: "bearer" });
    expect(await call(gcs, "/direct/a.txt", { headers: { authorization: "Basic dXNlcjpwYXNz" } })).toEqual({ status: 401, body: AUTHENTICATION_REQUIRED, auth: "anonymous" });
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 3601_000 });
    expect(await call(gcs, "/direct/a.txt", { headers: { authorization: `Bearer ${token}` } })).toEqual({ status: 401, body: AUTHENTICATION_REQUIRED, auth: "bearer" });
  });

  it("refuses a request with both a bearer token and a V4 signature (400), and still checks signatures alone", async () => {
    const authorization = `Bearer ${await federatedToken()}`;
    const both = await call(gcs, `/direct/a.txt?${badlySignedQuery(gcs)}`, { headers: { authorization } });
    expect(both).toMatchObject({ status: 400, auth: "v4" });
    expect(both.body).toContain("<Code>InvalidArgument</Code>");
    expect(both.body).toContain("not both");
    const signedOnly = await call(gcs, `/direct/a.txt?${badlySignedQuery(gcs)}`);
    expect(signedOnly).toMatchObject({ status: 403, auth: "v4" });
    expect(signedOnly.body).toContain("<Code>SignatureDoesNotMatch</Code>");
  });

  it("still refuses requests without credentials (403 AccessDenied)", async () => {
    expect(await call(gcs, "/direct/a.txt")).toEqual({ status: 403, body: ANONYMOUS_REFUSED, auth: "anonymous" });
  });
});

describe("GCS test server without acceptBearer (unchanged)", () => {
  it("refuses bearer tokens like anonymous requests, and verifies a signature whatever the Authorization header", async () => {
    const authorization = `Bearer ${await federatedToken()}`;
    expect(await call(plain, "/direct/a.txt", { headers: { authorization } })).toEqual({ status: 403, body: ANONYMOUS_REFUSED, auth: "anonymous" });
    expect(await call(plain, "/direct/a.txt")).toEqual({ status: 403, body: ANONYMOUS_REFUSED, auth: "anonymous" });
    const both = await call(plain, `/direct/a.txt?${badlySignedQuery(plain)}`, { headers: { authorization } });
    expect(both).toMatchObject({ status: 403, auth: "v4" });
    expect(both.body).toContain("<Code>SignatureDoesNotMatch</Code>");
  });
});
