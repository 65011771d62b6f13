/**
 * Direct resource access (`auth_type = "oidc"` without `service_account_email`), both builds: unsigned URLs, the
 * federated token as `Authorization: Bearer` on every request the backend sends or hands to the runtime, asked
 * per request, and failures that are 503s without the token in them.
 */
import { S3Error } from "@multistore/core";
import type { ForwardDispatch, ObjectRequest } from "@multistore/core/backend";
import { describe, expect, it } from "vitest";
import { createGcsBackend as createNode, type FederatedAccessToken } from "../src/node.js";
import { createGcsBackend as createWorker } from "../src/worker.js";
import { recordingFetch } from "./helpers/recording-fetch.js";

const DIRECT = { bucket_name: "direct-bucket", endpoint: "http://127.0.0.1:9", auth_type: "oidc" };
const SECRET = "ya29.secret-federated-token";

/** A provider handing out `tok-1`, `tok-2`, ... (a renewal on every call), counting calls. */
function rotatingTokens() {
  const state = { calls: 0 };
  const accessToken = async (): Promise<FederatedAccessToken> => ({ accessToken: `tok-${++state.calls}`, expiresAt: new Date(Date.now() + 3_600_000) });
  return { state, accessToken };
}

const OBJECT_REQUESTS: [ObjectRequest, string][] = [
  [{ operation: "GetObject", key: "dir/a b", headers: new Headers({ range: "bytes=0-9" }) }, "GET http://127.0.0.1:9/direct-bucket/dir/a%20b"],
  [{ operation: "HeadObject", key: "k", headers: new Headers(), versionId: "1234" }, "HEAD http://127.0.0.1:9/direct-bucket/k?generation=1234"],
  [{ operation: "PutObject", key: "k", headers: new Headers({ "content-length": "3", "x-amz-meta-a": "1", "if-match": '"0123456789abcdef0123456789abcdef"' }) }, "PUT http://127.0.0.1:9/direct-bucket/k"],
  [{ operation: "UploadPart", key: "k", uploadId: "u/1=", partNumber: 3, headers: new Headers({ "content-length": "3" }) }, "PUT http://127.0.0.1:9/direct-bucket/k?partNumber=3&uploadId=u%2F1%3D"],
  [{ operation: "DeleteObject", key: "k", headers: new Headers() }, "DELETE http://127.0.0.1:9/direct-bucket/k"],
];

