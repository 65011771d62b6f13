/**
 * In-process mutual exclusion by name. Writers hold a key's lock only for check-and-commit (never while a body
 * streams), so two conditional writers cannot both pass their check, and a commit never interleaves with a delete.
 */

const tails = new Map<string, Promise<void>>();

/**
 * Runs `task` once every earlier task holding `name` has finished. Module-wide, so two backends with the same
 * root (locks are named by absolute path) also exclude each other.
 */
export async function withLock<T>(name: string, task: () => Promise<T>): Promise<T> {
  const previous = tails.get(name) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((resolve) => {
    release = resolve;
  });
  const tail = previous.then(() => mine);
  tails.set(name, tail);
  await previous;
  try {
    return await task();
  } finally {
    release();
    // Forget the name when nobody queued behind us, so the map does not grow with every key ever written.
    if (tails.get(name) === tail) tails.delete(name);
  }
}
