/**
 * The Durable Object store over an in-process fake namespace: each named object is one `MeteringCounters` over a
 * Map-backed storage whose operations resolve later (so batches really interleave), reached through `fetch` with a
 * JSON body as the real stub is. What workerd itself does (input gates, alarms firing) is proven by the Worker's
 * miniflare test.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { createLimiter } from "../src/index.js";
import { createDurableObjectStore, MAX_BODY_BYTES, MeteringCounters, type MeteringNamespace, type MeteringStorage } from "../src/durable-object-store.js";

/** Storage over a Map; every operation takes a macrotask, as a real one takes an I/O round trip. */
class FakeStorage implements MeteringStorage {
  readonly data = new Map<string, unknown>();
  alarm: number | null = null;
  private tick = () => new Promise((resolve) => setTimeout(resolve, 0));
  async get<T>(keys: string[]) {
    await this.tick();
    if (keys.length > 128) throw new Error("too many keys");
    return new Map(keys.filter((key) => this.data.has(key)).map((key) => [key, structuredClone(this.data.get(key)) as T]));
  }
  async put<T>(entries: Record<string, T>) {
    await this.tick();
    for (const [key, value] of Object.entries(entries)) this.data.set(key, structuredClone(value));
  }
  async delete(keys: string[]) {
    await this.tick();
    return keys.filter((key) => this.data.delete(key)).length;
  }
  async list<T>(options: { startAfter?: string; limit?: number } = {}) {
    await this.tick();
    const keys = [...this.data.keys()].sort().filter((key) => options.startAfter === undefined || key > options.startAfter);
    return new Map(keys.slice(0, options.limit ?? keys.length).map((key) => [key, structuredClone(this.data.get(key)) as T]));
  }
  async getAlarm() {
    return this.alarm;
  }
  async setAlarm(time: number) {
    this.alarm = time;
  }
}

