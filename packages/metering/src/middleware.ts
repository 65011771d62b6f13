/**
 * The metering middleware: checks a request against its limits once it is admitted (authenticated and authorized),
 * before any backend is asked, and records what it used once its response is complete. Every wait on the store is
 * bounded: a store that fails or is slow lets the request through (`allow`, the default) or refuses it with 503
 * SlowDown (`refuse`), as configured; it never holds a request longer than `timeoutMs`.
 */
import { S3Error, type Middleware, type RequestContext } from "@multistore/core";
import type { QuotaChecker, UsageRecorder } from "./types.js";
import { within } from "./within.js";

/** Options of `createMeteringMiddleware`. */
export interface MeteringMiddlewareOptions {
  /** Decides before dispatch. */
  checker?: QuotaChecker | undefined;
  /** Records after the response. */
  recorder?: UsageRecorder | undefined;
  /** Longest wait for the store per request, in ms (default 250). */
  timeoutMs?: number | undefined;
  /** When the store fails or times out: let the request through (default) or refuse it with 503 SlowDown. */
  onStoreError?: "allow" | "refuse" | undefined;
  /** Told about store failures (they never reach clients). Default: `console.warn`. */
  onError?: ((error: unknown, context: RequestContext) => void) | undefined;
}

/** A store that did not answer within the bound. */
export class StoreTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`the metering store did not answer within ${timeoutMs} ms`);
    this.name = "StoreTimeoutError";
  }
}

/** Operations whose body is object data: what an ingress quota admits or refuses before it arrives. */
const DATA_OPERATIONS = new Set(["PutObject", "UploadPart"]);

/**
 * The object data a request declares it will send: `content-length` (aws-chunked framing included, as bytes received
 * count it), or for a chunked upload without one its `x-amz-decoded-content-length`. 0 for other operations: their
 * bodies are small documents (CompleteMultipartUpload's, DeleteObjects'), charged once received but never a reason to
 * refuse them (a used-up quota must not keep an upload from being completed or aborted).
 */
function declaredBytes(context: RequestContext): number {
  if (context.operation === undefined || !DATA_OPERATIONS.has(context.operation)) return 0;
  const headers = context.headers;
  const length = Number(headers.get("content-length") ?? headers.get("x-amz-decoded-content-length") ?? 0);
  return Number.isSafeInteger(length) && length > 0 ? length : 0;
}

/** Creates the middleware. */
export function createMeteringMiddleware(options: MeteringMiddlewareOptions): Middleware {
  const timeoutMs = options.timeoutMs ?? 250;
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1) throw new Error("timeoutMs must be a positive integer");
  const refuseOnError = options.onStoreError === "refuse";
  if (options.onStoreError !== undefined && options.onStoreError !== "allow" && !refuseOnError) throw new Error('onStoreError must be "allow" or "refuse"');
  const onError = options.onError ?? ((error: unknown) => console.warn(`multistore metering: ${error instanceof Error ? error.message : String(error)}`));
  const { checker, recorder } = options;

  const middleware: Middleware = { name: "metering" };
  // Requests this middleware refused: their error documents are charged to no quota (else a stranger over a rate
  // limit could use up a bucket's egress quota with 503s).
  const refused = new WeakSet<RequestContext>();
  if (checker !== undefined || recorder !== undefined) {
    middleware.before = async (context) => {
      // Where a quota charges the bytes sent, a download cut short must not escape it (see `metersBytes`).
      if (recorder?.chargesBytesSent?.(context) === true) context.metersBytes = true;
      if (checker === undefined) return;
      let refusal;
      try {
        refusal = await within(checker.check(context, { bytesIn: declaredBytes(context) }), timeoutMs, () => new StoreTimeoutError(timeoutMs));
      } catch (error) {
        onError(error, context);
        if (!refuseOnError) return;
        refused.add(context);
        throw new S3Error("SlowDown", { cause: error, headers: { "retry-after": "1" } });
      }
      if (refusal === undefined) return;
      refused.add(context);
      throw new S3Error(refusal.code, { message: refusal.message, headers: { "retry-after": String(refusal.retryAfterSecs) } });
    };
  }
  if (recorder !== undefined) {
    middleware.after = async (context, outcome) => {
      // A request refused here is charged nothing, but what its check may have reserved is still given back (a store
      // that failed after applying the reservation, under on_store_error = "refuse").
      const charged = refused.has(context) ? { ...outcome, bytesSent: 0, bytesReceived: 0 } : outcome;
      try {
        await within(recorder.record(context, charged), timeoutMs, () => new StoreTimeoutError(timeoutMs));
      } catch (error) {
        onError(error, context);
      }
    };
  }
  return middleware;
}
