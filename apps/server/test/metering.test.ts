/**
 * Rate limits and quotas held by a fleet: two server processes sharing one real redis-server, or a real Redis
 * Cluster of three nodes (`redis_cluster`), enforce one limit together, and a Redis outage neither hangs nor crashes
 * a request (fail open by default, closed when configured).
 */
import { spawnSync, type ChildProcess } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorCode, rawRequest, startCli, startRedisCluster, startRedisServer, type RedisClusterHandle, type RedisServerHandle } from "@multistore/testing";

const cli = join(import.meta.dirname, "..", "dist/cli.js");
// The longest window there is: a test never straddles two windows.
const WINDOW = 31 * 86400;
const BODY = "x".repeat(100);

describe.each([
  ["one Redis", false],
  ["a Redis Cluster", true],
])("metering across server processes sharing %s", (_name, cluster) => {
  const children: ChildProcess[] = [];
  let redis: RedisServerHandle | RedisClusterHandle;
  let prefix = `test-${process.pid}`;
  let root: string;
  let first: string;
  let second: string;

  /** `timeoutMs`: the store's command bound (the fleet's long enough for a loaded machine's Redis round trips). */
  function configFile(name: string, onStoreError: "allow" | "refuse", timeoutMs: number): Promise<string> {
    const path = join(root, `${name}.toml`);
    const bucket = (bucketName: string) => `[[buckets]]\nname = "${bucketName}"\nbackend_type = "fs"\nanonymous_access = true\n[buckets.backend_options]\nroot = "${root}/data"\n`;
    const text = [
      bucket("open"),
      bucket("metered"),
      `[[rate_limits]]\nscope = "source_ip"\nbucket = "open"\nrequests = 6\nwindow_secs = ${WINDOW}\n`,
      `[[quotas]]\nscope = "bucket"\nbucket = "metered"\nbytes = 250\nwindow_secs = ${WINDOW}\ndirection = "egress"\n`,
      `[metering]\nstore = "redis"\nredis_url = "${redis.url}"\nredis_cluster = ${cluster}\nkey_prefix = "${prefix}"\ntimeout_ms = ${timeoutMs}\non_store_error = "${onStoreError}"\n`,
    ].join("\n");
    return writeFile(path, text).then(() => path);
  }

  async function start(config: string): Promise<string> {
    const server = await startCli(cli, ["--listen", "127.0.0.1:0", "--workers", "1", "--config", config], { children });
    return server.endpoint;
  }

  const get = (endpoint: string, path: string) => rawRequest(endpoint, { method: "GET", path });
  // A download's bytes are recorded after its answer: time for that to reach Redis, even on a loaded machine.
  const settle = () => new Promise((resolve) => setTimeout(resolve, 500));

  beforeAll(async () => {
    if (cluster) {
      const nodes = await startRedisCluster({ nodes: 3 });
      redis = nodes;
      // Every counter on a node other than the one redis_url names (a hash tag): a server that ignored redis_cluster
      // would be sent elsewhere (MOVED) on every request, and count nothing.
      for (let attempt = 0; (await nodes.nodeOf(`{${prefix}}`)) === 0; attempt++) prefix = `test-${process.pid}-${attempt}`;
      prefix = `{${prefix}}`;
    } else {
      redis = await startRedisServer();
    }
    root = await mkdtemp(join(tmpdir(), "multistore-metering-"));
    await mkdir(join(root, "data"));
    await writeFile(join(root, "data", "hello.txt"), BODY);
    const config = await configFile("fleet", "allow", 2000);
    [first, second] = await Promise.all([start(config), start(config)]);
  }, 60_000);

  afterAll(async () => {
    for (const child of children) child.kill("SIGKILL");
    await redis?.close();
    await rm(root, { recursive: true, force: true });
  });

  it("holds one request rate limit over both processes: the 7th request, on either, gets 503 SlowDown", async () => {
    for (let index = 0; index < 6; index++) {
      const response = await get(index % 2 === 0 ? first : second, "/open/hello.txt");
      expect(response.status, `request ${index + 1}`).toBe(200);
    }
    for (const endpoint of [first, second]) {
      const refused = await get(endpoint, "/open/hello.txt");
      expect([refused.status, errorCode(refused.text)]).toEqual([503, "SlowDown"]);
      expect(Number(refused.headers["retry-after"])).toBeGreaterThan(0);
    }
  });

  it("holds one bandwidth quota over both processes: past 250 bytes sent, the next download gets 429", async () => {
    // 100 bytes each: 200 and then 300 sent (a request that starts under the quota completes), then refused.
    for (const endpoint of [second, first, second]) {
      expect((await get(endpoint, "/metered/hello.txt")).status).toBe(200);
      await settle();
    }
    const refused = await get(first, "/metered/hello.txt");
    expect([refused.status, errorCode(refused.text)]).toEqual([429, "TooManyRequests"]);
    expect(refused.text).toContain("bandwidth quota of this bucket");
    expect(Number(refused.headers["retry-after"])).toBeGreaterThan(0);
  });

  it("answers at once while Redis is down: the request goes through (allow), or gets 503 SlowDown (refuse)", async () => {
    const strict = await start(await configFile("strict", "refuse", 200));
    // One Redis is taken away and brought back; a cluster loses the node that holds every counter (the last test).
    const single = cluster ? undefined : (redis as RedisServerHandle);
    const nodes = redis as RedisClusterHandle;
    if (single) await single.stop();
    else await nodes.stopNode(await nodes.nodeOf(prefix));
    try {
      // Each within its store's bound (2 s, 200 ms) and a loaded machine's slack, never waiting on Redis.
      let started = Date.now();
      const open = await get(first, "/metered/missing.txt");
      expect(Date.now() - started).toBeLessThan(4000);
      started = Date.now();
      const closed = await get(strict, "/metered/missing.txt");
      expect(Date.now() - started).toBeLessThan(2000);
      expect(open.status).toBe(404);
      expect([closed.status, errorCode(closed.text)]).toEqual([503, "SlowDown"]);
      for (const port of single ? [single.port] : nodes.ports) expect(closed.text).not.toContain(String(port));
    } finally {
      await single?.restart();
    }
  });
});

