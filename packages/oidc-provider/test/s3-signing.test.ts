/**
 * backend-s3 with a credential provider (both builds): every presigned and signed backend request uses the
 * provider's current keys, and the session token travels as X-Amz-Security-Token.
 */
import { createS3Backend as createNodeBackend } from "@multistore/backend-s3/node";
import { createS3Backend as createWorkerBackend } from "@multistore/backend-s3/worker";
import { S3Error } from "@multistore/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordingEndpoint } from "./helpers.js";

const LIST = '<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>real</Name><KeyCount>0</KeyCount><IsTruncated>false</IsTruncated></ListBucketResult>';
let server: Awaited<ReturnType<typeof recordingEndpoint>>;
beforeAll(async () => {
  server = await recordingEndpoint(() => ({ headers: { "content-type": "application/xml" }, body: LIST }));
});
afterAll(() => server.close());

const options = () => ({ bucket_name: "real", region: "us-east-1", endpoint: server.url, force_path_style: "true", auth_type: "oidc", oidc_role_arn: "arn:aws:iam::1:role/r" });
const get = { operation: "GetObject" as const, key: "a/b.txt", headers: new Headers() };

describe.each([
  ["node", createNodeBackend],
  ["worker", createWorkerBackend],
])("%s build", (_name, createS3Backend) => {
  it("presigns with the provider's current credentials and their session token", async () => {
    let serial = 0;
    const backend = createS3Backend(options(), {
      credentials: async () => ({ accessKeyId: `ASIAKEY${++serial}`, secretAccessKey: "secret", sessionToken: `token-${serial}`, expiration: new Date(Date.now() + 3600_000) }),
    });
    const first = new URL(((await backend.prepareObject(get)) as { url: string }).url);
    expect(first.searchParams.get("X-Amz-Credential")).toMatch(/^ASIAKEY1\//);
    expect(first.searchParams.get("X-Amz-Security-Token")).toBe("token-1");
    const second = new URL(((await backend.prepareObject(get)) as { url: string }).url);
    expect(second.searchParams.get("X-Amz-Credential")).toMatch(/^ASIAKEY2\//);
    expect(second.searchParams.get("X-Amz-Security-Token")).toBe("token-2");
  });

  it("signs small requests with the session token header", async () => {
    const backend = createS3Backend(options(), { credentials: async () => ({ accessKeyId: "ASIALIST", secretAccessKey: "secret", sessionToken: "list-token" }) });
    await backend.listObjects({ prefix: "", maxKeys: 10 });
    const request = server.received[server.received.length - 1]!;
    expect(request.headers.authorization).toMatch(/Credential=ASIALIST\//);
    expect(request.headers.authorization).toMatch(/SignedHeaders=[^,]*x-amz-security-token/);
    expect(request.headers["x-amz-security-token"]).toBe("list-token");
  });

  it("a provider's S3Error passes through; other failures become 503 ServiceUnavailable", async () => {
    const refusing = createS3Backend(options(), {
      credentials: async () => {
        throw new S3Error("ServiceUnavailable", { message: "federated credentials for bucket x: STS answered AccessDenied", expose: true });
      },
    });
    await expect(refusing.prepareObject(get)).rejects.toMatchObject({ message: "federated credentials for bucket x: STS answered AccessDenied" });
    const broken = createS3Backend(options(), { credentials: () => Promise.reject(new Error("boom")) });
    await expect(broken.listObjects({ prefix: "", maxKeys: 1 })).rejects.toMatchObject({ code: "ServiceUnavailable", status: 503 });
  });

  it('auth_type = "oidc" without a provider is a configuration error naming the variables', () => {
    expect(() => createS3Backend(options())).toThrow(/OIDC_PROVIDER_KEY and OIDC_PROVIDER_ISSUER/);
  });
});
