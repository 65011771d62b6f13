/**
 * Validates a value against the configuration schema and returns a normalized copy (defaults applied). It
 * interprets the subset of JSON Schema the config schema uses, so each failure gets a message that names the path
 * and the fix, which generic validators cannot phrase. `allOf`/`if`/`then` are editor refinements and are skipped
 * here: their rules are enforced by `checkBackendOptions`. It walks the plain snapshot of the schema in
 * `validation-schema.ts` rather than the TypeBox objects, so a bundle that only validates (the Worker) does not
 * carry TypeBox.
 */
import type { ConfigIssue } from "./config-error.js";
import { isDateTime } from "./date-time.js";
import { joinPath } from "./paths.js";
import { closestName } from "./closest-name.js";

/** The parts of a JSON Schema node this validator understands, and the hint that words its failures. */
export interface SchemaNode {
  type?: string;
  anyOf?: SchemaNode[];
  enum?: unknown[];
  properties?: Record<string, SchemaNode>;
  patternProperties?: Record<string, SchemaNode>;
  required?: string[];
  additionalProperties?: boolean | SchemaNode;
  items?: SchemaNode;
  minItems?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  default?: unknown;
  /** The noun phrase describing valid values (e.g. `"an action"`): "X is not <hint>". Only hinted values are echoed. */
  hint?: string;
}

/**
 * Marks a value that failed validation. Objects leave such fields out and arrays keep an `undefined` in their place
 * (so later checks still report the right index); neither fails as a whole, so cross-field checks see what is valid.
 */
const INVALID: unique symbol = Symbol("invalid");

/**
 * Checks `value` against `schema`, appending problems to `issues`.
 *
 * @returns the normalized value; invalid parts are left out (`undefined` in lists), so the result only matches
 *   the schema's type when no issue was added
 */
export function checkSchema(schema: SchemaNode, value: unknown, path: string, issues: ConfigIssue[]): unknown {
  const result = check(schema, value, path, issues);
  return result === INVALID ? undefined : result;
}

function check(schema: SchemaNode, value: unknown, path: string, issues: ConfigIssue[]): unknown {
  const fail = (message: string): typeof INVALID => {
    issues.push({ path, message: path === "" ? `the configuration${message}` : `${path}${message}` });
    return INVALID;
  };
  const typeError = (): typeof INVALID => fail(` must be ${describe(schema)} (got ${typeName(value)})`);

  if (schema.enum !== undefined) {
    if (schema.enum.includes(value)) return value;
    const expected = schema.enum.map(String).join(", ");
    return fail(
      `: ${JSON.stringify(value)} is not ${schema.hint ?? "an allowed value"} (expected one of: ${expected})`
    );
  }
  if (schema.anyOf !== undefined) {
    // Follow the branch of the value's own type, so a list of numbers is reported per element.
    const branch = schema.anyOf.find((candidate) => hasType(candidate, value));
    return branch === undefined ? typeError() : check(branch, value, path, issues);
  }

  switch (schema.type) {
    case "string":
      return checkString(schema, value, fail, typeError);
    case "boolean":
      return typeof value === "boolean" ? value : typeError();
    case "number":
    case "integer": {
      if (!hasType(schema, value)) return typeError();
      const number = value as number;
      if (
        (schema.minimum !== undefined && number < schema.minimum) ||
        (schema.maximum !== undefined && number > schema.maximum)
      ) {
        const bounds =
          schema.maximum === undefined
            ? `at least ${schema.minimum}`
            : schema.minimum === undefined
              ? `at most ${schema.maximum}`
              : `between ${schema.minimum} and ${schema.maximum}`;
        return fail(` must be ${bounds} (got ${number})`);
      }
      return number;
    }
    case "array":
      return checkArray(schema, value, path, issues, fail, typeError);
    case "object":
      return checkObject(schema, value, path, issues, typeError);
    default:
      return value;
  }
}

function checkString(
  schema: SchemaNode,
  value: unknown,
  fail: (message: string) => typeof INVALID,
  typeError: () => typeof INVALID
): unknown {
  let text = value;
  // TOML has native date-times (`created_at = 2024-01-15T00:00:00Z`); the format stores them as ISO strings.
  if (value instanceof Date && schema.format === "date-time" && !Number.isNaN(value.getTime())) {
    text = value.toISOString();
  }
  if (typeof text !== "string") return typeError();
  const hint = schema.hint;
  if (text === "" && (schema.minLength ?? 0) > 0 && hint === undefined) return fail(" must not be empty");
  const valid =
    text.length >= (schema.minLength ?? 0) &&
    text.length <= (schema.maxLength ?? Infinity) &&
    (schema.pattern === undefined || new RegExp(schema.pattern, "u").test(text)) &&
    (schema.format === undefined || checkFormat(schema.format, text));
  if (valid) return text;
  // Without a hint the value is not echoed: it may be a secret.
  return fail(hint === undefined ? " is not valid" : `: ${JSON.stringify(text)} is not ${hint}`);
}

