/**
 * The server's usage metrics as Prometheus text (`GET /metrics`), off unless asked for, in either or both ways:
 * - on a listener of their own (`--metrics-listen`), plain HTTP, meant for a private address a scraper reaches;
 * - on the S3 port as a route (`MULTISTORE_METRICS_TOKEN`), answered only to `Authorization: Bearer <token>`.
 * Without either, no middleware is installed and `/metrics` on the S3 port stays an S3 path (a bucket named
 * `metrics`). Counters are this process's own; in a node:cluster, workers only count (`shareWithPrimary`) and the
 * primary's listener (`primaryMetrics`) answers with their sum. The token route stays single-process: the worker a
 * connection reaches sees only its own counts (the CLI refuses it with more than one worker, cli-options.ts).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Middleware, PlainResponse, Route } from "@multistore/core";
import { deferredClusterMetrics, deferredPrometheusMetrics } from "./deferred-metrics.js";
import { describeError, type Logger } from "./logger.js";

/** Where the metrics are served (`ServerOptions.metrics`). */
export interface MetricsOptions {
  /** A listener of their own (plain HTTP) answering `GET /metrics`. */
  listen?: { host: string; port: number };
  /** Serve `GET /metrics` on the S3 port too, to `Authorization: Bearer <token>` only. A secret: never logged. */
  token?: string;
  /**
   * Count, and answer the node:cluster primary's requests for the counts (`primaryMetrics` serves their sum),
   * instead of serving them: set in cluster workers, without `listen` or `token`.
   */
  shareWithPrimary?: boolean;
}

/** Metrics as the server runs them. */
export interface ServerMetrics {
  /** The counting middleware, when metrics are on. */
  middleware: Middleware | undefined;
  /** The `/metrics` route on the S3 port, when a token is set. */
  routes: Route[];
  /** Starts the separate listener, when asked for; resolves with its bound address. */
  listen(): Promise<{ host: string; port: number } | undefined>;
  /** The separate listener's bound address, once listening. */
  address(): { host: string; port: number } | undefined;
  /** Closes the separate listener (open scrapes are cut: they are small and retried on the next interval). */
  close(): Promise<void>;
}

const TEXT = { "content-type": "text/plain; charset=utf-8" };

/** What a listener serves: this process's metrics, or the sum of a cluster's (`clustered`). */
interface MetricsSource {
  readonly contentType: string;
  render(): Promise<string>;
  /** Resolves once the metrics' module is loaded (awaited before listening). */
  loaded(): Promise<void>;
  clustered?: boolean;
}

