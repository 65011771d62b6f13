/** The Redis store against a real redis-server: atomic across clients, windows expire, an outage fails fast. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRedisServer, type RedisServerHandle } from "@multistore/testing";
import { createRedisStore, type RedisStore } from "../src/redis-store.js";

let redis: RedisServerHandle;
const stores: RedisStore[] = [];

/** A store over the test's Redis; `commandTimeoutMs` short only where a test wants a command to time out. */
function store(commandTimeoutMs = 2000): RedisStore {
  const made = createRedisStore({ url: redis.url, commandTimeoutMs, onError: () => {} });
  stores.push(made);
  return made;
}

beforeAll(async () => {
  redis = await startRedisServer();
});

afterAll(async () => {
  await Promise.all(stores.map((made) => made.close()));
  await redis?.close();
});

describe("createRedisStore", () => {
  it("adds atomically across clients: concurrent additions from two stores are all counted", async () => {
    const [first, second] = [store(), store()];
    await Promise.all([first.ready(), second.ready()]);
    const additions = Array.from({ length: 200 }, (_, index) => (index % 2 === 0 ? first : second).add([{ key: "test:atomic", amount: 1, ttlSecs: 60 }]));
    const totals = (await Promise.all(additions)).map(([total]) => total);
    expect(new Set(totals).size).toBe(200);
    expect(Math.max(...totals!.map(Number))).toBe(200);
    expect(await first.add([{ key: "test:atomic", amount: 0, ttlSecs: 60 }])).toEqual([200]);
  });

  it("reads without creating, applies several updates in one call, and expires a counter with its window", async () => {
    const counters = store();
    await counters.ready();
    expect(await counters.add([{ key: "test:missing", amount: 0, ttlSecs: 1 }])).toEqual([0]);
    expect(await counters.client.exists("test:missing")).toBe(0);
    expect(await counters.add([{ key: "test:short", amount: 5, ttlSecs: 1 }, { key: "test:long", amount: 7, ttlSecs: 60 }, { key: "test:short", amount: 1, ttlSecs: 1 }])).toEqual([5, 7, 6]);
    expect(await counters.client.ttl("test:long")).toBeGreaterThan(50);
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(await counters.add([{ key: "test:short", amount: 0, ttlSecs: 1 }, { key: "test:long", amount: 0, ttlSecs: 60 }])).toEqual([0, 7]);
  });

  it("never takes a counter below 0 nor creates one when giving back (a restarted Redis lost what was reserved)", async () => {
    const counters = store();
    await counters.ready();
    expect(await counters.add([{ key: "test:giveback", amount: 5, ttlSecs: 60 }])).toEqual([5]);
    expect(await counters.add([{ key: "test:giveback", amount: -8, ttlSecs: 60 }, { key: "test:lost", amount: -3, ttlSecs: 60 }])).toEqual([0, 0]);
    expect(await counters.client.exists("test:lost")).toBe(0);
    expect(await counters.add([{ key: "test:giveback", amount: 2, ttlSecs: 60 }])).toEqual([2]);
  });

  it("says a command that timed out may still be applied (a stalled Redis runs it later)", async () => {
    const counters = store(200);
    await counters.ready();
    const pauser = store();
    await pauser.ready();
    await pauser.client.call("CLIENT", "PAUSE", "700", "ALL");
    const failure = await counters.add([{ key: "test:stalled", amount: 10, ttlSecs: 60 }]).then(() => undefined, (error: unknown) => error);
    expect(failure).toMatchObject({ mayHaveApplied: true });
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(await counters.add([{ key: "test:stalled", amount: 0, ttlSecs: 60 }])).toEqual([10]);
  });

  it("fails fast while Redis is down and recovers when it is back", async () => {
    const counters = store(200);
    await counters.ready();
    await redis.stop();
    try {
      const started = Date.now();
      await expect(counters.add([{ key: "test:outage", amount: 1, ttlSecs: 60 }])).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(1000);
    } finally {
      await redis.restart();
    }
    let totals: number[] | undefined;
    for (let attempt = 0; attempt < 60 && totals === undefined; attempt++) {
      totals = await counters.add([{ key: "test:outage", amount: 1, ttlSecs: 60 }]).catch(() => undefined);
      if (totals === undefined) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(totals).toEqual([1]);
  });

  it("refuses a URL ioredis would read loosely, before connecting, without repeating its password", () => {
    expect(() => createRedisStore({ url: "redis://:secret@127.0.0.1:6379/abc" })).toThrow('redis_url names database "abc", which is not a number');
    expect(() => createRedisStore({ url: "redis://:secret@127.0.0.1:99999" })).toThrow(/^redis_url is not a valid URL/);
    expect(() => createRedisStore({ url: "redis://:p%zz@127.0.0.1" })).toThrow("malformed percent-encoding");
    expect(() => createRedisStore({ url: "redis://127.0.0.1:6379/1?db=2" })).toThrow("must not have a query");
    expect(() => createRedisStore({ url: "redis://" })).toThrow("names no host");
    expect(() => createRedisStore({ url: "redis://127.0.0.1:0" })).toThrow("names port 0");
    try {
      createRedisStore({ url: "redis://:secret@127.0.0.1:99999" });
    } catch (error) {
      expect((error as Error).message).not.toContain("secret");
    }
  });

  it("refuses a URL that is not redis:// or rediss://", () => {
    expect(() => createRedisStore({ url: "http://127.0.0.1:6379" })).toThrow("redis_url must be a redis:// or rediss:// URL");
  });
});
