#!/usr/bin/env node
/**
 * `pnpm bench`: the Node server against "C" (the thinnest Node proxy: node:http + undici `Pool.stream`, no auth) in
 * front of the same backend, in one run on this machine. Not a test: it reports numbers and whether the speed goals
 * hold. Ratios are what matter; absolute numbers depend on the machine. Sections:
 *   small   1 KiB GETs (C, anonymous, presigned, header-signed) at BENCH_CONNS: req/s, ratio to C, p50/p99, CPU per
 *           request, RSS; and a 16 KiB ranged GET of a large object at 1 connection
 *   large   64 MiB GET and PUT throughput, ratio to C (fresh processes on both sides)
 *   memory  RSS growth moving 1 GiB up and down, and 64 slow readers of 1 GiB objects at once
 *   cluster --workers N against one worker (presigned GETs at 64 connections), with the cores it had
 *   worker  the Worker under workerd: CPU per forwarded presigned GET, bundle size (apps/worker/bench)
 *   xml     the XML parser on hostile 2 MiB bodies (DeleteObjects, CompleteMultipartUpload): each must cost < 50 ms
 *   soak    on demand only (BENCH_SECTIONS=soak): 512 connections of mixed GET/PUT for BENCH_SOAK_SECONDS (60);
 *           0 errors, and RSS and open files back where they were
 * BENCH_SECTIONS (default all), BENCH_CONNS (1,16,64), BENCH_SECONDS (5), BENCH_REPEATS (3). Uses wrk when installed
 * (else an in-process client, and says so), nginx as the GET backend when installed (else a Node origin), and pins
 * the proxy under test to its own CPUs when it can (taskset).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { Agent } from "undici";
import { hasWrk, load, transfer } from "./lib/load.mjs";
import { hasNginx, startNginx } from "./lib/nginx.mjs";
import { cpuLayout, cpuSeconds, memory, resetPeak, spawnListening, stopAll } from "./lib/processes.mjs";
import { fixed, goal, median, table } from "./lib/report.mjs";
import { presignUrl, signedHeaders } from "./lib/signing.mjs";
import { largeObjects } from "./lib/large-objects.mjs";
import { slowReaders } from "./lib/slow-readers.mjs";
import { timeXmlCases } from "./lib/xml-cases.mjs";
import { soak } from "./lib/soak.mjs";

const sections = new Set((process.env.BENCH_SECTIONS ?? "small,large,memory,cluster,worker,xml").split(","));
const conns = (process.env.BENCH_CONNS ?? "1,16,64").split(",").map(Number);
const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const repeats = Number(process.env.BENCH_REPEATS ?? 3);
const MiB = 1024 * 1024;
const KEY = { accessKeyId: "AKIABENCH0000000001", secretAccessKey: "bench-secret-00000000000000000000000001" };
const here = import.meta.dirname;
const layout = cpuLayout();
const dir = join(tmpdir(), "multistore-bench");
mkdirSync(dir, { recursive: true });

/** Starts the server on the proxy CPUs with a config for `getOrigin` and `putOrigin`. */
async function startServer(getOrigin, putOrigin, workers = 1, cpus = layout.proxy) {
  const backend = (endpoint) => ({ endpoint, region: "us-east-1", bucket_name: "bucket", access_key_id: "AKIAORIGIN0000000001", secret_access_key: "origin-secret", force_path_style: "true" });
  const config = join(dir, "config.json");
  writeFileSync(config, JSON.stringify({
    buckets: [
      // The backends ignore signatures; the server still presigns every backend request, as in production.
      { name: "get", backend_type: "s3", anonymous_access: true, backend_options: backend(getOrigin) },
      { name: "put", backend_type: "s3", anonymous_access: false, backend_options: backend(putOrigin) },
    ],
    roles: [],
    credentials: [{ access_key_id: KEY.accessKeyId, secret_access_key: KEY.secretAccessKey, principal_name: "bench", created_at: "2024-01-01T00:00:00Z", enabled: true, allowed_scopes: [{ bucket: "*", prefixes: [], actions: ["get_object", "head_object", "put_object"] }] }],
  }));
  // The load generator is one address: the per-address cap on anonymous requests is off here.
  const ready = workers > 1 ? /"role":"primary","address":"http:\/\/[^:]+:(\d+)"/ : /"address":"http:\/\/[^:]+:(\d+)"/;
  const server = await spawnListening(process.execPath, [join(here, "../dist/cli.js"), "--config", config, "--listen", "127.0.0.1:0", "--workers", String(workers), "--log-level", "info", "--anonymous-requests-per-address", "0"], { cpus, ready });
  return { ...server, endpoint: `http://127.0.0.1:${server.port}` };
}

