import { describe, expect, it } from "vitest";
import { createHeaderRecord, HeaderMap, headerRecord } from "../src/runtime.js";

describe("HeaderMap", () => {
  it("treats names that objects inherit as plain header names", () => {
    const headers = new HeaderMap();
    for (const name of ["constructor", "toString", "hasOwnProperty", "valueOf", "__proto__"]) {
      expect(headers.get(name)).toBeNull();
      expect(headers.has(name)).toBe(false);
    }
    headers.set("__proto__", "a");
    headers.append("Constructor", "b");
    headers.append("constructor", "c");
    expect(headers.get("__proto__")).toBe("a");
    expect(headers.get("constructor")).toBe("b, c");
    expect([...headers]).toEqual([
      ["__proto__", "a"],
      ["constructor", "b, c"],
    ]);
    expect(Object.getPrototypeOf(Object.getPrototypeOf(headers.record))).toBeNull();
    headers.delete("constructor");
    expect(headers.has("constructor")).toBe(false);
  });

  it("reads and writes like Headers, case-insensitively, keeping insertion order", () => {
    const headers = new HeaderMap({ "Content-Type": "text/plain", etag: '"e"', skipped: undefined });
    headers.append("x-amz-meta-a", "1");
    headers.append("X-Amz-Meta-A", "2");
    expect(headers.get("content-type")).toBe("text/plain");
    expect(headers.get("ETag")).toBe('"e"');
    expect(headers.has("skipped")).toBe(false);
    expect(headerRecord(headers)).toEqual({ "content-type": "text/plain", etag: '"e"', "x-amz-meta-a": "1, 2" });
    expect(new HeaderMap(new Headers({ b: "2", a: "1" })).get("a")).toBe("1");
  });

  it("creates records that inherit nothing and cannot be polluted through their prototype", () => {
    const record = createHeaderRecord();
    expect("toString" in record).toBe(false);
    record.__proto__ = "x";
    expect(Object.keys(record)).toEqual(["__proto__"]);
    expect(() => {
      (Object.getPrototypeOf(record) as Record<string, string>).polluted = "yes";
    }).toThrow(TypeError);
    expect(createHeaderRecord().polluted).toBeUndefined();
  });
});
