/** The metering middleware: refusals as S3 errors with Retry-After, bounded waits, failing open or closed. */
import { describe, expect, it, vi } from "vitest";
import { isS3Error, S3Error, type RequestContext, type RequestOutcome, type S3Operation } from "@multistore/core";
import { createLimiter, createMeteringMiddleware, StoreTimeoutError, type QuotaChecker } from "../src/index.js";
import { stalledOnce } from "./stalled-store.js";

function context(headers: Record<string, string> = {}, operation: S3Operation = "PutObject"): RequestContext {
  return { requestId: "r", method: "PUT", headers: new Headers(headers), startedAt: 0, identity: { type: "anonymous" }, sourceIp: "192.0.2.1", bucket: "b", operation };
}

async function refusalOf(promise: unknown): Promise<S3Error> {
  try {
    await promise;
  } catch (error) {
    if (isS3Error(error)) return error;
    throw error;
  }
  throw new Error("expected a refusal");
}

describe("createMeteringMiddleware", () => {
  it("turns refusals into S3 errors with Retry-After, passing the declared size as the estimate", async () => {
    const check = vi.fn<QuotaChecker["check"]>(async (_context, estimate) =>
      estimate.bytesIn > 100 ? { code: "TooManyRequests", retryAfterSecs: 42, message: "quota used up" } : { code: "SlowDown", retryAfterSecs: 3, message: "slow" },
    );
    const middleware = createMeteringMiddleware({ checker: { check } });
    const quota = await refusalOf(middleware.before!(context({ "content-length": "1000" })));
    expect([quota.code, quota.status, quota.message, quota.headers["retry-after"]]).toEqual(["TooManyRequests", 429, "quota used up", "42"]);
    const rate = await refusalOf(middleware.before!(context()));
    expect([rate.code, rate.status, rate.headers["retry-after"]]).toEqual(["SlowDown", 503, "3"]);
    expect(check.mock.calls.map(([, estimate]) => estimate.bytesIn)).toEqual([1000, 0]);
  });

  it("estimates a chunked upload by its decoded length, and a document's body (CompleteMultipartUpload's) as no data", async () => {
    const check = vi.fn<QuotaChecker["check"]>(async () => undefined);
    const middleware = createMeteringMiddleware({ checker: { check } });
    await middleware.before!(context({ "transfer-encoding": "chunked", "x-amz-decoded-content-length": "12000000" }));
    await middleware.before!(context({ "content-length": "12000144", "x-amz-decoded-content-length": "12000000" }, "UploadPart"));
    await middleware.before!(context({ "content-length": "300" }, "CompleteMultipartUpload"));
    expect(check.mock.calls.map(([, estimate]) => estimate.bytesIn)).toEqual([12000000, 12000144, 0]);
  });

  it("lets a request through when the store fails or is slow (allow), reporting it; never waits past timeoutMs", async () => {
    const errors: unknown[] = [];
    const hanging: QuotaChecker = { check: () => new Promise(() => {}) };
    const middleware = createMeteringMiddleware({ checker: hanging, timeoutMs: 50, onError: (error) => errors.push(error) });
    const started = Date.now();
    await expect(middleware.before!(context())).resolves.toBeUndefined();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(errors[0]).toBeInstanceOf(StoreTimeoutError);
    const failing = createMeteringMiddleware({ checker: { check: () => Promise.reject(new Error("ECONNREFUSED")) }, onError: (error) => errors.push(error) });
    await expect(failing.before!(context())).resolves.toBeUndefined();
    expect(String(errors[1])).toContain("ECONNREFUSED");
  });

  it("refuses with 503 SlowDown when the store fails and onStoreError is refuse, without naming the store's error", async () => {
    const failing = createMeteringMiddleware({ checker: { check: () => Promise.reject(new Error("redis at 10.0.0.5 refused")) }, onStoreError: "refuse", onError: () => {} });
    const refusal = await refusalOf(failing.before!(context()));
    expect([refusal.code, refusal.status, refusal.headers["retry-after"]]).toEqual(["SlowDown", 503, "1"]);
    expect(refusal.message).not.toContain("10.0.0.5");
  });

  it("records outcomes after the response, bounded too, and reports recorder failures", async () => {
    const recorded: RequestOutcome[] = [];
    const errors: unknown[] = [];
    const middleware = createMeteringMiddleware({ recorder: { record: async (_context, outcome) => void recorded.push(outcome) }, onError: (error) => errors.push(error) });
    // Before the request it only tells the runtime whether bytes sent are charged (a cut download must not escape).
    const asked = context();
    await middleware.before!(asked);
    expect(asked.metersBytes).toBeUndefined();
    const charging = createMeteringMiddleware({ recorder: { record: async () => undefined, chargesBytesSent: (request) => request.bucket === "b" } });
    const charged = { ...context(), bucket: "b" };
    await charging.before!(charged);
    expect(charged.metersBytes).toBe(true);
    const outcome: RequestOutcome = { status: 200, bytesSent: 10, durationMs: 1, served: "forward" };
    await middleware.after!(context(), outcome);
    expect(recorded).toEqual([outcome]);
    const stuck = createMeteringMiddleware({ recorder: { record: () => new Promise(() => {}) }, timeoutMs: 20, onError: (error) => errors.push(error) });
    await stuck.after!(context(), outcome);
    expect(errors[0]).toBeInstanceOf(StoreTimeoutError);
  });

  it("charges nothing for the requests it refused (their error documents), and records the others", async () => {
    const recorded: [RequestContext, number][] = [];
    const middleware = createMeteringMiddleware({
      checker: { check: async (request) => (request.sourceIp === "192.0.2.9" ? { code: "SlowDown", retryAfterSecs: 1, message: "slow" } : undefined) },
      // (A refused request is still recorded, with no bytes: what its check reserved is given back.)
      recorder: { record: async (request, outcome) => void recorded.push([request, outcome.bytesSent]) },
    });
    const outcome: RequestOutcome = { status: 503, bytesSent: 197, durationMs: 1, served: "response" };
    const over = { ...context(), sourceIp: "192.0.2.9", admitted: true as const };
    await refusalOf(middleware.before!(over));
    await middleware.after!(over, outcome);
    const allowed = { ...context(), admitted: true as const };
    await middleware.before!(allowed);
    await middleware.after!(allowed, { ...outcome, status: 200 });
    expect(recorded).toEqual([[over, 0], [allowed, 197]]);
  });

  it("gives back what a refused request's check reserved when the store failed after applying it (on_store_error refuse)", async () => {
    const { store, totals } = stalledOnce();
    const limiter = createLimiter({ quotas: [{ scope: "bucket", bytes: 10_000, window_secs: 60, direction: "ingress" }], store });
    const middleware = createMeteringMiddleware({ checker: limiter, recorder: limiter, onStoreError: "refuse", onError: () => {} });
    const upload = { ...context({ "content-length": "4000" }), admitted: true as const };
    expect((await refusalOf(middleware.before!(upload))).code).toBe("SlowDown");
    await middleware.after!(upload, { status: 503, bytesSent: 200, bytesReceived: 0, durationMs: 1, served: "response" });
    expect(await totals()).toEqual([0]);
  });

  it("checks its options", () => {
    expect(() => createMeteringMiddleware({ timeoutMs: 0 })).toThrow("timeoutMs");
    expect(() => createMeteringMiddleware({ onStoreError: "maybe" as never })).toThrow("onStoreError");
  });
});
