/**
 * End to end on the Worker (workerd via miniflare): a gcs bucket with `auth_type = "oidc"` in front of the GCS test
 * server. The Worker mints its own token (OIDC_PROVIDER_KEY / OIDC_PROVIDER_ISSUER), a local Google STS verifies it
 * against the JWKS the Worker publishes and hands out a federated token, and a local IAM Credentials `signBlob` signs
 * the V4 strings to sign with the service account's key (the one the GCS test server trusts): no key in the Worker's
 * configuration. The Worker has no process-wide endpoint overrides, so each bucket names its own `sts_endpoint` and
 * `iam_credentials_endpoint`.
 */
import { generateKeyPairSync } from "node:crypto";
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { errorCode, sdkClient, signedRawRequest, startGcsTestServer, startGoogleFederationEndpoint, type GcsTestServer, type GoogleFederationEndpoint } from "@multistore/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWorker, type WorkerHandle } from "./helpers/worker-harness.js";

const ISSUER = "https://proxy.multistore.test";
const PROVIDER = "projects/123456/locations/global/workloadIdentityPools/multistore/providers/worker";
const SUBJECT = "multistore-worker-gcs";
const ADMIN = { accessKeyId: "AKIAWORKERGCSFED0001", secretAccessKey: "worker-gcs-federation-secret-0000000001" };
const ALL_ACTIONS = ["get_object", "head_object", "put_object", "delete_object", "list_bucket"];

let gcs: GcsTestServer;
let google: GoogleFederationEndpoint;
let worker: WorkerHandle;
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
      sts_endpoint: google.stsEndpoint,
      iam_credentials_endpoint: google.iamCredentialsEndpoint,
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

/** The Worker's JSON log lines (workerd's stdout and stderr; anything else is ignored). */
function collectLog(line: string): void {
  try {
    const parsed: unknown = JSON.parse(line);
    if (parsed && typeof parsed === "object") logLines.push(parsed as Record<string, unknown>);
  } catch {
    // Not a JSON log line (workerd's own output).
  }
}

beforeAll(async () => {
  const serviceAccountPem = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  const serviceAccountKey = JSON.stringify({ type: "service_account", client_email: "worker-sa@test-project.iam.gserviceaccount.com", private_key: serviceAccountPem });
  // Direct resource access: the test server takes the bearer tokens the local Google STS issued.
  gcs = await startGcsTestServer({ serviceAccountKey, acceptBearer: (token) => google.isFederatedToken(token) });
  google = await startGoogleFederationEndpoint({ issuer: ISSUER, jwksUri: () => `${worker.endpoint}/.well-known/jwks.json`, workloadIdentityProvider: PROVIDER, serviceAccountKey });
  const pem = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  const config = {
    buckets: [
      bucket("gfed", { oidc_subject: SUBJECT }),
      bucket("gfed-other-provider", { workload_identity_provider: `${PROVIDER}-untrusted` }),
      bucket("gfed-wrong-account", { service_account_email: "someone-else@test-project.iam.gserviceaccount.com" }),
      directBucket("gfed-direct"),
    ],
    roles: [],
    credentials: [
      { access_key_id: ADMIN.accessKeyId, secret_access_key: ADMIN.secretAccessKey, principal_name: "admin", created_at: "2024-01-01T00:00:00Z", enabled: true, allowed_scopes: [{ bucket: "*", prefixes: [], actions: ALL_ACTIONS }] },
    ],
  };
  worker = await startWorker({
    bindings: { PROXY_CONFIG: JSON.stringify(config), OIDC_PROVIDER_KEY: JSON.stringify([{ kid: "worker-gcs-e2e", pem }]), OIDC_PROVIDER_ISSUER: ISSUER },
    onLog: collectLog,
  });
});

afterAll(async () => {
  await worker?.close();
  await Promise.all([google?.close(), gcs?.close()]);
});

