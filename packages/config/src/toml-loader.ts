/**
 * The TOML loader, the only module that imports the TOML parser: a bundle that never calls `parseTomlConfig` (the
 * Worker reads JSON or a structured binding) leaves the parser out, since the package has no side effects.
 */
import { parse as parseToml } from "toml";
import { parseJsonConfig } from "./json-loader.js";
import { parseConfig, type ParseConfigOptions } from "./parse-config.js";
import { errorText, syntaxError, type SyntaxProblem } from "./syntax-error.js";
import type { MultistoreConfig } from "./types.js";

/**
 * Parses a TOML configuration document (the original multistore format) and validates it like `parseConfig`. A
 * Workers config (wrangler file) with the proxy config in `[vars.PROXY_CONFIG]` and none at the top level is read
 * for that table.
 *
 * @param text the document
 * @param options `source` names the document in errors (default `"TOML configuration"`)
 * @throws ConfigError on a syntax error (with line and column) or an invalid configuration
 */
export function parseTomlConfig(text: string, options: ParseConfigOptions = {}): MultistoreConfig {
  const source = options.source ?? "TOML configuration";
  let value: unknown;
  try {
    value = withDateStrings(parseToml(text));
  } catch (error) {
    throw syntaxError(source, text, describeTomlError(error));
  }
  const embedded = proxyConfigOfWrangler(value);
  if (embedded !== undefined) {
    const where = `${source} [vars.PROXY_CONFIG]`;
    return typeof embedded === "string" ? parseJsonConfig(embedded, { ...options, source: where }) : parseConfig(embedded, { ...options, source: where });
  }
  return parseConfig(value, { ...options, source });
}

const CONFIG_FIELDS = ["buckets", "roles", "credentials", "owner_id", "owner_display_name", "cors_rules"];

/**
 * The proxy config inside a Workers config (a wrangler file whose `[vars.PROXY_CONFIG]` holds it, as the original
 * multistore's Workers examples do), so the server can be pointed at that file too; undefined for a plain config.
 */
function proxyConfigOfWrangler(document: unknown): unknown {
  if (typeof document !== "object" || document === null) return undefined;
  const record = document as Record<string, unknown>;
  if (CONFIG_FIELDS.some((field) => field in record)) return undefined;
  const vars = record.vars;
  if (typeof vars !== "object" || vars === null) return undefined;
  const embedded = (vars as Record<string, unknown>).PROXY_CONFIG;
  return typeof embedded === "string" || (typeof embedded === "object" && embedded !== null) ? embedded : undefined;
}

/** TOML date-times (`created_at = 2024-01-15T00:00:00Z`, unquoted) become the ISO strings the schema takes. */
function withDateStrings(value: unknown): unknown {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? String(value) : value.toISOString();
  if (Array.isArray(value)) return value.map(withDateStrings);
  if (typeof value === "object" && value !== null) {
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) record[key] = withDateStrings(record[key]);
  }
  return value;
}

function describeTomlError(error: unknown): SyntaxProblem {
  const details = (typeof error === "object" && error !== null ? error : {}) as {
    line?: unknown;
    column?: unknown;
    found?: unknown;
    expected?: unknown;
    location?: { start?: { line?: unknown; column?: unknown } };
  };
  // toml 5 reports a location range; older parsers put line and column on the error itself.
  const start = details.location?.start ?? details;
  const line = typeof start.line === "number" ? start.line : undefined;
  const column = typeof start.column === "number" ? start.column : undefined;
  // The parser's own message quotes one character at most, but build ours anyway so it never quotes a value.
  const found = typeof details.found === "string" ? JSON.stringify(details.found) : "end of input";
  const reason = typeof details.found === "string" || details.found === null ? `unexpected ${found}` : errorText(error);
  return { reason, line, column };
}
