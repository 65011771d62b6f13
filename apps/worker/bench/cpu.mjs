#!/usr/bin/env node
/**
 * The Worker's CPU per forwarded request under workerd: the deployable bundle (wrangler deploy --dry-run, as
 * deployed) runs in miniflare with an s3 bucket in front of `ORIGIN`; presigned 1 KiB GETs load it, and the CPU time
 * of the workerd process (not miniflare's Node side, nor the load generator) is divided by the requests it served,
 * per batch; the median batch is reported. Prints one JSON line. Usage: cpu.mjs ORIGIN [SECONDS]
 * (`pnpm bench` in apps/server runs it; it includes miniflare's own routing worker, which a deployment does not have).
 */
import { spawn, spawnSync } from "node:child_process";
import { createHash, createHmac } from "node:crypto";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { Miniflare } from "miniflare";
import { bundleWorker } from "./worker-bundle.mjs";

const [origin, secondsText = "5"] = process.argv.slice(2);
const seconds = Number(secondsText);
const KEY = { accessKeyId: "AKIAWORKERBENCH00001", secretAccessKey: "worker-bench-secret-000000000000000001" };

function presign(endpoint, path) {
  const url = new URL(endpoint);
  const amzDate = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
  const scope = `${amzDate.slice(0, 8)}/us-east-1/s3/aws4_request`;
  const query = `X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=${encodeURIComponent(`${KEY.accessKeyId}/${scope}`)}&X-Amz-Date=${amzDate}&X-Amz-Expires=3600&X-Amz-SignedHeaders=host`;
  const hmac = (key, data) => createHmac("sha256", key).update(data).digest();
  let key = `AWS4${KEY.secretAccessKey}`;
  for (const part of [amzDate.slice(0, 8), "us-east-1", "s3", "aws4_request"]) key = hmac(key, part);
  const canonical = ["GET", path, query, `host:${url.host}\n`, "host", "UNSIGNED-PAYLOAD"].join("\n");
  const signature = hmac(key, `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${createHash("sha256").update(canonical).digest("hex")}`).toString("hex");
  return `${url.origin}${path}?${query}&X-Amz-Signature=${signature}`;
}

/** CPU seconds of the workerd processes started by this process. */
function workerdSeconds() {
  let ticks = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      if (!stat.includes("(workerd)")) continue;
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[1]) !== process.pid) continue;
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {}
  }
  return ticks / 100;
}

async function loadFor(url, batchSeconds) {
  // Asynchronously: miniflare's Node side must keep draining workerd's output meanwhile.
  if (spawnSync("wrk", ["--version"]).error === undefined) {
    const output = await new Promise((resolve, reject) => {
      const child = spawn("wrk", ["-t1", "-c16", `-d${batchSeconds}s`, url], { stdio: ["ignore", "pipe", "inherit"] });
      let text = "";
      child.stdout.on("data", (chunk) => {
        text += chunk;
      });
      child.once("exit", (code) => (code === 0 ? resolve(text) : reject(new Error(`wrk exited ${code}`))));
    });
    return Number(/(\d+) requests in/.exec(output)?.[1] ?? 0);
  }
  let count = 0;
  const end = performance.now() + batchSeconds * 1000;
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (performance.now() < end) {
      await (await fetch(url)).arrayBuffer();
      count++;
    }
  }));
  return count;
}

const built = bundleWorker();
const config = {
  buckets: [{ name: "get", backend_type: "s3", anonymous_access: false, backend_options: { endpoint: origin, region: "us-east-1", bucket_name: "bucket", access_key_id: "AKIAORIGIN0000000001", secret_access_key: "origin-secret", force_path_style: "true" } }],
  roles: [],
  credentials: [{ access_key_id: KEY.accessKeyId, secret_access_key: KEY.secretAccessKey, principal_name: "bench", created_at: "2024-01-01T00:00:00Z", enabled: true, allowed_scopes: [{ bucket: "*", prefixes: [], actions: ["get_object"] }] }],
};
const miniflare = new Miniflare({
  modules: true,
  scriptPath: built.entry,
  modulesRoot: built.outdir,
  compatibilityDate: "2025-09-01",
  compatibilityFlags: ["enable_request_signal"],
  bindings: { PROXY_CONFIG: JSON.stringify(config) },
  host: "127.0.0.1",
  port: 0,
  cf: false,
  // The Worker logs a line per request: drained and dropped, as a log shipper would consume them.
  handleRuntimeStdio(stdout, stderr) {
    stdout.resume();
    stderr.resume();
  },
});
const endpoint = (await miniflare.ready).origin;
const url = presign(endpoint, "/get/1k.bin");
const check = await fetch(url);
await check.arrayBuffer();
if (check.status !== 200) throw new Error(`the Worker answered ${check.status}`);
await loadFor(url, 1);
const batches = [];
let requests = 0;
for (let batch = 0; batch < 5; batch++) {
  const before = workerdSeconds();
  const served = await loadFor(url, Math.max(1, Math.round(seconds / 2)));
  requests += served;
  batches.push(((workerdSeconds() - before) * 1000) / served);
}
await miniflare.dispose();
rmSync(built.outdir, { recursive: true, force: true });
batches.sort((a, b) => a - b);
console.log(JSON.stringify({ cpuMillisMedian: batches[2], batches, requests, bundleKiB: built.raw / 1024, bundleGzipKiB: built.gzip / 1024 }));