function checkFormat(format: string, text: string): boolean {
  // The schema uses no other format; the snapshot test fails if one is added without support here.
  return format === "date-time" && isDateTime(text);
}

function checkArray(
  schema: SchemaNode,
  value: unknown,
  path: string,
  issues: ConfigIssue[],
  fail: (message: string) => typeof INVALID,
  typeError: () => typeof INVALID
): unknown {
  if (!Array.isArray(value)) return typeError();
  if (value.length < (schema.minItems ?? 0)) {
    const choices = schema.items?.enum === undefined ? "" : ` (list at least one of: ${schema.items.enum.join(", ")})`;
    return fail(` must not be empty${choices}`);
  }
  const items = schema.items ?? {};
  return value.map((item, index) => {
    const checked = check(items, item, joinPath(path, index), issues);
    return checked === INVALID ? undefined : checked;
  });
}

function checkObject(
  schema: SchemaNode,
  value: unknown,
  path: string,
  issues: ConfigIssue[],
  typeError: () => typeof INVALID
): unknown {
  if (!isPlainObject(value)) return typeError();
  const properties = schema.properties ?? {};
  const patterns = Object.entries(schema.patternProperties ?? {});
  const result: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const childPath = joinPath(path, key);
    const child = Object.hasOwn(properties, key)
      ? properties[key]
      : patterns.find(([pattern]) => new RegExp(pattern, "u").test(key))?.[1];
    if (child === undefined) {
      if (schema.additionalProperties === false) {
        const closest = closestName(key, Object.keys(properties));
        issues.push({ path: childPath, message: `${childPath} is not a known field${closest === undefined ? "" : ` (did you mean ${closest}?)`}` });
      } else result[key] = item;
      continue;
    }
    // `undefined` (from JS callers) means unset; JSON writers emit `null` for unset optional fields, but `null` for a
    // required one is reported as a type error.
    if (item === undefined || (item === null && !(schema.required ?? []).includes(key))) continue;
    const checked = check(child, item, childPath, issues);
    if (checked !== INVALID) defineValue(result, key, checked);
  }
  for (const key of schema.required ?? []) {
    if (value[key] !== undefined) continue;
    const childPath = joinPath(path, key);
    const fix = properties[key]?.type === "boolean" ? ": set it to true or false" : "";
    issues.push({ path: childPath, message: `${childPath} is required${fix}` });
  }
  for (const [key, child] of Object.entries(properties)) {
    if (!Object.hasOwn(result, key) && child.default !== undefined && (value[key] ?? null) === null) {
      defineValue(result, key, structuredClone(child.default));
    }
  }
  return result;
}

// Plain assignment would hit the `__proto__` setter for a key of that name and silently drop it.
function defineValue(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function hasType(schema: SchemaNode, value: unknown): boolean {
  switch (schema.type) {
    case "string":
      return typeof value === "string" || (value instanceof Date && schema.format === "date-time");
    case "boolean":
      return typeof value === "boolean";
    case "number":
      return typeof value === "number" && Number.isFinite(value);
    case "integer":
      return typeof value === "number" && Number.isInteger(value);
    case "array":
      return Array.isArray(value);
    case "object":
      return isPlainObject(value);
    default:
      return true;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  // TOML parsers return null-prototype tables.
  return prototype === Object.prototype || prototype === null;
}

/** Words for what a schema expects, e.g. "a string or a list of strings". */
function describe(schema: SchemaNode, inList = false): string {
  if (schema.anyOf !== undefined) {
    const words = [...new Set(schema.anyOf.map((branch) => describe(branch, true)))];
    return words.length > 1 ? `${words.slice(0, -1).join(", ")} or ${words.at(-1)}` : words[0] ?? "a value";
  }
  switch (schema.type) {
    case "string":
      return "a string";
    case "boolean":
      return inList ? "a boolean" : "true or false";
    case "integer":
      return "an integer";
    case "number":
      return "a number";
    case "array":
      return schema.items?.type === "string" ? "a list of strings" : "a list";
    case "object":
      return "a table (object)";
    default:
      return "a value";
  }
}

/** The type of a value in the vocabulary of TOML and JSON users. */
function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (value instanceof Date) return "a date";
  if (typeof value === "object") return "a table";
  // (TOML's inf and nan, or a JSON number like 1e309 that parses to Infinity: no number a field can take.)
  if (typeof value === "number" && !Number.isFinite(value)) return "a number out of range";
  if (typeof value === "number" && !Number.isInteger(value)) return "a decimal number";
  if (typeof value === "number") return "an integer";
  if (typeof value === "boolean") return "a boolean";
  return `a ${typeof value}`;
}
