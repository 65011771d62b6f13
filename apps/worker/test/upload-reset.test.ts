/**
 * An upload whose client resets the connection mid-body on the Worker. workerd then cancels the request, and what
 * the end of a request does (the usage recorded, the quota reservation of the declared size given back, the request
 * line logged) must still happen: a client that declares a large upload and resets would otherwise hold a bucket's
 * ingress quota for the whole window, refusing every other caller, and leave no trace in the log.
 */
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { signedHeaders, signedRawRequest } from "@multistore/testing";
import { startWorker, type WorkerHandle } from "./helpers/worker-harness.js";

const KEY = { accessKeyId: "AKIAWORKERRESET0001", secretAccessKey: "worker-reset-secret-000000000000000001" };
const QUOTA = 1_000_000;

describe("worker: an upload whose client resets the connection", () => {
  let worker: WorkerHandle;
  const logs: string[] = [];

  beforeAll(async () => {
    const config = {
      // One bucket per case: each has its own bucket-wide quota.
      buckets: ["files", "acls"].map((name) => ({ name, backend_type: "r2", anonymous_access: false, backend_options: { binding: "FILES" } })),
      roles: [],
      credentials: [{ access_key_id: KEY.accessKeyId, secret_access_key: KEY.secretAccessKey, principal_name: "resetter", created_at: "2024-01-01T00:00:00Z", enabled: true, allowed_scopes: [{ bucket: "*", prefixes: [], actions: ["put_object", "head_object", "get_object"] }] }],
      metering: { store: "memory", key_prefix: "reset-test" },
      quotas: [{ scope: "bucket", bytes: QUOTA, window_secs: 3600, direction: "ingress" }],
    };
    worker = await startWorker({ bindings: { PROXY_CONFIG: JSON.stringify(config) }, r2Buckets: ["FILES"], onLog: (line) => logs.push(line) });
  }, 60_000);

  afterAll(() => worker?.close());

  // PutObject streams its body to R2; PutObjectAcl's document is read by the gateway itself, before any answer.
  it.each([
    ["PutObject", "/files/reset.bin", undefined],
    ["PutObjectAcl", "/acls/reset.bin", { acl: "" }],
  ] as const)("%s: is logged as a client that closed, charged what arrived, and gives its reservation back", async (operation, path, query) => {
    const declared = 900_000;
    const url = new URL(worker.endpoint);
    const headers = await signedHeaders(worker.endpoint, KEY, { method: "PUT", path, ...(query && { query }), headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD", "content-length": String(declared) } });
    const target = query ? `${path}?acl` : path;
    const before = logs.length;
    await new Promise<void>((resolve) => {
      const socket = connect(Number(url.port), url.hostname, () => {
        const head = Object.entries(headers).map(([name, value]) => `${name}: ${value}`).join("\r\n");
        socket.write(`PUT ${target} HTTP/1.1\r\n${head}\r\n\r\n`);
        socket.write(Buffer.alloc(4096, 1), () => setTimeout(() => socket.resetAndDestroy(), 300));
      });
      socket.on("close", () => resolve());
      socket.on("error", () => undefined);
    });
    const line = await vi.waitFor(
      () => {
        const found = logs.slice(before).filter((text) => text.startsWith("{")).map((text) => JSON.parse(text) as Record<string, unknown>).find((entry) => entry.operation === operation);
        if (!found) throw new Error(`no ${operation} line in: ${logs.slice(before).join("\n")}`);
        return found;
      },
      { timeout: 15_000, interval: 100 },
    );
    expect(line).toMatchObject({ level: "info", status: 499, msg: "client closed", principal: "resetter" });
    // (A document the gateway reads itself is counted once read whole: a reset one has no bytesReceived.)
    expect(line.bytesReceived ?? 0).toBeLessThan(declared);
    // The declared 900 KB no longer held: another 500 KB fits the 1 MB quota (what arrived, at most 4 KB, is charged).
    const next = await signedRawRequest(worker.endpoint, KEY, { method: "PUT", path: `${path.slice(0, path.lastIndexOf("/"))}/next.bin`, headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" }, body: Buffer.alloc(500_000, 2) });
    expect(next.status, next.text).toBe(200);
  }, 60_000);

  it("counts a document the gateway reads itself (PutObjectAcl's) as received", async () => {
    const put = await signedRawRequest(worker.endpoint, KEY, { method: "PUT", path: "/acls/counted.txt", headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" }, body: "x" });
    expect(put.status).toBe(200);
    const acl = await signedRawRequest(worker.endpoint, KEY, { method: "GET", path: "/acls/counted.txt", query: { acl: "" }, headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" } });
    expect(acl.status).toBe(200);
    const before = logs.length;
    const set = await signedRawRequest(worker.endpoint, KEY, { method: "PUT", path: "/acls/counted.txt", query: { acl: "" }, headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" }, body: acl.text });
    expect(set.status, set.text).toBe(200);
    const line = await vi.waitFor(
      () => {
        const found = logs.slice(before).filter((text) => text.startsWith("{")).map((text) => JSON.parse(text) as Record<string, unknown>).find((entry) => entry.operation === "PutObjectAcl");
        if (!found) throw new Error("no PutObjectAcl line");
        return found;
      },
      { timeout: 10_000, interval: 100 },
    );
    expect(line).toMatchObject({ status: 200, bytesReceived: Buffer.byteLength(acl.text) });
  }, 30_000);
});
