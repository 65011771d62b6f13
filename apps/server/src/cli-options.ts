/** Command-line flags and their environment overrides. */
import { availableParallelism } from "node:os";
import { parseArgs } from "node:util";
import { LOG_LEVELS } from "./logger.js";

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
  return {
    config: values.config ?? env.MULTISTORE_CONFIG ?? "config.toml",
    ...listen,
    ...(domain && { domain }),
    logLevel,
    ...(tlsCert && { tlsCert }),
    ...(tlsKey && { tlsKey }),
    serverTiming,
    workers,
    help: values.help ?? false,
    version: values.version ?? false,
  };
}