/** One load run against a target: rate, latency, CPU µs per request and RSS of its process tree. */
async function measure(target, connections, runSeconds = seconds) {
  const before = cpuSeconds(target.pid);
  const result = await load(target.url, { connections, seconds: runSeconds, headers: target.headers ?? {}, cpus: layout.load, threads: Math.max(1, layout.count - layout.proxyCount - 1) });
  const cpu = cpuSeconds(target.pid) - before;
  return { ...result, cpuMicros: result.requests ? (cpu * 1e6) / result.requests : Number.NaN, rss: memory(target.pid).rss };
}

async function smallGets(c, server) {
  const targets = [
    { name: "C", url: `${c.url}/bucket/1k.bin`, pid: c.pid },
    { name: "ours, anonymous", url: `${server.endpoint}/get/1k.bin`, pid: server.pid },
    { name: "ours, presigned", url: presignUrl(server.endpoint, "/get/1k.bin", KEY), pid: server.pid },
    { name: "ours, header-signed", url: `${server.endpoint}/get/1k.bin`, headers: signedHeaders(server.endpoint, "/get/1k.bin", KEY), pid: server.pid },
  ];
  const results = new Map();
  for (const target of targets) await measure(target, 16, 1);
  for (const connections of conns) {
    for (let round = 0; round < repeats; round++) {
      // Interleaved: drift on a shared machine hits every target alike.
      for (const target of targets) {
        const key = `${connections} ${target.name}`;
        if (!results.has(key)) results.set(key, []);
        results.get(key).push(await measure(target, connections));
      }
    }
  }
  const rows = [];
  const summary = {};
  for (const connections of conns) {
    const cRate = median(results.get(`${connections} C`).map((run) => run.rate));
    const cP50 = median(results.get(`${connections} C`).map((run) => run.p50));
    for (const target of targets) {
      const runs = results.get(`${connections} ${target.name}`);
      const rate = median(runs.map((run) => run.rate));
      const errors = runs.reduce((sum, run) => sum + run.non2xx + run.socketErrors, 0);
      summary[`${connections} ${target.name}`] = { ratio: rate / cRate, addedP50: median(runs.map((run) => run.p50)) - cP50 };
      rows.push([connections, target.name, fixed(rate), fixed(rate / cRate, 2), fixed(median(runs.map((run) => run.p50)) / 1000, 3), fixed(median(runs.map((run) => run.p99)) / 1000, 2), fixed(median(runs.map((run) => run.cpuMicros)), 1), fixed(median(runs.map((run) => run.rss))), errors]);
    }
  }
  table(`1 KiB GET, keep-alive (median of ${repeats} x ${seconds} s)`, ["conns", "target", "req/s", "/C", "p50 ms", "p99 ms", "CPU µs/req", "RSS MB", "errors"], rows);
  // A 16 KiB range of a large object, one connection: what Parquet footers and COG tiles cost.
  const range = { range: "bytes=1048576-1064959" };
  const ranged = [];
  for (let round = 0; round < repeats; round++) {
    ranged.push([await measure({ url: `${c.url}/bucket/64m.bin`, pid: c.pid, headers: range }, 1), await measure({ url: presignUrl(server.endpoint, "/get/64m.bin", KEY), pid: server.pid, headers: range }, 1)]);
  }
  const cRanged = median(ranged.map(([run]) => run.p50));
  const ourRanged = median(ranged.map(([, run]) => run.p50));
  table("16 KiB ranged GET of a 64 MiB object, 1 connection", ["target", "p50 ms", "p99 ms", "req/s"], [
    ["C", fixed(cRanged / 1000, 3), fixed(median(ranged.map(([run]) => run.p99)) / 1000, 2), fixed(median(ranged.map(([run]) => run.rate)))],
    ["ours, presigned", fixed(ourRanged / 1000, 3), fixed(median(ranged.map(([, run]) => run.p99)) / 1000, 2), fixed(median(ranged.map(([, run]) => run.rate)))],
  ]);
  return { summary, rangedAdded: ourRanged - cRanged };
}

