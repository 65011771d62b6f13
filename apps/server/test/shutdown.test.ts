/**
 * A stop is bounded even with backend requests no client connection holds: a listing whose backend trickles its
 * answer does not hold `close()` past the shutdown timeout. Usage the last requests recorded reaches the metering
 * store before it closes.
 */
import { execFileSync } from "node:child_process";
import { createServer, request as httpRequest, type Server } from "node:http";
import { parseConfig } from "@multistore/config";
import { startRedisServer, type RedisServerHandle } from "@multistore/testing";
import { afterAll, describe, expect, it } from "vitest";
import { createLogger, createMultistoreServer } from "../src/index.js";

describe("stopping the server", () => {
  let origin: Server | undefined;
  let listed: () => void;
  const listing = new Promise<void>((resolve) => {
    listed = resolve;
  });

  afterAll(async () => {
    origin?.closeAllConnections();
    await new Promise((resolve) => origin?.close(resolve));
  });

  it("resolves close() within its timeout (and the grace for cut requests) while a backend trickles a listing", async () => {
    origin = createServer((_request, response) => {
      // A listing's answer, one byte every 100 ms: the body timeout (silence between bytes) never fires.
      response.writeHead(200, { "content-type": "application/xml" });
      response.write("<");
      const timer = setInterval(() => response.write(" "), 100);
      response.on("close", () => clearInterval(timer));
      listed();
    });
    await new Promise<void>((resolve) => origin!.listen(0, "127.0.0.1", resolve));
    const endpoint = `http://127.0.0.1:${(origin.address() as { port: number }).port}`;
    const config = parseConfig({
      buckets: [{ name: "public", backend_type: "s3", anonymous_access: true, backend_options: { endpoint, region: "us-east-1", bucket_name: "b", skip_signature: "true", force_path_style: "true" } }],
      roles: [],
      credentials: [],
    });
    const lines: Record<string, unknown>[] = [];
    const gateway = createMultistoreServer({
      config,
      logger: createLogger("info", { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) }),
      shutdownTimeoutMs: 500,
    });
    const port = (await gateway.listen(0, "127.0.0.1")).port;
    const request = fetch(`http://127.0.0.1:${port}/public?list-type=2`).then(
      (response) => response.status,
      () => "cut",
    );
    await listing;
    const started = performance.now();
    await gateway.close();
    // 500 ms, then up to 1 s for the cut request to settle (its listing goes on without a client until its deadline).
    expect(performance.now() - started).toBeLessThan(3000);
    expect(lines).toContainEqual(expect.objectContaining({ msg: "shutdown timeout: leaving backend requests still running" }));
    // The client is not left waiting either: its connection went with the stop.
    expect(await request).toBe("cut");
  });
});

describe("stopping the server with usage metering in Redis", () => {
  let origin: Server | undefined;
  let redis: RedisServerHandle | undefined;

  afterAll(async () => {
    origin?.closeAllConnections();
    await new Promise((resolve) => origin?.close(resolve));
    await redis?.close();
  });

  it("records the usage of downloads cut at the shutdown timeout before closing the store", async () => {
    let started!: () => void;
    const downloading = new Promise<void>((resolve) => {
      started = resolve;
    });
    origin = createServer((_request, response) => {
      // 1000 bytes of 100000, then silence: the download holds the drain until the shutdown timeout cuts it.
      response.writeHead(200, { "content-length": "100000" });
      response.write(Buffer.alloc(1000, 97), () => started());
    });
    await new Promise<void>((resolve) => origin!.listen(0, "127.0.0.1", resolve));
    redis = await startRedisServer();
    const endpoint = `http://127.0.0.1:${(origin.address() as { port: number }).port}`;
    const prefix = `shutdown-${process.pid}`;
    const config = parseConfig({
      buckets: [{ name: "public", backend_type: "s3", anonymous_access: true, backend_options: { endpoint, region: "us-east-1", bucket_name: "b", skip_signature: "true", force_path_style: "true" } }],
      roles: [],
      credentials: [],
      quotas: [{ scope: "bucket", bucket: "public", bytes: 1_000_000, window_secs: 86400, direction: "egress" }],
      metering: { store: "redis", redis_url: redis.url, key_prefix: prefix, timeout_ms: 500 },
    });
    const lines: Record<string, unknown>[] = [];
    const gateway = createMultistoreServer({
      config,
      logger: createLogger("info", { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) }),
      shutdownTimeoutMs: 300,
    });
    const port = (await gateway.listen(0, "127.0.0.1")).port;
    const download = new Promise<number>((resolve) => {
      httpRequest(`http://127.0.0.1:${port}/public/big`, { agent: false }, (response) => {
        let bytes = 0;
        response.on("data", (chunk: Buffer) => (bytes += chunk.length));
        response.on("close", () => resolve(bytes));
      }).on("error", () => undefined).end();
    });
    await downloading;
    await gateway.close();
    expect(await download).toBe(1000);
    // Its line was written before close() returned.
    expect(lines).toContainEqual(expect.objectContaining({ msg: "client closed", status: 499, bucket: "public" }));
    // What the cut download sent was counted before the store closed: no failed recording, the bytes in Redis.
    expect(lines.filter((line) => String(line.msg).startsWith("metering"))).not.toContainEqual(expect.objectContaining({ msg: "metering store failed" }));
    const keys = execFileSync("redis-cli", ["-u", redis.url, "--scan", "--pattern", `${prefix}*`], { encoding: "utf8" }).trim().split("\n").filter(Boolean);
    expect(keys).toHaveLength(1);
    expect(execFileSync("redis-cli", ["-u", redis.url, "get", keys[0]!], { encoding: "utf8" }).trim()).toBe("1000");
  });
});
