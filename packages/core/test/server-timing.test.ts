/** Server-Timing durations: milliseconds with one decimal, rounded to the nearest tenth. */
import { describe, expect, it } from "vitest";
import { tenths } from "../src/exchange.js";

describe("tenths", () => {
  it("writes one decimal, rounding to the nearest tenth", () => {
    const cases: [number, string][] = [[0, "0.0"], [0.04, "0.0"], [0.06, "0.1"], [0.96, "1.0"], [9.96, "10.0"], [12.5, "12.5"], [12.44, "12.4"], [999.99, "1000.0"], [1234.56, "1234.6"], [86_400_000.07, "86400000.1"]];
    for (const [value, text] of cases) expect(tenths(value)).toBe(text);
  });

  it("stays within a tenth of toFixed(1) and keeps its format", () => {
    for (let index = 0; index < 10_000; index++) {
      const value = Math.random() * 10 ** (index % 7);
      const text = tenths(value);
      expect(text).toMatch(/^\d+\.\d$/);
      expect(Math.abs(Number(text) - Number(value.toFixed(1)))).toBeLessThanOrEqual(0.1 + 1e-9);
    }
  });
});
