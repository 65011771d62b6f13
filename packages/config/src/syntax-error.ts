/**
 * The `ConfigError` of a document that does not parse, shared by the JSON and TOML loaders: it names the line and
 * column but never quotes the document, which may hold secrets.
 */
import { ConfigError } from "./config-error.js";

/** Where a parser stopped, and why. */
export interface SyntaxProblem {
  /** What the parser said, without any excerpt of the document (it may hold secrets). */
  reason: string;
  /** 1-based line, when known. */
  line?: number;
  /** 1-based column, when known. */
  column?: number;
  /** 0-based character offset, when only that is known. */
  offset?: number;
}

/**
 * The error reporting `problem` in the document `text`.
 *
 * @param source names the document in the message
 * @param text the document (only used to turn an offset into a line and column)
 * @param problem what the parser reported
 */
export function syntaxError(source: string, text: string, problem: SyntaxProblem): ConfigError {
  let { line, column } = problem;
  if (line === undefined && problem.offset !== undefined) ({ line, column } = lineAndColumn(text, problem.offset));
  const where = line === undefined ? "" : ` at line ${line}${column === undefined ? "" : `, column ${column}`}`;
  return new ConfigError([{ path: "", message: `${source}: syntax error${where}: ${problem.reason}` }], source);
}

/** The message of a thrown value. */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const lineStart = before.lastIndexOf("\n") + 1;
  return { line: before.split("\n").length, column: offset - lineStart + 1 };
}
