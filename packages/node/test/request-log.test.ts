/**
 * Request lines: pino's JSON line format, each line carrying its own request's fields, whatever the lines before it
 * carried (the time prefix and repeated values are reused from line to line).
 */
import { describe, expect, it } from "vitest";
import { formatRequestLine, requestLineWriter, type RequestLine } from "../src/index.js";

const base: RequestLine = { requestId: "0123456789ABCDEF", method: "GET", bucket: "data", operation: "GetObject", principal: "reader", status: 200, bytes: 1024, durationMs: 0.4 };

describe("formatRequestLine", () => {
  it("writes each line's own fields, levels and bindings, interleaved", () => {
    const variants: [RequestLine, string, number][] = [
      [base, '"service":"multistore"', 30],
      [{ ...base, requestId: "1111111111111111", bucket: 'we"ird\\\u2028ünï', principal: "anonymous", method: "PUT", status: 201, bytes: 0, bytesReceived: 5 }, '"service":"multistore"', 30],
      [{ ...base, bucket: undefined, operation: "ListBuckets", principal: undefined }, '"service":"multistore","worker":2', 30],
      [{ ...base, status: 503, errorCode: "ServiceUnavailable" }, '"service":"multistore"', 50],
      [{ ...base, method: "DELETE", bucket: "other", principal: "writer" }, "", 30],
      [base, '"service":"multistore"', 30],
    ];
    for (const round of [1, 2]) {
      for (const [line, bindings, level] of variants) {
        const text = formatRequestLine(line, bindings, level, level === 50 ? "request failed" : "request");
        expect(text.endsWith("}\n"), `round ${round}`).toBe(true);
        const parsed = JSON.parse(text) as Record<string, unknown>;
        const expected: Record<string, unknown> = { level, time: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/), ...JSON.parse(`{${bindings}}`) };
        for (const [name, value] of Object.entries(line)) if (value !== undefined) expected[name] = value;
        expected.msg = level === 50 ? "request failed" : "request";
        expect(parsed, `round ${round}`).toEqual(expected);
        // Fields in pino's order: level and time first, the message last.
        expect(Object.keys(parsed).slice(0, 2)).toEqual(["level", "time"]);
        expect(Object.keys(parsed).at(-1)).toBe("msg");
      }
    }
  });
});

describe("requestLineWriter", () => {
  it("logs failures at error level, but not load shedding (SlowDown) or what is not served (501)", () => {
    const lines: string[] = [];
    const log = requestLineWriter((text) => void lines.push(text));
    const context = { requestId: "0123456789ABCDEF", method: "POST", headers: new Headers(), startedAt: Date.now() };
    for (const end of [{ status: 503 }, { status: 503, errorCode: "SlowDown" }, { status: 501, errorCode: "NotImplemented" }, { status: 500 }]) log(context as never, { bytesSent: 0, ...end } as never);
    expect(lines.map((line) => (JSON.parse(line) as { level: number }).level)).toEqual([50, 30, 30, 50]);
  });
});
