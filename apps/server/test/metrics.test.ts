/**
 * Usage metrics as Prometheus text: on a listener of their own (`--metrics-listen`), on the S3 port behind a bearer
 * token (`MULTISTORE_METRICS_TOKEN`), or not at all (then `/metrics` is an S3 path); and the CLI's checks.
 */
import { spawnSync, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfig } from "@multistore/config";
import { errorCode, rawRequest, signedRawRequest, startCli } from "@multistore/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createLogger, createMultistoreServer, parseCli, type MultistoreServer, type ServerOptions } from "../src/index.js";
import { serverMetrics } from "../src/metrics.js";

const KEY = { accessKeyId: "AKIAMETRICS00000001", secretAccessKey: "metrics-secret-0000000000000000000000001" };
const TOKEN = "metrics-token-0123456789abcdef";
const appDir = join(import.meta.dirname, "..");
const cli = join(appDir, "dist/cli.js");
const silent = createLogger("silent", { write: () => {} });
const started: MultistoreServer[] = [];
const children: ChildProcess[] = [];
let root: string;

/** A sample of Prometheus text: its labels and value. */
type Sample = { name: string; labels: Record<string, string>; value: number };

/** Parses the samples of Prometheus text format 0.0.4 (comments skipped). */
function parse(text: string): Sample[] {
  return text
    .split("\n")
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => {
      const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!match) throw new Error(`unparsed line: ${line}`);
      const labels = Object.fromEntries([...(match[2] ?? "").matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)].map((label) => [label[1]!, label[2]!]));
      return { name: match[1]!, labels, value: Number(match[3]) };
    });
}

/** The value of the one sample of `name` whose labels include `labels`, 0 when none. */
function valueOf(samples: Sample[], name: string, labels: Record<string, string>): number {
  const found = samples.filter((sample) => sample.name === name && Object.entries(labels).every(([label, value]) => sample.labels[label] === value));
  expect(found.length, `${name} ${JSON.stringify(labels)}`).toBeLessThanOrEqual(1);
  return found[0]?.value ?? 0;
}

/** Scrapes until `ready` holds: after-hooks run once a response is complete, just after the client has it. */
async function scrapeUntil(url: string, ready: (samples: Sample[]) => boolean, headers: Record<string, string> = {}): Promise<Sample[]> {
  let samples: Sample[] = [];
  for (let attempt = 0; attempt < 100; attempt++) {
    const response = await fetch(url, { headers });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    samples = parse(await response.text());
    if (ready(samples)) return samples;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return samples;
}

/** Starts a server with an fs bucket `files` that `alice` may read and write. */
async function start(metrics?: ServerOptions["metrics"]) {
  const config = parseConfig({
    buckets: [{ name: "files", backend_type: "fs", anonymous_access: false, backend_options: { root } }],
    roles: [],
    credentials: [{ access_key_id: KEY.accessKeyId, secret_access_key: KEY.secretAccessKey, principal_name: "alice", created_at: "2024-01-01T00:00:00Z", enabled: true, allowed_scopes: [{ bucket: "files", prefixes: [], actions: ["get_object", "put_object"] }] }],
  });
  const server = createMultistoreServer({ config, logger: silent, ...(metrics && { metrics }) });
  started.push(server);
  const address = await server.listen(0, "127.0.0.1");
  const metricsAddress = server.metricsAddress();
  return { server, endpoint: `http://127.0.0.1:${address.port}`, metricsUrl: metricsAddress && `http://127.0.0.1:${metricsAddress.port}/metrics` };
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "multistore-metrics-"));
});

afterEach(() => {
  for (const child of children.splice(0)) child.kill("SIGKILL");
});

afterAll(async () => {
  await Promise.all(started.map((server) => server.close()));
  await rm(root, { recursive: true, force: true });
});

