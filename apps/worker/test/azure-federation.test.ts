/**
 * The Worker with an az bucket with `auth_type = "oidc"` in front of Azurite (HTTPS with a test CA that workerd
 * trusts, OAuth on): the Worker mints its own token, a local Microsoft Entra token endpoint verifies it against the
 * JWKS the Worker publishes, Azurite hands out a user delegation key for the access token, and every request the
 * Worker sends is authorized by a user delegation SAS that Azurite checks.
 */
import { generateKeyPairSync } from "node:crypto";
import {
  createTestCa,
  errorCode,
  signedRawRequest,
  startAzurite,
  startEntraEndpoint,
  type AzuriteHandle,
  type EntraEndpoint,
} from "@multistore/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWorker, type WorkerHandle } from "./helpers/worker-harness.js";

const ISSUER = "https://proxy.multistore.test";
const TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const CLIENT = "6e3a1c2b-0000-4000-8000-00000000a2f2";
const KEY = { accessKeyId: "AKIAWORKERAZFED0001", secretAccessKey: "worker-azure-federation-secret-0000001" };
const ALL = ["get_object", "head_object", "put_object", "delete_object", "list_bucket"];
const UNSIGNED = { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" };

let azurite: AzuriteHandle;
let entra: EntraEndpoint;
let worker: WorkerHandle;

beforeAll(async () => {
  const ca = createTestCa();
  azurite = await startAzurite({ tls: { cert: ca.cert, key: ca.key, ca: ca.ca }, oauth: true });
  await azurite.createContainer("federated");
  entra = await startEntraEndpoint({ issuer: ISSUER, jwksUri: () => `${worker.endpoint}/.well-known/jwks.json`, tenantId: TENANT, clientId: CLIENT, subject: "worker-proxy" });
  const pem = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  const backend = {
    account_name: azurite.accountName,
    container_name: "federated",
    endpoint: azurite.endpoint,
    auth_type: "oidc",
    tenant_id: TENANT,
    client_id: CLIENT,
    authority_host: entra.authorityHost,
    oidc_subject: "worker-proxy",
  };
  const config = {
    buckets: [
      { name: "azfed", backend_type: "az", anonymous_access: false, backend_options: backend },
      { name: "azfed-refused", backend_type: "az", anonymous_access: false, backend_options: { ...backend, oidc_subject: "untrusted-subject" } },
    ],
    roles: [],
    credentials: [{ access_key_id: KEY.accessKeyId, secret_access_key: KEY.secretAccessKey, principal_name: "azfed", created_at: "2024-01-01T00:00:00Z", enabled: true, allowed_scopes: [{ bucket: "*", prefixes: [], actions: ALL }] }],
  };
  worker = await startWorker({
    bindings: { PROXY_CONFIG: JSON.stringify(config), OIDC_PROVIDER_KEY: JSON.stringify([{ kid: "worker-az", pem }]), OIDC_PROVIDER_ISSUER: ISSUER },
    trustedCertificates: [ca.ca],
  });
}, 60_000);

afterAll(async () => {
  await worker?.close();
  await Promise.all([entra?.close(), azurite?.close()]);
});

describe("worker: az with auth_type = oidc (Microsoft Entra workload identity federation)", () => {
  it("PUT, GET, list and DELETE go through with user delegation SAS, one Entra exchange for all", async () => {
    const put = await signedRawRequest(worker.endpoint, KEY, { method: "PUT", path: "/azfed/docs/hello.txt", headers: { ...UNSIGNED, "content-type": "text/plain" }, body: "from the worker, federated" });
    expect(put.status).toBe(200);
    const get = await signedRawRequest(worker.endpoint, KEY, { method: "GET", path: "/azfed/docs/hello.txt" });
    expect(get.status).toBe(200);
    expect(get.text).toBe("from the worker, federated");
    expect(get.headers["content-type"]).toBe("text/plain");
    const list = await signedRawRequest(worker.endpoint, KEY, { method: "GET", path: "/azfed", query: { "list-type": "2", prefix: "docs/" } });
    expect(list.status).toBe(200);
    expect(list.text).toContain("<Key>docs/hello.txt</Key>");
    const deleted = await signedRawRequest(worker.endpoint, KEY, { method: "DELETE", path: "/azfed/docs/hello.txt" });
    expect(deleted.status).toBe(204);
    const gone = await signedRawRequest(worker.endpoint, KEY, { method: "GET", path: "/azfed/docs/hello.txt" });
    expect(gone.status).toBe(404);
    const ok = entra.exchanges.filter((exchange) => exchange.outcome === "ok");
    expect(ok).toHaveLength(1);
    expect(ok[0]!.claims).toMatchObject({ iss: ISSUER, sub: "worker-proxy", aud: "api://AzureADTokenExchange" });
  });

  it("a subject Entra does not trust is an actionable 503", async () => {
    const response = await signedRawRequest(worker.endpoint, KEY, { method: "GET", path: "/azfed-refused/docs/hello.txt" });
    expect(response.status).toBe(503);
    expect(errorCode(response.text)).toBe("ServiceUnavailable");
    expect(response.text).toContain("federated credentials for bucket azfed-refused: Microsoft Entra token request answered invalid_client (AADSTS700213)");
  });
});
