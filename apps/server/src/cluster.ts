/**
 * The server on every core: a primary process forks `--workers` workers, each a full gateway, which share the
 * listen address through node:cluster (the primary accepts and hands connections out in turn). The primary keeps
 * the fs backend's write locks (cluster-locks.ts), replaces a worker that dies (logged, with a growing delay when
 * workers keep dying at start), passes each worker's standard error on with its slot (worker-stderr.ts), and on
 * SIGTERM or SIGINT has every worker drain before it exits. With `--metrics-listen`, the primary also serves the
 * workers' summed metrics (metrics.ts, `primaryMetrics`).
 */
import cluster, { type Worker } from "node:cluster";
import { createLockTable } from "./cluster-locks.js";
import { answerStartSnapshot, type StartSnapshot } from "./start-snapshot.js";
import { passWorkerStderr } from "./worker-stderr.js";
import type { Logger } from "./logger.js";

/** The environment variable that tells a worker its slot (1..N); replacements take over their slot's number. */
const SLOT_VARIABLE = "MULTISTORE_WORKER_SLOT";
/** A worker that dies sooner than this after its start counts as a crash at start. */
const QUICK_DEATH_MS = 5_000;
/** The longest delay before replacing a worker that keeps dying at start. */
const MAX_RESTART_DELAY_MS = 30_000;

/** A host as a URL names it: an IPv6 address in brackets (RFC 3986), so that the logged address parses. */
export function urlHost(host: string): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}

/** This process's worker slot, when it is a cluster worker. */
export function workerSlot(): number | undefined {
  if (!cluster.isWorker) return undefined;
  const slot = Number(process.env[SLOT_VARIABLE]);
  return Number.isInteger(slot) && slot > 0 ? slot : cluster.worker?.id;
}

/** Options of the primary. */
export interface PrimaryOptions {
  /** How many workers. */
  workers: number;
  /** The primary's logger. */
  logger: Logger;
  /** What every worker serves, as the primary loaded it at start (whether they serve HTTPS: its `tls`). */
  snapshot: StartSnapshot;
  /** The URL of the primary's metrics listener (`primaryMetrics`), if any: logged with the address. */
  metricsUrl?: string;
  /** How long workers may take to drain before they are killed (default: their own 10 s, plus 5 s). */
  shutdownTimeoutMs?: number;
}

/** Runs the primary until every worker has stopped after SIGTERM or SIGINT. Resolves with the exit code. */
export function runPrimary(options: PrimaryOptions): Promise<number> {
  const { logger } = options;
  const locks = createLockTable();
  const slots = new Map<Worker, { slot: number; startedAt: number }>();
  const quickDeaths = new Map<number, number>();
  const listened = new Set<number>();
  let stopping = false;
  /** Set once every worker listened: from then on a worker that dies is replaced; before, it stops the start. */
  let started = false;
  let exitCode = 0;
  /** Workers' standard error still being passed on: a worker's exit can come before the last of it was read. */
  const stderrPassed = new Set<Promise<void>>();
  const STDERR_GRACE_MS = 1_000;

  // Standard output (the JSON log lines, each naming its worker) stays shared; standard error comes through here.
  cluster.setupPrimary({ stdio: ["inherit", "inherit", "pipe", "ipc"] });

  function fork(slot: number): void {
    const worker = cluster.fork({ [SLOT_VARIABLE]: String(slot) });
    if (worker.process.stderr) {
      const passed = passWorkerStderr(worker.process.stderr, slot);
      stderrPassed.add(passed);
      void passed.then(() => stderrPassed.delete(passed));
    }
    slots.set(worker, { slot, startedAt: Date.now() });
    // A worker killed just after a message (Ctrl-C or the OOM killer at start) makes the answer fail (EPIPE, or its
    // channel closed) as an 'error' event, which unheard would end the primary. Its exit is handled below.
    worker.on("error", (error: Error) => logger.debug({ worker: slot, pid: worker.process.pid, err: error.message }, "a message to a worker failed"));
    worker.on("message", (message: unknown) => {
      answerStartSnapshot(worker, message, options.snapshot);
      locks.onMessage(worker, message);
    });
  }

  return new Promise((resolveExit) => {
    // The primary exits once its workers' last words are passed on (within a bound).
    const resolve = (code: number) => {
      const grace = new Promise((done) => setTimeout(done, STDERR_GRACE_MS).unref());
      void Promise.race([Promise.all(stderrPassed), grace]).then(() => resolveExit(code));
    };
    cluster.on("listening", (worker, address) => {
      const entry = slots.get(worker);
      // (The count of quick deaths is not reset here: a worker that dies soon after listening, again and again, is
      // in a crash loop too, and its replacements wait longer each time. One that lived QUICK_DEATH_MS resets it.)
      if (!entry || listened.has(entry.slot)) return;
      listened.add(entry.slot);
      if (listened.size === options.workers) {
        started = true;
        const url = `${options.snapshot.tls ? "https" : "http"}://${urlHost(address.address ?? "0.0.0.0")}:${address.port}`;
        logger.info({ address: url, ...(options.metricsUrl && { metrics: options.metricsUrl }), workers: options.workers, pid: process.pid }, "multistore listening");
        logger.flush();
      }
    });

    cluster.on("exit", (worker, code, signal) => {
      const entry = slots.get(worker);
      slots.delete(worker);
      locks.onExit(worker);
      if (!entry) return;
      if (stopping) {
        if (slots.size === 0) {
          logger.info("stopped");
          logger.flush();
          resolve(exitCode);
        }
        return;
      }
      // Exited with a code (not killed by a signal, as the OOM killer does): the start itself failed.
      if (!started && !listened.has(entry.slot) && code !== null) {
        // A worker that could not start (the address in use, say): its siblings would fail alike, and replacing it
        // forever would leave a primary that never serves. The start stops, with the worker's code (2: bad config).
        logger.error({ worker: entry.slot, pid: worker.process.pid, code, signal }, "worker failed to start; stopping");
        exitCode = code === 2 ? 2 : 1;
        stop("a worker failed to start");
        return;
      }
      const lived = Date.now() - entry.startedAt;
      const deaths = lived < QUICK_DEATH_MS ? (quickDeaths.get(entry.slot) ?? 0) + 1 : 0;
      quickDeaths.set(entry.slot, deaths);
      const delayMs = deaths === 0 ? 0 : Math.min(MAX_RESTART_DELAY_MS, 250 * 2 ** (deaths - 1));
      logger.error({ worker: entry.slot, pid: worker.process.pid, code, signal, livedMs: lived, restartInMs: delayMs }, "worker exited; starting a replacement");
      // Referenced: when every worker died at once, this timer is all that keeps the primary running until the
      // replacements start (unreferenced, the primary exited 0 with no worker left). A stop resolves regardless.
      setTimeout(() => {
        if (!stopping) fork(entry.slot);
      }, delayMs);
    });

    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal, workers: slots.size }, "shutting down: draining every worker");
      if (slots.size === 0) {
        logger.info("stopped");
        logger.flush();
        resolve(exitCode);
        return;
      }
      for (const worker of slots.keys()) worker.process.kill("SIGTERM");
      // Workers bound their own drain; one that does not exit by then is killed.
      setTimeout(() => {
        for (const worker of slots.keys()) {
          logger.warn({ worker: slots.get(worker)?.slot, pid: worker.process.pid }, "worker did not stop in time: killed");
          worker.process.kill("SIGKILL");
        }
      }, options.shutdownTimeoutMs ?? 15_000).unref();
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));

    for (let slot = 1; slot <= options.workers; slot++) fork(slot);
  });
}
