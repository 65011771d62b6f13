#!/usr/bin/env node
/**
 * `multistore`: starts the server, as one process or as a cluster of `--workers` processes sharing the listen
 * address (see cluster.ts). Exit codes: 0 clean stop (SIGTERM or SIGINT, once drained: Ctrl-C under `pnpm start`
 * is a normal way to stop, not a failure pnpm should report), 2 bad flags or config, 1 anything else.
 */
import cluster from "node:cluster";
import { readFileSync } from "node:fs";
import { createSecureContext } from "node:tls";
import { useFsLocks } from "@multistore/backend-fs";
import { checkBackends, createCachedRegistries, createHttpRegistries, type MultistoreConfig } from "@multistore/config";
import { createSessionTokenSealer, parseSessionTokenKeys } from "@multistore/sts";
import { createFederatedCredentials, oidcProviderFromEnv, requireOidcProviderFor, type OidcProvider } from "@multistore/oidc-provider";
import { nodeBackends } from "./backends.js";
import { HELP } from "./cli-help.js";
import { countInterrupts, forwardedInterruptSettled } from "./interrupts.js";
import { parseCli, type CliOptions } from "./cli-options.js";
import { clusterLockService } from "./cluster-locks.js";
import { runPrimary, urlHost, workerSlot } from "./cluster.js";
import { developmentKeyIn, developmentKeyPolicy } from "./development-key.js";
import { loadConfigFile } from "./load-config.js";
import { receiveStartSnapshot, snapshotTls, startSnapshot, type StartSnapshot } from "./start-snapshot.js";
import { checkServerMetering } from "./metering.js";
import { primaryMetrics } from "./metrics.js";
import { createLogger, describeError, type Logger } from "./logger.js";
import { createMultistoreServer } from "./server.js";
import { VERSION } from "./version.js";

/** What the server needs besides the flags, checked before anything listens. */
interface Prepared {
  config: MultistoreConfig;
  /** The host to listen on: `--listen`'s, or loopback for a config with the development key (development-key.ts). */
  host: string;
  sessionTokenKeys: string[];
  oidcProvider?: OidcProvider;
  tls?: { cert: Buffer; key: Buffer };
  /** Remarks on the config that did not stop it from loading. */
  warnings: string[];
}

/** Why the server has no backend of some types, and what serves them. */
const UNAVAILABLE_HERE = { r2: "R2 buckets are reached through a Workers R2 binding: serve them with the Worker (apps/worker), or reach R2 as backend_type = \"s3\" with its S3 endpoint" };

/**
 * Loads and checks the config and the environment's keys; a failure is reported and becomes exit code 2. A cluster
 * worker takes the config and TLS files as its primary read them (`snapshot`, see start-snapshot.ts).
 */
async function prepare(options: CliOptions, snapshot?: StartSnapshot): Promise<Prepared | number> {
  let config;
  const warnings: string[] = [];
  try {
    config = snapshot?.config ?? (await loadConfigFile(options.config, { onWarning: (message) => warnings.push(message) }));
  } catch (error) {
    process.stderr.write(`multistore: invalid configuration\n${(error as Error).message}\n`);
    return 2;
  }
  const listen = developmentKeyPolicy({
    key: developmentKeyIn(config),
    host: options.host,
    port: options.port,
    listenGiven: options.listenGiven,
    allowed: options.allowDevelopmentKey,
    source: options.config,
  });
  if ("refusal" in listen) {
    process.stderr.write(`multistore: ${listen.refusal}`);
    return 2;
  }
  if (listen.notice) warnings.push(listen.notice);
  // SESSION_TOKEN_KEY: base64 of 32 bytes, or a comma-separated list while rotating (the first seals, all unseal).
  const sessionTokenKeys = parseSessionTokenKeys(process.env.SESSION_TOKEN_KEY);
  try {
    if (sessionTokenKeys.length > 0) createSessionTokenSealer({ keys: sessionTokenKeys });
  } catch (error) {
    process.stderr.write(`multistore: ${(error as Error).message}\n`);
    return 2;
  }
  // OIDC_PROVIDER_KEY (PKCS#8 PEM(s) or [{"kid","pem"}]) and OIDC_PROVIDER_ISSUER: the proxy as an OIDC provider.
  let oidcProvider: OidcProvider | undefined;
  try {
    oidcProvider = oidcProviderFromEnv(process.env);
    await oidcProvider?.jwks();
    requireOidcProviderFor(config.buckets, oidcProvider);
  } catch (error) {
    process.stderr.write(`multistore: ${(error as Error).message}\n`);
    return 2;
  }
  // Every backend is built now: a bad backend option stops the server here, naming the field.
  try {
    const federation = oidcProvider && createFederatedCredentials({ provider: oidcProvider });
    checkBackends(config, nodeBackends(federation ? { federation } : {}), { source: options.config, runtime: "the Node server", unavailable: UNAVAILABLE_HERE });
  } catch (error) {
    process.stderr.write(`multistore: invalid configuration\n${(error as Error).message}\n`);
    return 2;
  }
  // Metering that cannot run here (a Worker-only store, a missing Redis URL, two rules with one id): said once, here,
  // rather than by every worker.
  try {
    checkServerMetering(config);
  } catch (error) {
    process.stderr.write(`multistore: invalid configuration\n${(error as Error).message}\n`);
    return 2;
  }
  let tls: Prepared["tls"];
  try {
    tls = snapshot ? snapshotTls(snapshot) : options.tlsCert && options.tlsKey ? { cert: readFileSync(options.tlsCert), key: readFileSync(options.tlsKey) } : undefined;
  } catch (error) {
    // The path as resolved (relative ones against where the command was typed), so a wrong base shows.
    process.stderr.write(`multistore: cannot read the TLS certificate or key: ${(error as Error).message}\n`);
    return 2;
  }
  try {
    if (tls) createSecureContext(tls);
  } catch (error) {
    process.stderr.write(`multistore: the TLS certificate or key cannot be used (--tls-cert ${options.tlsCert}, --tls-key ${options.tlsKey}): ${(error as Error).message}\n`);
    return 2;
  }
  return { config, host: listen.host, sessionTokenKeys, warnings, ...(oidcProvider && { oidcProvider }), ...(tls && { tls }) };
}

