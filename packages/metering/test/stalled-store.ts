/** A store whose first update is applied and then fails as a timed-out Redis command does (`mayHaveApplied`). */
import { createMemoryStore, type CounterStore } from "../src/index.js";

/** The failing store over an in-memory one, and `totals()`: every counter it was asked about, read as they are. */
export function stalledOnce(now?: () => number): { store: CounterStore; totals(): Promise<number[]> } {
  const memory = createMemoryStore(now ? { now } : {});
  const keys = new Set<string>();
  let stall = true;
  const store: CounterStore = {
    async add(updates) {
      for (const update of updates) keys.add(update.key);
      const totals = await memory.add(updates);
      if (!stall) return totals;
      stall = false;
      throw Object.assign(new Error("Command timed out"), { mayHaveApplied: true });
    },
  };
  return { store, totals: () => memory.add([...keys].map((key) => ({ key, amount: 0, ttlSecs: 60 }))) };
}
