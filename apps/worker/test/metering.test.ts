/**
 * Rate limits and bandwidth quotas on the Worker as it ships (wrangler's bundle under workerd, through miniflare),
 * with the counters in the isolate (`memory`) or in the `MeteringCounters` Durable Object (`durable_object`).
 *
 * That the Durable Object store really keeps the counters outside the isolate is shown from both sides, through
 * miniflare's own handle on the METERING namespace (Node, not the Worker's isolate): what the Worker's downloads
 * charged is read back from the object, and bytes charged to the object from outside refuse the Worker's next request.
 */
import { createDurableObjectStore, type MeteringNamespace } from "@multistore/metering/durable-object";
import { request as httpRequest } from "node:http";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { startWorker, type WorkerHandle } from "./helpers/worker-harness.js";

const KEY_PREFIX = "metering-test";
const OBJECT = "x".repeat(400);
const QUOTA_BYTES = 1000;

function proxyConfig(metering: Record<string, unknown>) {
  const bucket = (name: string) => ({ name, backend_type: "r2", anonymous_access: true, backend_options: { binding: "FILES" } });
  return {
    owner_id: "metering",
    buckets: [bucket("files"), bucket("other")],
    credentials: [],
    roles: [],
    metering: { key_prefix: KEY_PREFIX, ...metering },
  };
}

/** Starts the Worker with `config`, the FILES bucket holding `data.bin`, and the Durable Object bound unless told not to. */
async function start(config: Record<string, unknown>, options: { durableObjects?: boolean } = {}) {
  const logs: string[] = [];
  const worker = await startWorker({
    bindings: { PROXY_CONFIG: JSON.stringify(config) },
    r2Buckets: ["FILES"],
    ...(options.durableObjects !== false && { durableObjects: { METERING: { className: "MeteringCounters", useSQLite: true } } }),
    onLog: (line) => logs.push(line),
  });
  await (await worker.miniflare.getR2Bucket("FILES")).put("data.bin", OBJECT);
  return { worker, logs };
}

/** Waits, when a `window`-second window ends within `margin` seconds, for the next one: the test's requests must share one. */
async function withinOneWindow(window: number, margin = 10): Promise<number> {
  const left = window - ((Date.now() / 1000) % window);
  if (left < margin) await new Promise((resolve) => setTimeout(resolve, left * 1000 + 100));
  return Math.floor(Date.now() / 1000 / window);
}

const get = (worker: WorkerHandle, path: string, ip = "203.0.113.7") => fetch(`${worker.endpoint}${path}`, { headers: { "cf-connecting-ip": ip } });

async function expectRefusal(response: Response, status: number, code: string, window: number): Promise<void> {
  const body = await response.text();
  expect(response.status, body).toBe(status);
  expect(body).toContain(`<Code>${code}</Code>`);
  const retryAfter = Number(response.headers.get("retry-after"));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(window);
}

/** The store over the Worker's METERING namespace, reached from Node through miniflare (not through the Worker). */
async function objectStore(worker: WorkerHandle) {
  return createDurableObjectStore((await worker.miniflare.getDurableObjectNamespace("METERING")) as unknown as MeteringNamespace);
}

describe.each(["memory", "durable_object"])("a source_ip rate limit, store %s", (store) => {
  let worker: WorkerHandle;
  let logs: string[];
  beforeAll(async () => {
    ({ worker, logs } = await start({ ...proxyConfig({ store }), rate_limits: [{ scope: "source_ip", requests: 3, window_secs: 60 }] }));
  });
  afterAll(() => worker?.close());

  it("answers the 4th request of a client in a window with 503 SlowDown and Retry-After", async () => {
    await withinOneWindow(60);
    for (let request = 1; request <= 3; request++) {
      const response = await get(worker, "/files/data.bin");
      expect(response.status, `request ${request}`).toBe(200);
      expect(await response.text()).toBe(OBJECT);
    }
    await expectRefusal(await get(worker, "/files/data.bin"), 503, "SlowDown", 60);
    // Counted per client address: another client still gets through.
    expect((await get(worker, "/files/data.bin", "203.0.113.8")).status).toBe(200);
    // The limits were enforced, not skipped by a failing store (failures let requests through and are logged).
    expect(logs.filter((line) => line.includes("metering store failed"))).toEqual([]);
  });
});

