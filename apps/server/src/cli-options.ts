/** Command-line flags and their environment overrides. */
import { availableParallelism } from "node:os";
import { parseArgs } from "node:util";
import { parseTrustedProxies, type ServerLimits } from "@multistore/node";
import { LOG_LEVELS } from "./logger.js";
import type { MetricsOptions } from "./metrics.js";

/** Resolved CLI options. */
export interface CliOptions {
  /** Path of the TOML (or JSON) config file. */
  config: string;
  /** Host to bind. */
  host: string;
  /** Port to bind. */
  port: number;
  /** Domain for virtual-hosted style, if any. */
  domain?: string;
  /** Log level. */
  logLevel: string;
  /** TLS certificate file (PEM). */
  tlsCert?: string;
  /** TLS key file (PEM). */
  tlsKey?: string;
  /** `Server-Timing` header on responses. */
  serverTiming: boolean;
  /** Worker processes sharing the listen address (1: a single process, no cluster). */
  workers: number;
  /** Limits set by flags (the rest keep `DEFAULT_LIMITS`). */
  limits: Partial<ServerLimits>;
  /** Largest upload body accepted (declared length), as the Worker's MAX_UPLOAD_BYTES; none when unset. */
  maxUploadBytes?: number;
  /** Proxies whose X-Forwarded-For is believed (addresses and CIDR ranges, comma-separated). */
  trustedProxies?: string;
  /** A catalogue service asked for buckets, credentials and roles the config file does not have. */
  registry?: { url: string; ttlMs: number; timeoutMs: number; token?: string };
  /** Prometheus metrics: their own listener and/or a bearer token for `/metrics` on the S3 port. */
  metrics?: MetricsOptions;
  /** Print help and exit. */
  help: boolean;
  /** Print version and exit. */
  version: boolean;
}

/** The `--help` text. */
export const HELP = `Usage: multistore [options]

An S3-compatible gateway in front of S3, S3-compatible stores and local directories.

Options:
  --config <file>        Config file (TOML, or JSON when it ends in .json)   [env MULTISTORE_CONFIG, default config.toml]
  --listen <host:port>   Address to listen on                                [env MULTISTORE_LISTEN, default 0.0.0.0:8080]
  --domain <domain>      Serve virtual-hosted style requests for <bucket>.<domain>   [env MULTISTORE_DOMAIN]
  --log-level <level>    ${LOG_LEVELS.join(", ")}   [env MULTISTORE_LOG_LEVEL, default info]
  --tls-cert <file>      PEM certificate: serve HTTPS (needs --tls-key)     [env MULTISTORE_TLS_CERT]
  --tls-key <file>       PEM private key for --tls-cert                      [env MULTISTORE_TLS_KEY]
  --no-server-timing     Leave out the Server-Timing response header         [env MULTISTORE_SERVER_TIMING=false]
  --workers <n>          Worker processes sharing the address; 1 runs one process
                                                     [env MULTISTORE_WORKERS, default: available CPUs]
  --idle-timeout <s>     Cut a peer silent this long mid-body (client or backend)  [env MULTISTORE_IDLE_TIMEOUT, default 30]
  --backend-connect-timeout <s>   Connecting to a backend   [env MULTISTORE_BACKEND_CONNECT_TIMEOUT, default 10]
  --backend-headers-timeout <s>   A backend's answer        [env MULTISTORE_BACKEND_HEADERS_TIMEOUT, default 30]
  --bucket-connections <n>        Backend requests in flight per bucket  [env MULTISTORE_BUCKET_CONNECTIONS, default 64]
  --anonymous-requests-per-address <n>  Anonymous requests in flight per client address, 0 for no cap
                                                     [env MULTISTORE_ANONYMOUS_REQUESTS_PER_ADDRESS, default 32]
  --max-upload-bytes <n>                Largest PutObject / UploadPart body, by declared length (400 EntityTooLarge)
                                                     [env MULTISTORE_MAX_UPLOAD_BYTES, default none]
  --trusted-proxies <list>  Believe X-Forwarded-For from these addresses / CIDR ranges (comma-separated)
                                                     [env MULTISTORE_TRUSTED_PROXIES, default none]
  --registry-url <url>   Ask this HTTP service for buckets, credentials and roles the config file lacks
                         (bearer token from MULTISTORE_REGISTRY_TOKEN)     [env MULTISTORE_REGISTRY_URL]
  --registry-ttl <s>     How long the service's answers are kept           [env MULTISTORE_REGISTRY_TTL, default 60]
  --registry-timeout <s> How long one lookup may take                      [env MULTISTORE_REGISTRY_TIMEOUT, default 5]
  --metrics-listen <host:port>  Serve GET /metrics (Prometheus) on this address, plain HTTP; with several workers,
                         the primary serves their sum. Or set MULTISTORE_METRICS_TOKEN (--workers 1 only):
                         /metrics on the S3 port, bearer token             [env MULTISTORE_METRICS_LISTEN]
  --help                 Show this help
  --version              Show the version
`;

