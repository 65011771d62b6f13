/**
 * Parsed queries are shared between requests that sent the same query string (a reader repeating one presigned
 * URL), and nothing else is: another string gets its own, long strings are parsed each time, and a malformed one is
 * refused every time it comes.
 */
import { describe, expect, it } from "vitest";
import { queryOf, splitTarget } from "../src/s3-request.js";

describe("queryOf", () => {
  it("hands the same string the same parsed query", () => {
    const raw = `X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=${"a".repeat(64)}`;
    const first = queryOf(raw);
    expect(queryOf(`${raw}`.slice(0))).toBe(first);
    expect(splitTarget(`/b/k?${raw}`).query).toBe(first);
    expect(first.get("X-Amz-Algorithm")).toBe("AWS4-HMAC-SHA256");
    expect(queryOf(`${raw}&x=1`)).not.toBe(first);
    expect(queryOf(`${raw}&x=1`).get("x")).toBe("1");
  });

  it("parses long strings each time and keeps none of them", () => {
    const raw = `prefix=${"p".repeat(9000)}`;
    const first = queryOf(raw);
    expect(first.get("prefix")).toHaveLength(9000);
    expect(queryOf(raw)).not.toBe(first);
  });

  it("keeps every string it saw (up to its bound), not only the last one", () => {
    const first = queryOf("a=1&X-Amz-Signature=kept");
    const second = queryOf("b=2");
    expect(queryOf("a=1&X-Amz-Signature=kept")).toBe(first);
    expect(queryOf("b=2")).toBe(second);
    const session = `X-Amz-Security-Token=${"t".repeat(3000)}`;
    const long = queryOf(session);
    queryOf("c=3");
    expect(queryOf(session)).toBe(long);
  });

  it("refuses a malformed string every time", () => {
    for (let round = 0; round < 2; round++) expect(() => queryOf("a=%zz")).toThrow(expect.objectContaining({ code: "InvalidArgument" }));
  });

  it("shares one empty query", () => {
    expect(queryOf("")).toBe(splitTarget("/b/k").query);
    expect(queryOf("").pairs).toHaveLength(0);
  });

  it("stays bounded: the oldest string is dropped first", () => {
    const oldest = queryOf("oldest=1");
    for (let index = 0; index < 1100; index++) queryOf(`filler=${index}`);
    expect(queryOf("oldest=1")).not.toBe(oldest);
  });
});
