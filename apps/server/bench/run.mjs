#!/usr/bin/env node
/**
 * `pnpm bench`: the Node server against s3rver on loopback. Not a test: it reports numbers.
 *  - GET and PUT throughput for 1 MiB, 64 MiB and 1 GiB objects, direct to the backend vs through the server (ratio)
 *  - p50/p99 latency added to small signed GETs
 *  - the server's peak RSS (it runs in its own process; VmHWM from /proc) — a 1 GiB object must move with < 100 MB
 *    of RSS growth.
 *  - small-GET throughput at 16 connections against a near-free origin: a bare Node proxy (node:http + undici, no
 *    auth) vs multistore with SigV4 presigned authentication on every request (the design's target: >= 0.8x)
 * Set BENCH_SIZES=1,64 (MiB) to skip the 1 GiB round, BENCH_LATENCY_REQUESTS to change the sample count,
 * BENCH_THROUGHPUT_SECONDS (default 5) for the length of each throughput round.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { startS3rver } from "@multistore/testing";
import { Agent, request } from "undici";

const MiB = 1024 * 1024;
const sizes = (process.env.BENCH_SIZES ?? "1,64,1024").split(",").map((size) => Number(size) * MiB);
const latencyRequests = Number(process.env.BENCH_LATENCY_REQUESTS ?? 500);
const key = { accessKeyId: "AKIABENCH0000000001", secretAccessKey: "bench-secret-00000000000000000000000001" };
const dispatcher = new Agent({ connections: 16 });
const throughputSeconds = Number(process.env.BENCH_THROUGHPUT_SECONDS ?? 5);

/** Spawns a bench helper script that prints `{"port":N}` once listening; resolves its URL and the child. */
async function spawnListening(script, args = []) {
  const child = spawn(process.execPath, [join(import.meta.dirname, script), ...args], { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise((resolve, reject) => {
    child.stdout.once("data", (chunk) => resolve(JSON.parse(String(chunk)).port));
    child.once("exit", (code) => reject(new Error(`${script} exited ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}`, child };
}

/** GETs per second that `concurrency` clients reach on `url` for `seconds`. */
async function throughput(url, seconds, concurrency = 16) {
  const agent = new Agent({ connections: concurrency });
  let count = 0;
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const response = await request(url, { dispatcher: agent });
        await response.body.dump();
        if (response.statusCode !== 200) throw new Error(`GET ${response.statusCode}`);
        count++;
      }
    }),
  );
  await agent.close();
  return count / seconds;
}

function body(size) {
  const chunk = Buffer.alloc(MiB, 7);
  let left = size;
  return Readable.from((function* () {
    while (left > 0) {
      const take = Math.min(left, chunk.length);
      left -= take;
      yield take === chunk.length ? chunk : chunk.subarray(0, take);
    }
  })());
}

async function timed(fn) {
  const started = performance.now();
  const bytes = await fn();
  return { seconds: (performance.now() - started) / 1000, bytes };
}

async function put(url, size) {
  const response = await request(url, { method: "PUT", body: body(size), headers: { "content-length": String(size) }, dispatcher });
  await response.body.text();
  if (response.statusCode !== 200) throw new Error(`PUT ${response.statusCode}`);
  return size;
}

async function get(url) {
  const response = await request(url, { dispatcher });
  let bytes = 0;
  for await (const chunk of response.body) bytes += chunk.length;
  if (response.statusCode !== 200) throw new Error(`GET ${response.statusCode}`);
  return bytes;
}

function rss(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const field = (name) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) / 1024;
  return { rss: field("VmRSS"), peak: field("VmHWM") };
}

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main() {
  const s3 = await startS3rver({ buckets: ["bench"] });
  const origin = await spawnListening("origin.mjs");
  const bare = await spawnListening("bare-proxy.mjs", [origin.url]);
  const dir = await mkdtemp(join(tmpdir(), "multistore-bench-"));
  const config = join(dir, "config.json");
  await writeFile(config, JSON.stringify({
    buckets: [
      { name: "bench", backend_type: "s3", anonymous_access: false, backend_options: { endpoint: s3.endpoint, region: s3.region, bucket_name: "bench", access_key_id: s3.accessKeyId, secret_access_key: s3.secretAccessKey, force_path_style: "true" } },
      // The origin ignores signatures; multistore still presigns every backend request, as in production.
      { name: "fast", backend_type: "s3", anonymous_access: false, backend_options: { endpoint: origin.url, region: "us-east-1", bucket_name: "fast", access_key_id: "AKIAORIGIN0000000001", secret_access_key: "origin-secret", force_path_style: "true" } },
    ],
    roles: [],
    credentials: [{ access_key_id: key.accessKeyId, secret_access_key: key.secretAccessKey, principal_name: "bench", created_at: "2024-01-01T00:00:00Z", enabled: true, allowed_scopes: [{ bucket: "*", prefixes: [], actions: ["get_object", "head_object", "put_object", "delete_object", "list_bucket"] }] }],
  }));
  const server = spawn(process.execPath, [join(import.meta.dirname, "../dist/cli.js"), "--config", config, "--listen", "127.0.0.1:0", "--log-level", "info"], { stdio: ["ignore", "pipe", "inherit"] });
  const endpoint = await new Promise((resolve, reject) => {
    let output = "";
    const onData = (chunk) => {
      output += chunk;
      const match = /"address":"([^"]+)"/.exec(output);
      if (!match) return;
      // The request logs that follow are drained and dropped, as a log shipper would consume them.
      server.stdout.off("data", onData);
      server.stdout.resume();
      resolve(match[1]);
    };
    server.stdout.on("data", onData);
    server.once("exit", (code) => reject(new Error(`server exited ${code}`)));
  });
  const gatewayClient = new S3Client({ endpoint, region: "us-east-1", forcePathStyle: true, credentials: key });
  const backendClient = new S3Client({ endpoint: s3.endpoint, region: s3.region, forcePathStyle: true, credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } });
  const presign = (client, Command, objectKey) => getSignedUrl(client, new Command({ Bucket: "bench", Key: objectKey }), { expiresIn: 3600 });

  const baseline = rss(server.pid);
  console.log(`server RSS at start: ${baseline.rss.toFixed(1)} MB`);
  console.log("\nthroughput (MB/s), direct to s3rver vs through multistore");
  console.log("size      op   direct   gateway  ratio   server RSS growth");
  for (const size of sizes) {
    for (const op of ["PUT", "GET"]) {
      const objectKey = `object-${size}`;
      const Command = op === "PUT" ? PutObjectCommand : GetObjectCommand;
      const run = (url) => (op === "PUT" ? put(url, size) : get(url));
      const direct = await timed(async () => run(await presign(backendClient, Command, `${objectKey}-direct`)));
      const before = rss(server.pid);
      const through = await timed(async () => run(await presign(gatewayClient, Command, objectKey)));
      const after = rss(server.pid);
      const mbps = (result) => result.bytes / MiB / result.seconds;
      const growth = after.peak - baseline.rss;
      console.log(
        `${String(size / MiB).padStart(5)} MiB ${op.padEnd(4)} ${mbps(direct).toFixed(0).padStart(7)} ${mbps(through).toFixed(0).padStart(8)}  ${(mbps(through) / mbps(direct)).toFixed(2).padStart(5)}   ${growth.toFixed(1)} MB (peak ${after.peak.toFixed(1)} MB)`,
      );
      if (size >= 1024 * MiB && growth >= 100) console.log(`  !! RSS grew by ${growth.toFixed(1)} MB moving a 1 GiB object (budget: < 100 MB)`);
      void before;
    }
  }

  await put(await presign(gatewayClient, PutObjectCommand, "small"), 1024);
  const latencies = async (client) => {
    const values = [];
    for (let index = 0; index < latencyRequests; index++) {
      const url = await presign(client, GetObjectCommand, "small");
      const started = performance.now();
      await get(url);
      values.push(performance.now() - started);
    }
    return values;
  };
  const direct = await latencies(backendClient);
  const through = await latencies(gatewayClient);
  console.log(`\nsmall signed GETs (1 KiB, ${latencyRequests} sequential requests), ms`);
  console.log(`        direct  gateway  added`);
  for (const p of [50, 99]) {
    const d = percentile(direct, p);
    const g = percentile(through, p);
    console.log(`  p${p}  ${d.toFixed(2).padStart(6)}  ${g.toFixed(2).padStart(7)}  ${(g - d).toFixed(2).padStart(5)}`);
  }
  const fastUrl = await getSignedUrl(gatewayClient, new GetObjectCommand({ Bucket: "fast", Key: "small" }), { expiresIn: 3600 });
  const bareRate = await throughput(`${bare.url}/fast/small`, throughputSeconds);
  const gatewayRate = await throughput(fastUrl, throughputSeconds);
  console.log(`\nsmall GETs/s (1 KiB, 16 connections, ${throughputSeconds} s each) against a near-free origin`);
  console.log(`  bare Node proxy (no auth) ${bareRate.toFixed(0).padStart(7)}`);
  console.log(`  multistore (SigV4 auth)   ${gatewayRate.toFixed(0).padStart(7)}   ratio ${(gatewayRate / bareRate).toFixed(2)} (target >= 0.80)`);

  const final = rss(server.pid);
  console.log(`\nserver peak RSS: ${final.peak.toFixed(1)} MB (start ${baseline.rss.toFixed(1)} MB)`);

  server.kill("SIGTERM");
  await new Promise((resolve) => server.once("exit", resolve));
  await dispatcher.close();
  await s3.close();
  for (const child of [origin.child, bare.child]) child.kill("SIGTERM");
  await rm(dir, { recursive: true, force: true });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