/** Parses `--listen` (`host:port`, `:port`, `port`, `[::1]:port`). */
export function parseListen(value: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]*))?:?(\d+)$/.exec(value);
  const port = Number(match?.[3]);
  if (!match || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`--listen must be host:port (e.g. 0.0.0.0:8080), got "${value}"`);
  }
  return { host: match[1] ?? (match[2] || "0.0.0.0"), port };
}

/** Parses `--workers` (a whole number from 1 to 1024); unset means `fallback`. */
export function parseWorkers(value: string | undefined, fallback: number): number {
  if (value === undefined || value === "") return fallback;
  const workers = Number(value);
  if (!/^\d+$/.test(value) || workers < 1 || workers > 1024) throw new Error(`--workers must be a whole number from 1 to 1024, got "${value}"`);
  return workers;
}

/** A whole number from `min` to `max` given to `flag`, or undefined when unset. */
function wholeNumber(value: string | undefined, flag: string, min: number, max: number): number | undefined {
  if (value === undefined || value === "") return undefined;
  const number = Number(value);
  if (!/^\d+$/.test(value) || number < min || number > max) throw new Error(`${flag} must be a whole number from ${min} to ${max}, got "${value}"`);
  return number;
}

/** The limit flags (seconds for timeouts) and their environment variables. */
function parseLimits(values: Record<string, string | boolean | undefined>, env: NodeJS.ProcessEnv): Partial<ServerLimits> {
  const flag = (name: string, variable: string) => (values[name] as string | undefined) ?? env[variable];
  const limits: Partial<ServerLimits> = {};
  const seconds = (name: string, variable: string) => {
    const value = wholeNumber(flag(name, variable), `--${name}`, 1, 86_400);
    return value === undefined ? undefined : value * 1000;
  };
  const idle = seconds("idle-timeout", "MULTISTORE_IDLE_TIMEOUT");
  if (idle !== undefined) limits.idleTimeoutMs = idle;
  const connect = seconds("backend-connect-timeout", "MULTISTORE_BACKEND_CONNECT_TIMEOUT");
  if (connect !== undefined) limits.connectTimeoutMs = connect;
  const headers = seconds("backend-headers-timeout", "MULTISTORE_BACKEND_HEADERS_TIMEOUT");
  if (headers !== undefined) limits.headersTimeoutMs = headers;
  const connections = wholeNumber(flag("bucket-connections", "MULTISTORE_BUCKET_CONNECTIONS"), "--bucket-connections", 1, 65_536);
  if (connections !== undefined) limits.bucketConnections = connections;
  const anonymous = wholeNumber(flag("anonymous-requests-per-address", "MULTISTORE_ANONYMOUS_REQUESTS_PER_ADDRESS"), "--anonymous-requests-per-address", 0, 1_000_000);
  if (anonymous !== undefined) limits.anonymousRequestsPerAddress = anonymous;
  return limits;
}

/** The catalogue service flags; the token only from the environment (a flag would show in the process list). */
function parseRegistry(values: Record<string, string | boolean | undefined>, env: NodeJS.ProcessEnv): CliOptions["registry"] {
  const url = (values["registry-url"] as string | undefined) ?? env.MULTISTORE_REGISTRY_URL;
  const ttl = wholeNumber((values["registry-ttl"] as string | undefined) ?? env.MULTISTORE_REGISTRY_TTL, "--registry-ttl", 0, 86_400);
  const timeout = wholeNumber((values["registry-timeout"] as string | undefined) ?? env.MULTISTORE_REGISTRY_TIMEOUT, "--registry-timeout", 1, 600);
  if (!url) {
    if (ttl !== undefined || timeout !== undefined) throw new Error("--registry-ttl and --registry-timeout need --registry-url");
    return undefined;
  }
  if (!/^https?:\/\/[^/]/.test(url)) throw new Error(`--registry-url must be an http(s) URL, got "${url}"`);
  const token = env.MULTISTORE_REGISTRY_TOKEN;
  return { url, ttlMs: (ttl ?? 60) * 1000, timeoutMs: (timeout ?? 5) * 1000, ...(token && { token }) };
}

/** Shortest metrics token accepted: a guessable one would expose the traffic of every bucket. */
const MIN_METRICS_TOKEN_LENGTH = 16;

/**
 * The metrics flag, and the token only from the environment (a secret: a flag would show in the process list, and
 * no message repeats it). With more than one worker the cluster's primary serves `--metrics-listen` with every
 * worker's sum, but the token route is refused: it is answered by whichever worker takes the connection, which
 * counts only its own requests.
 */
