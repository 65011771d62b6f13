/** Command-line flags and their environment overrides (the `--help` text is in cli-help.ts). */
import { availableParallelism } from "node:os";
import { dirname, resolve } from "node:path";
import { parseArgs } from "node:util";
import { parseTrustedProxies, type ServerLimits } from "@multistore/node";
import { LOG_LEVELS } from "./logger.js";
import type { MetricsOptions } from "./metrics.js";

/** Resolved CLI options. */
export interface CliOptions {
  /** Absolute path of the TOML (or JSON) config file. */
  config: string;
  /** Host to bind. */
  host: string;
  /** Port to bind. */
  port: number;
  /** Whether `--listen` or MULTISTORE_LISTEN chose the address (the default narrows to loopback for the development key). */
  listenGiven: boolean;
  /** Listen beyond loopback although the config holds the development key (see development-key.ts). */
  allowDevelopmentKey: boolean;
  /** Domain for virtual-hosted style, if any. */
  domain?: string;
  /** Log level. */
  logLevel: string;
  /** TLS certificate file (PEM), absolute. */
  tlsCert?: string;
  /** TLS key file (PEM), absolute. */
  tlsKey?: string;
  /** `Server-Timing` header on responses. */
  serverTiming: boolean;
  /** Worker processes sharing the listen address (1: a single process, no cluster). */
  workers: number;
  /** Limits set by flags (the rest keep `DEFAULT_LIMITS`). */
  limits: Partial<ServerLimits>;
  /** Largest upload body accepted (declared length), as the Worker's MAX_UPLOAD_BYTES; none when unset. */
  maxUploadBytes?: number;
  /** When long copies and completions start their answer, and how often it sends a space (ms); defaults when unset. */
  keepAlive?: { afterMs?: number; everyMs?: number };
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

/** Parses `--listen` (`host:port`, `:port`, `port`, `[::1]:port`). */
export function parseListen(value: string): { host: string; port: number } {
  // `8080` alone is a port on every address, as `:8080` is.
  const match = /^\d+$/.test(value) ? [value, undefined, undefined, value] : /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(value);
  const port = Number(match?.[3]);
  if (!match || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`--listen must be host:port (e.g. 0.0.0.0:8080), got "${value}"`);
  }
  return { host: match[1] ?? (match[2] || "0.0.0.0"), port };
}

/** Parses `--workers` (a whole number from 1 to 1024); unset means `fallback`. */
export function parseWorkers(value: string | undefined, fallback: number, name = "--workers"): number {
  if (value === undefined || value === "") return fallback;
  const workers = Number(value);
  if (!/^\d+$/.test(value) || workers < 1 || workers > 1024) throw new Error(`${name} must be a whole number from 1 to 1024, got "${value}"`);
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
  // (Never echoed: it may hold a password.)
  if (!/^https?:\/\/[^/]/.test(url)) throw new Error("--registry-url must be an http(s) URL");
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error("--registry-url must be an http(s) URL");
  }
  // fetch refuses URLs with credentials: every lookup would fail. The service's credential is a bearer token.
  if (parsed.username !== "" || parsed.password !== "") throw new Error("--registry-url must not hold a user or password: set MULTISTORE_REGISTRY_TOKEN (sent as a bearer token)");
  // Lookups are paths below the URL's: a query or fragment would be lost, and every lookup sent elsewhere.
  if (url.includes("?") || url.includes("#")) throw new Error("--registry-url must not hold a query or fragment: set MULTISTORE_REGISTRY_TOKEN (sent as a bearer token)");
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

/**
 * The directory relative paths on the command line (and in MULTISTORE_CONFIG, MULTISTORE_TLS_*) are relative to:
 * the one the user typed the command in. pnpm and npm run a script in its package's directory and put the user's in
 * INIT_CWD, so `pnpm --filter server start --config my.toml` means the `my.toml` beside the user, not apps/server's.
 * Elsewhere it is `cwd`.
 */
export function invocationDirectory(env: NodeJS.ProcessEnv, cwd: string = process.cwd()): string {
  const initCwd = env.INIT_CWD;
  if (!initCwd || !env.npm_lifecycle_event) return cwd;
  // Every process a script starts inherits INIT_CWD (a test run's servers too, started in directories of their own):
  // it is the user's only while this process still runs where the package manager put the script.
  const packageJson = env.npm_package_json;
  if (packageJson && resolve(dirname(packageJson)) !== resolve(cwd)) return cwd;
  return resolve(initCwd);
}

/** `MULTISTORE_ALLOW_DEVELOPMENT_KEY`: true or false (1 or 0), unset is false. */
/** A boolean environment variable: true/1, false/0, or unset or empty for `fallback`; anything else is an error naming it. */
function booleanFromEnv(value: string | undefined, name: string, fallback: boolean): boolean {
  if (value === undefined || value === "") return fallback;
  if (value === "false" || value === "0") return false;
  if (value === "true" || value === "1") return true;
  throw new Error(`${name} must be true or false, got "${value}"`);
}

/**
 * Parses argv and the environment into options, with paths made absolute (`invocationDirectory`; the default
 * config.toml is the working directory's). Throws with a message naming the bad flag.
 */
