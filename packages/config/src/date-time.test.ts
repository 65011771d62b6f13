import Format from "typebox/format";
import { describe, expect, it } from "vitest";
import { isDateTime } from "./date-time.js";

/** What the validator accepted before it had its own check: TypeBox's date-time format, and Date.parse. */
function previousCheck(text: string): boolean {
  return Format.Test("date-time", text) && !Number.isNaN(Date.parse(text));
}

function* candidates(): Generator<string> {
  const dates = ["2024-01-15", "2024-02-29", "2023-02-29", "1900-02-29", "2000-02-29", "2024-04-31", "2024-12-31", "2024-13-01", "2024-00-10", "2024-01-00", "0000-01-01", "9999-12-31", "24-01-15", "2024-1-15"];
  const separators = ["T", "t", " ", ""];
  const times = ["00:00:00", "23:59:59", "23:59:60", "24:00:00", "12:60:00", "12:00:60", "12:00:00.5", "12:00:00.123456", "12:00:00.", "12:00", "1:00:00"];
  const zones = ["Z", "z", "", "+01:00", "-23:59", "+24:00", "+01:60", "+0100", "Z[UTC]", "+01:00[Europe/Paris]", " Z"];
  for (const date of dates) for (const separator of separators) for (const time of times) for (const zone of zones) yield `${date}${separator}${time}${zone}`;
}

describe("isDateTime", () => {
  it("accepts exactly what TypeBox's date-time format and Date.parse accepted together", () => {
    const all = [...candidates()];
    const differing = all.filter((text) => isDateTime(text) !== previousCheck(text));
    expect(differing).toEqual([]);
    // The candidates cover both answers, so agreement is not vacuous.
    expect(all.filter((text) => isDateTime(text)).length).toBeGreaterThan(100);
    expect(all.filter((text) => !isDateTime(text)).length).toBeGreaterThan(100);
  });

  it("takes the examples of the documentation", () => {
    expect(isDateTime("2024-01-15T00:00:00Z")).toBe(true);
    expect(isDateTime("2024-01-15T01:00:00.5+01:00")).toBe(true);
    expect(isDateTime("2024-01-15")).toBe(false);
    expect(isDateTime("2024-01-15T00:00:00")).toBe(false);
  });
});
