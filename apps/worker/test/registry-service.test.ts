/**
 * The Worker with a catalogue service (REGISTRY_URL): buckets and credentials PROXY_CONFIG lacks come from a local
 * HTTP service, with its bearer token, cached per isolate; a name the service does not know is NoSuchBucket, and a
 * service that fails for a name never seen is a 503.
 */
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorCode, rawRequest, signedRawRequest } from "@multistore/testing";
import { startWorker, type WorkerHandle } from "./helpers/worker-harness.js";

const KEY = { accessKeyId: "AKIAWORKERCATALOG01", secretAccessKey: "worker-catalogue-secret-00000000000000001" };

describe("worker: buckets and credentials from a catalogue service (REGISTRY_URL)", () => {
  let worker: WorkerHandle;
  let origin: Server;
  let catalogue: Server;
  let down = false;
  const lookups: string[] = [];

  beforeAll(async () => {
    origin = createServer((request, response) => {
      request.resume();
      response.writeHead(200, { "content-type": "text/plain", "content-length": "11", etag: '"o"' }).end("from origin");
    });
    await new Promise<void>((resolve) => origin.listen(0, "127.0.0.1", resolve));
    const endpoint = `http://127.0.0.1:${(origin.address() as { port: number }).port}`;
    const backend_options = { endpoint, region: "us-east-1", bucket_name: "b", skip_signature: "true", force_path_style: "true" };
    const documents: Record<string, unknown> = {
      "buckets/open": { name: "open", backend_type: "s3", anonymous_access: true, backend_options },
      "buckets/closed": { name: "closed", backend_type: "s3", anonymous_access: false, backend_options },
      [`credentials/${KEY.accessKeyId}`]: {
        access_key_id: KEY.accessKeyId,
        secret_access_key: KEY.secretAccessKey,
        principal_name: "catalogued",
        created_at: "2024-01-01T00:00:00Z",
        enabled: true,
        allowed_scopes: [{ bucket: "closed", prefixes: [], actions: ["get_object"] }],
      },
    };
    catalogue = createServer((request, response) => {
      const path = request.url!.replace(/^\/catalogue\//, "");
      lookups.push(`${path} ${request.headers.authorization ?? ""}`);
      if (down) return void response.writeHead(500).end();
      const document = documents[path];
      if (document === undefined) return void response.writeHead(404).end();
      response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(document));
    });
    await new Promise<void>((resolve) => catalogue.listen(0, "127.0.0.1", resolve));
    const config = { buckets: [], roles: [], credentials: [] };
    worker = await startWorker({
      bindings: {
        PROXY_CONFIG: JSON.stringify(config),
        REGISTRY_URL: `http://127.0.0.1:${(catalogue.address() as { port: number }).port}/catalogue`,
        REGISTRY_TOKEN: "worker-catalogue-token",
      },
    });
  }, 60_000);

  afterAll(async () => {
    await worker?.close();
    for (const server of [origin, catalogue]) {
      server?.closeAllConnections();
      await new Promise((resolve) => server?.close(resolve));
    }
  });

  it("serves a catalogued bucket anonymously and a catalogued key's signed request, asking with the bearer token", async () => {
    const anonymous = await rawRequest(worker.endpoint, { method: "GET", path: "/open/file.txt" });
    expect([anonymous.status, anonymous.text]).toEqual([200, "from origin"]);
    const signed = await signedRawRequest(worker.endpoint, KEY, { method: "GET", path: "/closed/file.txt", headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" } });
    expect([signed.status, signed.text]).toEqual([200, "from origin"]);
    const refused = await rawRequest(worker.endpoint, { method: "GET", path: "/closed/file.txt" });
    expect([refused.status, errorCode(refused.text)]).toEqual([403, "AccessDenied"]);
    expect(lookups).toContain(`credentials/${KEY.accessKeyId} Bearer worker-catalogue-token`);
    expect(lookups.every((lookup) => lookup.endsWith("Bearer worker-catalogue-token"))).toBe(true);
  });

  it("answers NoSuchBucket for a name the service does not know, and 503 when it fails for a new name", async () => {
    const missing = await rawRequest(worker.endpoint, { method: "GET", path: "/nowhere/key" });
    expect([missing.status, errorCode(missing.text)]).toEqual([404, "NoSuchBucket"]);
    down = true;
    try {
      const failing = await rawRequest(worker.endpoint, { method: "GET", path: "/never-seen/key" });
      expect([failing.status, errorCode(failing.text)]).toEqual([503, "ServiceUnavailable"]);
      expect(failing.text).not.toContain("worker-catalogue-token");
      // Cached within the isolate: a name already seen still answers.
      expect((await rawRequest(worker.endpoint, { method: "GET", path: "/open/file.txt" })).status).toBe(200);
    } finally {
      down = false;
    }
  });
});
