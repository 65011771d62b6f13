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

  it("let a waiter go when its signal aborts: it is refused at once, and a released slot is not handed to it", async () => {
    const slots = new Slots(1);
    const held = slots.tryAcquire()!;
    const controller = new AbortController();
    const started = Date.now();
    const gone = slots.acquire(60_000, controller.signal);
    const next = slots.acquire(60_000);
    controller.abort(new Error("client went away"));
    await expect(gone).rejects.toThrow("client went away");
    expect(Date.now() - started).toBeLessThan(1_000);
    held();
    (await next)();
    expect(slots.active).toBe(0);
    await expect(slots.acquire(60_000, controller.signal).then(() => "granted")).resolves.toBe("granted");
  });

  it("refuse a waiter with SlowDown after its wait", async () => {
    const slots = new Slots(1);
    slots.tryAcquire();
    await expect(slots.acquire(20)).rejects.toMatchObject({ code: "SlowDown", status: 503 });
  });
});
