/**
 * Structured JSON logs (pino) on one batched destination: lines leave in batches (see log-destination.ts).
 *
 * Two loggers share that destination. The general one redacts secrets by path as a second line of defence
 * (nothing should log them). Request lines go through a logger without redaction: pino's wildcard redaction costs
 * several times the rest of the line, and a request line cannot carry a secret by construction — it is built from
 * a fixed list of fields (`RequestLine`), none of which holds a header, a query string, a key or a credential.
 */
import { pino } from "pino";
import { BatchedDestination, batchSizeFor } from "./log-destination.js";
import { describeError, isoTime, requestLineWriter, type RequestLog } from "@multistore/node";
import { isFailure } from "@multistore/core/runtime";

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

/**
 * Standard output, written in batches of whole lines (see `BatchedDestination`): at most PIPE_BUF per write when
 * it is a pipe `shared` with other processes (a cluster's), larger batches otherwise.
 */
export function stdoutDestination(shared = false): pino.DestinationStream {
  return new BatchedDestination(1, batchSizeFor(1, shared));
}

/** Creates the server's logger, writing JSON lines to `destination` (`stdoutDestination()` by default). */
export function createLogger(level: string, destination?: pino.DestinationStream, bindings: LogBindings = {}): Logger {
  return pino(
    {
      level,
      base: { service: "multistore", ...bindings },
      timestamp: isoTime,
      // `err` is always `describeError`'s already (type, message, stack, cause): pino's own serializer would take it
      // for an error and rebuild it, naming its type "Object" and emptying its stack.
      serializers: { err: (value: unknown) => value },
      redact: {
        paths: ["*.secret_access_key", "*.*.secret_access_key", "*.authorization", "*.headers.authorization", "*.session_token"],
        censor: "[REDACTED]",
      },
    },
    // A logger bound to a cluster role (a worker's slot, the primary) shares stdout with the cluster's other processes.
    destination ?? stdoutDestination(bindings.worker !== undefined || bindings.role !== undefined),
  );
}

/**
 * The request-line writer of `logger`: same destination, level and bindings, no redaction (see the module's
 * comment), and pino's line format written directly (pino's generic serializer costs more than the rest of the
 * line). Failures (5xx) are logged at error level with their cause chain, through the redacting logger.
 */
export function requestLogger(logger: Logger): RequestLog {
  const stream = (logger as unknown as Record<symbol, pino.DestinationStream>)[pino.symbols.streamSym]!;
  const info = logger.levels.values.info!;
  // Request lines may wait a few milliseconds for the ones after them (see BatchedDestination); other lines do not.
  const writeLine = stream instanceof BatchedDestination ? (text: string) => stream.writeBatched(text) : (text: string) => void stream.write(text);
  const write = requestLineWriter(writeLine, {
    bindings: JSON.stringify(logger.bindings()).slice(1, -1),
    level: info,
    onFailure: (line, error) => logger.error({ ...line, err: describeError(error) }, "request failed"),
  });
  return (context, end) => {
    if (logger.levelVal <= info || isFailure(end, context)) write(context, end);
  };
}

export { CLIENT_CLOSED, describeError, formatRequestLine, type RequestEnd, type RequestLine, type RequestLog } from "@multistore/node";
