/** Whole-number query parameters: the shared reader, and the two ways listings use it (`max-keys`, ListParts' arguments). */
import { describe, expect, it } from "vitest";
import { S3Error } from "../src/errors.js";
import { parseMaxKeys } from "../src/operations/list.js";
import { wholeNumber } from "../src/operations/list-parts.js";
import { parseWholeNumber } from "../src/query-numbers.js";

/** The error `read` throws, for comparing code, message and details. */
function refusal(read: () => unknown): { code: string; message: string; details: Record<string, string> } {
  try {
    read();
  } catch (error) {
    expect(error).toBeInstanceOf(S3Error);
    const { code, message, details } = error as S3Error;
    return { code, message, details };
  }
  throw new Error("expected a refusal");
}

const REFUSED = ["", "-1", "+1", "1.5", "1e3", " 1", "1 ", "0x10", "abc", "١٢"];

describe("parseWholeNumber", () => {
  const rule = { name: "n", message: "bad n" };

  it("gives the fallback when absent, and the number (leading zeros allowed) otherwise", () => {
    expect([parseWholeNumber(undefined, 7, rule), parseWholeNumber("0", 7, rule), parseWholeNumber("0042", 7, rule)]).toEqual([7, 0, 42]);
  });

  it("refuses anything but ASCII digits with InvalidArgument, the rule's message and the argument", () => {
    for (const value of REFUSED) {
      expect(refusal(() => parseWholeNumber(value, 7, rule))).toEqual({ code: "InvalidArgument", message: "bad n", details: { ArgumentName: "n", ArgumentValue: value } });
    }
  });

  it("accepts any length without a limit; with one, neither a larger value nor more digits than it has", () => {
    expect(parseWholeNumber("99999999999999999999", 0, rule)).toBe(1e20);
    const limited = { ...rule, limit: 2147483647 };
    expect([parseWholeNumber("2147483647", 0, limited), parseWholeNumber("0000000001", 0, limited)]).toEqual([2147483647, 1]);
    for (const value of ["2147483648", "00000000001", "99999999999"]) expect(refusal(() => parseWholeNumber(value, 0, limited)).code).toBe("InvalidArgument");
  });
});

describe("max-keys", () => {
  it("defaults to and caps at 1000, whatever its length", () => {
    expect([parseMaxKeys(undefined), parseMaxKeys("0"), parseMaxKeys("007"), parseMaxKeys("1001"), parseMaxKeys("9".repeat(400))]).toEqual([1000, 0, 7, 1000, 1000]);
  });

  it("refuses what is not a whole number with its own message", () => {
    for (const value of REFUSED) {
      expect(refusal(() => parseMaxKeys(value))).toEqual({ code: "InvalidArgument", message: "max-keys must be a non-negative integer.", details: { ArgumentName: "max-keys", ArgumentValue: value } });
    }
  });
});

describe("ListParts' whole-number arguments", () => {
  it("reads 0 to 2^31 - 1 (uncapped), in at most ten digits", () => {
    expect([wholeNumber(undefined, "max-parts", 1000), wholeNumber("5000", "max-parts", 1000), wholeNumber("0000000012", "max-parts", 1000)]).toEqual([1000, 5000, 12]);
  });

  it("refuses the rest with S3's message naming the argument", () => {
    for (const value of [...REFUSED, "2147483648", "00000000001", "9".repeat(400)]) {
      expect(refusal(() => wholeNumber(value, "part-number-marker", 0))).toEqual({
        code: "InvalidArgument",
        message: "Argument part-number-marker must be an integer between 0 and 2147483647",
        details: { ArgumentName: "part-number-marker", ArgumentValue: value },
      });
    }
  });
});
