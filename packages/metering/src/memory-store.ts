/** Counters in this process's memory: one instance enforces its own limits (tests, a single server, a single isolate). */
import type { CounterStore, CounterUpdate } from "./types.js";

/** Options of `createMemoryStore`. */
export interface MemoryStoreOptions {
  /** Clock in ms, for tests. */
  now?: () => number;
  /** Most counters kept (default 100 000); past it, expired ones are swept and then the oldest dropped. */
  maxCounters?: number;
}

/** Creates an in-memory counter store. */
export function createMemoryStore(options: MemoryStoreOptions = {}): CounterStore {
  const now = options.now ?? Date.now;
  const maxCounters = options.maxCounters ?? 100_000;
  const counters = new Map<string, { value: number; expiresAt: number }>();

  function makeRoom(at: number): void {
    for (const [key, counter] of counters) if (counter.expiresAt <= at) counters.delete(key);
    // Still full: drop the oldest tenth at once (a Map iterates in insertion order), so a flood of new keys costs one
    // sweep per many insertions, not one per insertion. Bounded memory beats exact counts here.
    const target = Math.floor(maxCounters * 0.9);
    for (const key of counters.keys()) {
      if (counters.size <= target) break;
      counters.delete(key);
    }
  }

  return {
    async add(updates: readonly CounterUpdate[]): Promise<number[]> {
      const at = now();
      return updates.map(({ key, amount, ttlSecs }) => {
        let counter = counters.get(key);
        if (counter !== undefined && counter.expiresAt <= at) {
          counters.delete(key);
          counter = undefined;
        }
        // A give-back (a negative amount) never takes a counter below 0, nor creates one (see CounterStore.add).
        if (amount === 0 || (amount < 0 && counter === undefined)) return counter?.value ?? 0;
        if (counter === undefined) {
          if (counters.size >= maxCounters) makeRoom(at);
          counter = { value: 0, expiresAt: at + ttlSecs * 1000 };
          counters.set(key, counter);
        }
        counter.value = Math.max(0, counter.value + amount);
        return counter.value;
      });
    },
  };
}