describe.each([
  ["node", createNode],
  ["worker", createWorker],
] as const)("direct resource access (%s build)", (_build, create) => {
  it("hands the runtime unsigned URLs with the bearer token, including the conditional write's HEAD", async () => {
    const { sent, fetchImpl } = recordingFetch();
    const tokens = rotatingTokens();
    const backend = create(DIRECT, { accessToken: tokens.accessToken, fetch: fetchImpl });
    for (const [request, target] of OBJECT_REQUESTS) {
      const dispatch = (await backend.prepareObject(request)) as ForwardDispatch;
      expect(`${dispatch.method} ${dispatch.url}`).toBe(target);
      expect(dispatch.headers.get("authorization")).toBe(`Bearer tok-${tokens.state.calls}`);
    }
    expect(OBJECT_REQUESTS.map(([request]) => request.operation)).toContain("PutObject");
    expect(sent).toEqual([{ method: "HEAD", url: "http://127.0.0.1:9/direct-bucket/k", headers: { authorization: "Bearer tok-3" }, redirect: "manual" }]);
    // One token per request: five dispatches and the HEAD before the conditional PUT.
    expect(tokens.state.calls).toBe(6);
  });

  it("sends every small request unsigned with the bearer token, never following redirects", async () => {
    const { sent, fetchImpl } = recordingFetch();
    const tokens = rotatingTokens();
    const backend = create(DIRECT, { accessToken: tokens.accessToken, fetch: fetchImpl });
    await backend.listObjects({ prefix: "p/", delimiter: "/", maxKeys: 10 });
    await backend.createMultipartUpload("k", new Headers({ "content-type": "text/plain" }));
    // If-Match makes the completion HEAD the key first: a precondition check, also a request of ours.
    await backend.completeMultipartUpload("k", "u1", [{ partNumber: 1, etag: "abc" }], new Headers({ "if-match": '"0123456789abcdef0123456789abcdef"' })).catch(() => undefined);
    await backend.abortMultipartUpload("k", "u1").catch(() => undefined);
    await backend.deleteObjects(["a", "b"]);
    await backend.copyObject({ sourceBackend: backend, sourceKey: "s", key: "d", headers: new Headers() });
    expect(sent.map((request) => request.method).sort()).toEqual(["DELETE", "DELETE", "DELETE", "GET", "HEAD", "POST", "POST", "PUT"]);
    for (const request of sent) {
      expect(request.url).not.toContain("X-Goog-");
      expect(request.headers.authorization).toMatch(/^Bearer tok-\d+$/);
      expect(request.redirect).toBe("manual");
    }
    expect(new Set(sent.map((request) => request.headers.authorization)).size).toBe(sent.length);
    expect(tokens.state.calls).toBe(sent.length);
  });

  it("uses a renewed token at once", async () => {
    const { sent, fetchImpl } = recordingFetch();
    let current = "first-token";
    const backend = create(DIRECT, { accessToken: async () => ({ accessToken: current, expiresAt: new Date(Date.now() + 60_000) }), fetch: fetchImpl });
    const get = () => backend.prepareObject({ operation: "GetObject", key: "k", headers: new Headers() }) as Promise<ForwardDispatch>;
    expect((await get()).headers.get("authorization")).toBe("Bearer first-token");
    current = "renewed-token";
    expect((await get()).headers.get("authorization")).toBe("Bearer renewed-token");
    await backend.listObjects({ prefix: "", maxKeys: 1 });
    expect(sent.at(-1)!.headers.authorization).toBe("Bearer renewed-token");
  });

  it("passes the federation's S3Errors on unchanged", async () => {
    const refused = new S3Error("ServiceUnavailable", { message: "federated credentials for bucket b: Google STS token exchange answered invalid_grant" });
    const { sent, fetchImpl } = recordingFetch();
    const backend = create(DIRECT, { accessToken: () => Promise.reject(refused), fetch: fetchImpl });
    await expect(backend.prepareObject({ operation: "GetObject", key: "k", headers: new Headers() })).rejects.toBe(refused);
    await expect(backend.listObjects({ prefix: "", maxKeys: 1 })).rejects.toBe(refused);
    await expect(backend.deleteObjects(["a", "b"])).rejects.toBe(refused);
    expect(sent).toEqual([]);
  });

  it("turns other provider failures and unusable tokens into 503s that keep the cause", async () => {
    const cause = new Error("token endpoint exploded");
    const failing = create(DIRECT, { accessToken: () => Promise.reject(cause), fetch: recordingFetch().fetchImpl });
    const error = (await failing.listObjects({ prefix: "", maxKeys: 1 }).catch((caught: unknown) => caught)) as S3Error;
    expect(error).toBeInstanceOf(S3Error);
    expect(error).toMatchObject({ code: "ServiceUnavailable", status: 503, message: "Getting the federated access token failed." });
    expect(error.cause).toBe(cause);
    await expect(failing.prepareObject({ operation: "HeadObject", key: "k", headers: new Headers() })).rejects.toMatchObject({ code: "ServiceUnavailable", cause });
    for (const accessToken of ["", "two words", `${SECRET}\r\nx-injected: 1`]) {
      const unusable = create(DIRECT, { accessToken: async () => ({ accessToken, expiresAt: new Date() }), fetch: recordingFetch().fetchImpl });
      const failure = (await unusable.listObjects({ prefix: "", maxKeys: 1 }).catch((caught: unknown) => caught)) as S3Error;
      expect(failure).toMatchObject({ code: "ServiceUnavailable", status: 503 });
      expect(`${failure.message} ${String(failure.cause)}`).not.toContain(SECRET);
    }
  });

  it("maps a refused token (401) to 503 and never puts the token into an error", async () => {
    const backend = create(DIRECT, { accessToken: async () => ({ accessToken: SECRET, expiresAt: new Date() }), fetch: recordingFetch(401).fetchImpl });
    const listed = (await backend.listObjects({ prefix: "", maxKeys: 1 }).catch((caught: unknown) => caught)) as S3Error;
    expect(listed).toMatchObject({ code: "ServiceUnavailable", status: 503, message: "The storage backend refused the gateway's request." });
    expect(String(listed.cause)).toContain("401 AuthenticationRequired");
    const dispatch = (await backend.prepareObject({ operation: "GetObject", key: "k", headers: new Headers() })) as ForwardDispatch;
    expect(dispatch.mapResponse!(401, new Headers())).toMatchObject({ code: "ServiceUnavailable", status: 503 });
    const unreachable = create(DIRECT, { accessToken: async () => ({ accessToken: SECRET, expiresAt: new Date() }), fetch: () => Promise.reject(new TypeError("fetch failed")) });
    const offline = (await unreachable.listObjects({ prefix: "", maxKeys: 1 }).catch((caught: unknown) => caught)) as S3Error;
    expect(offline).toMatchObject({ code: "ServiceUnavailable", message: "The storage backend is unreachable." });
    for (const error of [listed, offline]) expect(`${error.message} ${String(error.cause)} ${JSON.stringify(error)}`).not.toContain(SECRET);
  });

  it("copies between direct-access buckets of one identity, not across identities or signing modes", async () => {
    const { sent, fetchImpl } = recordingFetch();
    const extras = { accessToken: rotatingTokens().accessToken, fetch: fetchImpl };
    const provider = { workload_identity_provider: "projects/1/locations/global/workloadIdentityPools/p/providers/x" };
    const target = create({ ...DIRECT, ...provider }, extras);
    const source = create({ ...DIRECT, ...provider, bucket_name: "other-bucket" }, extras);
    expect(target.copyDomain).toBe("gcs:http://127.0.0.1:9:federated:projects/1/locations/global/workloadIdentityPools/p/providers/x:s3-proxy");
    expect(source.copyDomain).toBe(target.copyDomain);
    await target.copyObject({ sourceBackend: source, sourceKey: "s", key: "d", headers: new Headers() });
    expect(sent.at(-1)).toMatchObject({ method: "PUT", headers: { "x-goog-copy-source": "other-bucket/s", authorization: expect.stringMatching(/^Bearer /) } });
    const strangers = [
      create({ ...DIRECT, workload_identity_provider: "projects/2/locations/global/workloadIdentityPools/p/providers/x" }, extras),
      create({ ...DIRECT, ...provider, oidc_subject: "someone-else" }, extras),
      create({ ...DIRECT, service_account_email: "sa@p.iam.gserviceaccount.com" }, { signBlob: async () => new Uint8Array(1) }),
      create({ bucket_name: "direct-bucket", endpoint: "http://127.0.0.1:9", skip_signature: "true" }),
    ];
    for (const stranger of strangers) {
      expect(stranger.copyDomain).not.toBe(target.copyDomain);
      await expect(target.copyObject({ sourceBackend: stranger, sourceKey: "s", key: "d", headers: new Headers() })).rejects.toMatchObject({ code: "NotImplemented" });
    }
  });
});
