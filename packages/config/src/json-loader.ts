/** The JSON loader. It does not import the TOML parser, so bundles that only read JSON (the Worker) leave it out. */
import { parseConfig, type ParseConfigOptions } from "./parse-config.js";
import { errorText, syntaxError, type SyntaxProblem } from "./syntax-error.js";
import type { MultistoreConfig } from "./types.js";

/**
 * Parses a JSON configuration document and validates it like `parseConfig`.
 *
 * @param text the document
 * @param options `source` names the document in errors (default `"JSON configuration"`)
 * @throws ConfigError on a syntax error (with line and column) or an invalid configuration
 */
export function parseJsonConfig(document: string, options: ParseConfigOptions = {}): MultistoreConfig {
  const source = options.source ?? "JSON configuration";
  // A byte order mark, as editors on Windows save UTF-8 (the TOML loader takes it too), is no JSON.
  const text = document.charCodeAt(0) === 0xfeff ? document.slice(1) : document;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw syntaxError(source, text, describeJsonError(error, text));
  }
  return parseConfig(value, { ...options, source });
}

function describeJsonError(error: unknown, text: string): SyntaxProblem {
  const message = errorText(error);
  const position = /at position (\d+)/.exec(message)?.[1];
  const offset = position === undefined ? locateJsonError(text) : Number(position);
  // V8 appends an excerpt of the document (`..., "{"secret": x..." is not valid JSON`); keep only the reason.
  const reason = message
    .replace(/,\s*(?:\.\.\.)?".*$/s, "")
    .replace(/\s*in JSON at position \d+.*$/s, "")
    .replace(/^Unexpected end of JSON input$/, "unexpected end of input");
  return { reason: reason === "" ? "invalid JSON" : reason, offset };
}

/**
 * Offset of the first character that cannot continue a JSON document, for the V8 errors that name no position
 * ("Unexpected token"). Valid prefixes are prefix-closed, so a binary search over prefix lengths finds it.
 */
function locateJsonError(text: string): number {
  const viable = (length: number): boolean => {
    try {
      JSON.parse(text.slice(0, length));
      return true;
    } catch (error) {
      const message = errorText(error);
      const position = /at position (\d+)/.exec(message)?.[1];
      return message.includes("end of JSON input") || (position !== undefined && Number(position) >= length);
    }
  };
  let low = 0;
  let high = text.length;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (viable(middle)) low = middle;
    else high = middle - 1;
  }
  return low;
}
