/**
 * The original multistore's Workers metering, configured outside PROXY_CONFIG, on this Worker unchanged: the
 * ANON_RATE_LIMITER / AUTH_RATE_LIMITER rate limiting bindings and BANDWIDTH_QUOTAS with its BANDWIDTH_METER Durable
 * Object (class BandwidthMeter), under workerd through miniflare.
 */
import { afterEach, describe, expect, it } from "vitest";
import { errorCode, signedRawRequest } from "@multistore/testing";
import { startWorker, type WorkerHandle } from "./helpers/worker-harness.js";

const OBJECT = "y".repeat(400);
const KEY = { accessKeyId: "AKIAUPSTREAMMETER001", secretAccessKey: "upstream-meter-secret-00000000000000000001" };
const CONFIG = {
  buckets: [
    { name: "files", backend_type: "r2", anonymous_access: true, backend_options: { binding: "FILES" } },
    { name: "open", backend_type: "r2", anonymous_access: true, backend_options: { binding: "FILES" } },
  ],
  roles: [],
  credentials: [{ access_key_id: KEY.accessKeyId, secret_access_key: KEY.secretAccessKey, principal_name: "reader", created_at: "2024-01-01T00:00:00Z", enabled: true, allowed_scopes: [{ bucket: "*", prefixes: [], actions: ["get_object"] }] }],
};

let worker: WorkerHandle | undefined;
afterEach(async () => {
  await worker?.close();
  worker = undefined;
});

async function start(bindings: Record<string, unknown>, options: Parameters<typeof startWorker>[0] extends infer O ? Partial<O> : never = {}) {
  worker = await startWorker({ bindings: { PROXY_CONFIG: JSON.stringify(CONFIG), ...bindings }, r2Buckets: ["FILES"], ...options });
  await (await worker.miniflare.getR2Bucket("FILES")).put("data.bin", OBJECT);
  return worker;
}

const anonymous = (target: WorkerHandle, path: string, ip: string) => fetch(`${target.endpoint}${path}`, { headers: { "cf-connecting-ip": ip } });

describe("the original's Workers metering", () => {
  it("counts anonymous requests per address with ANON_RATE_LIMITER and signed ones per principal with AUTH_RATE_LIMITER", async () => {
    // Cloudflare's simple limits count per period: keep the test's requests clear of a minute's end.
    const left = 60_000 - (Date.now() % 60_000);
    if (left < 8000) await new Promise((resolve) => setTimeout(resolve, left + 100));
    const target = await start({}, { ratelimits: { ANON_RATE_LIMITER: { namespace_id: "1001", simple: { limit: 2, period: 60 } }, AUTH_RATE_LIMITER: { namespace_id: "1002", simple: { limit: 3, period: 60 } } } });
    const statuses = [];
    for (let index = 0; index < 3; index++) statuses.push((await anonymous(target, "/files/data.bin", "198.51.100.1")).status);
    expect(statuses).toEqual([200, 200, 503]);
    const refused = await anonymous(target, "/files/data.bin", "198.51.100.1");
    expect([errorCode(await refused.text()), refused.headers.get("retry-after")]).toEqual(["SlowDown", "10"]);
    expect((await anonymous(target, "/files/data.bin", "198.51.100.2")).status).toBe(200);
    const signed = [];
    for (let index = 0; index < 4; index++) signed.push((await signedRawRequest(target.endpoint, KEY, { method: "GET", path: "/files/data.bin", headers: { "cf-connecting-ip": "198.51.100.1" } })).status);
    expect(signed).toEqual([200, 200, 200, 503]);
  });

  it("enforces BANDWIDTH_QUOTAS per bucket on bytes sent, with counters in BANDWIDTH_METER (class BandwidthMeter)", async () => {
    const target = await start({ BANDWIDTH_QUOTAS: { files: { limit_bytes: 500, window_secs: 2_678_400 } } }, { durableObjects: { BANDWIDTH_METER: { className: "BandwidthMeter", useSQLite: true } } });
    expect((await anonymous(target, "/files/data.bin", "198.51.100.3")).status).toBe(200);
    // The 400 bytes are charged after the response: poll the next request until it is refused.
    let status = 200;
    for (let attempt = 0; attempt < 20 && status === 200; attempt++) {
      const response = await anonymous(target, "/files/data.bin", "198.51.100.3");
      status = response.status;
      if (status === 200) await new Promise((resolve) => setTimeout(resolve, 50));
      else expect(errorCode(await response.text())).toBe("TooManyRequests");
    }
    expect(status).toBe(429);
    // Another bucket has no quota.
    expect((await anonymous(target, "/open/data.bin", "198.51.100.3")).status).toBe(200);
  });

  it("answers a malformed BANDWIDTH_QUOTAS with an error naming it", async () => {
    const target = await start({ BANDWIDTH_QUOTAS: { files: { limit_bytes: "lots", window_secs: 60 } } });
    const response = await anonymous(target, "/files/data.bin", "198.51.100.4");
    expect(response.status).toBe(500);
    expect(await response.text()).toContain("BANDWIDTH_QUOTAS.files.limit_bytes must be a positive integer");
  });
});