/** Runs one server in this process until SIGTERM or SIGINT (or, in a cluster worker, until the primary is gone). */
async function serve(options: CliOptions, prepared: Prepared): Promise<number> {
  const slot = workerSlot();
  const logger = createLogger(options.logLevel, undefined, slot === undefined ? {} : { worker: slot });
  // Cluster workers share the fs backend's roots: its write locks are kept by the primary.
  if (slot !== undefined) useFsLocks(clusterLockService());
  // A worker's standard error is a pipe to the primary (worker-stderr.ts): once the primary is gone (killed, and the
  // worker draining), a write there fails with EPIPE, which must not end the worker in the middle of its drain.
  if (slot !== undefined) {
    process.stderr.on("error", () => undefined);
    // Written at once, as to a file or a terminal: Node queues writes to a full pipe, and a worker that exits (a
    // crash's stack, its last words) would lose what is queued. The primary reads the pipe without ever waiting.
    (process.stderr as unknown as { _handle?: { setBlocking?: (blocking: boolean) => void } })._handle?.setBlocking?.(true);
  }
  const { config, tls } = prepared;
  const registry = options.registry;
  const server = createMultistoreServer({
    config,
    logger,
    ...(registry && {
      registries: createCachedRegistries(
        createHttpRegistries({ url: registry.url, timeoutMs: registry.timeoutMs, ...(registry.token && { headers: { authorization: `Bearer ${registry.token}` } }) }),
        { ttlMs: registry.ttlMs, onStale: (error, what) => logger.warn({ err: describeError(error), entry: what }, "registry unavailable: serving an expired entry") },
      ),
    }),
    serverTiming: options.serverTiming,
    limits: options.limits,
    ...(options.maxUploadBytes !== undefined && { maxUploadBytes: options.maxUploadBytes }),
    ...(options.keepAlive && { keepAlive: options.keepAlive }),
    ...(options.trustedProxies && { trustedProxies: options.trustedProxies }),
    sessionTokenKeys: prepared.sessionTokenKeys,
    ...(prepared.oidcProvider && { oidcProvider: prepared.oidcProvider }),
    ...(options.domain && { domain: options.domain }),
    ...(tls && { tls }),
    // In a cluster the primary serves the workers' sum: a worker only counts, and answers the primary's requests.
    ...(options.metrics && { metrics: slot === undefined ? options.metrics : { shareWithPrimary: true } }),
  });
  const address = await server.listen(options.port, prepared.host);
  // The handlers before the line below: whoever waits for it (a supervisor, a test) may signal at once, and a signal
  // with no handler yet would kill the process instead of draining it.
  const interrupts = countInterrupts();
  const stopped = new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (reason: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal: reason }, "shutting down: draining in-flight requests");
      server.close().then(resolve, resolve);
    };
    // Kept (not once): a second signal must not kill the drain. Ctrl-C under pnpm comes twice, from the terminal and
    // forwarded by pnpm; the drain is bounded anyway (shutdownTimeoutMs).
    process.on("SIGTERM", () => stop("SIGTERM"));
    process.on("SIGINT", () => stop("SIGINT"));
    ignoreHangUp(slot === undefined ? logger : undefined);
    const worker = cluster.worker;
    if (slot !== undefined && worker) {
      // When the primary goes (killed, out of memory), Node's cluster ends each worker at once, cutting every request
      // in flight, unless the disconnect was asked for. It emits the worker's "disconnect" before it decides: marked
      // as asked for here, the worker drains as on SIGTERM instead (no new connection reaches it without a primary).
      worker.once("disconnect", () => {
        worker.exitedAfterDisconnect = true;
        stop("primary gone");
      });
    }
  });
  logger.info(
    { address: `${tls ? "https" : "http"}://${urlHost(address.host)}:${address.port}`, buckets: config.buckets.map((bucket) => bucket.name), config: options.config, pid: process.pid },
    "multistore listening",
  );
  // Whoever waits for this line gets it now, not with the next batch.
  logger.flush();
  await stopped;
  served = true;
  logger.info("stopped");
  logger.flush();
  await forwardedInterruptSettled(interrupts);
  return 0;
}

