/**
 * Usage metrics as Prometheus text (`@multistore/metering/prometheus`, Node only: it needs `prom-client`, an optional
 * peer dependency). An `after`-only middleware counts every finished request; it takes no part in dispatch, so it
 * adds nothing before a response and a few counter updates after it.
 *
 * Metrics (with the default prefix `multistore_`):
 * - `multistore_requests_total` (counter): finished requests.
 * - `multistore_bytes_sent_total` (counter): response body bytes sent to clients.
 * - `multistore_bytes_received_total` (counter): request body bytes read from clients (aws-chunked framing included).
 * - `multistore_bytes_copied_total` (counter): bytes copies between stores streamed through the gateway (CopyObject
 *   and UploadPartCopy whose stores cannot copy between each other), labelled with the destination's bucket.
 * - `multistore_request_duration_seconds` (histogram): time from the request's start to its response's end.
 *
 * Labels, each with a bounded set of values (a client cannot create series at will):
 * - `bucket`: the bucket the request was admitted to; `""` for requests on no bucket (ListBuckets, routes such as
 *   `/healthz`) and for requests refused before admission (unknown bucket, access denied, bad signature), whose
 *   bucket name is whatever the client typed.
 * - `principal`: the principal name of the credential that signed the request, or `anonymous` (unsigned requests,
 *   and requests refused before their signature was checked).
 * - `operation`: the S3 operation (`GetObject`, `PutObject`, ...); `""` when the request was not parsed as one (a
 *   route, or a request refused before parsing).
 * - `status`: the HTTP status code sent (`200`, `404`, ...).
 *
 * The counters carry every label chosen with `labels`; the histogram carries only `bucket` and `operation` of them,
 * since each of its series costs one line per duration bucket.
 *
 * In a node:cluster, each worker counts its own requests: workers call `shareWithClusterPrimary`, and the primary
 * serves `createClusterMetrics().render()`, the sum over its workers (prom-client's `AggregatorRegistry`: counters
 * summed, histograms summed per bucket).
 */
import cluster from "node:cluster";
import type { Middleware, RequestContext, RequestOutcome } from "@multistore/core";
import { AggregatorRegistry, Counter, Histogram, Registry, type PrometheusContentType } from "prom-client";
import { principalOf } from "./limiter.js";
import { within } from "./within.js";

/** A label the metrics can carry. */
export type MetricLabel = "bucket" | "principal" | "operation" | "status";

/** Every label, in the order they appear. */
export const METRIC_LABELS: readonly MetricLabel[] = ["bucket", "principal", "operation", "status"];

/** Labels the duration histogram keeps, of those chosen. */
const HISTOGRAM_LABELS: readonly MetricLabel[] = ["bucket", "operation"];

/**
 * Upper bounds of the duration histogram, in seconds: small requests answer in milliseconds, large transfers take
 * minutes; ten buckets keep the histogram's series count modest.
 */
export const DURATION_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5, 30, 120];

/** Options of `createPrometheusMetrics`. */
export interface PrometheusMetricsOptions {
  /** Registry the metrics are registered in (default: a new one, not prom-client's global registry). */
  registry?: Registry | undefined;
  /** Prefix of every metric name (default `multistore_`). */
  prefix?: string | undefined;
  /**
   * Labels to keep (default: all of `METRIC_LABELS`). Leaving one out merges its series: drop `principal` when many
   * credentials would make too many series.
   */
  labels?: readonly MetricLabel[] | undefined;
  /** Upper bounds of the duration histogram, in seconds (default `DURATION_BUCKETS`). */
  durationBuckets?: readonly number[] | undefined;
}

/** The metrics of a gateway. */
export interface PrometheusMetrics {
  /** The middleware counting finished requests (an `after` hook only). */
  middleware: Middleware;
  /** The registry holding the metrics. */
  registry: Registry;
  /** The content type of `render()`'s text (Prometheus text format 0.0.4). */
  contentType: string;
  /** Every metric of the registry, as Prometheus text. */
  render(): Promise<string>;
}

/** The label values of a finished request (every label; the metrics keep those chosen). */
export function labelValues(context: RequestContext, outcome: RequestOutcome): Record<MetricLabel, string> {
  return {
    // Only admitted requests have a configuration: their bucket name is one the registry knows.
    bucket: context.bucketConfig !== undefined && context.bucket !== undefined ? context.bucket : "",
    // A role's sessions share one series, as they share the limiter's counters: the session name is the caller's choice.
    principal: principalOf(context.identity) ?? "anonymous",
    operation: context.operation ?? "",
    // An error inside a kept-alive 200 (a long copy that failed) counts under its own status: it is no success.
    status: String(outcome.errorStatus ?? outcome.status),
  };
}

/** Only the chosen labels' values. */
function pick(values: Record<MetricLabel, string>, labels: readonly MetricLabel[]): Partial<Record<MetricLabel, string>> {
  const picked: Partial<Record<MetricLabel, string>> = {};
  for (const label of labels) picked[label] = values[label];
  return picked;
}

