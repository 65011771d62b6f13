/**
 * End to end on the Node server: an s3 bucket with `auth_type = "oidc"` in front of s3rver. The proxy mints its own
 * token, a local STS verifies it against the proxy's published JWKS (fetched from this server) and hands out
 * temporary keys (s3rver's key pair plus a session token), and the proxy signs its backend requests with them.
 */
import { generateKeyPairSync } from "node:crypto";
import { Writable } from "node:stream";
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { parseConfig } from "@multistore/config";
import { createOidcProvider } from "@multistore/oidc-provider";
import { errorCode, rawRequest, sdkClient, signedRawRequest, startS3rver, startStsEndpoint, type S3rverHandle, type StsEndpoint } from "@multistore/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger, createMultistoreServer, type MultistoreServer } from "../src/index.js";

const ISSUER = "https://proxy.multistore.test";
const ROLE = "arn:aws:iam::123456789012:role/multistore-backend";
const BAD_KEYS_ROLE = "arn:aws:iam::123456789012:role/wrong-secret";
const ADMIN = { accessKeyId: "AKIAFEDERATION00001", secretAccessKey: "federation-admin-secret-000000000000001" };
const ALL_ACTIONS = ["get_object", "head_object", "put_object", "delete_object", "list_bucket", "create_multipart_upload", "upload_part", "complete_multipart_upload", "abort_multipart_upload"];

let s3: S3rverHandle;
let sts: StsEndpoint;
let badSts: StsEndpoint;
let server: MultistoreServer;
let endpoint = "";
const logLines: Record<string, unknown>[] = [];

function bucket(name: string, options: Record<string, string>) {
  return {
    name,
    backend_type: "s3",
    anonymous_access: false,
    backend_options: { bucket_name: "federated", region: s3.region, endpoint: s3.endpoint, force_path_style: "true", auth_type: "oidc", ...options },
  };
}

beforeAll(async () => {
  s3 = await startS3rver({ buckets: ["federated"] });
  const jwksUri = () => `${endpoint}/.well-known/jwks.json`;
  sts = await startStsEndpoint({ issuer: ISSUER, jwksUri, roleArn: ROLE, credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } });
  badSts = await startStsEndpoint({ issuer: ISSUER, jwksUri, roleArn: BAD_KEYS_ROLE, credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: "not-the-secret" } });
  const pem = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  const config = parseConfig({
    buckets: [
      bucket("fed", { oidc_role_arn: ROLE, sts_endpoint: sts.endpoint, oidc_subject: "multistore-e2e" }),
      bucket("fed-refused", { oidc_role_arn: `${ROLE}-untrusted`, sts_endpoint: sts.endpoint }),
      bucket("fed-bad-keys", { oidc_role_arn: BAD_KEYS_ROLE, sts_endpoint: badSts.endpoint }),
    ],
    roles: [],
    credentials: [
      { access_key_id: ADMIN.accessKeyId, secret_access_key: ADMIN.secretAccessKey, principal_name: "admin", created_at: "2024-01-01T00:00:00Z", enabled: true, allowed_scopes: [{ bucket: "*", prefixes: [], actions: ALL_ACTIONS }] },
    ],
  });
  const logger = createLogger("error", new Writable({ write: (chunk, _encoding, done) => (logLines.push(JSON.parse(String(chunk))), done()) }) as never);
  server = createMultistoreServer({ config, logger, oidcProvider: createOidcProvider({ issuer: ISSUER, keys: [{ kid: "e2e", pem }] }) });
  const { port } = await server.listen(0, "127.0.0.1");
  endpoint = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  await server?.close();
  await Promise.all([sts?.close(), badSts?.close(), s3?.close()]);
});

describe("federated backend credentials (auth_type = oidc) on the Node server", () => {
  it("serves the discovery document and the JWKS", async () => {
    const discovery = await rawRequest(endpoint, { method: "GET", path: "/.well-known/openid-configuration" });
    expect(discovery.status).toBe(200);
    expect(JSON.parse(discovery.text)).toMatchObject({ issuer: ISSUER, jwks_uri: `${ISSUER}/.well-known/jwks.json`, id_token_signing_alg_values_supported: ["RS256"] });
    const jwks = JSON.parse((await rawRequest(endpoint, { method: "GET", path: "/.well-known/jwks.json" })).text) as { keys: { kid: string }[] };
    expect(jwks.keys.map((key) => key.kid)).toEqual(["e2e"]);
  });

  it("PUT, GET, list and DELETE go through with STS-issued credentials, one exchange for all of them", async () => {
    const client = sdkClient(endpoint, ADMIN);
    await client.send(new PutObjectCommand({ Bucket: "fed", Key: "docs/hello.txt", Body: "hello, federation" }));
    const got = await client.send(new GetObjectCommand({ Bucket: "fed", Key: "docs/hello.txt" }));
    expect(await got.Body!.transformToString()).toBe("hello, federation");
    const listed = await client.send(new ListObjectsV2Command({ Bucket: "fed", Prefix: "docs/" }));
    expect(listed.Contents?.map((object) => object.Key)).toEqual(["docs/hello.txt"]);
    await client.send(new DeleteObjectCommand({ Bucket: "fed", Key: "docs/hello.txt" }));
    client.destroy();
    expect(sts.exchanges.filter((exchange) => exchange.roleArn === ROLE)).toHaveLength(1);
    expect(sts.exchanges[0]).toMatchObject({ roleArn: ROLE, roleSessionName: "multistore-e2e", durationSeconds: 3600, outcome: "ok" });
    expect(sts.exchanges[0]!.claims).toMatchObject({ iss: ISSUER, sub: "multistore-e2e", aud: "sts.amazonaws.com" });
  });

  it("the backend really checks the STS-issued keys: a wrong issued secret is refused by s3rver", async () => {
    // With the right issued keys a missing key is s3rver's own 404; with a wrong issued secret s3rver refuses the
    // signature, which the gateway reports as 503 (the backend refused the gateway's request).
    expect(errorCode((await rawRequestSigned("/fed/no-such-key")).text)).toBe("NoSuchKey");
    const refused = await rawRequestSigned("/fed-bad-keys/no-such-key");
    expect(badSts.exchanges).toHaveLength(1);
    expect(refused.status).toBe(503);
    expect(JSON.stringify(logLines)).toContain("SignatureDoesNotMatch");
  });

  it("a refused exchange is a 503 naming the bucket and the step, and the cause is logged", async () => {
    const response = await rawRequestSigned("/fed-refused/some-key");
    expect(response.status).toBe(503);
    expect(errorCode(response.text)).toBe("ServiceUnavailable");
    expect(response.text).toContain("federated credentials for bucket fed-refused: STS AssumeRoleWithWebIdentity answered AccessDenied");
    const logged = logLines.find((line) => line.bucket === "fed-refused");
    expect(logged).toMatchObject({ step: "STS AssumeRoleWithWebIdentity answered AccessDenied", msg: "federated backend credentials failed" });
    expect(JSON.stringify(logged)).toContain("Not authorized to perform sts:AssumeRoleWithWebIdentity");
  });
});

/** A signed GET, answered raw (the SDK would throw on errors). */
function rawRequestSigned(path: string) {
  return signedRawRequest(endpoint, ADMIN, { method: "GET", path });
}
