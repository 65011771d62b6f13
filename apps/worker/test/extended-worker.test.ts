/**
 * The README's "Extending the Worker" example (examples/extended-worker.ts): bundled by wrangler as its own entry and
 * run under workerd, its middleware refuses deletes and counts usage, and its parameterized route answers.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorCode, signedRawRequest } from "@multistore/testing";
import { startWorker, type WorkerHandle } from "./helpers/worker-harness.js";

const KEY = { accessKeyId: "AKIAWORKEREXTEND001", secretAccessKey: "worker-extend-secret-0000000000000000001" };
const ACTIONS = ["get_object", "put_object", "delete_object", "list_bucket"];

describe("a Worker extended with createWorker({ middleware, routes })", () => {
  let worker: WorkerHandle;

  beforeAll(async () => {
    const config = {
      buckets: [{ name: "files", backend_type: "r2", anonymous_access: false, backend_options: { binding: "FILES" } }],
      roles: [],
      credentials: [{ access_key_id: KEY.accessKeyId, secret_access_key: KEY.secretAccessKey, principal_name: "extender", created_at: "2024-01-01T00:00:00Z", enabled: true, allowed_scopes: [{ bucket: "*", prefixes: [], actions: ACTIONS }] }],
    };
    worker = await startWorker({ entry: "examples/extended-worker.ts", bindings: { PROXY_CONFIG: JSON.stringify(config) }, r2Buckets: ["FILES", "ARCHIVE"] });
  }, 120_000);

  afterAll(async () => {
    await worker?.close();
  });

  it("serves S3 as the shipped Worker does, refuses deletes in its middleware, and reports usage on its own route", async () => {
    const signed = (method: string, path: string, body?: string) =>
      signedRawRequest(worker.endpoint, KEY, { method, path, headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" }, ...(body !== undefined && { body }) });
    expect((await signed("PUT", "/files/a.txt", "hello extended")).status).toBe(200);
    const read = await signed("GET", "/files/a.txt");
    expect([read.status, read.text]).toEqual([200, "hello extended"]);
    const deletion = await signed("DELETE", "/files/a.txt");
    expect([deletion.status, errorCode(deletion.text)]).toEqual([403, "AccessDenied"]);
    expect(deletion.text).toContain("Deletes are disabled on this deployment.");
    expect((await signed("GET", "/files/a.txt")).status).toBe(200);
    // After-middleware runs once each response is complete (waitUntil): poll briefly.
    let usage: Record<string, unknown> = {};
    for (let attempt = 0; attempt < 50; attempt++) {
      usage = (await (await fetch(`${worker.endpoint}/usage/files`)).json()) as Record<string, unknown>;
      if (usage.requests === 4) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // Four requests, the refused delete included (after-hooks see every response); the refusal's error document is
    // bytes sent too.
    expect(usage).toMatchObject({ bucket: "files", requests: 4, bytesReceived: "hello extended".length });
    expect(usage.bytesSent).toBeGreaterThan(2 * "hello extended".length);
    const health = await fetch(`${worker.endpoint}/healthz`);
    expect([health.status, await health.text()]).toEqual([200, "ok\n"]);
  });

  it("keeps archive/ keys in the ARCHIVE bucket through its onion middleware", async () => {
    const signed = (method: string, path: string, body?: string) =>
      signedRawRequest(worker.endpoint, KEY, { method, path, headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" }, ...(body !== undefined && { body }) });
    expect((await signed("PUT", "/files/archive/2019.txt", "old news")).status).toBe(200);
    const read = await signed("GET", "/files/archive/2019.txt");
    expect([read.status, read.text]).toEqual([200, "old news"]);
    // The listing is served from FILES itself, where the archived object never went.
    const listing = await signedRawRequest(worker.endpoint, KEY, { method: "GET", path: "/files", query: { "list-type": "2", prefix: "archive/" } });
    expect([listing.status, listing.text.includes("<Key>archive/2019.txt</Key>")]).toEqual([200, false]);
  });
});

describe("the source address middleware sees on the Worker", () => {
  let worker: WorkerHandle;

  beforeAll(async () => {
    const config = { buckets: [{ name: "files", backend_type: "r2", anonymous_access: true, backend_options: { binding: "FILES" } }], roles: [], credentials: [] };
    worker = await startWorker({ entry: "test/fixtures/source-ip-worker.ts", bindings: { PROXY_CONFIG: JSON.stringify(config) }, r2Buckets: ["FILES"] });
  }, 120_000);

  afterAll(async () => {
    await worker?.close();
  });

  it("is CF-Connecting-IP, as the platform sets it", async () => {
    await fetch(`${worker.endpoint}/files/missing.txt`, { headers: { "cf-connecting-ip": "203.0.113.7" } });
    expect(await (await fetch(`${worker.endpoint}/last-source-ip`)).text()).toBe("203.0.113.7");
  });
});
