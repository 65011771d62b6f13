/** In-process locks: one holder at a time in order, and a bounded wait behind a holder that does not finish. */
import { describe, expect, it } from "vitest";
import { withLock } from "../src/locks.js";

describe("withLock", () => {
  it("runs holders of one name one at a time, in order", async () => {
    const order: string[] = [];
    const task = (label: string, ms: number) => async () => {
      order.push(`${label} in`);
      await new Promise((resolve) => setTimeout(resolve, ms));
      order.push(`${label} out`);
      return label;
    };
    expect(await Promise.all([withLock("n", task("a", 30)), withLock("n", task("b", 5)), withLock("n", task("c", 1))])).toEqual(["a", "b", "c"]);
    expect(order).toEqual(["a in", "a out", "b in", "b out", "c in", "c out"]);
  });

  it("refuses a waiter behind a stuck holder with 503 after its bound, and the queue goes on once the holder ends", async () => {
    let finish!: () => void;
    const stuck = withLock("stuck", () => new Promise<void>((resolve) => (finish = resolve)));
    const started = performance.now();
    await expect(withLock("stuck", async () => "never", 200)).rejects.toMatchObject({ code: "ServiceUnavailable", status: 503 });
    expect(performance.now() - started).toBeLessThan(2000);
    // The one who gave up does not block the next: it runs once the stuck holder is done.
    const next = withLock("stuck", async () => "next", 5000);
    finish();
    await stuck;
    expect(await next).toBe("next");
  });
});
