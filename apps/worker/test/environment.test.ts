/** The Worker's environment: PROXY_CONFIG as JSON or as a structured var, config errors, limits, virtual hosts. */
import { createHash } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { errorCode, signedRawRequest, startAnswerPeer } from "@multistore/testing";
import { startWorker, type WorkerHandle } from "./helpers/worker-harness.js";

const KEY = { accessKeyId: "AKIAWORKERENV000001", secretAccessKey: "worker-env-secret-0000000000000000001" };
const ALL = ["get_object", "head_object", "put_object", "delete_object", "list_bucket"];
const config = {
  buckets: [
    { name: "files", backend_type: "r2", anonymous_access: true, backend_options: { binding: "FILES" } },
  ],
  roles: [],
  credentials: [{ access_key_id: KEY.accessKeyId, secret_access_key: KEY.secretAccessKey, principal_name: "env-test", created_at: "2024-01-01T00:00:00Z", enabled: true, allowed_scopes: [{ bucket: "*", prefixes: [], actions: ALL }] }],
};

let worker: WorkerHandle | undefined;
afterEach(async () => {
  await worker?.close();
  worker = undefined;
});

const put = (body: string, extra: Record<string, string> = {}) =>
  signedRawRequest(worker!.endpoint, KEY, { method: "PUT", path: "/files/hello.txt", headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD", ...extra }, body });

describe("worker environment", () => {
  it("takes PROXY_CONFIG as a structured var (an object, as a [vars] table arrives)", async () => {
    worker = await startWorker({ bindings: { PROXY_CONFIG: config }, r2Buckets: ["FILES"] });
    expect((await put("structured")).status).toBe(200);
    const response = await fetch(`${worker.endpoint}/files/hello.txt`);
    expect(await response.text()).toBe("structured");
  });

  it("answers every request with a 500 naming the broken field, parsing the config once per isolate", async () => {
    const logs: string[] = [];
    const broken = { ...config, buckets: [{ name: "files", backend_type: "r2", backend_options: { binding: "FILES" } }] };
    worker = await startWorker({ bindings: { PROXY_CONFIG: JSON.stringify(broken) }, r2Buckets: ["FILES"], onLog: (line) => logs.push(line) });
    for (let index = 0; index < 3; index++) {
      const response = await fetch(`${worker.endpoint}/files/hello.txt`);
      expect(response.status).toBe(500);
      const text = await response.text();
      expect(text).toContain("buckets[0].anonymous_access is required");
      expect(text).not.toContain(KEY.secretAccessKey);
    }
    // workerd's log lines come through a pipe: waited for, then a moment more for any repeat.
    await expect.poll(() => logs.filter((line) => line.includes("invalid configuration")).length, { timeout: 10_000 }).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(logs.filter((line) => line.includes("invalid configuration"))).toHaveLength(1);
  });

  it("names a missing PROXY_CONFIG and a missing R2 binding", async () => {
    worker = await startWorker({ bindings: {} });
    expect(await (await fetch(`${worker.endpoint}/`)).text()).toContain("PROXY_CONFIG is not set");
    await worker.close();
    worker = await startWorker({ bindings: { PROXY_CONFIG: JSON.stringify(config) } });
    expect(await (await fetch(`${worker.endpoint}/`)).text()).toContain("buckets[0].backend_options.binding: no R2 binding named &quot;FILES&quot;");
  });

  it("names a REGISTRY_URL that is not http(s) and a REGISTRY_TTL that is not a number", async () => {
    worker = await startWorker({ bindings: { PROXY_CONFIG: JSON.stringify(config), REGISTRY_URL: "ftp://catalogue" }, r2Buckets: ["FILES"] });
    expect(await (await fetch(`${worker.endpoint}/`)).text()).toContain("REGISTRY_URL: url must be http(s)");
    await worker.close();
    worker = await startWorker({ bindings: { PROXY_CONFIG: JSON.stringify(config), REGISTRY_URL: "https://catalogue.example", REGISTRY_TTL: "soon" }, r2Buckets: ["FILES"] });
    expect(await (await fetch(`${worker.endpoint}/`)).text()).toContain("REGISTRY_TTL must be a whole number of seconds");
  });

  it("refuses KEEP_ALIVE_AFTER_MS and KEEP_ALIVE_EVERY_MS that are no whole number of milliseconds from 1, naming them", async () => {
    for (const [name, value, message] of [
      ["KEEP_ALIVE_AFTER_MS", "soon", "KEEP_ALIVE_AFTER_MS must be a whole number of milliseconds"],
      ["KEEP_ALIVE_EVERY_MS", "0", "KEEP_ALIVE_EVERY_MS must be from 1 to 3600000 milliseconds"],
    ] as const) {
      worker = await startWorker({ bindings: { PROXY_CONFIG: JSON.stringify(config), [name]: value }, r2Buckets: ["FILES"] });
      expect(await (await fetch(`${worker.endpoint}/`)).text()).toContain(message);
      await worker.close();
    }
    worker = await startWorker({ bindings: { PROXY_CONFIG: JSON.stringify(config), KEEP_ALIVE_AFTER_MS: "5000", KEEP_ALIVE_EVERY_MS: "2000" }, r2Buckets: ["FILES"] });
    expect((await put("accepted")).status).toBe(200);
  });

  it("refuses uploads over MAX_UPLOAD_BYTES with an S3 EntityTooLarge", async () => {
    worker = await startWorker({ bindings: { PROXY_CONFIG: JSON.stringify(config), MAX_UPLOAD_BYTES: "10" }, r2Buckets: ["FILES"] });
    expect((await put("0123456789")).status).toBe(200);
    const refused = await put("0123456789A");
    expect(refused.status).toBe(400);
    expect(errorCode(refused.text)).toBe("EntityTooLarge");
  });

  it("answers 503 once a backend stays silent for BACKEND_ANSWER_TIMEOUT_MS, on reads and after an upload's body", async () => {
    const silent = await startAnswerPeer("silent");
    try {
      const bucket = { name: "quiet", backend_type: "s3", anonymous_access: true, backend_options: { endpoint: silent.url, region: "us-east-1", bucket_name: "b", skip_signature: "true", force_path_style: "true" } };
      worker = await startWorker({ bindings: { PROXY_CONFIG: JSON.stringify({ ...config, buckets: [...config.buckets, bucket] }), BACKEND_ANSWER_TIMEOUT_MS: "400" }, r2Buckets: ["FILES"] });
      for (const [method, body] of [["GET", undefined], ["PUT", "x".repeat(100_000)]] as const) {
        const started = performance.now();
        const response = await signedRawRequest(worker.endpoint, KEY, { method, path: "/quiet/key", headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" }, ...(body && { body }) });
        expect([method, response.status, errorCode(response.text)]).toEqual([method, 503, "ServiceUnavailable"]);
        expect(performance.now() - started).toBeLessThan(5000);
      }
      await worker.close();
      worker = await startWorker({ bindings: { PROXY_CONFIG: JSON.stringify(config), BACKEND_ANSWER_TIMEOUT_MS: "0" }, r2Buckets: ["FILES"] });
      expect(await (await fetch(`${worker.endpoint}/`)).text()).toContain("BACKEND_ANSWER_TIMEOUT_MS must be at least 1 millisecond");
    } finally {
      await silent.close();
    }
  }, 30_000);

  it("answers an R2 write the backend refuses before reading its body at once, and logs no internal error", async () => {
    const logs: string[] = [];
    worker = await startWorker({ bindings: { PROXY_CONFIG: JSON.stringify(config) }, r2Buckets: ["FILES"], onLog: (line) => logs.push(line) });
    const started = performance.now();
    // If-None-Match with an ETag: a condition R2's writes cannot evaluate (501), refused before the body is read.
    const refused = await put("x".repeat(1 << 20), { "if-none-match": '"abc"' });
    expect([refused.status, errorCode(refused.text)]).toEqual([501, "NotImplemented"]);
    expect(performance.now() - started).toBeLessThan(5000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(logs.filter((line) => line.includes("internal error"))).toEqual([]);
  }, 30_000);

  it("verifies a signed Accept-Encoding although the platform replaces it (rclone signs it on every GET)", async () => {
    worker = await startWorker({ bindings: { PROXY_CONFIG: JSON.stringify(config) }, r2Buckets: ["FILES"] });
    expect((await put("encoded")).status).toBe(200);
    const signed = await signedRawRequest(worker.endpoint, KEY, { method: "GET", path: "/files/hello.txt", headers: { "accept-encoding": "identity", "x-amz-content-sha256": "UNSIGNED-PAYLOAD" } });
    expect(signed.status).toBe(200);
    expect(signed.text).toBe("encoded");
  });

  it("answers an R2 upload refused by payload verification as the client's error, without logging an internal error", async () => {
    const logs: string[] = [];
    worker = await startWorker({ bindings: { PROXY_CONFIG: JSON.stringify(config) }, r2Buckets: ["FILES"], onLog: (line) => logs.push(line) });
    const otherHash = createHash("sha256").update("something else").digest("hex");
    const refused = await put("the real body", { "x-amz-content-sha256": otherHash });
    expect(refused.status).toBe(400);
    expect(errorCode(refused.text)).toBe("XAmzContentSHA256Mismatch");
    expect((await fetch(`${worker.endpoint}/files/hello.txt`)).status).toBe(404);
    await expect.poll(() => logs.some((line) => line.includes('"status":400')), { timeout: 10_000 }).toBe(true);
    expect(logs.filter((line) => line.includes("internal error"))).toEqual([]);
  });

  it("serves virtual-hosted style requests under VIRTUAL_HOST_DOMAIN", async () => {
    worker = await startWorker({ bindings: { PROXY_CONFIG: JSON.stringify(config), VIRTUAL_HOST_DOMAIN: "s3.example.test" }, r2Buckets: ["FILES"] });
    expect((await put("virtual")).status).toBe(200);
    const port = new URL(worker.endpoint).port;
    const virtual = await signedRawRequest(worker.endpoint, KEY, { method: "GET", path: "/hello.txt", headers: { host: `files.s3.example.test:${port}`, "x-amz-content-sha256": "UNSIGNED-PAYLOAD" } });
    expect(virtual.status).toBe(200);
    expect(virtual.text).toBe("virtual");
  });
});
