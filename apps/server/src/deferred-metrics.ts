/**
 * Prometheus metrics whose module (prom-client and @opentelemetry/api, about 80 modules) is imported only when
 * metrics are turned on: a server without them keeps a smaller heap, which each garbage collection walks. The
 * module loads as soon as metrics are asked for; listeners and the server await `loaded` before they open.
 */
import type { Middleware } from "@multistore/core";
import type { ClusterMetrics, PrometheusMetrics } from "@multistore/metering/prometheus";

type PrometheusModule = typeof import("@multistore/metering/prometheus");

/** Prometheus' text format, the content type of both sources (prom-client's own constant, once it is loaded). */
const PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

/** Metrics text served once loaded. */
export interface DeferredSource {
  /** The content type of `render`'s text. */
  readonly contentType: string;
  /** The metrics as text (waits for the module). */
  render(): Promise<string>;
  /** Resolves once the module is loaded and the metrics made; rejects when that failed. */
  loaded(): Promise<void>;
}

/** A source over metrics still being made; `current` once they are. */
function sourceOf<M extends PrometheusMetrics | ClusterMetrics>(made: Promise<M>): DeferredSource & { readonly current: M | undefined } {
  let current: M | undefined;
  void made.then((metrics) => {
    current = metrics;
  }, () => {});
  return {
    get current() {
      return current;
    },
    get contentType() {
      return current?.contentType ?? PROMETHEUS_TEXT;
    },
    render: async () => (await made).render(),
    loaded: async () => {
      await made;
    },
  };
}

/**
 * This process's request metrics and the middleware counting them. `shareWithPrimary`: a node:cluster worker's,
 * answering the primary's requests for them once loaded.
 */
export function deferredPrometheusMetrics(shareWithPrimary: boolean): DeferredSource & { middleware: Middleware } {
  const made = import("@multistore/metering/prometheus").then((module: PrometheusModule) => {
    const metrics = module.createPrometheusMetrics();
    if (shareWithPrimary) module.shareWithClusterPrimary(metrics);
    return metrics;
  });
  const source = sourceOf(made);
  const middleware: Middleware = {
    name: "prometheus-metrics",
    // Requests end after `loaded` (the server awaits it before listening), so the wait is only for embedders.
    after: (context, outcome) => {
      const current = source.current;
      return current ? current.middleware.after?.(context, outcome) : made.then((metrics) => metrics.middleware.after?.(context, outcome));
    },
  };
  return Object.assign(source, { middleware });
}

/** The sum of a node:cluster's worker metrics, as its primary serves it (`createClusterMetrics`). */
export function deferredClusterMetrics(options: { timeoutMs?: number }): DeferredSource {
  return sourceOf(import("@multistore/metering/prometheus").then((module: PrometheusModule) => module.createClusterMetrics(options)));
}
