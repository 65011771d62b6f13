/** Options are validated when a backend is constructed, and every error names the option to fix. */
import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { ForwardDispatch } from "@multistore/core/backend";
import { createGcsBackendWith } from "../src/gcs-backend-base.js";
import { createGcsBackend as createNode } from "../src/node.js";
import { createGcsBackend as createWorker, resolveGcsOptions } from "../src/worker.js";

const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const PEM = privateKey.export({ format: "pem", type: "pkcs8" }).toString();
const KEY = JSON.stringify({ client_email: "sa@p.iam.gserviceaccount.com", private_key: PEM });

describe.each([
  ["node", createNode],
  ["worker", createWorker],
] as const)("option validation (%s build)", (_build, create) => {
  it.each([
    [{}, /^bucket_name is required for backend_type = gcs/],
    [{ bucket_name: "Bad_Bucket!" }, /^bucket_name must be a valid bucket name/],
    [{ bucket_name: "b-1", service_account_key: "{not json" }, /^service_account_key must be the JSON of a service account key file/],
    [{ bucket_name: "b-1", service_account_key: JSON.stringify({ private_key: PEM }) }, /^service_account_key has no client_email/],
    [{ bucket_name: "b-1", service_account_key: JSON.stringify({ client_email: "a@b" }) }, /^service_account_key has no private_key/],
    [{ bucket_name: "b-1", service_account_key: JSON.stringify({ client_email: "a@b", private_key: "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----" }) }, /^service_account_key\.private_key must be a PKCS#8 PEM key/],
    [{ bucket_name: "b-1", skip_signature: "yes" }, /^skip_signature must be "true" or "false" for backend_type = gcs/],
    [{ bucket_name: "b-1", skip_signature: "true", endpoint: "not a url" }, /^endpoint must be a URL/],
    [{ bucket_name: "b-1", skip_signature: "true", endpoint: "ftp://host" }, /^endpoint must use http or https/],
    [{ bucket_name: "b-1", skip_signature: "true", endpoint: "http://host/?a=b" }, /^endpoint must not carry a query/],
    [{ bucket_name: "b-1", service_account_key: KEY, auth_type: "web" }, /^auth_type must be "static" or "oidc" for backend_type = gcs/],
    // A key file's path reaching the backend was never read (a registry service's entry): refused, never unsigned.
    [{ bucket_name: "b-1", service_account_path: "/keys/sa.json" }, /^service_account_path is read only from the server's config file; give the key's contents as service_account_key for backend_type = gcs/],
    [{ bucket_name: "b-1", auth_type: "oidc" }, /^auth_type = "oidc" needs federated credentials for backend_type = gcs: .* sends the federated access token directly/],
    [{ bucket_name: "b-1", auth_type: "oidc", service_account_email: "" }, /^auth_type = "oidc" needs federated credentials for backend_type = gcs: .* sends the federated access token directly/],
    [{ bucket_name: "b-1", auth_type: "oidc", service_account_email: "not-an-email" }, /^service_account_email must be an email address/],
    [{ bucket_name: "b-1", auth_type: "oidc", service_account_key: KEY }, /^service_account_key must not be set for backend_type = gcs with auth_type = "oidc" \(the proxy holds no key\)$/],
    [{ bucket_name: "b-1", auth_type: "oidc", skip_signature: "true" }, /^skip_signature must not be "true" for backend_type = gcs with auth_type = "oidc"$/],
    [{ bucket_name: "b-1", auth_type: "oidc", endpoint: "http://gcs.internal:4443" }, /^endpoint must use https for backend_type = gcs with auth_type = "oidc" and no service_account_email \(http only to a loopback host\)$/],
    [{ bucket_name: "b-1", auth_type: "oidc", service_account_email: "sa@p.iam.gserviceaccount.com" }, /^auth_type = "oidc" needs federated credentials for backend_type = gcs: .* signs through IAM signBlob$/],
  ])("refuses %j", (options, message) => {
    expect(() => create(options as never)).toThrow(message);
  });

  it("never puts the private key into an error message", () => {
    const broken = JSON.stringify({ client_email: "a@b", private_key: PEM.replace("PRIVATE KEY-----\n", "PRIVATE KEY-----\n!!") });
    let message = "";
    try {
      create({ bucket_name: "b-1", service_account_key: broken });
    } catch (error) {
      message = String(error);
    }
    expect(message).toMatch(/service_account_key/);
    expect(message).not.toContain(PEM.slice(40, 80));
  });

  it("accepts a key, an unsigned public bucket and a custom endpoint", () => {
    expect(create({ bucket_name: "b-1", service_account_key: KEY }).copyDomain).toBe("gcs:https://storage.googleapis.com:sa@p.iam.gserviceaccount.com");
    expect(create({ bucket_name: "b-1", skip_signature: "true", endpoint: "http://127.0.0.1:4443/storage/" }).copyDomain).toBe("gcs:http://127.0.0.1:4443/storage:anonymous");
    expect(create({ bucket_name: "b-1", service_account_key: KEY, auth_type: "static" }).kind).toBe("gcs");
    // No key at all: a public bucket, reached unsigned as with skip_signature.
    expect(create({ bucket_name: "b-1" }).copyDomain).toBe("gcs:https://storage.googleapis.com:anonymous");
  });

  it("auth_type = oidc signs through the signBlob extra as service_account_email, without a key", async () => {
    const signed: string[] = [];
    const requests: string[] = [];
    const backend = create(
      { bucket_name: "b-1", auth_type: "oidc", service_account_email: "fed@p.iam.gserviceaccount.com", endpoint: "http://127.0.0.1:9" },
      {
        signBlob: async (data) => {
          signed.push(new TextDecoder().decode(data));
          return new Uint8Array([0xab, 0xcd]);
        },
        fetch: async (input) => {
          requests.push(String(input));
          return new Response("", { status: 404 });
        },
      },
    );
    expect(backend.copyDomain).toBe("gcs:http://127.0.0.1:9:fed@p.iam.gserviceaccount.com");
    await backend.abortMultipartUpload!("k", "u1").catch(() => undefined);
    expect(signed[0]).toMatch(/^GOOG4-RSA-SHA256\n/);
    expect(requests[0]).toContain("X-Goog-Credential=fed%40p.iam.gserviceaccount.com");
    expect(requests[0]).toMatch(/X-Goog-Signature=abcd$/);
  });
});

describe.each([
  ["node", createNode],
  ["worker", createWorker],
] as const)("auth_type = oidc: impersonation or direct access (%s build)", (_build, create) => {
  const accessToken = async () => ({ accessToken: "tok", expiresAt: new Date(Date.now() + 60_000) });
  const signBlob = async () => new Uint8Array([1]);

  it("needs the accessToken extra without service_account_email, whatever signBlob is given", () => {
    const direct = { bucket_name: "b-1", auth_type: "oidc" };
    expect(() => create(direct, { signBlob, clientEmail: "sa@p.iam.gserviceaccount.com" })).toThrow(/sends the federated access token directly/);
    expect(create(direct, { accessToken, signBlob }).copyDomain).toBe("gcs:https://storage.googleapis.com:federated:s3-proxy");
  });

  it("signs nothing in direct mode, even with a signer at hand", async () => {
    const direct = { bucket_name: "b-1", auth_type: "oidc", endpoint: "http://127.0.0.1:9" };
    const viaBuild = create(direct, { accessToken, signBlob, clientEmail: "sa@p.iam.gserviceaccount.com" });
    const viaRuntime = createGcsBackendWith(direct, {
      createSigner: () => ({ clientEmail: "key@p.iam.gserviceaccount.com", sign: signBlob }),
      remoteSigner: { clientEmail: "sa@p.iam.gserviceaccount.com", sign: signBlob },
      accessToken,
      send: () => Promise.reject(new Error("not sent")),
    });
    for (const backend of [viaBuild, viaRuntime]) {
      const dispatch = (await backend.prepareObject({ operation: "GetObject", key: "k", headers: new Headers() })) as ForwardDispatch;
      expect(dispatch.url).toBe("http://127.0.0.1:9/b-1/k");
      expect(backend.copyDomain).toBe("gcs:http://127.0.0.1:9:federated:s3-proxy");
    }
  });

  it("keeps impersonation through signBlob with service_account_email, ignoring accessToken", () => {
    const impersonated = { bucket_name: "b-1", auth_type: "oidc", service_account_email: "fed@p.iam.gserviceaccount.com" };
    expect(() => create(impersonated, { accessToken })).toThrow(/signs through IAM signBlob$/);
    expect(create(impersonated, { accessToken, signBlob }).copyDomain).toBe("gcs:https://storage.googleapis.com:fed@p.iam.gserviceaccount.com");
  });

  it("ignores accessToken for keys and public buckets", async () => {
    const requests: { url: string; headers: Record<string, string> }[] = [];
    const fetchImpl = (async (url: string, init: RequestInit) => {
      requests.push({ url, headers: init.headers as Record<string, string> });
      return new Response(null, { status: 204 });
    }) as unknown as typeof fetch;
    await create({ bucket_name: "b-1", service_account_key: KEY }, { accessToken, fetch: fetchImpl }).abortMultipartUpload!("k", "u1");
    await create({ bucket_name: "b-1", skip_signature: "true" }, { accessToken, fetch: fetchImpl }).abortMultipartUpload!("k", "u1");
    expect(requests.map((request) => request.headers.authorization)).toEqual([undefined, undefined]);
    expect(requests[0]!.url).toContain("X-Goog-Signature=");
  });
});

describe("resolveGcsOptions", () => {
  it("resolves auth_type = oidc without an email to direct access, with one to impersonation", () => {
    const direct = resolveGcsOptions({ bucket_name: "b-1", auth_type: "oidc" });
    expect(direct).toMatchObject({ bucketName: "b-1", federatedDirect: true });
    expect(direct.federatedEmail).toBeUndefined();
    expect(direct.serviceAccount).toBeUndefined();
    const impersonated = resolveGcsOptions({ bucket_name: "b-1", auth_type: "oidc", service_account_email: "fed@p.iam.gserviceaccount.com" });
    expect(impersonated).toMatchObject({ federatedEmail: "fed@p.iam.gserviceaccount.com" });
    expect(impersonated.federatedDirect).toBeUndefined();
    expect(resolveGcsOptions({ bucket_name: "b-1", service_account_key: KEY }).federatedDirect).toBeUndefined();
  });

  it("defaults the endpoint to the public XML API", () => {
    const resolved = resolveGcsOptions({ bucket_name: "my.bucket", service_account_key: KEY });
    expect(resolved.endpoint.href).toBe("https://storage.googleapis.com/");
    expect(resolved.serviceAccount?.clientEmail).toBe("sa@p.iam.gserviceaccount.com");
    expect(resolveGcsOptions({ bucket_name: "b-1", skip_signature: "true" }).serviceAccount).toBeUndefined();
  });
});
