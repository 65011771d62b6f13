/**
 * Mutual exclusion by name. Writers hold a key's lock only for check-and-commit (never while a body streams), so
 * two conditional writers cannot both pass their check, and a commit never interleaves with a delete.
 *
 * Within a process, waiters queue on a promise chain. Processes that share a root (the server's cluster workers)
 * install a `FsLockService` with `useFsLocks`: a process then asks the service only for names it already holds in
 * process, so the service sees at most one request per name and process.
 */
import { S3Error } from "@multistore/core";

/** Grants exclusive holds on names across processes. */
export interface FsLockService {
  /** Resolves with the release function once `name` is held; rejects when it cannot be had in time. */
  acquire(name: string): Promise<() => void>;
}

const tails = new Map<string, Promise<void>>();
/** How long a writer waits for the writers before it (a commit stuck on a failing disk must not hold them all). */
const LOCK_WAIT_MS = 30_000;
let service: FsLockService | undefined;

/**
 * Installs the service every fs backend of this process takes its locks from besides its own queue (omit to go
 * back to in-process locks only). Process-wide, as the locks are: named by absolute path, shared by all backends.
 */
export function useFsLocks(lockService?: FsLockService): void {
  service = lockService;
}

/**
 * Runs `task` once every earlier task holding `name` has finished. Module-wide, so two backends with the same
 * root (locks are named by absolute path) also exclude each other. A task that waited `waitMs` for those before it
 * is refused (503 ServiceUnavailable), as one waiting on another process's hold is.
 */
export async function withLock<T>(name: string, task: () => Promise<T>, waitMs = LOCK_WAIT_MS): Promise<T> {
  const previous = tails.get(name) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((resolve) => {
    release = resolve;
  });
  const tail = previous.then(() => mine);
  tails.set(name, tail);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const waited = await Promise.race([previous.then(() => true), new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), waitMs)))]);
  clearTimeout(timer);
  if (!waited) {
    // Given up: the queue behind goes on once the holders before it are done, without this task.
    void previous.then(() => {
      release();
      if (tails.get(name) === tail) tails.delete(name);
    });
    throw new S3Error("ServiceUnavailable", { message: "The object is busy with another write; try again." });
  }
  try {
    const releaseShared = service ? await service.acquire(name) : undefined;
    try {
      return await task();
    } finally {
      releaseShared?.();
    }
  } finally {
    release();
    // Forget the name when nobody queued behind us, so the map does not grow with every key ever written.
    if (tails.get(name) === tail) tails.delete(name);
  }
}
