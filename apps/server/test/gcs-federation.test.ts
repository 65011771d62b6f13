/**
 * End to end on the Node server: a gcs bucket with `auth_type = "oidc"` in front of the GCS test server. The proxy
 * mints its own token, a local Google STS verifies it against the proxy's published JWKS and hands out a federated
 * token, and a local IAM Credentials `signBlob` signs the V4 strings to sign with the service account's key (the
 * one the GCS test server trusts): no key in the proxy's configuration.
 */
import { generateKeyPairSync } from "node:crypto";
import { Writable } from "node:stream";
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { parseConfig } from "@multistore/config";
import { createOidcProvider } from "@multistore/oidc-provider";
import { errorCode, sdkClient, signedRawRequest, startGcsTestServer, startGoogleFederationEndpoint, type GcsTestServer, type GoogleFederationEndpoint } from "@multistore/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger, createMultistoreServer, type MultistoreServer } from "../src/index.js";

const ISSUER = "https://proxy.multistore.test";
const PROVIDER = "projects/123456/locations/global/workloadIdentityPools/multistore/providers/proxy";
const ADMIN = { accessKeyId: "AKIAGCSFEDERATION001", secretAccessKey: "gcs-federation-admin-secret-00000000001" };
const ALL_ACTIONS = ["get_object", "head_object", "put_object", "delete_object", "list_bucket"];

let gcs: GcsTestServer;
let google: GoogleFederationEndpoint;
let server: MultistoreServer;
let endpoint = "";
const logLines: Record<string, unknown>[] = [];

function bucket(name: string, options: Record<string, string> = {}) {
  return {
    name,
    backend_type: "gcs",
    anonymous_access: false,
    backend_options: {
      bucket_name: "test-bucket",
      endpoint: gcs.endpoint,
      auth_type: "oidc",
      workload_identity_provider: PROVIDER,
      service_account_email: gcs.clientEmail,
      ...options,
    },
  };
}

/** A bucket of direct resource access: no service account, the federated token is the credential itself. */
function directBucket(name: string) {
  const direct = bucket(name, { oidc_subject: "direct-access" });
  const { service_account_email: _unused, ...options } = direct.backend_options;
  return { ...direct, backend_options: options };
}

beforeAll(async () => {
  const serviceAccountPem = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  const serviceAccountKey = JSON.stringify({ type: "service_account", client_email: "proxy-sa@test-project.iam.gserviceaccount.com", private_key: serviceAccountPem });
  // Direct resource access: the test server takes the bearer tokens the local Google STS issued.
  gcs = await startGcsTestServer({ serviceAccountKey, acceptBearer: (token) => google.isFederatedToken(token) });
  google = await startGoogleFederationEndpoint({ issuer: ISSUER, jwksUri: () => `${endpoint}/.well-known/jwks.json`, workloadIdentityProvider: PROVIDER, serviceAccountKey });
  const pem = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  const config = parseConfig({
    buckets: [
      bucket("gfed"),
      bucket("gfed-other-provider", { workload_identity_provider: `${PROVIDER}-untrusted` }),
      bucket("gfed-wrong-account", { service_account_email: "someone-else@test-project.iam.gserviceaccount.com" }),
      directBucket("gfed-direct"),
    ],
    roles: [],
    credentials: [
      { access_key_id: ADMIN.accessKeyId, secret_access_key: ADMIN.secretAccessKey, principal_name: "admin", created_at: "2024-01-01T00:00:00Z", enabled: true, allowed_scopes: [{ bucket: "*", prefixes: [], actions: ALL_ACTIONS }] },
    ],
  });
  const logger = createLogger("error", new Writable({ write: (chunk, _encoding, done) => (logLines.push(JSON.parse(String(chunk))), done()) }) as never);
  server = createMultistoreServer({
    config,
    logger,
    oidcProvider: createOidcProvider({ issuer: ISSUER, keys: [{ kid: "gcs-e2e", pem }] }),
    federationEndpoints: { googleSts: google.stsEndpoint, googleIamCredentials: google.iamCredentialsEndpoint },
  });
  const { port } = await server.listen(0, "127.0.0.1");
  endpoint = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  await server?.close();
  await Promise.all([google?.close(), gcs?.close()]);
});