/** Non-negative finite numbers only: a broken outcome must not make a counter throw (counters never decrease). */
function amount(value: number | undefined): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : 0;
}

/**
 * Creates the request metrics and the middleware feeding them. Throws when a label is unknown, or when the registry
 * already holds metrics of the same names (use another `prefix` or registry).
 */
export function createPrometheusMetrics(options: PrometheusMetricsOptions = {}): PrometheusMetrics {
  const registry = options.registry ?? new Registry();
  const prefix = options.prefix ?? "multistore_";
  const labels = options.labels ?? METRIC_LABELS;
  for (const label of labels) {
    if (!METRIC_LABELS.includes(label)) throw new Error(`unknown metric label "${String(label)}" (one of ${METRIC_LABELS.join(", ")})`);
  }
  const histogramLabels = HISTOGRAM_LABELS.filter((label) => labels.includes(label));
  const registers = [registry];
  const requests = new Counter({ name: `${prefix}requests_total`, help: "Requests finished, by bucket, principal, operation and status.", labelNames: labels, registers });
  const bytesSent = new Counter({ name: `${prefix}bytes_sent_total`, help: "Response body bytes sent to clients.", labelNames: labels, registers });
  const bytesReceived = new Counter({
    name: `${prefix}bytes_received_total`,
    help: "Request body bytes read from clients (aws-chunked framing included).",
    labelNames: labels,
    registers,
  });
  const bytesCopied = new Counter({
    name: `${prefix}bytes_copied_total`,
    help: "Bytes copies between stores streamed through the gateway, by destination bucket.",
    labelNames: labels,
    registers,
  });
  const duration = new Histogram({
    name: `${prefix}request_duration_seconds`,
    help: "Time from a request's start to the end of its response, by bucket and operation.",
    labelNames: histogramLabels,
    buckets: [...(options.durationBuckets ?? DURATION_BUCKETS)],
    registers,
  });

  const middleware: Middleware = {
    name: "prometheus-metrics",
    after(context, outcome) {
      const values = labelValues(context, outcome);
      const counted = pick(values, labels);
      requests.inc(counted);
      bytesSent.inc(counted, amount(outcome.bytesSent));
      bytesReceived.inc(counted, amount(outcome.bytesReceived));
      if (outcome.bytesCopied !== undefined) bytesCopied.inc(counted, amount(outcome.bytesCopied));
      duration.observe(pick(values, histogramLabels), amount(outcome.durationMs) / 1000);
    },
  };
  return { middleware, registry, contentType: registry.contentType, render: () => registry.metrics() };
}

/**
 * Lets this node:cluster worker answer its primary's requests for these metrics (`createClusterMetrics`). One
 * registry per process: a later call replaces the earlier one's.
 */
export function shareWithClusterPrimary(metrics: PrometheusMetrics): void {
  AggregatorRegistry.setRegistries([metrics.registry]);
  // setRegistries alone answers nothing: the constructor is what installs the worker's listener (once per process).
  new AggregatorRegistry<PrometheusContentType>();
}

/**
 * How long the primary waits for every worker: under prom-client's own bound (5 s, not configurable in 15.x) and
 * Prometheus's default scrape timeout (10 s), so a scrape gets a clear answer before its scraper gives up.
 */
export const CLUSTER_METRICS_TIMEOUT_MS = 3_000;

/** The sum of a node:cluster's worker metrics, as the primary serves it. */
export interface ClusterMetrics {
  /** The content type of `render()`'s text (Prometheus text format 0.0.4). */
  contentType: string;
  /**
   * Every live worker's metrics, summed, as Prometheus text. Rejects when no worker runs, or one does not answer
   * within the timeout, or fails to collect: never a partial sum, which a scraper would take for a counter reset,
   * and count again in full once the missing worker answers.
   */
  render(): Promise<string>;
}

/**
 * In a node:cluster primary: collects the metrics its workers share (`shareWithClusterPrimary`). `timeoutMs`
 * (default `CLUSTER_METRICS_TIMEOUT_MS`) bounds each `render()`; above 5 s it is prom-client's own bound that applies.
 */
export function createClusterMetrics(options: { timeoutMs?: number } = {}): ClusterMetrics {
  const aggregator = new AggregatorRegistry<PrometheusContentType>();
  const timeoutMs = options.timeoutMs ?? CLUSTER_METRICS_TIMEOUT_MS;
  return {
    contentType: aggregator.contentType,
    async render() {
      // prom-client answers an empty text then: every series would look gone, not unknown.
      if (!Object.values(cluster.workers ?? {}).some((worker) => worker?.isConnected())) throw new Error("no cluster worker is running");
      const collected = aggregator.clusterMetrics();
      // prom-client rejects on its own later (after 5 s): once the race below is lost, nothing else awaits it.
      collected.catch(() => {});
      return within(collected, timeoutMs, () => new Error(`a cluster worker did not answer within ${timeoutMs} ms`));
    },
  };
}
