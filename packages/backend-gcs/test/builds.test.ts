/**
 * The Node and worker builds produce identical requests (URLs, signatures, headers) for the same inputs and clock,
 * and @google-cloud/storage's signer computes the same signatures for the requests the backend makes.
 */
import { generateKeyPairSync } from "node:crypto";
import { Storage } from "@google-cloud/storage";
import type { ForwardDispatch, ObjectRequest } from "@multistore/core/backend";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createGcsBackend as createNode, createGcsSigner as nodeSigner } from "../src/node.js";
import { createGcsBackend as createWorker, createGcsSigner as workerSigner } from "../src/worker.js";
import { recordingFetch } from "./helpers/recording-fetch.js";

const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const KEY = JSON.stringify({ client_email: "builds@test-project.iam.gserviceaccount.com", private_key: privateKey.export({ format: "pem", type: "pkcs8" }) });
const NOW = new Date("2026-01-02T03:04:05Z");
const OPTIONS = { bucket_name: "equal-bucket", endpoint: "http://127.0.0.1:9", service_account_key: KEY };

/** Every small request a backend sends, answered with a canned success document. */

const OBJECT_REQUESTS: ObjectRequest[] = [
  { operation: "GetObject", key: "dir/a b+c~ü.txt", headers: new Headers({ range: "bytes=0-9", "if-none-match": '"x"', "if-modified-since": "Mon, 01 Jan 2024 00:00:00 GMT" }), responseOverrides: { "response-content-type": "text/plain" } },
  { operation: "HeadObject", key: "k", headers: new Headers({ "if-match": '"x"', "if-unmodified-since": "Mon, 01 Jan 2024 00:00:00 GMT" }), versionId: "1234" },
  { operation: "PutObject", key: "k", headers: new Headers({ "content-length": "3", "content-type": "text/plain", "x-amz-meta-color": "blue", expires: "Wed, 21 Oct 2037 07:28:00 GMT", "if-match": '"0123456789abcdef0123456789abcdef"' }) },
  { operation: "UploadPart", key: "k", uploadId: "u/1=", partNumber: 3, headers: new Headers({ "content-length": "3", "content-md5": "AAAAAAAAAAAAAAAAAAAAAA==" }) },
  { operation: "DeleteObject", key: "k", headers: new Headers() },
];

describe("node and worker builds", () => {
  it("sign identical signatures with the same key", async () => {
    const data = new TextEncoder().encode("GOOG4-RSA-SHA256\n20260102T030405Z\nscope\nhash");
    expect(Buffer.from(await workerSigner(KEY).sign(data))).toEqual(Buffer.from(await nodeSigner(KEY).sign(data)));
  });

  it("prepare identical object requests", async () => {
    const [node, worker] = [recordingFetch(), recordingFetch()];
    const nodeBackend = createNode(OPTIONS, { now: () => NOW, fetch: node.fetchImpl });
    const workerBackend = createWorker(OPTIONS, { now: () => NOW, fetch: worker.fetchImpl });
    for (const request of OBJECT_REQUESTS) {
      const [a, b] = (await Promise.all([nodeBackend.prepareObject(request), workerBackend.prepareObject(request)])) as [ForwardDispatch, ForwardDispatch];
      expect(b.url, request.operation).toBe(a.url);
      expect(b.method).toBe(a.method);
      expect([...b.headers]).toEqual([...a.headers]);
    }
    // The conditional PUT looked the object up first (a signed HEAD), identically.
    expect(worker.sent).toEqual(node.sent);
    expect(node.sent.map((request) => request.method)).toEqual(["HEAD"]);
  });

  it("send identical small requests", async () => {
    const results = [];
    for (const create of [createNode, createWorker]) {
      const { sent, fetchImpl } = recordingFetch();
      const backend = create(OPTIONS, { now: () => NOW, fetch: fetchImpl });
      await backend.listObjects({ prefix: "p/", delimiter: "/", maxKeys: 10, startAfter: "p/a" });
      await backend.createMultipartUpload("k", new Headers({ "content-type": "text/plain", "x-amz-meta-a": "1" }));
      await backend.completeMultipartUpload("k", "u1", [{ partNumber: 1, etag: "abc" }], new Headers()).catch(() => undefined);
      await backend.abortMultipartUpload("k", "u1").catch(() => undefined);
      await backend.deleteObjects(["a", "b"]);
      await backend.copyObject({ sourceBackend: backend, sourceKey: "s", key: "d", headers: new Headers({ "x-amz-metadata-directive": "REPLACE", "content-type": "text/x" }) });
      // The batch delete runs in parallel: compare the requests, not their interleaving.
      results.push(sent.map((request) => JSON.stringify(request)).sort());
    }
    expect(results[0]!.length).toBeGreaterThanOrEqual(7);
    expect(results[1]).toEqual(results[0]);
  });
});

describe("requests the backend signs, checked with @google-cloud/storage", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it.each(OBJECT_REQUESTS.filter((request) => request.operation !== "HeadObject").map((request) => [request.operation, request] as const))("%s", async (_name, request) => {
    const backend = createNode(OPTIONS, { now: () => NOW, fetch: recordingFetch().fetchImpl });
    const dispatch = (await backend.prepareObject(request)) as ForwardDispatch;
    const ours = new URL(dispatch.url);
    const query = Object.fromEntries([...ours.searchParams].filter(([name]) => !name.startsWith("X-Goog-")));
    // Sent, never signed: the length (the runtime frames the body) and a read's Accept-Encoding.
    const extensionHeaders = Object.fromEntries([...dispatch.headers].filter(([name]) => name !== "content-length" && name !== "accept-encoding"));
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(NOW);
    const key = decodeURIComponent(ours.pathname.split("/").slice(2).join("/"));
    // google-auth-library calls `credentials` deprecated, yet it is what signs locally with the key.
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const storage = new Storage({ projectId: "test-project", credentials: JSON.parse(KEY) });
    warn.mockRestore();
    const [sdkUrl] = await storage
      .bucket("equal-bucket")
      .file(key)
      .getSignedUrl({
        version: "v4",
        action: ({ GET: "read", PUT: "write", DELETE: "delete" } as const)[dispatch.method as "GET"],
        accessibleAt: NOW,
        expires: NOW.getTime() + 300_000,
        host: "http://127.0.0.1:9",
        extensionHeaders,
        queryParams: query,
      });
    expect(new URL(sdkUrl).searchParams.get("X-Goog-Signature")).toBe(ours.searchParams.get("X-Goog-Signature"));
  });
});
