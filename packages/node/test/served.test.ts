/**
 * A served request's end: its line is written and its end settled within the call that ended it when no
 * after-middleware has anything to run, after the after-middleware otherwise, and a failing log settles as a failure.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Readable } from "node:stream";
import type { GatewayResult } from "@multistore/core";
import { describe, expect, it } from "vitest";
import { Served } from "../src/served.js";

const request = { destroyed: false, complete: true } as unknown as IncomingMessage;
const response = { writableFinished: true, destroyed: false } as unknown as ServerResponse;
const watch = { done: () => {}, stalled: () => undefined };

function resultWith(afterHooks: boolean | undefined, events: string[]): GatewayResult<Readable> {
  return {
    type: "forward",
    context: { requestId: "R", method: "GET", headers: new Headers(), startedAt: 0 },
    afterHooks,
    finish: async () => void events.push("after-middleware"),
    errorResponse: () => ({ status: 500, headers: new Headers(), body: null }),
  } as unknown as GatewayResult<Readable>;
}

describe("Served", () => {
  it("writes the line and settles at once when no after-middleware runs", () => {
    const events: string[] = [];
    const served = new Served(resultWith(false, events), request, response, watch, () => void events.push("line"), (_, failed) => events.push(failed ? "failed" : "settled"));
    served.ended({ status: 200, bytesSent: 3 });
    expect(events).toEqual(["line", "settled"]);
  });

  it.each([true, undefined])("waits for finish first when after-middleware may run (afterHooks: %s)", async (afterHooks) => {
    const events: string[] = [];
    let settle!: () => void;
    const settled = new Promise<void>((resolve) => (settle = resolve));
    const served = new Served(resultWith(afterHooks, events), request, response, watch, () => void events.push("line"), (_, failed) => {
      events.push(failed ? "failed" : "settled");
      settle();
    });
    served.ended({ status: 200, bytesSent: 3 });
    // (finish ran up to its first turn; the line waits for it to settle.)
    expect(events).toEqual(["after-middleware"]);
    await settled;
    expect(events).toEqual(["after-middleware", "line", "settled"]);
  });

  it("settles a log that throws as a failure, once", () => {
    const errors: unknown[] = [];
    const served = new Served(
      resultWith(false, []),
      request,
      response,
      watch,
      () => {
        throw new Error("log sink down");
      },
      (_, failed, error) => errors.push(failed ? error : "not failed"),
    );
    served.ended({ status: 200, bytesSent: 3 });
    served.ended({ status: 200, bytesSent: 3 });
    expect(errors).toEqual([expect.objectContaining({ message: "log sink down" })]);
  });
});
