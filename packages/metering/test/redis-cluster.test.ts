/**
 * The Redis store on a real Redis Cluster (three masters): counters of one request in one call when their keys share
 * a hash tag, else spread over the nodes that hold them; atomic across instances either way; and the limiter on top.
 */
import { createServer } from "node:net";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startRedisCluster, type RedisClusterHandle } from "@multistore/testing";
import { createLimiter } from "../src/limiter.js";
import { createRedisStore, hashTagOf, type RedisStore } from "../src/redis-store.js";

let cluster: RedisClusterHandle;
const stores: RedisStore[] = [];

function store(url = cluster.url): RedisStore {
  const made = createRedisStore({ url, cluster: true, commandTimeoutMs: 500, onError: () => {} });
  stores.push(made);
  return made;
}

/** Keys held by each node (masters only, so every key is on exactly one). */
async function keysPerNode(pattern: string): Promise<number[]> {
  return Promise.all(
    cluster.ports.map(async (port) => {
      const node = new Redis({ port, host: "127.0.0.1", lazyConnect: true });
      try {
        await node.connect();
        return (await node.keys(pattern)).length;
      } finally {
        node.disconnect();
      }
    }),
  );
}

beforeAll(async () => {
  cluster = await startRedisCluster({ nodes: 3 });
}, 30_000);

afterAll(async () => {
  await Promise.all(stores.map((made) => made.close()));
  await cluster?.close();
});

describe("hashTagOf", () => {
  it("follows Redis Cluster's rule", () => {
    expect(hashTagOf("{multistore}:rate:0:bucket:17")).toBe("multistore");
    expect(hashTagOf("multistore:{x}:1")).toBe("x");
    expect(hashTagOf("multistore:rate:1")).toBe("multistore:rate:1");
    // An empty tag, or an unclosed one, hashes the whole key.
    expect(hashTagOf("{}:a")).toBe("{}:a");
    expect(hashTagOf("{a:b")).toBe("{a:b");
    expect(hashTagOf("a{b}{c}")).toBe("b");
  });
});

