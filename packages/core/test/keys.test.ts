/** A bucket's backend_prefix is joined to keys with exactly one "/", however it is written. */
import { describe, expect, it } from "vitest";
import { keyPrefixOf } from "../src/keys.js";

describe("keyPrefixOf", () => {
  it.each([
    [undefined, ""],
    ["", ""],
    ["/", ""],
    ["v2", "v2/"],
    ["v2/", "v2/"],
    ["v2//", "v2/"],
    ["a/b", "a/b/"],
    ["harvard-lil/", "harvard-lil/"],
  ])("%j joins keys as %j", (backend_prefix, expected) => {
    expect(keyPrefixOf(backend_prefix === undefined ? {} : { backend_prefix })).toBe(expected);
    expect(keyPrefixOf(backend_prefix === undefined ? {} : { backend_prefix }) + "k").toBe(expected === "" ? "k" : `${expected}k`);
  });
});
