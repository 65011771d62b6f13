/**
 * What a cluster's workers serve: the configuration and the TLS certificate as the primary read them at its start.
 * A worker reads neither file itself: one started later (the replacement of a worker that died) would serve what the
 * files hold by then, so the workers would answer alike no more, and one the files no longer let start (a config
 * moved away or broken) would leave the primary replacing it for ever. A new configuration takes a restart.
 */
import type { Worker } from "node:cluster";
import type { MultistoreConfig } from "@multistore/config";

/** The configuration and TLS certificate a worker serves (the certificate and key as base64: IPC carries JSON). */
export interface StartSnapshot {
  config: MultistoreConfig;
  tls?: { cert: string; key: string };
}

/** The IPC message that carries it (other messages, the fs locks', share the channel). */
const MESSAGE = "multistore:start-snapshot";
/** A worker's request for it: sent once the worker listens for the answer (a message sent earlier would be lost). */
const REQUEST = "multistore:start-snapshot-wanted";
/** How long a worker waits for it. */
const WAIT_MS = 10_000;

/** The snapshot of what the primary loaded. */
export function startSnapshot(config: MultistoreConfig, tls: { cert: Buffer; key: Buffer } | undefined): StartSnapshot {
  return { config, ...(tls && { tls: { cert: tls.cert.toString("base64"), key: tls.key.toString("base64") } }) };
}

/** The TLS certificate and key of a snapshot, as the server takes them. */
export function snapshotTls(snapshot: StartSnapshot): { cert: Buffer; key: Buffer } | undefined {
  return snapshot.tls && { cert: Buffer.from(snapshot.tls.cert, "base64"), key: Buffer.from(snapshot.tls.key, "base64") };
}

/**
 * Answers a worker's request for what it serves. Sent on request, not at fork: a worker that takes a while before its
 * code runs (a `--import` preload awaiting something) has no listener yet, and Node drops what arrives before one.
 */
export function answerStartSnapshot(worker: Worker, message: unknown, snapshot: StartSnapshot): void {
  if (typeof message !== "object" || message === null || (message as { type?: unknown }).type !== REQUEST) return;
  // (A send that fails, the worker killed meanwhile, is the worker's 'error' event: see runPrimary.)
  if (worker.isConnected()) worker.send({ type: MESSAGE, snapshot });
}

/** In a worker: what the primary sent it to serve; rejects when nothing comes within `WAIT_MS`. */
export function receiveStartSnapshot(): Promise<StartSnapshot> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: unknown) => {
      if (typeof message !== "object" || message === null || (message as { type?: unknown }).type !== MESSAGE) return;
      clearTimeout(timer);
      process.off("message", onMessage);
      resolve((message as { snapshot: StartSnapshot }).snapshot);
    };
    const timer = setTimeout(() => {
      process.off("message", onMessage);
      reject(new Error(`no configuration came from the primary within ${WAIT_MS / 1000} s`));
    }, WAIT_MS);
    process.on("message", onMessage);
    // With a callback: a primary gone before it could answer is this rejection, not an 'error' event.
    process.send?.({ type: REQUEST }, undefined, undefined, (error: Error | null) => {
      if (!error) return;
      clearTimeout(timer);
      process.off("message", onMessage);
      reject(new Error(`the primary could not be asked for the configuration: ${error.message}`));
    });
  });
}
