/** The anonymous cap per address: refuses past the cap, frees a place on leave (once), and counts nothing when off. */
import { describe, expect, it } from "vitest";
import { AddressCounter } from "../src/limits.js";

describe("AddressCounter", () => {
  it("refuses an address's request past the cap with SlowDown, and takes it again once one leaves", () => {
    const counter = new AddressCounter(2);
    const first = counter.enter("10.0.0.1");
    counter.enter("10.0.0.1");
    expect(() => counter.enter("10.0.0.1")).toThrow(expect.objectContaining({ code: "SlowDown" }));
    // Another address has its own count.
    expect(() => counter.enter("10.0.0.2")).not.toThrow();
    first();
    // Leaving twice frees one place, not two.
    first();
    counter.enter("10.0.0.1");
    expect(() => counter.enter("10.0.0.1")).toThrow(expect.objectContaining({ code: "SlowDown" }));
  });

  it("counts nothing and refuses nothing when the cap is off (0)", () => {
    const counter = new AddressCounter(0);
    const leaves = Array.from({ length: 1000 }, () => counter.enter("10.0.0.1"));
    // Nothing kept while they are in flight (a Map entry and a closure each were only ever for the cap).
    expect((counter as unknown as { counts: Map<string, number> }).counts.size).toBe(0);
    expect(new Set(leaves).size).toBe(1);
    for (const leave of leaves) leave();
  });
});
