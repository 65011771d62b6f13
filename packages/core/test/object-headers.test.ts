import { describe, expect, it } from "vitest";
import { S3Error } from "../src/index.js";
import { applyResponseOverrides, parseRangeHeader, resolveRange } from "../src/backend.js";
import { useLatin1HeaderValues } from "../src/runtime.js";

describe("byte ranges", () => {
  it.each([
    ["bytes=2-5", 10, { start: 2, end: 5 }],
    ["bytes=7-", 10, { start: 7, end: 9 }],
    ["bytes=-3", 10, { start: 7, end: 9 }],
    ["bytes=-30", 10, { start: 0, end: 9 }],
    ["bytes=5-100", 10, { start: 5, end: 9 }],
    ["bytes = 1 - 2", 10, { start: 1, end: 2 }],
  ])("resolves %s of %i bytes", (header, size, expected) => {
    expect(resolveRange(parseRangeHeader(header), size)).toEqual(expected);
  });

  it.each([null, "bytes=5-2", "bytes=0-1,3-4", "items=0-1", "bytes=-"])("serves the whole object for %s", (header) => {
    expect(resolveRange(parseRangeHeader(header), 10)).toBeUndefined();
  });

  it("serves an empty object whole for a suffix range", () => {
    expect(resolveRange(parseRangeHeader("bytes=-5"), 0)).toBeUndefined();
  });

  it.each(["bytes=10-", "bytes=10-20", "bytes=-0"])("refuses %s of 10 bytes with InvalidRange and the size", (header) => {
    try {
      resolveRange(parseRangeHeader(header), 10);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(S3Error);
      expect((error as S3Error).status).toBe(416);
      expect((error as S3Error).headers["content-range"]).toBe("bytes */10");
    }
  });
});

describe("response overrides", () => {
  it("applies response-* parameters and nothing else", () => {
    const headers = new Headers({ "content-type": "text/plain", etag: '"x"' });
    applyResponseOverrides(headers, { "response-content-type": "image/png", "response-cache-control": "no-cache", "response-etag": "no" });
    expect(headers.get("content-type")).toBe("image/png");
    expect(headers.get("cache-control")).toBe("no-cache");
    expect(headers.get("etag")).toBe('"x"');
  });

  it("sets text past U+00FF as its UTF-8 bytes where Headers take only Latin-1 (Node's), whether declared or not", () => {
    const name = 'attachment; filename="été ключ €.txt"';
    // Node's Headers refuse this text as it is: the module found that out when it loaded.
    expect(() => new Headers({ "content-disposition": name })).toThrow();
    const found = new Headers();
    applyResponseOverrides(found, { "response-content-disposition": name });
    expect(Buffer.from(found.get("content-disposition")!, "latin1").toString("utf8")).toBe(name);
    useLatin1HeaderValues();
    const latin1 = new Headers();
    applyResponseOverrides(latin1, { "response-content-disposition": name, "response-content-type": "text/plain" });
    expect(Buffer.from(latin1.get("content-disposition")!, "latin1").toString("utf8")).toBe(name);
    expect(latin1.get("content-type")).toBe("text/plain");
  });
});
