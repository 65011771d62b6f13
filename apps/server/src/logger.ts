/**
 * Structured JSON logs (pino) on one batched destination: the lines of one event-loop turn leave in one write.
 *
 * Two loggers share that destination. The general one redacts secrets by path as a second line of defence
 * (nothing should log them). Request lines go through a logger without redaction: pino's wildcard redaction costs
 * several times the rest of the line, and a request line cannot carry a secret by construction — it is built from
 * a fixed list of fields (`RequestLine`), none of which holds a header, a query string, a key or a credential.
 */
import { pino } from "pino";
import { BatchedDestination } from "./log-destination.js";
import type { Identity, RequestContext } from "@multistore/core";

/** The logger type used across the server. */
export type Logger = pino.Logger;

/** Log levels accepted by `--log-level`. */
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/** Fields every line carries besides pino's own. */
export interface LogBindings {
  /** The cluster worker (1..N) when the server runs several. */
  worker?: number;
  /** `primary` for the cluster's primary process. */
  role?: string;
}

let lastMillisecond = -1;
let lastTime = "";

/** pino's ISO timestamp, formatted once per millisecond (a busy server writes many lines in one). */
function isoTime(): string {
  const now = Date.now();
  if (now !== lastMillisecond) {
    lastMillisecond = now;
    lastTime = `,"time":"${new Date(now).toISOString()}"`;
  }
  return lastTime;
}

/** Standard output, written in batches of whole lines (see `BatchedDestination`). */
export function stdoutDestination(): pino.DestinationStream {
  return new BatchedDestination(1);
}

/** Creates the server's logger, writing JSON lines to `destination` (`stdoutDestination()` by default). */
export function createLogger(level: string, destination?: pino.DestinationStream, bindings: LogBindings = {}): Logger {
  return pino(
    {
      level,
      base: { service: "multistore", ...bindings },
      timestamp: isoTime,
      redact: {
        paths: ["*.secret_access_key", "*.*.secret_access_key", "*.authorization", "*.headers.authorization", "*.session_token"],
        censor: "[REDACTED]",
      },
    },
    destination ?? stdoutDestination(),
  );
}

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
  durationMs: number;
  errorCode?: string;
}

/** What the handler knows when a request ends. */
export interface RequestEnd {
  status: number;
  bytesSent: number;
  bytesReceived?: number;
  error?: unknown;
  errorCode?: string;
}

/** Writes one request's line. */
export type RequestLog = (context: RequestContext, end: RequestEnd) => void;

function principalOf(identity: Identity | undefined): string | undefined {
  if (!identity) return undefined;
  return identity.type === "credential" ? identity.principalName : "anonymous";
}

/**
 * The request-line writer of `logger`: same destination, level and bindings, no redaction (see the module's
 * comment), and pino's line format written directly (pino's generic serializer costs more than the rest of the
 * line). Failures (5xx) are logged at error level with their cause chain, through the redacting logger.
 */
export function requestLogger(logger: Logger): RequestLog {
  const stream = (logger as unknown as Record<symbol, pino.DestinationStream>)[pino.symbols.streamSym]!;
  const bindings = JSON.stringify(logger.bindings()).slice(1, -1);
  const info = logger.levels.values.info!;
  return (context, end) => {
    const line: RequestLine = {
      requestId: context.requestId,
      method: context.method,
      bucket: context.bucket,
      operation: context.operation,
      principal: principalOf(context.identity),
      status: end.status,
      bytes: end.bytesSent,
      durationMs: Math.round((Date.now() - context.startedAt) * 10) / 10,
    };
    if (end.bytesReceived !== undefined) line.bytesReceived = end.bytesReceived;
    if (end.errorCode !== undefined) line.errorCode = end.errorCode;
    // SlowDown is the server shedding load as designed (a bucket's queue, an address's cap): not a failure.
    if (end.status >= 500 && end.errorCode !== "SlowDown") logger.error({ ...line, err: describeError(end.error) }, "request failed");
    else if (logger.levelVal <= info) stream.write(formatRequestLine(line, bindings, info, end.status === CLIENT_CLOSED ? "client closed" : "request"));
  };
}

/** The status logged for a request whose client went away (or stalled and was cut) before its response was complete. */
export const CLIENT_CLOSED = 499;

/** One request line in pino's format: `{"level":30,"time":…,<bindings>,<fields>,"msg":"request"}`. */
export function formatRequestLine(line: RequestLine, bindings: string, level: number, message = "request"): string {
  // Every string field but the generated request id and the method (an HTTP token) may hold any text: escaped.
  let text = `{"level":${level}${isoTime()}${bindings === "" ? "" : `,${bindings}`},"requestId":"${line.requestId}","method":${JSON.stringify(line.method)}`;
  if (line.bucket !== undefined) text += `,"bucket":${JSON.stringify(line.bucket)}`;
  if (line.operation !== undefined) text += `,"operation":"${line.operation}"`;
  if (line.principal !== undefined) text += `,"principal":${JSON.stringify(line.principal)}`;
  text += `,"status":${line.status},"bytes":${line.bytes}`;
  if (line.bytesReceived !== undefined) text += `,"bytesReceived":${line.bytesReceived}`;
  text += `,"durationMs":${line.durationMs}`;
  if (line.errorCode !== undefined) text += `,"errorCode":${JSON.stringify(line.errorCode)}`;
  return `${text},"msg":"${message}"}\n`;
}

/** An error for the log: message and cause chain, never request data. */
export function describeError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  return { type: error.name, message: error.message, ...(error.cause !== undefined && { cause: describeError(error.cause) }) };
}
