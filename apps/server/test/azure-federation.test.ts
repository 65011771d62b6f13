/**
 * End to end on the Node server: an az bucket with `auth_type = "oidc"` in front of Azurite (HTTPS with a test CA,
 * OAuth on). The proxy mints its own token; a local Microsoft Entra token endpoint verifies it against the proxy's
 * published JWKS and answers an access token; Azurite hands out a user delegation key for it and checks every user
 * delegation SAS and bearer token the proxy sends. No account key in the proxy's configuration.
 */
import { generateKeyPairSync } from "node:crypto";
import { Writable } from "node:stream";
import tls from "node:tls";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { parseConfig } from "@multistore/config";
import { createOidcProvider } from "@multistore/oidc-provider";
import {
  createTestCa,
  errorCode,
  sdkClient,
  signedRawRequest,
  startAzurite,
  startEntraEndpoint,
  type AzuriteHandle,
  type EntraEndpoint,
  type TestCa,
} from "@multistore/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger, createMultistoreServer, type MultistoreServer } from "../src/index.js";

const ISSUER = "https://proxy.multistore.test";
const TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const CLIENT = "6e3a1c2b-0000-4000-8000-00000000a2f1";
const ADMIN = { accessKeyId: "AKIAAZUREFEDERATION1", secretAccessKey: "azure-federation-admin-secret-000000001" };
const ALL_ACTIONS = ["get_object", "head_object", "put_object", "delete_object", "list_bucket", "create_multipart_upload", "upload_part", "complete_multipart_upload", "abort_multipart_upload"];

let ca: TestCa;
let azurite: AzuriteHandle;
let entra: EntraEndpoint;
let server: MultistoreServer;
let endpoint = "";
const logLines: Record<string, unknown>[] = [];

function bucket(name: string, options: Record<string, string> = {}) {
  return {
    name,
    backend_type: "az",
    anonymous_access: false,
    backend_options: {
      account_name: azurite.accountName,
      container_name: "federated",
      endpoint: azurite.endpoint,
      auth_type: "oidc",
      tenant_id: TENANT,
      client_id: CLIENT,
      authority_host: entra.authorityHost,
      ...options,
    },
  };
}

beforeAll(async () => {
  ca = createTestCa();
  // The proxy's Azure SDK, its undici pool and its federation fetch all use Node's default trust store.
  tls.setDefaultCACertificates([...tls.getCACertificates("default"), ca.ca]);
  azurite = await startAzurite({ tls: { cert: ca.cert, key: ca.key, ca: ca.ca }, oauth: true });
  await Promise.all([azurite.createContainer("federated"), azurite.createContainer("federated-copy")]);
  entra = await startEntraEndpoint({ issuer: ISSUER, jwksUri: () => `${endpoint}/.well-known/jwks.json`, tenantId: TENANT, clientId: CLIENT });
  const pem = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  const config = parseConfig({
    buckets: [
      bucket("azfed"),
      bucket("azfed-copy", { container_name: "federated-copy" }),
      bucket("azfed-unknown-app", { client_id: "00000000-0000-4000-8000-00000000dead" }),
      bucket("azfed-other-subject", { oidc_subject: "someone-else" }),
    ],
    roles: [],
    credentials: [
      { access_key_id: ADMIN.accessKeyId, secret_access_key: ADMIN.secretAccessKey, principal_name: "admin", created_at: "2024-01-01T00:00:00Z", enabled: true, allowed_scopes: [{ bucket: "*", prefixes: [], actions: ALL_ACTIONS }] },
    ],
  });
  const logger = createLogger("error", new Writable({ write: (chunk, _encoding, done) => (logLines.push(JSON.parse(String(chunk))), done()) }) as never);
  server = createMultistoreServer({ config, logger, oidcProvider: createOidcProvider({ issuer: ISSUER, keys: [{ kid: "az-e2e", pem }] }) });
  const { port } = await server.listen(0, "127.0.0.1");
  endpoint = `http://127.0.0.1:${port}`;
}, 60_000);

afterAll(async () => {
  await server?.close();
  await Promise.all([entra?.close(), azurite?.close()]);
});