async function memorySection(cGet, server) {
  const dispatcher = new Agent({ connections: 4 });
  const rows = [];
  const growth = {};
  for (const method of ["GET", "PUT"]) {
    const base = memory(server.pid).rss;
    resetPeak(server.pid);
    const url = presignUrl(server.endpoint, method === "GET" ? "/get/1g.bin" : "/put/upload-1g.bin", KEY, { method });
    const moved = await transfer(url, { method, size: 1024 * MiB, dispatcher });
    growth[method] = memory(server.pid).peak - base;
    rows.push([`1 GiB ${method}`, fixed(moved.bytes / MiB / moved.seconds), fixed(base), fixed(growth[method], 1)]);
  }
  await dispatcher.close();
  // C moving the same gigabyte, for scale: Node's allocator and GC grow a fresh process by about as much.
  const cBase = memory(cGet.pid).rss;
  resetPeak(cGet.pid);
  const cDispatcher = new Agent({ connections: 1 });
  const cMoved = await transfer(`${cGet.url}/bucket/1g.bin`, { dispatcher: cDispatcher });
  await cDispatcher.close();
  rows.push(["C: 1 GiB GET", fixed(cMoved.bytes / MiB / cMoved.seconds), fixed(cBase), fixed(memory(cGet.pid).peak - cBase, 1)]);
  resetPeak(server.pid);
  const slow = await slowReaders(presignUrl(server.endpoint, "/get/1g.bin", KEY), { readers: 64, seconds: 10, bytesPerSecond: 256 * 1024 });
  const slowPeak = memory(server.pid).peak;
  rows.push([`64 slow readers of 1 GiB (${fixed(slow.megabytes)} MB read in 10 s)`, "-", "-", `peak ${fixed(slowPeak)} MB`]);
  table("Memory of the server process", ["transfer", "MB/s", "RSS before MB", "RSS growth MB"], rows);
  return { growth, slowPeak };
}

async function clusterSection(getOrigin, putOrigin, single) {
  // With one CPU for the proxy a cluster has nowhere to run: it then gets every CPU (sharing them with the load).
  const spread = layout.proxyCount < 2;
  const workers = spread ? layout.count : Math.min(8, layout.proxyCount);
  const cluster = await startServer(getOrigin, putOrigin, workers, spread ? undefined : layout.proxy);
  const targets = [
    { name: "1 worker", url: presignUrl(single.endpoint, "/get/1k.bin", KEY), pid: single.pid },
    { name: `${workers} workers`, url: presignUrl(cluster.endpoint, "/get/1k.bin", KEY), pid: cluster.pid },
  ];
  const rates = [[], []];
  for (const target of targets) await measure(target, 64, 1);
  for (let round = 0; round < repeats; round++) for (const [index, target] of targets.entries()) rates[index].push((await measure(target, 64)).rate);
  const [one, many] = rates.map(median);
  const where = spread ? `unpinned on all ${layout.count} CPUs, shared with the load generator and backend` : `${layout.proxyCount} CPUs for the proxy, ${layout.count} in all`;
  table(`Cluster: presigned 1 KiB GET at 64 connections (workers ${where}; one worker pinned as above)`, ["server", "req/s", "x one worker"], [
    [targets[0].name, fixed(one), "1.00"],
    [targets[1].name, fixed(many), fixed(many / one, 2)],
  ]);
  cluster.child.kill("SIGTERM");
  return { workers, scaling: many / one };
}

