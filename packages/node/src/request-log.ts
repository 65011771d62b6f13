/**
 * Request lines: one JSON line per request in pino's format (`{"level":30,"time":…,"msg":"request"}`), written
 * directly. Nothing secret can be in one by construction: a line is built from a fixed list of fields (`RequestLine`),
 * none of which holds a header, a query string, a key or a credential.
 */
import type { RequestContext } from "@multistore/core";
import { CLIENT_CLOSED, isFailure, requestLineOf, type RequestEnd, type RequestLine } from "@multistore/core/runtime";

export { CLIENT_CLOSED, type RequestEnd, type RequestLine };

let lastMillisecond = -1;
let lastTime = "";

/** pino's ISO timestamp, formatted once per millisecond (a busy server writes many lines in one). */
export function isoTime(): string {
  const now = Date.now();
  if (now !== lastMillisecond) {
    lastMillisecond = now;
    lastTime = `,"time":"${new Date(now).toISOString()}"`;
  }
  return lastTime;
}

/** Writes one request's line. */
export type RequestLog = (context: RequestContext, end: RequestEnd) => void;

/** Options of `requestLineWriter`. */
export interface RequestLineOptions {
  /** Fields every line carries, as JSON members without braces (e.g. `"service":"multistore","worker":2`). */
  bindings?: string;
  /** pino's level number for request lines (default 30, info). */
  level?: number;
  /** Failures (5xx other than SlowDown) go here instead, with their error (default: written at level 50). */
  onFailure?: (line: RequestLine, error: unknown) => void;
}

/** A `RequestLog` writing each request's line with `write` (e.g. `(text) => process.stdout.write(text)`). */
export function requestLineWriter(write: (text: string) => void, options: RequestLineOptions = {}): RequestLog {
  const bindings = options.bindings ?? "";
  const level = options.level ?? 30;
  return (context, end) => {
    const line = requestLineOf(context, end);
    // SlowDown is the server shedding load as designed (a bucket's queue, an address's cap), and 501 the answer to
    // what it does not serve: not failures.
    const failed = isFailure(end, context);
    if (failed && options.onFailure) options.onFailure(line, end.error);
    else write(formatRequestLine(line, bindings, failed ? 50 : level, end.status === CLIENT_CLOSED ? "client closed" : failed ? "request failed" : "request"));
  };
}

/**
 * A JSON string for a value that repeats from line to line (a method, a bucket, a principal): escaped once per
 * change rather than once per line.
 */
class RepeatedString {
  private raw: string | undefined;
  private json = "";

  of(value: string): string {
    if (value !== this.raw) {
      this.json = JSON.stringify(value);
      this.raw = value;
    }
    return this.json;
  }
}

const methods = new RepeatedString();
const buckets = new RepeatedString();
const principals = new RepeatedString();

let prefixMillisecond = -1;
let prefixLevel = -1;
let prefixBindings = "";
let prefix = "";

/** `{"level":…,"time":…,<bindings>,"requestId":"`: the same for every line of one millisecond (and level). */
function linePrefix(level: number, bindings: string): string {
  const now = Date.now();
  if (now !== prefixMillisecond || level !== prefixLevel || bindings !== prefixBindings) {
    prefix = `{"level":${level},"time":"${new Date(now).toISOString()}"${bindings === "" ? "" : `,${bindings}`},"requestId":"`;
    prefixMillisecond = now;
    prefixLevel = level;
    prefixBindings = bindings;
  }
  return prefix;
}

/** One request line in pino's format: `{"level":30,"time":…,<bindings>,<fields>,"msg":"request"}`. */
export function formatRequestLine(line: RequestLine, bindings: string, level: number, message = "request"): string {
  // Every string field but the generated request id and the operation (a fixed name) may hold any text: escaped.
  let text = `${linePrefix(level, bindings)}${line.requestId}","method":${methods.of(line.method)}`;
  if (line.bucket !== undefined) text += `,"bucket":${buckets.of(line.bucket)}`;
  if (line.operation !== undefined) text += `,"operation":"${line.operation}"`;
  if (line.principal !== undefined) text += `,"principal":${principals.of(line.principal)}`;
  text += `,"status":${line.status},"bytes":${line.bytes}`;
  if (line.bytesReceived !== undefined) text += `,"bytesReceived":${line.bytesReceived}`;
  if (line.bytesCopied !== undefined) text += `,"bytesCopied":${line.bytesCopied}`;
  text += `,"durationMs":${line.durationMs}`;
  if (line.errorCode !== undefined) text += `,"errorCode":${JSON.stringify(line.errorCode)}`;
  return `${text},"msg":"${message}"}\n`;
}

/** An error for the log: type, message, stack and cause chain, never request data. */
export function describeError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  return {
    type: error.name,
    message: error.message,
    // Where it was thrown: code locations and the message, never an error's other properties (a request's headers).
    ...(error.stack !== undefined && { stack: error.stack }),
    ...(error.cause !== undefined && { cause: describeError(error.cause) }),
  };
}