function parseMetrics(values: Record<string, string | boolean | undefined>, env: NodeJS.ProcessEnv, workers: number, workersGiven: boolean): CliOptions["metrics"] {
  const listen = (values["metrics-listen"] as string | undefined) ?? env.MULTISTORE_METRICS_LISTEN;
  const token = env.MULTISTORE_METRICS_TOKEN;
  if (!listen && !token) return undefined;
  let address: { host: string; port: number } | undefined;
  if (listen) {
    try {
      address = parseListen(listen);
    } catch {
      throw new Error(`--metrics-listen must be host:port (e.g. 127.0.0.1:9090), got "${listen}"`);
    }
  }
  if (token && (token.length < MIN_METRICS_TOKEN_LENGTH || !/^[\x21-\x7e]+$/.test(token))) {
    throw new Error(`MULTISTORE_METRICS_TOKEN must be at least ${MIN_METRICS_TOKEN_LENGTH} printable ASCII characters without spaces`);
  }
  if (token && workers > 1) {
    throw new Error(
      `MULTISTORE_METRICS_TOKEN needs --workers 1: /metrics on the S3 port is answered by one worker, which counts only its own requests (got ${workers} workers${workersGiven ? "" : ", the default: available CPUs"}); use --metrics-listen, which sums every worker's`,
    );
  }
  return { ...(address && { listen: address }), ...(token && { token }) };
}

/** Parses argv and the environment into options. Throws with a message naming the bad flag. */
export function parseCli(argv: string[], env: NodeJS.ProcessEnv): CliOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: "string" },
      listen: { type: "string" },
      domain: { type: "string" },
      "log-level": { type: "string" },
      "tls-cert": { type: "string" },
      "tls-key": { type: "string" },
      "server-timing": { type: "boolean" },
      "no-server-timing": { type: "boolean" },
      workers: { type: "string" },
      "idle-timeout": { type: "string" },
      "backend-connect-timeout": { type: "string" },
      "backend-headers-timeout": { type: "string" },
      "bucket-connections": { type: "string" },
      "anonymous-requests-per-address": { type: "string" },
      "max-upload-bytes": { type: "string" },
      "registry-url": { type: "string" },
      "trusted-proxies": { type: "string" },
      "registry-ttl": { type: "string" },
      "registry-timeout": { type: "string" },
      "metrics-listen": { type: "string" },
      help: { type: "boolean", short: "h" },
      version: { type: "boolean", short: "v" },
    },
    strict: true,
    allowPositionals: false,
  });
  const listen = parseListen(values.listen ?? env.MULTISTORE_LISTEN ?? "0.0.0.0:8080");
  const logLevel = values["log-level"] ?? env.MULTISTORE_LOG_LEVEL ?? "info";
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new Error(`--log-level must be one of ${LOG_LEVELS.join(", ")}, got "${logLevel}"`);
  }
  const tlsCert = values["tls-cert"] ?? env.MULTISTORE_TLS_CERT;
  const tlsKey = values["tls-key"] ?? env.MULTISTORE_TLS_KEY;
  if (Boolean(tlsCert) !== Boolean(tlsKey)) throw new Error("--tls-cert and --tls-key must be given together");
  const domain = values.domain ?? env.MULTISTORE_DOMAIN;
  const workers = parseWorkers(values.workers ?? env.MULTISTORE_WORKERS, availableParallelism());
  const serverTiming = values["no-server-timing"] ? false : values["server-timing"] ?? env.MULTISTORE_SERVER_TIMING !== "false";
  // S3's own ceiling for one object is 5 TiB.
  const maxUploadBytes = wholeNumber(values["max-upload-bytes"] ?? env.MULTISTORE_MAX_UPLOAD_BYTES, "--max-upload-bytes", 1, 5 * 1024 ** 4);
  const registry = parseRegistry(values, env);
  const metrics = parseMetrics(values, env, workers, Boolean(values.workers ?? env.MULTISTORE_WORKERS));
  const trustedProxies = values["trusted-proxies"] ?? env.MULTISTORE_TRUSTED_PROXIES;
  if (trustedProxies) parseTrustedProxies(trustedProxies);
  return {
    config: values.config ?? env.MULTISTORE_CONFIG ?? "config.toml",
    ...listen,
    ...(domain && { domain }),
    logLevel,
    ...(tlsCert && { tlsCert }),
    ...(tlsKey && { tlsKey }),
    serverTiming,
    workers,
    limits: parseLimits(values, env),
    ...(maxUploadBytes !== undefined && { maxUploadBytes }),
    ...(registry && { registry }),
    ...(metrics && { metrics }),
    ...(trustedProxies && { trustedProxies }),
    help: values.help ?? false,
    version: values.version ?? false,
  };
}
