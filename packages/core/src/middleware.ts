/** Middleware around dispatch: `before` may reject (quotas, rate limits), `after` observes the outcome. */
import type { Identity, S3Operation } from "./types.js";

/** What middleware knows about a request. */
export interface RequestContext {
  /** Request id (also in `x-amz-request-id`). */
  requestId: string;
  /** HTTP method. */
  method: string;
  /** Resolved operation, once parsed. */
  operation?: S3Operation;
  /** Bucket, when the request names one. */
  bucket?: string;
  /** Key, for object operations. */
  key?: string;
  /** Caller, once authenticated. */
  identity?: Identity;
  /** The client's IP address, when the runtime knows it (see `GatewayRequest.clientAddress`). */
  sourceIp?: string;
  /** When the gateway started on it (ms since epoch). */
  startedAt: number;
}

/** What happened, reported once the response is finished. */
export interface RequestOutcome {
  /** Status sent to the client. */
  status: number;
  /** Response body bytes sent. */
  bytesSent: number;
  /** Request body bytes read from the client, aws-chunked framing included (set by both runtimes; absent without a body). */
  bytesReceived?: number;
  /** Total duration in ms. */
  durationMs: number;
  /**
   * How it was served: `forward` (a backend request the runtime sent), `native` (a backend operation in process) or
   * `response` (answered by the gateway itself: an error, a listing, a route).
   */
  served: "forward" | "native" | "response";
  /** The S3 error code, for error responses. */
  errorCode?: string;
  /** The error behind a failure (for logs; never shown to clients). */
  error?: unknown;
}

/** A middleware. Both hooks are optional. */
export interface Middleware {
  /** Name for logs. */
  name: string;
  /** Runs after authentication and authorization, before dispatch. Throw an `S3Error` to reject. */
  before?(context: RequestContext): void | Promise<void>;
  /** Runs once the response is complete. Errors thrown here are logged, never sent. */
  after?(context: RequestContext, outcome: RequestOutcome): void | Promise<void>;
}

/** Runs every `before` hook in order. */
export async function runBefore(middlewares: readonly Middleware[], context: RequestContext): Promise<void> {
  if (middlewares.length === 0) return;
  for (const middleware of middlewares) await middleware.before?.(context);
}

/** Runs every `after` hook, collecting (not throwing) their errors. */
export async function runAfter(
  middlewares: readonly Middleware[],
  context: RequestContext,
  outcome: RequestOutcome,
): Promise<unknown[]> {
  const errors: unknown[] = [];
  for (const middleware of middlewares) {
    try {
      await middleware.after?.(context, outcome);
    } catch (error) {
      errors.push(error);
    }
  }
  return errors;
}