/** A namespace of fake objects, counting the requests each receives. */
function fakeNamespace() {
  const objects = new Map<string, { counters: MeteringCounters; storage: FakeStorage; requests: number }>();
  const objectOf = (name: string) => {
    let object = objects.get(name);
    if (!object) {
      const storage = new FakeStorage();
      object = { counters: new MeteringCounters({ storage }), storage, requests: 0 };
      objects.set(name, object);
    }
    return object;
  };
  const namespace: MeteringNamespace<string> = {
    idFromName: (name) => name,
    get: (name) => ({
      async fetch(input, init) {
        const object = objectOf(name);
        object.requests++;
        return object.counters.fetch(new Request(input, init));
      },
    }),
  };
  return { namespace, objects, objectOf };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("createDurableObjectStore", () => {
  it("returns each counter's total in the order of the updates, one request per object", async () => {
    const { namespace, objects } = fakeNamespace();
    const store = createDurableObjectStore(namespace, { shards: 4 });
    const keys = Array.from({ length: 20 }, (_, index) => `key-${index}`);
    expect(await store.add(keys.map((key, index) => ({ key, amount: index + 1, ttlSecs: 60 })))).toEqual(keys.map((_, index) => index + 1));
    expect(await store.add(keys.map((key) => ({ key, amount: 10, ttlSecs: 60 })))).toEqual(keys.map((_, index) => index + 11));
    expect(objects.size).toBe(4);
    expect([...objects.values()].map((object) => object.requests)).toEqual([2, 2, 2, 2]);
    expect(await store.add([])).toEqual([]);
  });

  it("reads without creating when the amount is 0, and adds repeated keys in order", async () => {
    const { namespace, objects } = fakeNamespace();
    const store = createDurableObjectStore(namespace, { shards: 1 });
    expect(await store.add([{ key: "a", amount: 0, ttlSecs: 60 }])).toEqual([0]);
    expect([...objects.values()][0]!.storage.data.size).toBe(0);
    expect(
      await store.add([
        { key: "a", amount: 5, ttlSecs: 60 },
        { key: "a", amount: 0, ttlSecs: 60 },
        { key: "a", amount: 2, ttlSecs: 60 },
      ])
    ).toEqual([5, 5, 7]);
  });

  it("never takes a counter below 0 nor creates one when giving back", async () => {
    const { namespace, objects } = fakeNamespace();
    const store = createDurableObjectStore(namespace, { shards: 1 });
    expect(await store.add([{ key: "lost", amount: -3, ttlSecs: 60 }])).toEqual([0]);
    expect([...objects.values()][0]!.storage.data.size).toBe(0);
    expect(await store.add([{ key: "a", amount: 5, ttlSecs: 60 }, { key: "a", amount: -8, ttlSecs: 60 }, { key: "a", amount: 1, ttlSecs: 60 }])).toEqual([5, 0, 1]);
  });

  it("loses no addition when many callers add to one counter at once", async () => {
    const { namespace } = fakeNamespace();
    const stores = [createDurableObjectStore(namespace), createDurableObjectStore(namespace)];
    const results = await Promise.all(Array.from({ length: 100 }, (_, index) => stores[index % 2]!.add([{ key: "hot", amount: 1, ttlSecs: 60 }])));
    expect(results.map(([total]) => total).sort((left, right) => left! - right!)).toEqual(Array.from({ length: 100 }, (_, index) => index + 1));
  });

  it("splits a batch larger than one request takes", async () => {
    const { namespace, objects } = fakeNamespace();
    const store = createDurableObjectStore(namespace, { shards: 1 });
    const updates = Array.from({ length: 300 }, (_, index) => ({ key: `k${index}`, amount: index + 1, ttlSecs: 60 }));
    expect(await store.add(updates)).toEqual(updates.map((update) => update.amount));
    expect([...objects.values()][0]!.requests).toBe(3);
  });

  it("starts a counter again once it expires, and the alarm deletes expired counters", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(1_000_000);
    const { namespace, objects } = fakeNamespace();
    const store = createDurableObjectStore(namespace, { shards: 1 });
    await store.add([
      { key: "short", amount: 3, ttlSecs: 10 },
      { key: "long", amount: 4, ttlSecs: 1000 },
    ]);
    const object = [...objects.values()][0]!;
    expect(object.storage.alarm).toBe(1_000_000 + 60_000);
    vi.setSystemTime(1_000_000 + 10_000);
    expect(await store.add([{ key: "short", amount: 0, ttlSecs: 10 }])).toEqual([0]);
    expect(await store.add([{ key: "short", amount: 1, ttlSecs: 10 }])).toEqual([1]);
    vi.setSystemTime(1_000_000 + 60_000);
    await object.counters.alarm();
    expect([...object.storage.data.keys()]).toEqual(["long"]);
    // The next sweep waits for the earliest expiry left.
    expect(object.storage.alarm).toBe(1_000_000 + 1_000_000);
    vi.setSystemTime(1_000_000 + 1_000_000);
    await object.counters.alarm();
    expect(object.storage.data.size).toBe(0);
  });

  it("lets batches run between the pages of a long sweep", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(2_000_000);
    const { namespace, objects } = fakeNamespace();
    const store = createDurableObjectStore(namespace, { shards: 1 });
    for (let start = 0; start < 2500; start += 250) {
      await store.add(Array.from({ length: 250 }, (_, index) => ({ key: `old-${String(start + index).padStart(5, "0")}`, amount: 1, ttlSecs: 1 })));
    }
    vi.setSystemTime(2_000_000 + 5_000);
    const object = [...objects.values()][0]!;
    const order: string[] = [];
    const sweep = object.counters.alarm().then(() => order.push("sweep"));
    // Queued while the first page is being swept: it runs before the next page, not after the whole sweep.
    const batch = store.add([{ key: "new", amount: 1, ttlSecs: 60 }]).then(() => order.push("batch"));
    await Promise.all([sweep, batch]);
    expect(order).toEqual(["batch", "sweep"]);
    expect([...object.storage.data.keys()]).toEqual(["new"]);
  });

  it("fails with the object's answer when it refuses a batch", async () => {
    const { namespace } = fakeNamespace();
    const store = createDurableObjectStore(namespace);
    await expect(store.add([{ key: "x".repeat(513), amount: 1, ttlSecs: 60 }])).rejects.toThrow(/answered 400: .*key must be a string of 1 to 512/);
  });

  it("refuses options and bindings it cannot use", () => {
    const { namespace } = fakeNamespace();
    expect(() => createDurableObjectStore(namespace, { shards: 0 })).toThrow(/shards/);
    expect(() => createDurableObjectStore(undefined as never)).toThrow(/Durable Object namespace/);
  });

  it("serves a limiter", async () => {
    const { namespace } = fakeNamespace();
    const limiter = createLimiter({ rateLimits: [{ scope: "bucket", requests: 2, window_secs: 60 }], store: createDurableObjectStore(namespace) });
    const context = { requestId: "r", method: "GET", headers: new Headers(), bucket: "b", startedAt: 0 };
    expect(await limiter.check(context, { bytesIn: 0 })).toBeUndefined();
    expect(await limiter.check(context, { bytesIn: 0 })).toBeUndefined();
    expect(await limiter.check(context, { bytesIn: 0 })).toMatchObject({ code: "SlowDown" });
  });
});

describe("MeteringCounters", () => {
  const post = (body: BodyInit | null, headers: Record<string, string> = {}) => new MeteringCounters({ storage: new FakeStorage() }).fetch(new Request("https://metering.invalid/add", { method: "POST", body, headers, ...(body instanceof ReadableStream && { duplex: "half" }) } as RequestInit));

  it("bounds the body it reads, whether or not content-length says so", async () => {
    expect((await post("x".repeat(MAX_BODY_BYTES + 1))).status).toBe(413);
    const endless = new ReadableStream({
      pull: (controller) => controller.enqueue(new Uint8Array(64 * 1024)),
    });
    expect((await post(endless)).status).toBe(413);
  });

  it("refuses malformed batches", async () => {
    expect((await post("not json")).status).toBe(400);
    expect((await post(JSON.stringify({ updates: [{ key: "a", amount: 1.5, ttlSecs: 1 }] }))).status).toBe(400);
    // A negative amount gives back a reservation (limiter.ts).
    expect((await post(JSON.stringify({ updates: [{ key: "given-back", amount: -1, ttlSecs: 1 }] }))).status).toBe(200);
    expect((await post(JSON.stringify({ updates: [{ key: "a", amount: 1, ttlSecs: 0 }] }))).status).toBe(400);
    expect((await post(JSON.stringify({ updates: Array.from({ length: 129 }, () => ({ key: "a", amount: 1, ttlSecs: 1 })) }))).status).toBe(413);
    const get = await new MeteringCounters({ storage: new FakeStorage() }).fetch(new Request("https://metering.invalid/add"));
    expect(get.status).toBe(405);
  });
});
