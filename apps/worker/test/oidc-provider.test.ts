/**
 * The Worker as an OIDC provider (OIDC_PROVIDER_KEY / OIDC_PROVIDER_ISSUER): discovery and JWKS served by workerd,
 * and an s3 bucket with `auth_type = "oidc"` in front of s3rver, signed with credentials from a local STS that
 * verifies the Worker's token against the JWKS it fetches from the Worker.
 */
import { generateKeyPairSync } from "node:crypto";
import { errorCode, signedRawRequest, startS3rver, startStsEndpoint, type S3rverHandle, type StsEndpoint } from "@multistore/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWorker, type WorkerHandle } from "./helpers/worker-harness.js";

const ISSUER = "https://proxy.multistore.test";
const ROLE = "arn:aws:iam::123456789012:role/multistore-worker";
const KEY = { accessKeyId: "AKIAWORKEROIDC00001", secretAccessKey: "worker-oidc-secret-00000000000000000001" };
const ALL = ["get_object", "head_object", "put_object", "delete_object", "list_bucket"];

let s3: S3rverHandle;
let sts: StsEndpoint;
let worker: WorkerHandle;

beforeAll(async () => {
  s3 = await startS3rver({ buckets: ["federated"] });
  sts = await startStsEndpoint({ issuer: ISSUER, jwksUri: () => `${worker.endpoint}/.well-known/jwks.json`, roleArn: ROLE, credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } });
  const pem = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  const backend = { bucket_name: "federated", region: s3.region, endpoint: s3.endpoint, force_path_style: "true", auth_type: "oidc", sts_endpoint: sts.endpoint };
  const config = {
    buckets: [
      { name: "fed", backend_type: "s3", anonymous_access: false, backend_options: { ...backend, oidc_role_arn: ROLE } },
      { name: "fed-refused", backend_type: "s3", anonymous_access: false, backend_options: { ...backend, oidc_role_arn: `${ROLE}-untrusted` } },
    ],
    roles: [],
    credentials: [{ access_key_id: KEY.accessKeyId, secret_access_key: KEY.secretAccessKey, principal_name: "oidc", created_at: "2024-01-01T00:00:00Z", enabled: true, allowed_scopes: [{ bucket: "*", prefixes: [], actions: ALL }] }],
  };
  worker = await startWorker({ bindings: { PROXY_CONFIG: JSON.stringify(config), OIDC_PROVIDER_KEY: JSON.stringify([{ kid: "worker-1", pem }]), OIDC_PROVIDER_ISSUER: ISSUER } });
});

afterAll(async () => {
  await worker?.close();
  await Promise.all([sts?.close(), s3?.close()]);
});

describe("worker: federated backend credentials", () => {
  it("serves discovery and JWKS", async () => {
    const discovery = (await (await fetch(`${worker.endpoint}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(discovery).toMatchObject({ issuer: ISSUER, jwks_uri: `${ISSUER}/.well-known/jwks.json`, id_token_signing_alg_values_supported: ["RS256"] });
    const jwks = (await (await fetch(`${worker.endpoint}/.well-known/jwks.json`)).json()) as { keys: Record<string, unknown>[] };
    expect(jwks.keys).toEqual([expect.objectContaining({ kid: "worker-1", kty: "RSA", alg: "RS256", use: "sig" })]);
  });

  it("PUT and GET go through with STS-issued credentials", async () => {
    const put = await signedRawRequest(worker.endpoint, KEY, { method: "PUT", path: "/fed/hello.txt", headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" }, body: "from the worker" });
    expect(put.status).toBe(200);
    const get = await signedRawRequest(worker.endpoint, KEY, { method: "GET", path: "/fed/hello.txt" });
    expect(get.text).toBe("from the worker");
    expect(sts.exchanges.filter((exchange) => exchange.outcome === "ok")).toHaveLength(1);
    expect(sts.exchanges[0]!.claims).toMatchObject({ iss: ISSUER, sub: "s3-proxy", aud: "sts.amazonaws.com" });
  });

  it("a refused exchange is an actionable 503", async () => {
    const response = await signedRawRequest(worker.endpoint, KEY, { method: "GET", path: "/fed-refused/hello.txt" });
    expect(response.status).toBe(503);
    expect(errorCode(response.text)).toBe("ServiceUnavailable");
    expect(response.text).toContain("federated credentials for bucket fed-refused: STS AssumeRoleWithWebIdentity answered AccessDenied");
  });
});
