/** Structured JSON logs (pino). Secrets are redacted by path as a second line of defence: nothing should log them. */
import { pino } from "pino";

/** The logger type used across the server. */
export type Logger = pino.Logger;

/** Log levels accepted by `--log-level`. */
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/** Creates the server's logger, writing JSON lines to `destination` (stdout by default). */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: "multistore" },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: ["*.secret_access_key", "*.*.secret_access_key", "*.authorization", "*.headers.authorization", "*.session_token"],
        censor: "[REDACTED]",
      },
    },
    destination,
  );
}