describe("metrics on a listener of their own", () => {
  it("counts requests, bytes and durations per bucket, principal, operation and status", async () => {
    const { endpoint, metricsUrl } = await start({ listen: { host: "127.0.0.1", port: 0 } });
    const unsigned = { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" };
    const put = await signedRawRequest(endpoint, KEY, { method: "PUT", path: "/files/hello.txt", headers: unsigned, body: Buffer.from("hello metrics") });
    expect(put.status).toBe(200);
    for (let index = 0; index < 2; index++) {
      const get = await signedRawRequest(endpoint, KEY, { method: "GET", path: "/files/hello.txt", headers: unsigned });
      expect([get.status, get.text]).toEqual([200, "hello metrics"]);
    }
    const missing = await signedRawRequest(endpoint, KEY, { method: "GET", path: "/files/missing.txt", headers: unsigned });
    expect(missing.status).toBe(404);
    // An anonymous caller naming a bucket that does not exist adds no bucket label value.
    expect((await rawRequest(endpoint, { method: "GET", path: "/no-such-bucket-123/key" })).status).toBe(404);

    const alice = { bucket: "files", principal: "alice" };
    const samples = await scrapeUntil(metricsUrl!, (found) => valueOf(found, "multistore_requests_total", { operation: "GetObject", principal: "anonymous" }) === 1);
    expect(valueOf(samples, "multistore_requests_total", { ...alice, operation: "PutObject", status: "200" })).toBe(1);
    expect(valueOf(samples, "multistore_bytes_received_total", { ...alice, operation: "PutObject", status: "200" })).toBe(13);
    expect(valueOf(samples, "multistore_requests_total", { ...alice, operation: "GetObject", status: "200" })).toBe(2);
    expect(valueOf(samples, "multistore_bytes_sent_total", { ...alice, operation: "GetObject", status: "200" })).toBe(26);
    expect(valueOf(samples, "multistore_requests_total", { ...alice, operation: "GetObject", status: "404" })).toBe(1);
    expect(valueOf(samples, "multistore_requests_total", { bucket: "", principal: "anonymous", operation: "GetObject", status: "404" })).toBe(1);
    expect(samples.some((sample) => sample.labels.bucket === "no-such-bucket-123")).toBe(false);
    expect(valueOf(samples, "multistore_request_duration_seconds_count", { bucket: "files", operation: "GetObject" })).toBe(3);
    // Scrapes on this listener are not S3 requests: they are not counted.
    expect(valueOf(samples, "multistore_requests_total", { operation: "" })).toBe(0);
  });

  it("answers only GET /metrics, and leaves /metrics on the S3 port an S3 path", async () => {
    const { endpoint, metricsUrl } = await start({ listen: { host: "127.0.0.1", port: 0 } });
    const base = new URL(metricsUrl!).origin;
    expect((await fetch(`${base}/`)).status).toBe(404);
    expect((await fetch(`${base}/metrics/more`)).status).toBe(404);
    const post = await fetch(metricsUrl!, { method: "POST", body: "x" });
    expect([post.status, post.headers.get("allow")]).toEqual([405, "GET"]);
    expect((await fetch(`${metricsUrl}?name[]=x`)).status).toBe(200);
    const s3 = await rawRequest(endpoint, { method: "GET", path: "/metrics" });
    expect([s3.status, errorCode(s3.text)]).toEqual([404, "NoSuchBucket"]);
  });

  it("closes the listener with the server, and refuses to start when its address is taken", async () => {
    const { server, metricsUrl } = await start({ listen: { host: "127.0.0.1", port: 0 } });
    started.splice(started.indexOf(server), 1);
    await server.close();
    await expect(fetch(metricsUrl!)).rejects.toThrow();

    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      const config = parseConfig({ buckets: [], roles: [], credentials: [] });
      const blocked = createMultistoreServer({ config, logger: silent, metrics: { listen: { host: "127.0.0.1", port } } });
      await expect(blocked.listen(0, "127.0.0.1")).rejects.toThrow(/EADDRINUSE/);
      // The S3 port was never opened.
      expect(blocked.server.listening).toBe(false);
      await blocked.close();
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});

describe("metrics on the S3 port with a bearer token", () => {
  it("answers 401 without the token, 403 with a wrong one, the metrics with the right one", async () => {
    const { endpoint, server, metricsUrl } = await start({ token: TOKEN });
    expect([metricsUrl, server.metricsAddress()]).toEqual([undefined, undefined]);
    const none = await rawRequest(endpoint, { method: "GET", path: "/metrics" });
    expect([none.status, none.headers["www-authenticate"]]).toEqual([401, 'Bearer realm="multistore-metrics"']);
    // An S3 signature is not the token either.
    const signed = await signedRawRequest(endpoint, KEY, { method: "GET", path: "/metrics", headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" } });
    expect(signed.status).toBe(401);
    const wrong = await rawRequest(endpoint, { method: "GET", path: "/metrics", headers: { authorization: `Bearer ${TOKEN.slice(0, -1)}x` } });
    expect(wrong.status).toBe(403);
    for (const response of [none, signed, wrong]) expect(response.text).not.toContain(TOKEN.slice(0, 8));
    const put = await rawRequest(endpoint, { method: "PUT", path: "/metrics", headers: { authorization: `Bearer ${TOKEN}` } });
    expect(put.status).toBe(405);

    const samples = await scrapeUntil(`${endpoint}/metrics`, (found) => valueOf(found, "multistore_requests_total", { status: "403" }) === 1, { authorization: `Bearer ${TOKEN}` });
    // The refusals were answered by the route: no bucket, no operation.
    expect(valueOf(samples, "multistore_requests_total", { bucket: "", principal: "anonymous", operation: "", status: "401" })).toBe(2);
    expect(valueOf(samples, "multistore_requests_total", { bucket: "", operation: "", status: "403" })).toBe(1);
  });
});

describe("without metrics", () => {
  it("installs nothing and leaves /metrics an S3 path", async () => {
    const off = serverMetrics(undefined, silent);
    expect([off.middleware, off.routes]).toEqual([undefined, []]);
    expect(serverMetrics({ token: "" }, silent).middleware).toBeUndefined();
    const { endpoint, server } = await start();
    expect(server.metricsAddress()).toBeUndefined();
    const response = await rawRequest(endpoint, { method: "GET", path: "/metrics", headers: { authorization: `Bearer ${TOKEN}` } });
    expect(response.status).not.toBe(200);
    expect(response.text).not.toContain("multistore_requests_total");
  });
});

describe("metrics flags", () => {
  it("reads --metrics-listen with any number of workers, MULTISTORE_METRICS_TOKEN with one only", () => {
    expect(parseCli([], {}).metrics).toBeUndefined();
    expect(parseCli(["--workers", "1", "--metrics-listen", "127.0.0.1:9090"], {}).metrics).toEqual({ listen: { host: "127.0.0.1", port: 9090 } });
    expect(parseCli([], { MULTISTORE_WORKERS: "1", MULTISTORE_METRICS_LISTEN: "[::1]:9091", MULTISTORE_METRICS_TOKEN: TOKEN }).metrics).toEqual({ listen: { host: "::1", port: 9091 }, token: TOKEN });
    expect(() => parseCli(["--workers", "1", "--metrics-listen", "localhost:99999"], {})).toThrow('--metrics-listen must be host:port (e.g. 127.0.0.1:9090), got "localhost:99999"');
    // The cluster's primary serves the workers' sum (metrics-cluster.test.ts).
    expect(parseCli(["--workers", "2", "--metrics-listen", ":9090"], {}).metrics).toEqual({ listen: { host: "0.0.0.0", port: 9090 } });
    expect(parseCli(["--metrics-listen", "127.0.0.1:9090"], {}).metrics).toEqual({ listen: { host: "127.0.0.1", port: 9090 } });
    // The token's route is answered by one worker, which sees only its own counts.
    expect(() => parseCli([], { MULTISTORE_WORKERS: "4", MULTISTORE_METRICS_TOKEN: TOKEN })).toThrow(
      "MULTISTORE_METRICS_TOKEN needs --workers 1: /metrics on the S3 port is answered by one worker, which counts only its own requests (got 4 workers); use --metrics-listen, which sums every worker's",
    );
    expect(() => parseCli(["--workers", "2", "--metrics-listen", ":9090"], { MULTISTORE_METRICS_TOKEN: TOKEN })).toThrow(/^MULTISTORE_METRICS_TOKEN needs --workers 1/);
    const weak = () => parseCli(["--workers", "1"], { MULTISTORE_METRICS_TOKEN: "short" });
    expect(weak).toThrow(/MULTISTORE_METRICS_TOKEN must be at least 16 printable ASCII characters/);
    expect(weak).not.toThrow(/short/);
    expect(() => parseCli(["--workers", "1"], { MULTISTORE_METRICS_TOKEN: `${TOKEN} x` })).toThrow(/without spaces/);
  });

  it("exits with code 2 naming the flag, never printing the token", () => {
    const run = (args: string[], env: Record<string, string> = {}) =>
      spawnSync(process.execPath, [cli, ...args], { cwd: appDir, encoding: "utf8", env: { ...process.env, ...env }, timeout: 30_000 });
    const bad = run(["--metrics-listen", "nowhere:port"]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--metrics-listen must be host:port (e.g. 127.0.0.1:9090), got "nowhere:port"');
    const clustered = run(["--workers", "3"], { MULTISTORE_METRICS_TOKEN: TOKEN });
    expect(clustered.status).toBe(2);
    expect(clustered.stderr).toContain("MULTISTORE_METRICS_TOKEN needs --workers 1");
    expect(clustered.stderr + clustered.stdout).not.toContain(TOKEN);
    expect(run(["--help"]).stdout).toContain("--metrics-listen");
  });

  it("serves the CLI's metrics on --metrics-listen", async () => {
    const { endpoint, output } = await startCli(cli, ["--listen", "127.0.0.1:0", "--workers", "1", "--metrics-listen", "127.0.0.1:0"], { cwd: appDir, children });
    expect((await fetch(`${endpoint}/public/hello.txt`)).status).toBe(200);
    const metricsUrl = /"metrics":"(http:\/\/[^"]+)"/.exec(output())?.[1];
    expect(metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const samples = await scrapeUntil(metricsUrl!, (found) => valueOf(found, "multistore_requests_total", { bucket: "public", operation: "GetObject" }) === 1);
    expect(valueOf(samples, "multistore_requests_total", { bucket: "public", principal: "anonymous", operation: "GetObject", status: "200" })).toBe(1);
  });
});
