/**
 * The request logger above info level: failures are still written (with their cause), other requests are not. A
 * failure is a 5xx, or an error inside a kept-alive 200 (a long copy that failed after its answer started).
 */
import type { RequestContext } from "@multistore/core";
import { describe, expect, it } from "vitest";
import { createLogger, requestLogger } from "../src/logger.js";

const context: RequestContext = { requestId: "0123456789ABCDEF", method: "PUT", headers: new Headers(), startedAt: Date.now(), operation: "CopyObject", bucket: "files" };

describe("requestLogger above info level", () => {
  it("writes failures, kept-alive 200s that failed included, and leaves out the rest", () => {
    const lines: Record<string, unknown>[] = [];
    const log = requestLogger(createLogger("warn", { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) }));
    log(context, { status: 200, bytesSent: 10 });
    log(context, { status: 503, bytesSent: 0, errorCode: "SlowDown" });
    log(context, { status: 501, bytesSent: 0, errorCode: "NotImplemented" });
    log(context, { status: 200, bytesSent: 120, errorCode: "ServiceUnavailable", errorStatus: 503, error: new Error("the source broke off") });
    log(context, { status: 502, bytesSent: 0, errorCode: "ServiceUnavailable" });
    expect(lines.map((line) => [line.level, line.status, line.errorCode, line.msg])).toEqual([
      [50, 200, "ServiceUnavailable", "request failed"],
      [50, 502, "ServiceUnavailable", "request failed"],
    ]);
    expect(JSON.stringify(lines[0]!.err)).toContain("the source broke off");
  });
});