describe("az with auth_type = oidc (Microsoft Entra workload identity federation) on the Node server", () => {
  it("PUT, GET, list, copy and delete go through with user delegation SAS and bearer tokens, one Entra exchange for all", async () => {
    const client = sdkClient(endpoint, ADMIN);
    await client.send(new PutObjectCommand({ Bucket: "azfed", Key: "docs/hello.txt", Body: "hello, entra federation", ContentType: "text/plain" }));
    const got = await client.send(new GetObjectCommand({ Bucket: "azfed", Key: "docs/hello.txt" }));
    expect(await got.Body!.transformToString()).toBe("hello, entra federation");
    expect(got.ContentType).toBe("text/plain");
    const listed = await client.send(new ListObjectsV2Command({ Bucket: "azfed", Prefix: "docs/" }));
    expect(listed.Contents?.map((object) => object.Key)).toEqual(["docs/hello.txt"]);
    await client.send(new CopyObjectCommand({ Bucket: "azfed-copy", Key: "copied.txt", CopySource: "azfed/docs/hello.txt" }));
    const copied = await client.send(new GetObjectCommand({ Bucket: "azfed-copy", Key: "copied.txt" }));
    expect(await copied.Body!.transformToString()).toBe("hello, entra federation");
    await client.send(new DeleteObjectCommand({ Bucket: "azfed-copy", Key: "copied.txt" }));
    const gone = await signedRawRequest(endpoint, ADMIN, { method: "GET", path: "/azfed-copy/copied.txt" });
    expect(gone.status).toBe(404);
    client.destroy();
    const ok = entra.exchanges.filter((exchange) => exchange.outcome === "ok");
    // Both buckets share one identity (tenant, client, subject): one client-assertion exchange serves them.
    expect(ok).toHaveLength(1);
    expect(ok[0]!.claims).toMatchObject({ iss: ISSUER, sub: "s3-proxy", aud: "api://AzureADTokenExchange" });
  });

  it("multipart uploads stage blocks and commit them under the federated identity", async () => {
    const client = sdkClient(endpoint, ADMIN);
    const part = "p".repeat(5 * 1024 * 1024);
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: "azfed", Key: "big.bin" }));
    const first = await client.send(new UploadPartCommand({ Bucket: "azfed", Key: "big.bin", UploadId, PartNumber: 1, Body: part }));
    const second = await client.send(new UploadPartCommand({ Bucket: "azfed", Key: "big.bin", UploadId, PartNumber: 2, Body: "tail" }));
    await client.send(
      new CompleteMultipartUploadCommand({ Bucket: "azfed", Key: "big.bin", UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: first.ETag }, { PartNumber: 2, ETag: second.ETag }] } }),
    );
    const head = await signedRawRequest(endpoint, ADMIN, { method: "HEAD", path: "/azfed/big.bin" });
    expect(head.status).toBe(200);
    expect(head.headers["content-length"]).toBe(String(part.length + 4));
    const { UploadId: aborted } = await client.send(new CreateMultipartUploadCommand({ Bucket: "azfed", Key: "never.bin" }));
    await client.send(new AbortMultipartUploadCommand({ Bucket: "azfed", Key: "never.bin", UploadId: aborted }));
    client.destroy();
  });

  it("an app registration Entra does not know is a 503 naming the bucket and Entra's code, logged with its cause", async () => {
    const response = await signedRawRequest(endpoint, ADMIN, { method: "GET", path: "/azfed-unknown-app/some-key" });
    expect(response.status).toBe(503);
    expect(errorCode(response.text)).toBe("ServiceUnavailable");
    expect(response.text).toContain("federated credentials for bucket azfed-unknown-app: Microsoft Entra token request answered");
    expect(response.text).toMatch(/AADSTS\d+/);
    expect(logLines.find((line) => line.bucket === "azfed-unknown-app")).toMatchObject({ step: expect.stringContaining("Microsoft Entra token request answered") });
  });

  it("a subject the federated credential does not trust is refused by Entra: a 503, never an unsigned request", async () => {
    const response = await signedRawRequest(endpoint, ADMIN, { method: "GET", path: "/azfed-other-subject/docs/hello.txt" });
    expect(response.status).toBe(503);
    expect(response.text).toContain("federated credentials for bucket azfed-other-subject: Microsoft Entra token request answered invalid_client (AADSTS700213)");
    const refused = entra.exchanges.filter((exchange) => exchange.outcome !== "ok" && exchange.claims?.sub === "someone-else");
    expect(refused).toHaveLength(1);
  });

  it("an Entra outage is a 503 for a cold identity; the cached token and key keep serving the working bucket", async () => {
    const before = entra.exchanges.length;
    entra.failWith("temporarily_unavailable", 503);
    try {
      const cached = await signedRawRequest(endpoint, ADMIN, { method: "GET", path: "/azfed/docs/hello.txt" });
      expect(cached.status).toBe(200);
      expect(cached.text).toBe("hello, entra federation");
      expect(entra.exchanges.length).toBe(before);
      const cold = await signedRawRequest(endpoint, ADMIN, { method: "GET", path: "/azfed-unknown-app/other-key" });
      expect(cold.status).toBe(503);
      expect(cold.text).toContain("Microsoft Entra token request answered temporarily_unavailable");
    } finally {
      entra.recover();
    }
  });
});
