/**
 * `multistore --workers 2 --metrics-listen`: the primary alone listens for scrapes and answers with the sum of every
 * worker's counters; a worker that does not answer in time makes the scrape fail (503) rather than under-count.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../src/logger.js";
import { serverMetrics } from "../src/metrics.js";
import { getFresh } from "./helpers/fresh-get.js";

const cli = join(import.meta.dirname, "../dist/cli.js");
const REQUESTS = 10;

type Line = Record<string, unknown>;

/** The sum of every sample of `name` in Prometheus text whose labels include `labels`. */
function total(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...(match[2] ?? "").matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)].map((label) => [label[1]!, label[2]!]));
    if (Object.entries(labels).every(([label, value]) => found[label] === value)) sum += Number(match[3]);
  }
  return sum;
}

describe("multistore --workers 2 --metrics-listen", () => {
  let dir: string;
  let child: ChildProcess;
  let output = "";
  let endpoint: string;
  let metricsUrl: string;
  const lines = (): Line[] =>
    output
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as Line);
  /** Resolves once `ready` holds over the log lines (checked as output arrives), rejects after `timeoutMs`. */
  const waitFor = <T>(ready: () => T | undefined, timeoutMs = 20_000) =>
    new Promise<T>((resolve, reject) => {
      const check = () => {
        const found = ready();
        if (found === undefined) return;
        clearTimeout(timer);
        child.stdout!.off("data", check);
        resolve(found);
      };
      const timer = setTimeout(() => {
        child.stdout!.off("data", check);
        reject(new Error(`timed out waiting on the log:\n${output}`));
      }, timeoutMs);
      child.stdout!.on("data", check);
      check();
    });
  const workerLines = (msg: string) => lines().filter((line) => line.msg === msg && line.worker !== undefined);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "multistore-metrics-cluster-"));
    await writeFile(join(dir, "hello.txt"), "hello\n");
    const config = join(dir, "config.json");
    await writeFile(config, JSON.stringify({ buckets: [{ name: "files", backend_type: "fs", anonymous_access: true, backend_options: { root: dir } }], roles: [], credentials: [] }));
    const args = [cli, "--config", config, "--listen", "127.0.0.1:0", "--workers", "2", "--metrics-listen", "127.0.0.1:0"];
    child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
    // Registered before waitFor's own listener, so the output is complete whenever it checks.
    child.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    const primary = await waitFor(() => lines().find((line) => line.role === "primary" && line.msg === "multistore listening"));
    endpoint = String(primary.address);
    metricsUrl = String(primary.metrics);
  });

  afterAll(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  });

  it("opens one metrics listener, the primary's, and logs its URL", () => {
    expect(metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(lines().filter((line) => line.msg === "metrics listening")).toEqual([expect.objectContaining({ role: "primary", metrics: metricsUrl })]);
  });

  it("answers with the sum over every worker", async () => {
    for (let index = 0; index < REQUESTS; index++) expect(await getFresh(`${endpoint}/files/hello.txt`)).toBe(200);
    // Request lines are written once responses end, as the counters are updated: both workers served some.
    await waitFor(() => (workerLines("request").length >= REQUESTS ? true : undefined));
    expect(new Set(workerLines("request").map((line) => line.worker))).toEqual(new Set([1, 2]));
    let text = "";
    for (let attempt = 0; attempt < 50; attempt++) {
      const response = await fetch(metricsUrl);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
      text = await response.text();
      if (total(text, "multistore_requests_total") >= REQUESTS) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(total(text, "multistore_requests_total")).toBe(REQUESTS);
    expect(total(text, "multistore_requests_total", { bucket: "files", principal: "anonymous", operation: "GetObject", status: "200" })).toBe(REQUESTS);
    expect(total(text, "multistore_bytes_sent_total", { bucket: "files" })).toBe(REQUESTS * 6);
    // Histograms are summed per bucket: the +Inf bucket counts every request.
    expect(total(text, "multistore_request_duration_seconds_bucket", { bucket: "files", le: "+Inf" })).toBe(REQUESTS);
    expect(total(text, "multistore_request_duration_seconds_count", { bucket: "files" })).toBe(REQUESTS);
  });

  it("answers 503 while a worker does not answer, then the full sum again", async () => {
    const pid = Number(workerLines("multistore listening").find((line) => line.worker === 1)!.pid);
    process.kill(pid, "SIGSTOP");
    try {
      const started = Date.now();
      const response = await fetch(metricsUrl);
      expect([response.status, response.headers.get("retry-after"), await response.text()]).toEqual([503, "1", "metrics unavailable: not every worker answered\n"]);
      // Bounded by the primary's 3 s, well before a scraper's own timeout (10 s by default).
      expect(Date.now() - started).toBeLessThan(8_000);
    } finally {
      process.kill(pid, "SIGCONT");
    }
    const after = await fetch(metricsUrl);
    expect(after.status).toBe(200);
    expect(total(await after.text(), "multistore_requests_total")).toBe(REQUESTS);
    expect(lines()).toContainEqual(expect.objectContaining({ role: "primary", level: 40, msg: "metrics: the workers' sum is unavailable (503)" }));
  });
});

describe("a cluster worker's metrics", () => {
  it("count without a listener or route of their own, and leave both to the primary", async () => {
    const silent = createLogger("silent", { write: () => {} });
    const shared = serverMetrics({ shareWithPrimary: true }, silent);
    // The counting middleware is there; "listening" only loads the metrics (the primary serves them, see above).
    expect([shared.middleware?.name, shared.routes]).toEqual(["prometheus-metrics", []]);
    expect([await shared.listen(), shared.address()]).toEqual([undefined, undefined]);
    expect(() => serverMetrics({ shareWithPrimary: true, listen: { host: "127.0.0.1", port: 0 } }, silent)).toThrow(/leaves listen and token to the cluster's primary/);
  });
});