function workerSection(origin) {
  const run = spawnSync(process.execPath, [join(here, "../../worker/bench/cpu.mjs"), origin, String(seconds)], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], timeout: 300_000 });
  const line = run.stdout?.split("\n").find((text) => text.startsWith("{"));
  if (!line) {
    console.log(`\nWorker section failed: ${run.stdout ?? ""}${run.error ?? ""}`);
    return undefined;
  }
  const worker = JSON.parse(line);
  table("The Worker under workerd (miniflare), presigned 1 KiB GET forwarded to the same backend", ["measure", "value"], [
    ["workerd CPU per request, median of batches", `${fixed(worker.cpuMillisMedian, 3)} ms`],
    ["requests measured", worker.requests],
    ["bundle (wrangler deploy --dry-run, as deployed)", `${fixed(worker.bundleKiB, 1)} KiB, ${fixed(worker.bundleGzipKiB, 1)} KiB gzip`],
  ]);
  return worker;
}

async function main() {
  const cpu = /model name\s*:\s*(.*)/.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? "unknown";
  console.log(`# pnpm bench — ${new Date().toISOString()}\n`);
  console.log(`machine: ${layout.count} CPUs (${cpu}), load average ${loadavg().map((value) => value.toFixed(2)).join(" ")}; node ${process.version}`);
  console.log(`pinning: ${layout.pinned ? `proxy on CPUs ${layout.proxy}, load generator on ${layout.load}, backend on ${layout.origin}` : "none (taskset missing or one CPU)"}`);
  console.log(`load: ${hasWrk ? "wrk" : "in-process undici client (wrk not installed: numbers are lower than wrk's, compare ratios only)"}; GET backend: ${hasNginx ? "nginx (static files)" : "a Node origin (nginx not installed)"}; PUT backend: a Node origin`);
  const putOrigin = await spawnListening(process.execPath, [join(here, "lib/origin.mjs")], { cpus: layout.origin });
  const getOrigin = hasNginx ? await startNginx(dir, { cpus: layout.origin }) : putOrigin;
  const cGet = await spawnListening(process.execPath, [join(here, "lib/c-proxy.mjs"), getOrigin.url], { cpus: layout.proxy });
  const cPut = await spawnListening(process.execPath, [join(here, "lib/c-proxy.mjs"), putOrigin.url], { cpus: layout.proxy });
  const server = await startServer(getOrigin.url, putOrigin.url, 1);
  const results = {};
  if (sections.has("small")) results.small = await smallGets(cGet, server);
  // Fresh processes on both sides: after the small section a process spends more CPU per 64 MiB (ours and C alike),
  // and C's PUT proxy never served it, so the warmed server against a fresh C-put measured the state, not the proxies.
  if (sections.has("large")) {
    const [fresh, freshGet] = [await startServer(getOrigin.url, putOrigin.url, 1), await spawnListening(process.execPath, [join(here, "lib/c-proxy.mjs"), getOrigin.url], { cpus: layout.proxy })];
    results.large = await largeObjects(freshGet, cPut, (path, method) => presignUrl(fresh.endpoint, path, KEY, { method }));
    for (const started of [fresh, freshGet]) started.child.kill("SIGTERM");
  }
  // On a fresh server: what earlier sections left in the heap is not what moving 1 GiB costs.
  if (sections.has("memory")) {
    const fresh = await startServer(getOrigin.url, putOrigin.url, 1);
    results.memory = await memorySection(cGet, fresh);
    fresh.child.kill("SIGTERM");
  }
  if (sections.has("cluster")) results.cluster = await clusterSection(getOrigin.url, putOrigin.url, server);
  if (sections.has("worker")) results.worker = workerSection(getOrigin.url);
  if (sections.has("xml")) {
    results.xml = timeXmlCases();
    table("XML bodies through core's parseClientXml (median of 5)", ["body", "MiB", "ms", "outcome"], results.xml.map((row) => [row.name, fixed(row.megabytes, 2), fixed(row.millis, 1), row.outcome]));
  }
  if (sections.has("soak") && hasWrk) {
    const fresh = await startServer(getOrigin.url, putOrigin.url, 1);
    results.soak = await soak(fresh, `${fresh.endpoint}/get/1k.bin`, presignUrl(fresh.endpoint, "/put/soak.bin", KEY, { method: "PUT" }), {
      seconds: Number(process.env.BENCH_SOAK_SECONDS ?? 60),
      connections: 512,
      cpus: layout.load,
      threads: Math.max(1, layout.count - layout.proxyCount - 1),
    });
    const { before, after } = results.soak;
    table(`Soak: 512 connections of mixed 1 KiB GET / 4 KiB PUT for ${process.env.BENCH_SOAK_SECONDS ?? 60} s`, ["measure", "value"], [
      ["requests (req/s)", `${results.soak.requests} (${fixed(results.soak.rate)})`],
      ["non-2xx, socket errors", `${results.soak.non2xx}, ${results.soak.socketErrors}`],
      ["RSS after warm-up, after soak (MB)", `${fixed(before.rss)}, ${fixed(after.rss)}`],
      ["open files after warm-up, after soak", `${before.files}, ${after.files}`],
    ]);
    fresh.child.kill("SIGTERM");
  }
  getOrigin.child.kill("SIGTERM");
  await stopAll();

  console.log("\n### Goals\n");
  const small = results.small?.summary;
  if (small) {
    for (const connections of conns.filter((value) => value > 1)) {
      goal(`presigned >= 0.8x C at ${connections} connections`, small[`${connections} ours, presigned`].ratio >= 0.8, fixed(small[`${connections} ours, presigned`].ratio, 2));
      goal(`header-signed >= 0.8x C at ${connections} connections`, small[`${connections} ours, header-signed`].ratio >= 0.8, fixed(small[`${connections} ours, header-signed`].ratio, 2));
      goal(`anonymous >= 0.9x C at ${connections} connections`, small[`${connections} ours, anonymous`].ratio >= 0.9, fixed(small[`${connections} ours, anonymous`].ratio, 2));
    }
    if (small["1 ours, presigned"]) goal("added p50 <= 0.2 ms over C at 1 connection (presigned)", small["1 ours, presigned"].addedP50 <= 200, `${fixed(small["1 ours, presigned"].addedP50 / 1000, 3)} ms`);
    goal("16 KiB ranged GET adds <= 0.3 ms p50 over C", results.small.rangedAdded <= 300, `${fixed(results.small.rangedAdded / 1000, 3)} ms`);
  }
  if (results.large) for (const method of ["GET", "PUT"]) goal(`64 MiB ${method} >= 0.95x C`, results.large[method] >= 0.95, fixed(results.large[method], 2));
  if (results.memory) {
    for (const method of ["GET", "PUT"]) goal(`1 GiB ${method} grows RSS by < 100 MB`, results.memory.growth[method] < 100, `${fixed(results.memory.growth[method], 1)} MB`);
    goal("64 slow readers of 1 GiB stay under 300 MB", results.memory.slowPeak < 300, `${fixed(results.memory.slowPeak)} MB`);
  }
  if (results.cluster) {
    const text = `x8 workers >= 6x one worker (measured with ${results.cluster.workers} workers, ${layout.proxyCount} CPU(s) for the proxy)`;
    goal(text, layout.proxyCount >= 8 ? results.cluster.scaling >= 6 : undefined, fixed(results.cluster.scaling, 2));
  }
  if (results.xml) {
    const worst = results.xml.reduce((slowest, row) => (row.millis > slowest.millis ? row : slowest));
    goal("every hostile XML body of up to 2 MiB costs < 50 ms", worst.millis < 50, `worst ${fixed(worst.millis, 1)} ms (${worst.name})`);
  }
  if (results.soak) {
    const { soak: run } = results;
    goal("soak: 0 errors", run.non2xx + run.socketErrors === 0, `${run.non2xx} non-2xx, ${run.socketErrors} socket errors`);
    // "Stable": back within 50 MB and 16 descriptors of where it started (the heap keeps some of what it grew).
    goal("soak: RSS and open files stable afterwards", run.after.rss - run.before.rss < 50 && run.after.files - run.before.files <= 16, `RSS ${fixed(run.before.rss)} -> ${fixed(run.after.rss)} MB, files ${run.before.files} -> ${run.after.files}`);
  }
  if (results.worker) {
    goal("Worker: median CPU per forwarded presigned GET < 1 ms", results.worker.cpuMillisMedian < 1, `${fixed(results.worker.cpuMillisMedian, 3)} ms`);
    goal("Worker bundle <= 150 KiB gzip", results.worker.bundleGzipKiB <= 150, `${fixed(results.worker.bundleGzipKiB, 1)} KiB`);
  }
}

main().catch(async (error) => {
  console.error(error);
  await stopAll();
  process.exit(1);
});