/**
 * SIGHUP (a closed terminal, a unit's `ExecReload=kill -HUP`) killed the server outright, in-flight requests and all.
 * It reloads nothing here (a new configuration takes a restart, see start-snapshot.ts): ignored, and said so by
 * `logger` (the primary, or a single process; workers get the terminal's too, and stay quiet).
 */
function ignoreHangUp(logger: Logger | undefined): void {
  process.on("SIGHUP", () => {
    logger?.warn("SIGHUP ignored: the configuration is read at start; restart the server (SIGTERM drains it) to apply a new one");
    logger?.flush();
  });
}

/** Whether this process is a cluster's primary or worker. */
let clustered = false;
/** Whether this process served and stopped (rather than printing help, say). */
let served = false;

async function main(): Promise<number> {
  // Until the server is up (and says so when one comes, see ignoreHangUp), a SIGHUP must not kill the start either.
  process.on("SIGHUP", () => {});
  let options: CliOptions;
  try {
    options = parseCli(process.argv.slice(2), process.env);
  } catch (error) {
    process.stderr.write(`multistore: ${(error as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (options.version) {
    process.stdout.write(`multistore ${VERSION}\n`);
    return 0;
  }
  const prepared = await prepare(options, cluster.isWorker ? await receiveStartSnapshot() : undefined);
  if (typeof prepared === "number") return prepared;
  clustered = cluster.isWorker || options.workers > 1;
  // Said once, by the process that starts the others.
  if (cluster.isPrimary && prepared.warnings.length > 0) {
    const logger = createLogger(options.logLevel, undefined, options.workers > 1 ? { role: "primary" } : {});
    for (const warning of prepared.warnings) logger.warn(`config: ${warning}`);
    logger.flush();
  }
  if (cluster.isPrimary && options.workers > 1) {
    const logger = createLogger(options.logLevel, undefined, { role: "primary" });
    // Opened before any worker starts: an address in use stops the start with nothing else running.
    const metrics = options.metrics?.listen && primaryMetrics(options.metrics.listen, logger);
    await metrics?.listen();
    const metricsUrl = metrics?.url();
    // runPrimary stops on the first SIGTERM or SIGINT; these keep a repeated one (pnpm forwards the terminal's
    // Ctrl-C) from killing the primary while its workers drain, which pnpm would report as a failure.
    for (const signal of ["SIGTERM", "SIGINT"] as const) process.on(signal, () => {});
    ignoreHangUp(logger);
    const interrupts = countInterrupts();
    try {
      const snapshot = startSnapshot(prepared.config, prepared.tls);
      return await runPrimary({ workers: options.workers, logger, snapshot, ...(metricsUrl && { metricsUrl }) });
    } finally {
      await metrics?.close();
      await forwardedInterruptSettled(interrupts);
    }
  }
  return serve(options, prepared);
}

main().then(
  (code) => {
    process.exitCode = code;
    // Once stopped, the process leaves (flushing its logs on exit): a cluster's processes stay tied by their IPC
    // channel, and backend requests a stop left running (see the server's close) would hold a single one open.
    // A worker whose start failed (its checks refused the config, say) leaves too, never waiting on the channel.
    if (clustered || served || cluster.isWorker) process.exit(code);
  },
  (error: unknown) => {
    process.stderr.write(`multistore: ${(error as Error).message ?? error}\n`);
    process.exitCode = 1;
    // A cluster worker stays tied to its primary by their IPC channel: it would never exit on its own.
    if (cluster.isWorker) process.exit(1);
  },
);
