/**
 * One request's state inside the gateway, and the results it ends in. A request used to carry half a dozen closures
 * and spread-built result objects; on the hot path (thousands of small GETs a second) each allocation shows, so the
 * state is one object and each result one instance whose methods live on a prototype.
 */
import { runAfter, type Middleware, type RequestContext, type RequestOutcome } from "./middleware.js";
import { loggedErrorCode } from "./request-line.js";
import { contextErrorResponse } from "./responses.js";
import { HeaderMap } from "./header-map.js";
import type { KeepAliveBody } from "./keep-alive.js";
import type { PlainResponse } from "./types.js";

/** What an exchange needs from its gateway. */
export interface ExchangeOptions {
  /** Middleware around dispatch (`after` hooks run in `finish`). */
  middleware: readonly Middleware[];
  /** Whether responses carry Server-Timing. */
  serverTiming: boolean;
  /** The gateway's clock (ms). */
  now: () => number;
  /** Errors worth logging that reach no response. */
  onError: ((error: unknown, context: RequestContext) => void) | undefined;
}

const RESOLVED = Promise.resolve();

/**
 * Milliseconds with one decimal, rounded to the nearest tenth (cheaper than `toFixed(1)`, which can round an exact
 * half of the binary value the other way: 0.15 is "0.2" here, "0.1" there).
 */
export function tenths(milliseconds: number): string {
  const rounded = Math.round(milliseconds * 10);
  return `${Math.trunc(rounded / 10)}.${rounded % 10}`;
}

/** One request as the gateway works on it. */
export class Exchange {
  /** Resource for error documents, once the request is parsed. */
  resource: string | undefined;
  /** CORS headers every response of this request carries. */
  cors: Headers | undefined;
  /** Milliseconds spent before dispatch, once dispatched. */
  dispatchMs: number | undefined;

  constructor(
    readonly options: ExchangeOptions,
    readonly method: string,
    readonly target: string,
    readonly context: RequestContext,
    readonly started: number,
  ) {}

  /** Adds the request id, CORS headers and (when enabled) Server-Timing to a response's headers. */
  stamp(headers: Headers, backendMs?: number): void {
    // Responses built by core carry a HeaderMap: its record takes the (lowercase) names directly.
    const record = headers instanceof HeaderMap ? headers.record : undefined;
    if (record !== undefined) record["x-amz-request-id"] = this.context.requestId;
    else headers.set("x-amz-request-id", this.context.requestId);
    this.cors?.forEach((value, name) => headers.set(name, value));
    const extra = this.context.responseHeaders;
    if (extra !== undefined) {
      // A plain record set by a middleware is taken too, rather than failing the response.
      if (typeof extra.forEach === "function") extra.forEach((value, name) => headers.set(name, value));
      else for (const [name, value] of Object.entries(extra as unknown as Record<string, string>)) headers.set(name, value);
    }
    if (!this.options.serverTiming) return;
    const total = tenths(performance.now() - this.started);
    const dispatch = this.dispatchMs === undefined ? total : tenths(this.dispatchMs);
    const timing = `total;dur=${total}, dispatch;dur=${dispatch}${backendMs === undefined ? "" : `, backend;dur=${tenths(backendMs)}`}`;
    if (record !== undefined) record["server-timing"] = timing;
    else headers.set("server-timing", timing);
  }

  /** Renders an error as this request's S3 error response. */
  errorResponse(error: unknown): PlainResponse<never> {
    const response = contextErrorResponse(error, this.method, this.resource ?? this.target.split("?")[0]!, this.context);
    this.stamp(response.headers);
    return response;
  }

  /** Reports the outcome to after-middleware. */
  finish(outcome: Omit<RequestOutcome, "durationMs" | "served">, served: RequestOutcome["served"]): Promise<void> {
    const { middleware, onError, now } = this.options;
    if (middleware.length === 0) return RESOLVED;
    const context = this.context;
    const reported: RequestOutcome = { ...outcome, served, durationMs: now() - context.startedAt };
    const errorCode = loggedErrorCode(context, outcome);
    if (errorCode !== undefined) reported.errorCode = errorCode;
    const copied = context.copySource?.bytesCopied;
    if (copied !== undefined) reported.bytesCopied = copied;
    return runAfter(middleware, context, reported).then((errors) => {
      for (const error of errors) onError?.(error, context);
    });
  }
}

/** What every result shares: the request's context, `finish` and `errorResponse`. */
export abstract class ExchangeResult {
  /** What the gateway learned about the request. */
  readonly context: RequestContext;

  constructor(protected readonly exchange: Exchange) {
    this.context = exchange.context;
  }

  /** Whether `finish` runs any after-middleware (when not, a runtime may skip it). */
  get afterHooks(): boolean {
    return this.exchange.options.middleware.length > 0;
  }

  /** How the request was served (each result's `type`). */
  abstract readonly type: "response" | "forward" | "native";

  /** Report the outcome once the response is complete (runs after-middleware). */
  finish(outcome: Omit<RequestOutcome, "durationMs" | "served">): Promise<void> {
    return this.exchange.finish(outcome, this.type);
  }

  /** Renders an error raised while executing (client abort, backend unreachable, bad chunk signature). */
  errorResponse(error: unknown): PlainResponse<never> {
    return this.exchange.errorResponse(error);
  }
}

/** A complete response. */
export class ResponseExchangeResult<B> extends ExchangeResult {
  /** Discriminant. */
  readonly type = "response" as const;

  constructor(
    exchange: Exchange,
    readonly response: PlainResponse<B | KeepAliveBody>,
    /** For an error response: the error it renders (for logs). */
    readonly error?: unknown,
  ) {
    super(exchange);
    exchange.stamp(response.headers);
    // An error document a route or middleware rendered itself (STS's, say) names its code for the request line too.
    if (response.status >= 400 && this.context.errorCode === undefined && typeof response.body === "string") {
      const code = documentErrorCode(response.body);
      if (code !== undefined) this.context.errorCode = code;
    }
  }
}

/** The `<Code>` of an S3 (or STS) error document. */
export function documentErrorCode(text: string): string | undefined {
  return /<Code>([^<]+)<\/Code>/.exec(text)?.[1];
}