/** SHA-256 of both sides, so the comparison takes the same time whatever the lengths (timingSafeEqual needs equal ones). */
function sameToken(given: string, expected: string): boolean {
  const digest = (value: string) => createHash("sha256").update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** The `/metrics` route on the S3 port: 401 without a bearer token, 403 with a wrong one, the metrics with the right one. */
function tokenRoute(metrics: MetricsSource, token: string, logger: Logger): Route {
  return {
    // Every method: with a token set, the path is the metrics', not a bucket's.
    method: "*",
    path: "/metrics",
    async handler(request): Promise<PlainResponse<never>> {
      if (request.method !== "GET") return { status: 405, headers: new Headers({ ...TEXT, allow: "GET" }), body: "method not allowed\n" };
      const match = /^Bearer +(\S+) *$/i.exec(request.headers.get("authorization") ?? "");
      if (!match) {
        return { status: 401, headers: new Headers({ ...TEXT, "www-authenticate": 'Bearer realm="multistore-metrics"' }), body: "unauthorized\n" };
      }
      if (!sameToken(match[1]!, token)) return { status: 403, headers: new Headers(TEXT), body: "forbidden\n" };
      return rendered(metrics, logger);
    },
  };
}

/**
 * The metrics as a response. When they fail: 500 (logged as an error) for this process's own, a bug; 503 (a warning)
 * for a cluster's sum, whose workers may be starting or stuck: the scrape fails rather than report a partial sum.
 */
async function rendered(source: MetricsSource, logger: Logger): Promise<PlainResponse<never>> {
  try {
    const body = await source.render();
    return { status: 200, headers: new Headers({ "content-type": source.contentType, "cache-control": "no-store" }), body };
  } catch (error) {
    if (source.clustered) {
      logger.warn({ err: describeError(error) }, "metrics: the workers' sum is unavailable (503)");
      return { status: 503, headers: new Headers({ ...TEXT, "retry-after": "1" }), body: "metrics unavailable: not every worker answered\n" };
    }
    logger.error({ err: describeError(error) }, "metrics: rendering failed");
    return { status: 500, headers: new Headers(TEXT), body: "metrics unavailable\n" };
  }
}

/** The separate listener's handler: `GET /metrics` only. */
function listenerHandler(metrics: MetricsSource, logger: Logger) {
  return (request: IncomingMessage, response: ServerResponse) => {
    const path = (request.url ?? "/").split("?")[0];
    const send = ({ status, headers, body }: PlainResponse<never>) => {
      response.writeHead(status, Object.fromEntries(headers));
      response.end(body);
    };
    if (path !== "/metrics") send({ status: 404, headers: new Headers(TEXT), body: "not found: try GET /metrics\n" });
    else if (request.method !== "GET") send({ status: 405, headers: new Headers({ ...TEXT, allow: "GET" }), body: "method not allowed\n" });
    else void rendered(metrics, logger).then(send);
    // A request body is never read: drain it so the connection can be reused.
    request.resume();
  };
}

/** A metrics listener of their own: plain HTTP, `GET /metrics` only. */
export interface MetricsListener {
  /** Starts listening; resolves with the bound address (logged with the metrics' URL). */
  listen(): Promise<{ host: string; port: number }>;
  /** The bound address, once listening. */
  address(): { host: string; port: number } | undefined;
  /** The metrics' URL (`http://host:port/metrics`), once listening. */
  url(): string | undefined;
  /** Closes the listener (open scrapes are cut: they are small and retried on the next interval). */
  close(): Promise<void>;
}

/** The URL of `/metrics` on a bound address. */
function metricsUrl(bound: { host: string; port: number }): string {
  return `http://${bound.host.includes(":") ? `[${bound.host}]` : bound.host}:${bound.port}/metrics`;
}

/** A listener serving `source` on `target`. */
function metricsListener(source: MetricsSource, target: { host: string; port: number }, logger: Logger): MetricsListener {
  let server: Server | undefined;
  let bound: { host: string; port: number } | undefined;
  return {
    async listen() {
      await source.loaded();
      const listener = createServer(listenerHandler(source, logger));
      listener.headersTimeout = 10_000;
      listener.requestTimeout = 30_000;
      await new Promise<void>((resolve, reject) => {
        listener.once("error", reject);
        listener.listen(target.port, target.host, () => {
          listener.off("error", reject);
          resolve();
        });
      });
      // Never what keeps the process alive: should the S3 port then fail to open, the process still exits.
      listener.unref();
      server = listener;
      const address = listener.address();
      bound = address && typeof address === "object" ? { host: address.address, port: address.port } : target;
      logger.info({ metrics: metricsUrl(bound) }, "metrics listening");
      return bound;
    },
    address: () => bound,
    url: () => bound && metricsUrl(bound),
    async close() {
      const listener = server;
      server = undefined;
      if (listener === undefined) return;
      const closed = new Promise<void>((resolve) => listener.close(() => resolve()));
      listener.closeAllConnections();
      await closed;
    },
  };
}

/**
 * The metrics listener of a node:cluster primary: `GET /metrics` answers the sum over every live worker (each built
 * with `shareWithPrimary`), or 503 when one of them does not answer within `timeoutMs` (default 3 s).
 */
export function primaryMetrics(target: { host: string; port: number }, logger: Logger, options: { timeoutMs?: number } = {}): MetricsListener {
  return metricsListener(Object.assign(deferredClusterMetrics(options), { clustered: true }), target, logger);
}

/** Builds the metrics from the server options: nothing at all when neither way of serving them is set. */
export function serverMetrics(options: MetricsOptions | undefined, logger: Logger): ServerMetrics {
  if (options?.shareWithPrimary) {
    if (options.listen !== undefined || options.token) throw new Error("metrics: shareWithPrimary leaves listen and token to the cluster's primary");
    const metrics = deferredPrometheusMetrics(true);
    // Loaded before the worker listens: the primary may ask for its counts as soon as it serves.
    return { middleware: metrics.middleware, routes: [], listen: async () => void (await metrics.loaded()), address: () => undefined, close: async () => {} };
  }
  if (options?.listen === undefined && !options?.token) {
    return { middleware: undefined, routes: [], listen: async () => undefined, address: () => undefined, close: async () => {} };
  }
  const metrics = deferredPrometheusMetrics(false);
  const routes = options.token ? [tokenRoute(metrics, options.token, logger)] : [];
  // Said without the token itself.
  if (options.token) logger.info("metrics: GET /metrics on the S3 port, with the bearer token of MULTISTORE_METRICS_TOKEN");
  const listener = options.listen && metricsListener(metrics, options.listen, logger);
  return {
    middleware: metrics.middleware,
    routes,
    listen: async () => {
      await metrics.loaded();
      return listener?.listen();
    },
    address: () => listener?.address(),
    close: async () => listener?.close(),
  };
}
