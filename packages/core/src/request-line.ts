/**
 * What a request's log line says, the same on every runtime: built from a fixed list of fields, none of which holds
 * a header, a query string, a key or a credential, so a line cannot carry a secret by construction.
 */
import type { RequestContext } from "./middleware.js";

/** The fields of a request line: the only ones it can have. */
export interface RequestLine {
  requestId: string;
  method: string;
  bucket: string | undefined;
  operation: string | undefined;
  principal: string | undefined;
  status: number;
  bytes: number;
  /** Request body bytes read from the client (requests with a body). */
  bytesReceived?: number;
  /** Bytes a copy between stores streamed through the gateway (see `RequestOutcome.bytesCopied`). */
  bytesCopied?: number;
  durationMs: number;
  errorCode?: string;
}

/** What a runtime knows when a request ends. */
export interface RequestEnd {
  status: number;
  bytesSent: number;
  bytesReceived?: number;
  error?: unknown;
  errorCode?: string;
  /**
   * The status of an error answered inside a 200 (a long copy or multipart completion that failed after its answer
   * started, see `KeepAliveBody`): what tells a failure from a refusal in the log.
   */
  errorStatus?: number;
}

/**
 * Whether a request's end is a failure of the gateway's or its backend's (5xx but 501, SlowDown and a client gone);
 * with the request's `context`, its code is the one the line logs (see `loggedErrorCode`).
 */
export function isFailure(end: RequestEnd, context?: Pick<RequestContext, "errorCode">): boolean {
  const status = end.errorStatus ?? end.status;
  const code = context === undefined ? end.errorCode : loggedErrorCode(context, end);
  return status >= 500 && status !== 501 && code !== "SlowDown";
}

/** The status logged for a request whose client went away (or stalled and was cut) before its response was complete. */
export const CLIENT_CLOSED = 499;

/** The line of a request that ended with `end` (duration to a tenth of a millisecond, until now). */
export function requestLineOf(context: RequestContext, end: RequestEnd): RequestLine {
  const identity = context.identity;
  const line: RequestLine = {
    requestId: context.requestId,
    method: context.method,
    bucket: context.bucket,
    operation: context.operation,
    principal: identity === undefined ? undefined : identity.type === "credential" ? identity.principalName : "anonymous",
    status: end.status,
    bytes: end.bytesSent,
    durationMs: Math.round((Date.now() - context.startedAt) * 10) / 10,
  };
  if (end.bytesReceived !== undefined) line.bytesReceived = end.bytesReceived;
  const copied = context.copySource?.bytesCopied;
  if (copied !== undefined) line.bytesCopied = copied;
  const errorCode = loggedErrorCode(context, end);
  if (errorCode !== undefined) line.errorCode = errorCode;
  return line;
}

/**
 * The error code a request ended with: the runtime's (an error inside a 200, a backend that failed mid-body), else
 * the code of the error response the gateway rendered, when that is what the client got (not a client that left).
 */
export function loggedErrorCode(context: Pick<RequestContext, "errorCode">, end: Pick<RequestEnd, "status" | "errorCode">): string | undefined {
  if (end.errorCode !== undefined) return end.errorCode;
  return end.status >= 400 && end.status !== CLIENT_CLOSED ? context.errorCode : undefined;
}
