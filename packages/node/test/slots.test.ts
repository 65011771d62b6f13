/** A bucket's backend slots: taken at once while free, queued in order when full, refused past the wait. */
import { describe, expect, it } from "vitest";
import { Slots } from "../src/limits.js";

describe("Slots", () => {
  it("hand out free slots synchronously and none past capacity", () => {
    const slots = new Slots(2);
    const first = slots.tryAcquire();
    const second = slots.tryAcquire();
    expect(first).toBeTypeOf("function");
    expect(second).toBeTypeOf("function");
    expect(slots.tryAcquire()).toBeUndefined();
    expect(slots.active).toBe(2);
    first!();
    first!();
    expect(slots.active).toBe(1);
    expect(slots.tryAcquire()).toBeTypeOf("function");
  });

  it("give a released slot to the first waiter, not to a later tryAcquire", async () => {
    const slots = new Slots(1);
    const held = slots.tryAcquire()!;
    const waiting = slots.acquire(1000);
    held();
    expect(slots.tryAcquire()).toBeUndefined();
    const granted = await waiting;
    expect(slots.active).toBe(1);
    granted();
    expect(slots.active).toBe(0);
  });

  it("refuse a waiter with SlowDown after its wait", async () => {
    const slots = new Slots(1);
    slots.tryAcquire();
    await expect(slots.acquire(20)).rejects.toMatchObject({ code: "SlowDown", status: 503 });
  });
});