describe("createRedisStore with cluster: true", () => {
  it("applies updates of keys on different nodes, each counter on the node that holds it", async () => {
    const counters = store();
    await counters.ready();
    const keys = Array.from({ length: 12 }, (_, index) => `spread:${index}`);
    const totals = await counters.add(keys.map((key, index) => ({ key, amount: index + 1, ttlSecs: 60 })));
    expect(totals).toEqual(keys.map((_, index) => index + 1));
    expect(await counters.add(keys.map((key) => ({ key, amount: 0, ttlSecs: 60 })))).toEqual(totals);
    // Twelve keys over three nodes: more than one node holds some (the hash slots are split evenly).
    const held = await keysPerNode("spread:*");
    expect(held.reduce((sum, count) => sum + count, 0)).toBe(12);
    expect(held.filter((count) => count > 0).length).toBeGreaterThan(1);
  });

  it("sends a request's counters in one call when their keys share a hash tag", async () => {
    const counters = store();
    await counters.ready();
    const calls = vi.spyOn(counters.client as unknown as { multistoreAdd: (...args: unknown[]) => Promise<unknown> }, "multistoreAdd");
    const updates = ["a", "b", "c"].map((name) => ({ key: `{tagged}:${name}`, amount: 2, ttlSecs: 60 }));
    expect(await counters.add(updates)).toEqual([2, 2, 2]);
    expect(calls).toHaveBeenCalledTimes(1);
    expect(await counters.add([{ key: "untagged:a", amount: 1, ttlSecs: 60 }, { key: "untagged:b", amount: 1, ttlSecs: 60 }])).toEqual([1, 1]);
    expect(calls).toHaveBeenCalledTimes(3);
    expect(await keysPerNode("{tagged}:*")).toContain(3);
  });

  it("adds atomically across instances: concurrent additions from two stores, through different seed nodes, are all counted", async () => {
    const [first, second] = [store(`redis://127.0.0.1:${cluster.ports[0]}`), store(`redis://127.0.0.1:${cluster.ports[2]}`)];
    await Promise.all([first.ready(), second.ready()]);
    const additions = Array.from({ length: 200 }, (_, index) => (index % 2 === 0 ? first : second).add([{ key: "atomic:a", amount: 1, ttlSecs: 60 }, { key: "atomic:b", amount: 2, ttlSecs: 60 }]));
    const totals = await Promise.all(additions);
    expect(new Set(totals.map(([a]) => a)).size).toBe(200);
    expect(await first.add([{ key: "atomic:a", amount: 0, ttlSecs: 60 }, { key: "atomic:b", amount: 0, ttlSecs: 60 }])).toEqual([200, 400]);
  });

  it("counts the rate limits of a fleet through the limiter, with or without a hash tag in the prefix", async () => {
    for (const keyPrefix of ["{fleet}", "fleet"]) {
      const counters = [store(), store()];
      await Promise.all(counters.map((made) => made.ready()));
      const limiters = counters.map((made) => createLimiter({ store: made, keyPrefix, rateLimits: [{ scope: "bucket", requests: 5, window_secs: 60 }] }));
      const context = { requestId: "r", method: "GET", headers: new Headers(), startedAt: Date.now(), bucket: "b", operation: "GetObject", identity: { type: "anonymous" } } as never;
      const answers = [];
      for (let index = 0; index < 7; index++) answers.push(await limiters[index % 2]!.check(context, { bytesIn: 0 }));
      expect(answers.map((refusal) => refusal?.code ?? "ok")).toEqual(["ok", "ok", "ok", "ok", "ok", "SlowDown", "SlowDown"]);
    }
  });

  it("fails fast while a node is down, and reports the node", async () => {
    // A cluster of its own: this one loses a node.
    const failing = await startRedisCluster({ nodes: 3 });
    const errors: string[] = [];
    const counters = createRedisStore({ url: failing.url, cluster: true, commandTimeoutMs: 5000, onError: (error) => errors.push(error.message) });
    try {
      await counters.ready();
      let tag = 0;
      while ((await failing.nodeOf(`{down${tag}}`)) !== 2) tag++;
      const down = `{down${tag}}:counter`;
      expect(await counters.add([{ key: down, amount: 1, ttlSecs: 60 }])).toEqual([1]);
      await failing.stopNode(2);
      // For three seconds (past the cluster's 2 s node timeout, when the others answer CLUSTERDOWN), every addition
      // settles well within the 5 s command timeout (fast, not by timing out), whichever node holds its counter. (The
      // bound leaves room for a loaded machine's stalls; a wait for the timeout would take twice as long.)
      const until = Date.now() + 3000;
      let refusedDown = 0;
      for (let index = 0; Date.now() < until; index++) {
        const started = Date.now();
        const outcome = await counters.add([{ key: down, amount: 1, ttlSecs: 60 }, { key: `up:${index}`, amount: 1, ttlSecs: 60 }]).then(() => "counted", () => "refused");
        expect(Date.now() - started, outcome).toBeLessThan(2500);
        if (outcome === "refused") refusedDown++;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(refusedDown).toBeGreaterThan(0);
      expect(errors.some((message) => message.includes(`127.0.0.1:${failing.ports[2]}`))).toBe(true);
    } finally {
      await counters.close();
      await failing.close();
    }
  }, 30_000);

  it("rejects ready() in time when no node answers", async () => {
    // A port nothing listens on any more.
    const probe = createServer();
    const closedPort = await new Promise<number>((resolve) => probe.listen(0, "127.0.0.1", () => resolve((probe.address() as { port: number }).port)));
    await new Promise((resolve) => probe.close(resolve));
    const counters = createRedisStore({ url: `redis://127.0.0.1:${closedPort}`, cluster: true, commandTimeoutMs: 250, onError: () => {} });
    try {
      const started = Date.now();
      await expect(counters.ready()).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(2500);
    } finally {
      await counters.close();
    }
  });

  it("refuses a URL naming a database other than 0", () => {
    expect(() => createRedisStore({ url: `${cluster.url}/2`, cluster: true })).toThrow("a Redis Cluster has database 0 only (no /N in the URL)");
  });
});
