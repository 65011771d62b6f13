/** Bounded caches: full, the oldest entry goes first; replacing a key drops nothing. */
import { describe, expect, it } from "vitest";
import { setBounded } from "../src/bounded-map.js";

describe("setBounded", () => {
  it("drops the oldest entry to make room for a new key", () => {
    const map = new Map([["a", 1], ["b", 2]]);
    setBounded(map, "c", 3, 2);
    expect([...map]).toEqual([["b", 2], ["c", 3]]);
  });

  it("replaces an existing key without dropping another", () => {
    const map = new Map([["a", 1], ["b", 2]]);
    setBounded(map, "a", 9, 2);
    expect([...map]).toEqual([["a", 9], ["b", 2]]);
  });
});