describe("gcs with auth_type = oidc (workload identity federation, signBlob) on the Node server", () => {
  it("PUT, GET and list go through with remotely signed URLs, one STS exchange for all of them", async () => {
    const client = sdkClient(endpoint, ADMIN);
    await client.send(new PutObjectCommand({ Bucket: "gfed", Key: "docs/hello.txt", Body: "hello, google federation" }));
    const got = await client.send(new GetObjectCommand({ Bucket: "gfed", Key: "docs/hello.txt" }));
    expect(await got.Body!.transformToString()).toBe("hello, google federation");
    const listed = await client.send(new ListObjectsV2Command({ Bucket: "gfed", Prefix: "docs/" }));
    expect(listed.Contents?.map((object) => object.Key)).toEqual(["docs/hello.txt"]);
    client.destroy();
    const ok = google.exchanges.filter((exchange) => exchange.outcome === "ok");
    expect(ok).toHaveLength(1);
    expect(ok[0]!.claims).toMatchObject({ iss: ISSUER, sub: "s3-proxy", aud: `https://iam.googleapis.com/${PROVIDER}` });
    expect(google.signatures.length).toBeGreaterThanOrEqual(3);
    expect(google.signatures.every((signature) => signature.outcome === "ok" && signature.email === gcs.clientEmail)).toBe(true);
    // The GCS test server verified every signature against the service account's public key.
    const signed = gcs.requests.filter((request) => request.query.some(([name]) => name === "X-Goog-Signature"));
    expect(signed.length).toBeGreaterThanOrEqual(3);
    expect(signed.every((request) => request.status < 400)).toBe(true);
  });

  it("a refused STS exchange is a 503 naming the bucket and the step, logged with its cause", async () => {
    const response = await signedRawRequest(endpoint, ADMIN, { method: "GET", path: "/gfed-other-provider/some-key" });
    expect(response.status).toBe(503);
    expect(errorCode(response.text)).toBe("ServiceUnavailable");
    expect(response.text).toContain("federated credentials for bucket gfed-other-provider: Google STS token exchange answered invalid_target");
    expect(logLines.find((line) => line.bucket === "gfed-other-provider")).toMatchObject({ step: "Google STS token exchange answered invalid_target" });
  });

  it("a refused signBlob is a 503 naming the bucket and the step", async () => {
    const response = await signedRawRequest(endpoint, ADMIN, { method: "GET", path: "/gfed-wrong-account/some-key" });
    expect(response.status).toBe(503);
    expect(response.text).toContain("federated credentials for bucket gfed-wrong-account: IAM signBlob answered PERMISSION_DENIED");
  });

  it("a failing STS (e.g. an outage) is a 503; the cached federated token keeps serving the working bucket", async () => {
    const before = google.exchanges.length;
    google.failStsWith("temporarily_unavailable", 503);
    try {
      const cached = await signedRawRequest(endpoint, ADMIN, { method: "GET", path: "/gfed/docs/hello.txt" });
      expect(cached.status).toBe(200);
      expect(google.exchanges.length).toBe(before);
      const cold = await signedRawRequest(endpoint, ADMIN, { method: "GET", path: "/gfed-other-provider/some-key" });
      expect(cold.status).toBe(503);
      expect(cold.text).toContain("Google STS token exchange answered temporarily_unavailable");
    } finally {
      google.failStsWith(undefined);
    }
  });

  it("without service_account_email, the federated token itself authorizes every request (direct resource access)", async () => {
    const exchangesBefore = google.exchanges.length;
    const signaturesBefore = google.signatures.length;
    const requestsBefore = gcs.requests.length;
    const client = sdkClient(endpoint, ADMIN);
    await client.send(new PutObjectCommand({ Bucket: "gfed-direct", Key: "direct/hello.txt", Body: "hello, direct access" }));
    const got = await client.send(new GetObjectCommand({ Bucket: "gfed-direct", Key: "direct/hello.txt" }));
    expect(await got.Body!.transformToString()).toBe("hello, direct access");
    const listed = await client.send(new ListObjectsV2Command({ Bucket: "gfed-direct", Prefix: "direct/" }));
    expect(listed.Contents?.map((object) => object.Key)).toEqual(["direct/hello.txt"]);
    client.destroy();
    const requests = gcs.requests.slice(requestsBefore);
    expect(requests.length).toBeGreaterThanOrEqual(3);
    expect(requests.every((request) => request.auth === "bearer" && request.status < 400)).toBe(true);
    expect(requests.some((request) => request.query.some(([name]) => name === "X-Goog-Signature"))).toBe(false);
    expect(google.signatures.length).toBe(signaturesBefore);
    const exchanges = google.exchanges.slice(exchangesBefore);
    expect(exchanges).toHaveLength(1);
    expect(exchanges[0]).toMatchObject({ outcome: "ok", claims: { iss: ISSUER, sub: "direct-access" } });
  });
});