describe("worker: gcs with auth_type = oidc (workload identity federation, signBlob)", () => {
  it("PUT, GET and list go through with remotely signed URLs, one STS exchange for all of them", async () => {
    // workerd's local HTTP server does not send 100 Continue (see the behaviour suite's noExpectContinue).
    const client = sdkClient({ endpoint: worker.endpoint, sdkDefaults: { expectContinueHeader: false } }, ADMIN);
    try {
      await client.send(new PutObjectCommand({ Bucket: "gfed", Key: "docs/hello.txt", Body: "hello, google federation" }));
      const got = await client.send(new GetObjectCommand({ Bucket: "gfed", Key: "docs/hello.txt" }));
      expect(await got.Body!.transformToString()).toBe("hello, google federation");
      const listed = await client.send(new ListObjectsV2Command({ Bucket: "gfed", Prefix: "docs/" }));
      expect(listed.Contents?.map((object) => object.Key)).toEqual(["docs/hello.txt"]);
    } finally {
      client.destroy();
    }
    // The same, through a raw signed request with an unsigned payload.
    const put = await signedRawRequest(worker.endpoint, ADMIN, { method: "PUT", path: "/gfed/docs/raw.txt", headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" }, body: "raw through the worker" });
    expect(put.status).toBe(200);
    const get = await signedRawRequest(worker.endpoint, ADMIN, { method: "GET", path: "/gfed/docs/raw.txt" });
    expect(get.status).toBe(200);
    expect(get.text).toBe("raw through the worker");

    expect(google.exchanges).toHaveLength(1);
    expect(google.exchanges[0]!.outcome).toBe("ok");
    expect(google.exchanges[0]!.claims).toMatchObject({ iss: ISSUER, sub: SUBJECT, aud: `https://iam.googleapis.com/${PROVIDER}` });
    expect(google.signatures.length).toBeGreaterThanOrEqual(5);
    expect(google.signatures.every((signature) => signature.outcome === "ok" && signature.email === gcs.clientEmail)).toBe(true);
    // The GCS test server verified every signature against the service account's public key, and nothing reached it unsigned.
    expect(gcs.requests.length).toBeGreaterThanOrEqual(5);
    const signed = gcs.requests.filter((request) => request.query.some(([name]) => name === "X-Goog-Signature"));
    expect(signed).toHaveLength(gcs.requests.length);
    expect(signed.filter((request) => request.status >= 400)).toEqual([]);
    expect(signed.map((request) => request.method)).toEqual(expect.arrayContaining(["PUT", "GET"]));
  });

  it("a refused STS exchange is a 503 naming the bucket and the step, logged with its cause", async () => {
    const response = await signedRawRequest(worker.endpoint, ADMIN, { method: "GET", path: "/gfed-other-provider/some-key" });
    expect(response.status).toBe(503);
    expect(errorCode(response.text)).toBe("ServiceUnavailable");
    expect(response.text).toContain("federated credentials for bucket gfed-other-provider: Google STS token exchange answered invalid_target");
    expect(google.exchanges.at(-1)).toMatchObject({ outcome: "invalid_target" });
    await expect.poll(() => logLines.find((line) => line.bucket === "gfed-other-provider"), { timeout: 10_000 }).toMatchObject({
      msg: "federated backend credentials failed",
      step: "Google STS token exchange answered invalid_target",
    });
  });

  it("a refused signBlob is a 503 naming the bucket and the step", async () => {
    const response = await signedRawRequest(worker.endpoint, ADMIN, { method: "GET", path: "/gfed-wrong-account/some-key" });
    expect(response.status).toBe(503);
    expect(errorCode(response.text)).toBe("ServiceUnavailable");
    expect(response.text).toContain("federated credentials for bucket gfed-wrong-account: IAM signBlob answered PERMISSION_DENIED");
    expect(google.signatures.at(-1)).toEqual({ email: "someone-else@test-project.iam.gserviceaccount.com", outcome: "PERMISSION_DENIED" });
  });

  it("a failing STS (e.g. an outage) is a 503; the cached federated token keeps serving the working bucket", async () => {
    const before = google.exchanges.length;
    google.failStsWith("temporarily_unavailable", 503);
    try {
      const cached = await signedRawRequest(worker.endpoint, ADMIN, { method: "GET", path: "/gfed/docs/hello.txt" });
      expect(cached.status).toBe(200);
      expect(cached.text).toBe("hello, google federation");
      expect(google.exchanges.length).toBe(before);
      const cold = await signedRawRequest(worker.endpoint, ADMIN, { method: "GET", path: "/gfed-other-provider/some-key" });
      expect(cold.status).toBe(503);
      expect(errorCode(cold.text)).toBe("ServiceUnavailable");
      expect(cold.text).toContain("federated credentials for bucket gfed-other-provider: Google STS token exchange answered temporarily_unavailable");
      expect(google.exchanges.slice(before).map((exchange) => exchange.outcome)).toEqual(["temporarily_unavailable"]);
    } finally {
      google.failStsWith(undefined);
    }
  });

  it("without service_account_email, the federated token itself authorizes every request (direct resource access)", async () => {
    const exchangesBefore = google.exchanges.length;
    const signaturesBefore = google.signatures.length;
    const requestsBefore = gcs.requests.length;
    const client = sdkClient({ endpoint: worker.endpoint, sdkDefaults: { expectContinueHeader: false } }, ADMIN);
    try {
      await client.send(new PutObjectCommand({ Bucket: "gfed-direct", Key: "direct/hello.txt", Body: "hello, direct access" }));
      const got = await client.send(new GetObjectCommand({ Bucket: "gfed-direct", Key: "direct/hello.txt" }));
      expect(await got.Body!.transformToString()).toBe("hello, direct access");
      const listed = await client.send(new ListObjectsV2Command({ Bucket: "gfed-direct", Prefix: "direct/" }));
      expect(listed.Contents?.map((object) => object.Key)).toEqual(["direct/hello.txt"]);
    } finally {
      client.destroy();
    }
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
