/** Server-Timing durations: milliseconds with one decimal, rounded as `toFixed(1)` rounds them. */
import { describe, expect, it } from "vitest";
import { tenths } from "../src/exchange.js";

describe("tenths", () => {
  it("writes one decimal, rounding to the nearest tenth", () => {
    for (const value of [0, 0.04, 0.05, 0.96, 9.96, 12.5, 12.44, 999.99, 1234.56, 86_400_000.07]) expect(tenths(value)).toBe(value.toFixed(1));
  });
});
