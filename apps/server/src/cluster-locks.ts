/**
 * The fs backend's write locks across cluster workers, kept by the primary: workers ask over the cluster's IPC
 * channel, the primary grants each name to one worker at a time in arrival order, and frees whatever a worker that
 * died held or waited for. Only fs writes (check-and-commit) take these locks, for a moment each.
 */
import type { Worker } from "node:cluster";
import type { FsLockService } from "@multistore/backend-fs";
import { S3Error } from "@multistore/core";

/** How long a worker waits for a lock before answering 503. */
const LOCK_WAIT_MS = 30_000;

interface LockMessage {
  multistoreLock: "acquire" | "release" | "granted";
  id: number;
  name?: string;
}

function isLockMessage(message: unknown): message is LockMessage {
  return typeof message === "object" && message !== null && "multistoreLock" in message;
}

/** The primary's side: the lock table. Call `onMessage` with workers' messages and `onExit` when one exits. */
export function createLockTable() {
  // Per name: the holder first, then the waiters, in arrival order.
  const queues = new Map<string, { worker: Worker; id: number }[]>();

  function grantHead(name: string): void {
    const queue = queues.get(name);
    if (!queue || queue.length === 0) {
      queues.delete(name);
      return;
    }
    const head = queue[0]!;
    if (head.worker.isConnected()) head.worker.send({ multistoreLock: "granted", id: head.id } satisfies LockMessage);
  }

  function remove(name: string, match: (entry: { worker: Worker; id: number }) => boolean): void {
    const queue = queues.get(name);
    if (!queue) return;
    const wasHead = queue.length > 0 && match(queue[0]!);
    const rest = queue.filter((entry) => !match(entry));
    queues.set(name, rest);
    if (wasHead) grantHead(name);
    else if (rest.length === 0) queues.delete(name);
  }

  return {
    /** Handles a worker's message; returns whether it was a lock message. */
    onMessage(worker: Worker, message: unknown): boolean {
      if (!isLockMessage(message) || typeof message.name !== "string") return false;
      if (message.multistoreLock === "acquire") {
        const queue = queues.get(message.name) ?? [];
        queue.push({ worker, id: message.id });
        queues.set(message.name, queue);
        if (queue.length === 1) grantHead(message.name);
      } else if (message.multistoreLock === "release") {
        remove(message.name, (entry) => entry.worker === worker && entry.id === message.id);
      }
      return true;
    },
    /** Frees what an exited worker held and drops what it waited for. */
    onExit(worker: Worker): void {
      for (const name of [...queues.keys()]) remove(name, (entry) => entry.worker === worker);
    },
    /** Names held or waited for (for tests and diagnostics). */
    size: () => queues.size,
  };
}

/** The worker's side: an `FsLockService` asking the primary. */
export function clusterLockService(): FsLockService {
  let sequence = 0;
  const pending = new Map<number, (granted: boolean) => void>();
  process.on("message", (message: unknown) => {
    if (!isLockMessage(message) || message.multistoreLock !== "granted") return;
    pending.get(message.id)?.(true);
  });
  // The primary is gone (the worker drains): no grant will come, and a write waiting for one is answered now, not
  // after the lock's wait, which outlasts the drain.
  process.once("disconnect", () => {
    for (const settle of [...pending.values()]) settle(false);
  });
  const send = (message: LockMessage) => {
    if (!process.send || !process.connected) throw new Error("the cluster primary is gone");
    // With a callback, a send that fails later (the primary just died) is not an 'error' event ending the worker:
    // a wait for a grant is then settled by the channel's disconnect.
    process.send(message, undefined, undefined, () => {});
  };
  return {
    acquire(name) {
      const id = ++sequence;
      return new Promise((resolve, reject) => {
        const release = () => {
          try {
            send({ multistoreLock: "release", id, name });
          } catch {
            // The primary is gone, and its table with it.
          }
        };
        const timer = setTimeout(() => {
          pending.delete(id);
          // Leave the queue (or let go of a grant that crossed the timeout).
          release();
          reject(new S3Error("ServiceUnavailable", { message: "The object is busy with another write; try again." }));
        }, LOCK_WAIT_MS);
        pending.set(id, (granted) => {
          clearTimeout(timer);
          pending.delete(id);
          if (granted) resolve(release);
          else reject(new S3Error("ServiceUnavailable", { message: "The server is shutting down." }));
        });
        try {
          send({ multistoreLock: "acquire", id, name });
        } catch (error) {
          clearTimeout(timer);
          pending.delete(id);
          reject(new S3Error("ServiceUnavailable", { message: "The server is shutting down.", cause: error }));
        }
      });
    },
  };
}