describe("metering settings the server cannot run", () => {
  // Exit code 2 (bad configuration), before anything connects: ioredis read some of these loosely (`/abc` became a
  // `SELECT NaN` sent once connected, which crashed the listening server).
  it.each([
    ['store = "durable_object"', 'metering.store: "durable_object" is the Worker\'s store', 2],
    ['store = "redis"', "metering.redis_url: a redis:// or rediss:// URL is required", 2],
    ['store = "redis"\nredis_url = "http://127.0.0.1:6379"', "metering.redis_url: a redis:// or rediss:// URL is required", 2],
    ['store = "redis"\nredis_url = "redis://:p%zz@127.0.0.1:6379"', "metering.redis_url has a user or password with a malformed percent-encoding", 2],
    ['store = "redis"\nredis_url = "redis://127.0.0.1:6379/2"\nredis_cluster = true', "metering.redis_url names a database, but a Redis Cluster has database 0 only", 2],
    ['store = "redis"\nredis_url = "redis://127.0.0.1:6379/abc"', 'metering.redis_url names database "abc", which is not a number', 2],
    ['store = "redis"\nredis_url = "redis://127.0.0.1:99999"', "metering.redis_url is not a valid URL", 2],
    ['store = "redis"\nredis_url = "redis://"', "metering.redis_url names no host", 2],
  ])("refuses to start with %s, naming the field", async (settings, message, code) => {
    const root = await mkdtemp(join(tmpdir(), "multistore-metering-config-"));
    try {
      const config = join(root, "config.toml");
      await writeFile(config, `[[buckets]]\nname = "open"\nbackend_type = "fs"\nanonymous_access = true\n[buckets.backend_options]\nroot = "${root}"\n[[rate_limits]]\nscope = "bucket"\nrequests = 5\n[metering]\n${settings}\n`);
      const environment = { ...process.env };
      delete environment.MULTISTORE_REDIS_URL;
      const run = spawnSync(process.execPath, [cli, "--config", config, "--listen", "127.0.0.1:0", "--workers", "1"], { env: environment, encoding: "utf8", timeout: 20_000 });
      expect(run.status).toBe(code);
      expect(run.stderr).toContain(message);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