describe("a bucket's egress quota in the Durable Object", () => {
  let worker: WorkerHandle;
  let logs: string[];
  beforeAll(async () => {
    ({ worker, logs } = await start({
      ...proxyConfig({ store: "durable_object" }),
      quotas: [{ scope: "bucket", bytes: QUOTA_BYTES, window_secs: 3600, direction: "egress" }],
    }));
  });
  afterAll(() => worker?.close());
  afterEach(() => expect(logs.filter((line) => line.includes("metering store failed"))).toEqual([]));

  /** The limiter's counter of the first quota for `bucket` in window `index` (its key format). */
  const counter = (bucket: string, index: number) => ({ key: `${KEY_PREFIX}:q0:${bucket}:${index}`, ttlSecs: 3600 });

  it("charges each download to the object and refuses with 429 TooManyRequests once the quota is used up", async () => {
    const window = await withinOneWindow(3600);
    const store = await objectStore(worker);
    for (let download = 1; download * OBJECT.length < QUOTA_BYTES + OBJECT.length; download++) {
      const response = await get(worker, "/files/data.bin", `198.51.100.${download}`);
      expect(response.status).toBe(200);
      expect(await response.text()).toBe(OBJECT);
      // Usage is charged once the response is complete (after the client has it): wait for the object to show it.
      const expected = download * OBJECT.length;
      let charged: number | undefined;
      for (let attempt = 0; attempt < 50 && charged !== expected; attempt++) {
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 100));
        [charged] = await store.add([{ ...counter("files", window), amount: 0 }]);
      }
      expect(charged, "bytes charged to the Durable Object").toBe(expected);
    }
    await expectRefusal(await get(worker, "/files/data.bin"), 429, "TooManyRequests", 3600);
    // Only this bucket's counter is used up.
    expect((await get(worker, "/other/data.bin")).status).toBe(200);
  });

  it("refuses once bytes charged to the object from outside the Worker's isolate use the quota up", async () => {
    const window = await withinOneWindow(3600);
    const store = await objectStore(worker);
    await store.add([{ ...counter("other", window), amount: QUOTA_BYTES }]);
    await expectRefusal(await get(worker, "/other/data.bin"), 429, "TooManyRequests", 3600);
  });
});

describe("a download the client leaves mid-body, with usage metered", () => {
  const BIG = 16 << 20;
  let worker: WorkerHandle;
  let logs: string[];
  beforeAll(async () => {
    ({ worker, logs } = await start({
      ...proxyConfig({ store: "durable_object" }),
      quotas: [{ scope: "bucket", bytes: 1 << 30, window_secs: 3600, direction: "egress" }],
    }));
    await (await worker.miniflare.getR2Bucket("FILES")).put("big.bin", new Uint8Array(BIG).fill(7));
  });
  afterAll(() => worker?.close());

  // The Worker relays bodies natively and cannot see how much of a cut one arrived: it charges the whole body (an upper
  // bound), so cutting downloads short cannot dodge a quota. (Unmetered, the same cut is logged with 0 bytes.)
  it("is charged (and logged) with the whole body, not nothing", async () => {
    const window = await withinOneWindow(3600);
    const url = new URL(`${worker.endpoint}/files/big.bin`);
    const before = logs.length;
    await new Promise<void>((resolve, reject) => {
      const request = httpRequest({ host: url.hostname, port: url.port, path: url.pathname }, (response) => {
        response.once("data", () => {
          request.destroy();
          resolve();
        });
      });
      request.on("error", () => undefined);
      request.on("close", () => reject(new Error("closed before any body")));
      request.end();
    });
    const line = await vi.waitFor(
      () => {
        const found = logs.slice(before).filter((text) => text.startsWith("{")).map((text) => JSON.parse(text) as Record<string, unknown>).find((entry) => entry.operation === "GetObject");
        if (!found) throw new Error("no GetObject line");
        return found;
      },
      { timeout: 10_000, interval: 100 },
    );
    expect(line).toMatchObject({ status: 499, msg: "client closed" });
    const bytes = line.bytes as number;
    expect(bytes).toBe(BIG);
    const store = await objectStore(worker);
    let charged: number | undefined;
    for (let attempt = 0; attempt < 50 && charged !== bytes; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 100));
      [charged] = await store.add([{ key: `${KEY_PREFIX}:q0:files:${window}`, ttlSecs: 3600, amount: 0 }]);
    }
    expect(charged).toBe(bytes);
  }, 60_000);
});

describe("metering stores the Worker cannot use", () => {
  const rateLimits = [{ scope: "bucket", requests: 100 }];

  async function misconfiguration(config: Record<string, unknown>, options: { durableObjects?: boolean } = {}): Promise<string> {
    const { worker } = await start(config, options);
    try {
      const response = await get(worker, "/files/data.bin");
      const body = await response.text();
      expect(response.status, body).toBe(500);
      expect(body).toContain("<Code>InternalError</Code>");
      return body;
    } finally {
      await worker.close();
    }
  }

  it("answers a config error naming metering.store for redis", async () => {
    const body = await misconfiguration({ ...proxyConfig({ store: "redis", redis_url: "redis://127.0.0.1:6379" }), rate_limits: rateLimits });
    expect(body).toContain("metering.store");
    expect(body).toContain("the Worker cannot reach Redis; use durable_object");
  });

  it("answers a config error naming metering.store when durable_object has no METERING binding", async () => {
    const body = await misconfiguration({ ...proxyConfig({ store: "durable_object" }), rate_limits: rateLimits }, { durableObjects: false });
    expect(body).toContain("metering.store");
    expect(body).toContain("no Durable Object binding named METERING");
  });
});
