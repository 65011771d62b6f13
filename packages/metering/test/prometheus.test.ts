/** Prometheus usage metrics: outcomes fed through the middleware's `after`, rendered, parsed back. */
import cluster, { type Worker } from "node:cluster";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import type { BucketConfig, RequestContext, RequestOutcome } from "@multistore/core";
import { Registry } from "prom-client";
import { createClusterMetrics, createPrometheusMetrics } from "../src/prometheus.js";

/** One sample of Prometheus text: `name{label="value",...} number`. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses Prometheus text format 0.0.4 samples (comments skipped; label values as prom-client escapes them). */
function parse(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`unparsed line: ${line}`);
    const labels: Record<string, string> = {};
    for (const label of (match[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[label[1]!] = label[2]!.replace(/\\(.)/g, (_, escaped: string) => (escaped === "n" ? "\n" : escaped));
    }
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The value of the one sample named `name` whose labels include `labels` (0 when none). */
function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = samples.filter((sample) => sample.name === name && Object.entries(labels).every(([label, value]) => sample.labels[label] === value));
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return found[0]?.value ?? 0;
}

const BUCKET = { name: "photos", backend_type: "fs" } as unknown as BucketConfig;

function context(overrides: Partial<RequestContext> = {}): RequestContext {
  return {
    requestId: "r",
    method: "GET",
    headers: new Headers(),
    startedAt: 0,
    identity: { type: "credential", accessKeyId: "AKIA1", principalName: "alice", scopes: [] },
    operation: "GetObject",
    bucket: "photos",
    bucketConfig: BUCKET,
    ...overrides,
  };
}

function outcome(overrides: Partial<RequestOutcome> = {}): RequestOutcome {
  return { status: 200, bytesSent: 0, durationMs: 3, served: "native", ...overrides };
}

describe("createPrometheusMetrics", () => {
  it("counts requests and bytes per bucket, principal, operation and status", async () => {
    const metrics = createPrometheusMetrics();
    const record = metrics.middleware.after!;
    await record(context(), outcome({ bytesSent: 100 }));
    await record(context(), outcome({ bytesSent: 50 }));
    await record(context({ method: "PUT", operation: "PutObject" }), outcome({ bytesReceived: 1234 }));
    await record(context(), outcome({ status: 404, bytesSent: 300 }));
    await record(context({ identity: { type: "anonymous" } }), outcome({ bytesSent: 7 }));
    const samples = parse(await metrics.render());
    const alice = { bucket: "photos", principal: "alice" };
    expect(valueOf(samples, "multistore_requests_total", { ...alice, operation: "GetObject", status: "200" })).toBe(2);
    expect(valueOf(samples, "multistore_bytes_sent_total", { ...alice, operation: "GetObject", status: "200" })).toBe(150);
    expect(valueOf(samples, "multistore_requests_total", { ...alice, operation: "GetObject", status: "404" })).toBe(1);
    expect(valueOf(samples, "multistore_bytes_sent_total", { ...alice, operation: "GetObject", status: "404" })).toBe(300);
    expect(valueOf(samples, "multistore_bytes_received_total", { ...alice, operation: "PutObject", status: "200" })).toBe(1234);
    expect(valueOf(samples, "multistore_requests_total", { bucket: "photos", principal: "anonymous", operation: "GetObject" })).toBe(1);
    expect(metrics.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
  });

  it("counts a long copy that failed inside its kept-alive 200 under the error's own status", async () => {
    const metrics = createPrometheusMetrics();
    await metrics.middleware.after!(context({ method: "PUT", operation: "CopyObject" }), outcome({ status: 200, errorCode: "ServiceUnavailable", errorStatus: 503, bytesSent: 120 }));
    const samples = parse(await metrics.render());
    const copy = { bucket: "photos", principal: "alice", operation: "CopyObject" };
    expect(valueOf(samples, "multistore_requests_total", { ...copy, status: "503" })).toBe(1);
    expect(valueOf(samples, "multistore_requests_total", { ...copy, status: "200" })).toBe(0);
  });

  it("counts the bytes of copies streamed between stores by destination bucket, apart from bytes sent and received", async () => {
    const metrics = createPrometheusMetrics();
    const copying = context({ method: "PUT", operation: "CopyObject", copySource: { bucket: "archive", streamed: true } });
    await metrics.middleware.after!(copying, outcome({ bytesSent: 250, bytesCopied: 4096 }));
    await metrics.middleware.after!(copying, outcome({ bytesSent: 250, bytesCopied: 1000 }));
    // A copy the store made by itself reports no bytes copied.
    await metrics.middleware.after!(context({ method: "PUT", operation: "CopyObject" }), outcome({ bytesSent: 250 }));
    const samples = parse(await metrics.render());
    const copy = { bucket: "photos", principal: "alice", operation: "CopyObject", status: "200" };
    expect(valueOf(samples, "multistore_bytes_copied_total", copy)).toBe(5096);
    expect(valueOf(samples, "multistore_bytes_sent_total", copy)).toBe(750);
    expect(valueOf(samples, "multistore_bytes_received_total", copy)).toBe(0);
  });

  it("observes durations in seconds, labelled by bucket and operation only", async () => {
    const metrics = createPrometheusMetrics();
    await metrics.middleware.after!(context(), outcome({ durationMs: 20 }));
    await metrics.middleware.after!(context({ identity: { type: "anonymous" } }), outcome({ status: 403, durationMs: 2_000 }));
    const samples = parse(await metrics.render());
    const labels = { bucket: "photos", operation: "GetObject" };
    expect(valueOf(samples, "multistore_request_duration_seconds_count", labels)).toBe(2);
    expect(valueOf(samples, "multistore_request_duration_seconds_sum", labels)).toBeCloseTo(2.02);
    expect(valueOf(samples, "multistore_request_duration_seconds_bucket", { ...labels, le: "0.025" })).toBe(1);
    expect(valueOf(samples, "multistore_request_duration_seconds_bucket", { ...labels, le: "5" })).toBe(2);
    const histogram = samples.filter((sample) => sample.name.startsWith("multistore_request_duration_seconds"));
    expect(histogram.every((sample) => !("principal" in sample.labels) && !("status" in sample.labels))).toBe(true);
  });

  it("keeps label values bounded: no bucket unless admitted, no operation unless parsed", async () => {
    const metrics = createPrometheusMetrics();
    // A client naming buckets that do not exist (refused before admission: no configuration) makes no new series.
    for (const name of ["random-1", "random-2", "random-3"]) {
      await metrics.middleware.after!(context({ bucket: name, bucketConfig: undefined, identity: { type: "anonymous" } }), outcome({ status: 404 }));
    }
    // A route (or a request refused before parsing): no bucket, no operation, no identity.
    const { identity: _identity, operation: _operation, bucket: _bucket, bucketConfig: _config, ...route } = context();
    await metrics.middleware.after!(route, outcome({ bytesSent: 3 }));
    const samples = parse(await metrics.render());
    const requests = samples.filter((sample) => sample.name === "multistore_requests_total");
    expect(requests.map((sample) => sample.labels)).toEqual([
      { bucket: "", principal: "anonymous", operation: "GetObject", status: "404" },
      { bucket: "", principal: "anonymous", operation: "", status: "200" },
    ]);
    expect(requests.map((sample) => sample.value)).toEqual([3, 1]);
  });

  it("counts a role's sessions under the role, as the limiter does: session names are the caller's choice", async () => {
    const metrics = createPrometheusMetrics({ labels: ["principal"] });
    const session = (name: string) => context({ identity: { type: "credential", accessKeyId: `ASIA${name}`, principalName: `assumed-role/reader/${name}`, scopes: [], roleId: "reader" } });
    for (const name of ["a", "b"]) await metrics.middleware.after!(session(name), outcome());
    await metrics.middleware.after!(context(), outcome());
    const requests = parse(await metrics.render()).filter((sample) => sample.name === "multistore_requests_total");
    expect(requests.map((sample) => [sample.labels.principal, sample.value])).toEqual([["role:reader", 2], ["alice", 1]]);
  });

  it("takes a registry, a prefix and a subset of labels; refuses unknown labels and duplicate names", async () => {
    const registry = new Registry();
    const metrics = createPrometheusMetrics({ registry, prefix: "gw_", labels: ["bucket", "status"] });
    expect(metrics.registry).toBe(registry);
    await metrics.middleware.after!(context(), outcome({ bytesSent: 5 }));
    await metrics.middleware.after!(context({ identity: { type: "anonymous" }, operation: "HeadObject" }), outcome({ bytesSent: 5 }));
    const samples = parse(await registry.metrics());
    expect(samples.filter((sample) => sample.name === "gw_bytes_sent_total")).toEqual([{ name: "gw_bytes_sent_total", labels: { bucket: "photos", status: "200" }, value: 10 }]);
    expect(samples.some((sample) => sample.name.startsWith("multistore_"))).toBe(false);
    expect(() => createPrometheusMetrics({ registry, prefix: "gw_" })).toThrow(/already been registered/);
    expect(() => createPrometheusMetrics({ labels: ["bucket", "key" as never] })).toThrow(/unknown metric label "key"/);
  });

  it("ignores broken amounts instead of throwing (counters never go down)", async () => {
    const metrics = createPrometheusMetrics();
    await metrics.middleware.after!(context(), outcome({ bytesSent: -5, bytesReceived: Number.NaN, durationMs: Number.POSITIVE_INFINITY }));
    const samples = parse(await metrics.render());
    expect(valueOf(samples, "multistore_requests_total", { status: "200" })).toBe(1);
    expect(valueOf(samples, "multistore_bytes_sent_total", { status: "200" })).toBe(0);
    expect(valueOf(samples, "multistore_bytes_received_total", { status: "200" })).toBe(0);
    expect(valueOf(samples, "multistore_request_duration_seconds_sum", { operation: "GetObject" })).toBe(0);
  });

  it("is an after-only middleware, so it takes no part in dispatch", () => {
    const { middleware } = createPrometheusMetrics();
    expect([middleware.before, middleware.handle, typeof middleware.after]).toEqual([undefined, undefined, "function"]);
  });
});

/**
 * A cluster worker counting `REQUESTS` requests; it shares them with the primary when `SHARE` is set, and otherwise
 * never answers. It runs this package's source as is (Node 24 strips the types); the source's relative imports name
 * the built `.js` files, so a resolve hook falls back to the `.ts` beside them.
 */
const WORKER = `
import { registerHooks } from "node:module";
registerHooks({
  resolve(specifier, context, next) {
    try {
      return next(specifier, context);
    } catch (error) {
      if (!specifier.startsWith(".") || !specifier.endsWith(".js")) throw error;
      return next(specifier.slice(0, -3) + ".ts", context);
    }
  },
});
const { createPrometheusMetrics, shareWithClusterPrimary } = await import(process.env.PROMETHEUS_SOURCE);
const metrics = createPrometheusMetrics();
const context = { identity: { type: "anonymous" }, operation: "GetObject", bucket: "photos", bucketConfig: {} };
for (let index = 0; index < Number(process.env.REQUESTS); index++) metrics.middleware.after(context, { status: 200, bytesSent: 10, durationMs: 3 });
if (process.env.SHARE) shareWithClusterPrimary(metrics);
process.send("ready");
setInterval(() => {}, 60_000);
`;

describe("createClusterMetrics", () => {
  const workers: Worker[] = [];
  let dir: string | undefined;

  /** Forks a worker and waits until it has counted (and shared, with `share`). */
  async function fork(requests: number, share: boolean): Promise<Worker> {
    if (dir === undefined) {
      dir = await mkdtemp(join(tmpdir(), "multistore-cluster-metrics-"));
      await writeFile(join(dir, "worker.mjs"), WORKER);
      cluster.setupPrimary({ exec: join(dir, "worker.mjs"), silent: true });
    }
    const source = pathToFileURL(join(import.meta.dirname, "../src/prometheus.ts")).href;
    const worker = cluster.fork({ PROMETHEUS_SOURCE: source, REQUESTS: String(requests), ...(share && { SHARE: "1" }) });
    workers.push(worker);
    await new Promise<void>((resolve, reject) => {
      worker.once("message", () => resolve());
      worker.once("exit", (code) => reject(new Error(`worker exited with ${code}`)));
    });
    return worker;
  }

  afterAll(async () => {
    const exits = workers.filter((worker) => !worker.isDead()).map((worker) => new Promise((resolve) => worker.once("exit", resolve)));
    for (const worker of workers) if (!worker.isDead()) worker.kill();
    await Promise.all(exits);
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("sums every worker's metrics; refuses a partial sum when one does not answer, or none runs", async () => {
    const metrics = createClusterMetrics({ timeoutMs: 2_000 });
    await expect(metrics.render()).rejects.toThrow("no cluster worker is running");
    await Promise.all([fork(2, true), fork(3, true)]);
    const samples = parse(await metrics.render());
    expect(valueOf(samples, "multistore_requests_total", { bucket: "photos", status: "200" })).toBe(5);
    expect(valueOf(samples, "multistore_bytes_sent_total", { bucket: "photos" })).toBe(50);
    expect(valueOf(samples, "multistore_request_duration_seconds_bucket", { le: "0.005" })).toBe(5);
    expect(metrics.contentType).toMatch(/^text\/plain; version=0\.0\.4/);

    const silent = await fork(1, false);
    const started = Date.now();
    await expect(metrics.render()).rejects.toThrow("a cluster worker did not answer within 2000 ms");
    expect(Date.now() - started).toBeLessThan(4_500);
    silent.kill();
    await new Promise((resolve) => silent.once("exit", resolve));
    expect(valueOf(parse(await metrics.render()), "multistore_requests_total", { status: "200" })).toBe(5);
  });
});