export function parseCli(argv: string[], env: NodeJS.ProcessEnv, cwd: string = process.cwd()): CliOptions {
  // `npm start -- --config x` habits: pnpm --filter passes the `--` on, which would end the options here.
  const args = argv[0] === "--" ? argv.slice(1) : argv;
  const { values } = parseArgs({
    args,
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
      "keep-alive-after": { type: "string" },
      "keep-alive-every": { type: "string" },
      "registry-url": { type: "string" },
      "trusted-proxies": { type: "string" },
      "registry-ttl": { type: "string" },
      "registry-timeout": { type: "string" },
      "metrics-listen": { type: "string" },
      "allow-development-key": { type: "boolean" },
      help: { type: "boolean", short: "h" },
      version: { type: "boolean", short: "v" },
    },
    strict: true,
    allowPositionals: false,
  });
  const listenGiven = (values.listen ?? env.MULTISTORE_LISTEN) !== undefined;
  const listen = parseListen(values.listen ?? env.MULTISTORE_LISTEN ?? "0.0.0.0:8080");
  const logLevel = values["log-level"] ?? env.MULTISTORE_LOG_LEVEL ?? "info";
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new Error(`--log-level must be one of ${LOG_LEVELS.join(", ")}, got "${logLevel}"`);
  }
  // A flag given with no value (`--tls-cert "$UNSET"`) must not quietly serve plain HTTP; an empty variable is unset.
  for (const flag of ["tls-cert", "tls-key"] as const) if (values[flag] === "") throw new Error(`--${flag} must name a file, got ""`);
  const tlsCert = values["tls-cert"] ?? env.MULTISTORE_TLS_CERT;
  const tlsKey = values["tls-key"] ?? env.MULTISTORE_TLS_KEY;
  if (Boolean(tlsCert) !== Boolean(tlsKey)) throw new Error("--tls-cert and --tls-key must be given together");
  const domain = values.domain ?? env.MULTISTORE_DOMAIN;
  // Virtual-hosted requests name `bucket.<domain>` in Host: the domain is a host name (a port may follow).
  if (domain !== undefined && !/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*(?::\d{1,5})?$/i.test(domain)) {
    throw new Error(`--domain must be a host name (e.g. s3.example.com), got "${domain}"`);
  }
  // The variable's own name when it gave the value, so a bad one in a unit file is found.
  const workers = values.workers !== undefined ? parseWorkers(values.workers, availableParallelism()) : parseWorkers(env.MULTISTORE_WORKERS, availableParallelism(), "MULTISTORE_WORKERS");
  const serverTiming = values["no-server-timing"] ? false : values["server-timing"] ?? booleanFromEnv(env.MULTISTORE_SERVER_TIMING, "MULTISTORE_SERVER_TIMING", true);
  // S3's own ceiling for one object is 5 TiB.
  const maxUploadBytes = wholeNumber(values["max-upload-bytes"] ?? env.MULTISTORE_MAX_UPLOAD_BYTES, "--max-upload-bytes", 1, 5 * 1024 ** 4);
  const keepAliveAfter = wholeNumber(values["keep-alive-after"] ?? env.MULTISTORE_KEEP_ALIVE_AFTER, "--keep-alive-after", 1, 3600);
  const keepAliveEvery = wholeNumber(values["keep-alive-every"] ?? env.MULTISTORE_KEEP_ALIVE_EVERY, "--keep-alive-every", 1, 3600);
  const registry = parseRegistry(values, env);
  const metrics = parseMetrics(values, env, workers, Boolean(values.workers ?? env.MULTISTORE_WORKERS));
  const trustedProxies = values["trusted-proxies"] ?? env.MULTISTORE_TRUSTED_PROXIES;
  if (trustedProxies) parseTrustedProxies(trustedProxies);
  const allowDevelopmentKey = values["allow-development-key"] ?? booleanFromEnv(env.MULTISTORE_ALLOW_DEVELOPMENT_KEY, "MULTISTORE_ALLOW_DEVELOPMENT_KEY", false);
  const given = invocationDirectory(env, cwd);
  const config = values.config ?? env.MULTISTORE_CONFIG;
  return {
    // The default is the server's own config.toml under `pnpm start`, which runs in apps/server.
    config: config ? resolve(given, config) : resolve(cwd, "config.toml"),
    ...listen,
    listenGiven,
    allowDevelopmentKey,
    ...(domain && { domain }),
    logLevel,
    ...(tlsCert && { tlsCert: resolve(given, tlsCert) }),
    ...(tlsKey && { tlsKey: resolve(given, tlsKey) }),
    serverTiming,
    workers,
    limits: parseLimits(values, env),
    ...(maxUploadBytes !== undefined && { maxUploadBytes }),
    ...((keepAliveAfter !== undefined || keepAliveEvery !== undefined) && {
      keepAlive: { ...(keepAliveAfter !== undefined && { afterMs: keepAliveAfter * 1000 }), ...(keepAliveEvery !== undefined && { everyMs: keepAliveEvery * 1000 }) },
    }),
    ...(registry && { registry }),
    ...(metrics && { metrics }),
    ...(trustedProxies && { trustedProxies }),
    help: values.help ?? false,
    version: values.version ?? false,
  };
}
