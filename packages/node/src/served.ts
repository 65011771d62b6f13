/**
 * The end of a served request: its error document when it failed before answering, then its outcome reported to
 * after-middleware and written as its request line, with the client's departure and stalls told apart from failures.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Readable } from "node:stream";
import { S3Error, type GatewayResult, type ResultBase } from "@multistore/core";
import { documentErrorCode, isKeepAliveBody } from "@multistore/core/runtime";
import { writeResponse } from "./node-http.js";
import { CLIENT_CLOSED, type RequestLog } from "./request-log.js";
import type { Stall } from "./watchdog.js";

/** What executing a result came to, for after-middleware and the log line. */
export interface Outcome {
  /** Status sent to the client. */
  status: number;
  /** Body bytes sent to the client. */
  bytesSent: number;
  /** Body bytes read from the client (requests with a body). */
  bytesReceived?: number;
  /** Why it failed, when it did (for the log; never shown to the client). */
  error?: unknown;
  /** The S3 error code answered, when one was. */
  errorCode?: string | undefined;
  /** The status of an error answered inside a 200 (a kept-alive answer whose work failed after it started). */
  errorStatus?: number;
  /** The backend failed mid-response (the client was cut): logged as the failure it is, not as the client leaving. */
  backendFailed?: true;
}

/** What an execution reports to, once: its outcome, or a failure to answer with an error document. */
export interface Done {
  /** The request was answered (or the client left): report it. */
  ended(outcome: Outcome): void;
  /** Nothing was answered yet: answer the error's document, then report it. */
  failed(error: unknown): void;
}

/** Answers with the error's document when the response has not started (else cuts it); resolves with the status. */
export async function writeError(result: ResultBase, response: ServerResponse, error: unknown): Promise<number> {
  if (response.headersSent || response.destroyed) {
    response.destroy();
    return response.statusCode;
  }
  const plain = result.errorResponse(error);
  await writeResponse(response, plain);
  return plain.status;
}

/**
 * How a served request ends, called once: after its after-middleware ran and its line was written (`failed` false),
 * or with the error when either failed or no error document could be written (`failed` true; the error may be any
 * value a caller threw, `undefined` included).
 */
export type Settle = (response: ServerResponse, failed: boolean, error?: unknown) => void;

/**
 * Whether the client went away: its response was destroyed, or its request before its body arrived. A request
 * whose body was read to its end is destroyed too, by then; and one without a body that node:http ended at once
 * (`optimizeEmptyRequests`) is destroyed before the listener runs and only marked complete after it: neither is a
 * client leaving.
 */
export function clientLeft(request: IncomingMessage, response: ServerResponse): boolean {
  return response.destroyed || (request.destroyed && !request.complete && !request.readableEnded);
}

/** The body bytes read from the client, when an outcome counted them. */
function received(outcome: Outcome): { bytesReceived?: number } {
  return outcome.bytesReceived === undefined ? {} : { bytesReceived: outcome.bytesReceived };
}

/**
 * One request being served. Its execution reports through `ended` or `failed` (callbacks, not promises: see
 * `executeForward`); `settle` hears once after-middleware ran and the line is written.
 */
export class Served implements Done {
  /** Leaves the anonymous count of the caller's address, when the request was counted in. */
  leave: (() => void) | undefined;
  private reported = false;

  constructor(
    private readonly result: GatewayResult<Readable>,
    private readonly request: IncomingMessage,
    private readonly response: ServerResponse,
    private readonly watch: { done(): void; stalled(): Stall | undefined },
    private readonly log: RequestLog,
    private readonly settle: Settle,
  ) {}

  /** Answers with the error's document (when the response has not started), then ends. Only the first report counts. */
  failed(error: unknown): void {
    if (this.reported) return;
    this.reported = true;
    writeError(this.result, this.response, error).then(
      (status) => this.end({ status, bytesSent: 0, error }),
      (failure: unknown) => {
        this.release();
        this.settle(this.response, true, failure);
      },
    );
  }

  /** Reports the outcome: after-middleware first, then the request line. Only the first report counts. */
  ended(executed: Outcome): void {
    if (this.reported) return;
    this.reported = true;
    this.end(executed);
  }

  /** Counts the request out of its address and stops watching it. */
  private release(): void {
    try {
      this.leave?.();
    } finally {
      this.watch.done();
    }
  }

  private end(executed: Outcome): void {
    const { result, request, response } = this;
    try {
      this.release();
      let outcome = executed;
      const body = result.type === "response" ? result.response.body : null;
      const late = isKeepAliveBody(body) ? body.lateFailure : undefined;
      if (late !== undefined) outcome = { ...outcome, errorCode: late.code, errorStatus: late.status, error: late.error };
      else if (result.type === "response" && result.response.status >= 400) {
        outcome.errorCode = documentErrorCode(typeof result.response.body === "string" ? result.response.body : "");
        // The error behind an error response (a backend's failure behind a listing's 503, say), for the log.
        if (result.error !== undefined) outcome.error = result.error;
      }
      const stall = this.watch.stalled();
      if (outcome.backendFailed && stall === undefined) {
        outcome = { ...received(outcome), status: 503, bytesSent: outcome.bytesSent, error: new S3Error("ServiceUnavailable", { message: "The storage backend failed mid-response.", cause: outcome.error }), errorCode: "ServiceUnavailable" };
      } else if (stall === "backend stopped reading") {
        outcome = { ...received(outcome), status: 503, bytesSent: outcome.bytesSent, error: new S3Error("ServiceUnavailable", { message: `The storage backend ${stall}.` }), errorCode: "ServiceUnavailable" };
      } else if (stall !== undefined || (!response.writableFinished && clientLeft(request, response))) {
        // The client left (or stalled and was cut): not a server failure, and logged as such.
        // What the client sent before it went is still charged and logged (a cut upload is no free one).
        outcome = { ...received(outcome), status: CLIENT_CLOSED, bytesSent: outcome.bytesSent, errorCode: stall === undefined ? undefined : "RequestTimeout" };
      }
      const final = outcome;
      if (result.afterHooks !== false) {
        result
          .finish(final)
          .then(() => this.log(result.context, final))
          .then(
            () => this.settle(response, false),
            (error: unknown) => this.settle(response, true, error),
          );
        return;
      }
      // Nothing to wait for: no promise turn between the response's end and its line.
      this.log(result.context, final);
    } catch (error) {
      // A log that throws is settled as a failure (the runtime reports it), as a failing after-middleware chain is.
      this.settle(response, true, error);
      return;
    }
    this.settle(response, false);
  }
}
