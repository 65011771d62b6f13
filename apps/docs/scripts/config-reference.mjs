#!/usr/bin/env node
/**
 * Build step (`node scripts/config-reference.mjs`, before `vitepress build`): writes the configuration reference page,
 * pages/reference/configuration.md, from the JSON Schema that @multistore/config builds
 * (`@multistore/config/schema.json`). Every field of every table gets a row with its type, whether it is required,
 * its default and its description, so the page cannot fall behind the schema that validates configs.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

/**
 * A JSON Schema node, as far as this page reads one.
 *
 * @typedef {{
 *   type?: string | string[], description?: string, default?: unknown, enum?: unknown[], const?: unknown,
 *   anyOf?: SchemaNode[], allOf?: SchemaNode[], items?: SchemaNode, properties?: Record<string, SchemaNode>,
 *   patternProperties?: Record<string, SchemaNode>, required?: string[], dependentRequired?: Record<string, string[]>,
 *   if?: SchemaNode, then?: SchemaNode, deprecated?: boolean, minimum?: number, maximum?: number,
 *   minLength?: number, maxLength?: number, minItems?: number, pattern?: string, format?: string
 * }} SchemaNode
 */

/** A table of the page: its heading, its anchor and its rows (Markdown, escaped when rendered). @typedef {{ title: string, id: string, intro?: string, rows: string[][] }} Table */

const ALIAS = /^Another name of (\S+): /;
const HEADER = ["field", "type", "required", "default", "description"];

/**
 * A cell of a Markdown table: one line, pipes escaped (tables split on them, even inside code spans).
 *
 * @param {string} markdown
 */
function cell(markdown) {
  return markdown.replace(/\s*\n\s*/g, " ").replace(/\|/g, "\\|");
}

/**
 * Plain text (a description) as Markdown that shows it as it is: no emphasis from its `*`, no HTML from its `<`.
 *
 * @param {string} text
 */
function plain(text) {
  return text.replace(/[\\`*_[\]<>]/g, "\\$&");
}

/** Text as code, as it is (a name, a pattern). @param {string} text */
function literal(text) {
  return `\`${text}\``;
}

/** A value as code, as JSON writes it (strings quoted, so that `"true"` and `true` differ). @param {unknown} value */
function json(value) {
  return `\`${JSON.stringify(value)}\``;
}

/**
 * The type of a node in words: `string`, `integer`, `"a" | "b"`, `string[]`, a link to a nested table.
 *
 * @param {SchemaNode} node
 * @param {string | undefined} link the anchor of the node's own table, when it has one
 * @returns {string}
 */
function typeOf(node, link) {
  if (node.const !== undefined) return json(node.const);
  if (node.enum) return node.enum.map(json).join(" | ");
  if (node.anyOf) return node.anyOf.map((each) => typeOf(each, undefined)).join(" or ");
  const types = Array.isArray(node.type) ? node.type : node.type ? [node.type] : [];
  return types
    .map((type) => {
      if (type === "array" && node.items) {
        if (link) return `array of [tables](#${link})`;
        const items = typeOf(node.items, undefined);
        return /\s/.test(items) ? `array of ${items}` : `${items}[]`;
      }
      if (type === "object") return link ? `[table](#${link})` : "table of options";
      return type;
    })
    .join(" or ");
}

/**
 * Limits on a value, in words.
 *
 * @param {SchemaNode} node
 */
function limitsOf(node) {
  const limits = [];
  if (node.minimum !== undefined && node.maximum !== undefined) limits.push(`${node.minimum}..${node.maximum}`);
  else if (node.minimum !== undefined) limits.push(`at least ${node.minimum}`);
  else if (node.maximum !== undefined) limits.push(`at most ${node.maximum}`);
  if (node.minLength !== undefined && node.minLength > 1) limits.push(`at least ${node.minLength} characters`);
  if (node.maxLength !== undefined) limits.push(`at most ${node.maxLength} characters`);
  if (node.minItems !== undefined) limits.push(`at least ${node.minItems} item${node.minItems === 1 ? "" : "s"}`);
  if (node.pattern !== undefined) limits.push(`matches ${literal(node.pattern)}`);
  if (node.format !== undefined) limits.push(node.format);
  return limits;
}

/**
 * The tables of an object node and of every table nested in it, depth first.
 *
 * @param {SchemaNode} node an object node
 * @param {string} path the node's path, TOML style (`buckets`, `buckets.cors_rules`)
 * @param {boolean} repeated whether the node is an array's item (`[[...]]` in TOML)
 * @param {Table[]} tables where the tables go
 */
function collectTables(node, path, repeated, tables) {
  const required = new Set(node.required ?? []);
  const id = path === "" ? "top-level" : path.replace(/\./g, "-");
  /** @type {Table} */
  const table = { title: path === "" ? "Top level" : literal(repeated ? `[[${path}]]` : `[${path}]`), id, rows: [] };
  tables.push(table);
  for (const [name, field] of Object.entries(node.properties ?? {})) {
    const fieldPath = path === "" ? name : `${path}.${name}`;
    const nested = field.type === "array" ? field.items : field;
    const hasTable = nested?.type === "object" && nested.properties !== undefined;
    const link = hasTable ? fieldPath.replace(/\./g, "-") : name === "backend_options" ? "backend-options" : undefined;
    const limits = limitsOf(field).concat(field.items ? limitsOf(field.items) : []);
    table.rows.push([
      literal(name),
      typeOf(field, link) + (limits.length > 0 ? `, ${limits.join(", ")}` : ""),
      required.has(name) ? "yes" : "",
      field.default === undefined ? "" : json(field.default),
      plain(`${field.deprecated ? "Deprecated. " : ""}${field.description ?? ""}`),
    ]);
    if (hasTable && nested) collectTables(nested, fieldPath, field.type === "array", tables);
  }
}

/**
 * When each backend option is required: always, under any of its names, or when another option has a value.
 *
 * @param {SchemaNode} options a `backend_options` node
 * @param {Map<string, string>} mainName alias → the option it stands for
 * @returns {Map<string, string[]>}
 */
function requirements(options, mainName) {
  /** @type {Map<string, string[]>} */
  const notes = new Map();
  const add = (/** @type {string} */ name, /** @type {string} */ note) => notes.set(name, [...(notes.get(name) ?? []), note]);
  for (const name of options.required ?? []) add(name, "yes");
  for (const rule of options.allOf ?? []) {
    if (rule.anyOf) {
      const names = rule.anyOf.map((each) => each.required?.[0]).filter((name) => name !== undefined);
      const [first, ...others] = names;
      const alternatives = others.filter((name) => mainName.get(name) !== first);
      if (first) add(first, alternatives.length === 0 ? "yes" : `yes, or ${alternatives.map(literal).join(", ")}`);
    }
    const condition = Object.entries(rule.if?.properties ?? {})[0];
    for (const name of rule.then?.required ?? []) {
      if (condition) add(name, `when ${literal(`${condition[0]} = ${JSON.stringify(condition[1].const)}`)}`);
    }
  }
  for (const [name, needs] of Object.entries(options.dependentRequired ?? {})) add(name, `needs ${needs.map(literal).join(", ")}`);
  return notes;
}

/**
 * The tables of the options of each backend type (the schema's `if backend_type = ... then backend_options` rules).
 *
 * @param {SchemaNode} bucket the bucket node
 * @returns {Table[]}
 */
function backendOptionTables(bucket) {
  return (bucket.allOf ?? []).flatMap((rule) => {
    const type = rule.if?.properties?.backend_type?.const;
    const options = rule.then?.properties?.backend_options;
    if (typeof type !== "string" || !options?.properties) return [];
    /** @type {Map<string, string>} */
    const mainName = new Map();
    /** @type {Map<string, string[]>} */
    const aliases = new Map();
    for (const [name, option] of Object.entries(options.properties)) {
      const main = ALIAS.exec(option.description ?? "")?.[1];
      if (main !== undefined && options.properties[main]) {
        mainName.set(name, main);
        aliases.set(main, [...(aliases.get(main) ?? []), name]);
      }
    }
    const required = requirements(options, mainName);
    const rows = Object.entries(options.properties)
      .filter(([name]) => !mainName.has(name))
      .map(([name, option]) => {
        const limits = limitsOf(option);
        const also = aliases.get(name);
        return [
          literal(name) + (also ? ` (also ${also.map(literal).join(", ")})` : ""),
          typeOf(option, undefined) + (limits.length > 0 ? `, ${limits.join(", ")}` : ""),
          (required.get(name) ?? []).join("; "),
          option.default === undefined ? "" : json(option.default),
          plain(option.description ?? ""),
        ];
      });
    return [{ title: literal(`backend_type = "${type}"`), id: `backend-options-${type}`, rows }];
  });
}

/** @param {Table} table @param {number} level */
function renderTable(table, level) {
  const lines = [`${"#".repeat(level)} ${table.title} {#${table.id}}`, ""];
  if (table.intro) lines.push(table.intro, "");
  lines.push(`| ${HEADER.join(" | ")} |`, `|${HEADER.map(() => "---").join("|")}|`);
  for (const row of table.rows) lines.push(`| ${row.map(cell).join(" | ")} |`);
  lines.push("");
  return lines.join("\n");
}

/**
 * The reference page's Markdown.
 *
 * @param {SchemaNode} schema the configuration's JSON Schema
 * @returns {string}
 */
export function renderConfigReference(schema) {
  /** @type {Table[]} */
  const tables = [];
  collectTables(schema, "", false, tables);
  const bucket = schema.properties?.buckets?.items;
  const backendTables = bucket ? backendOptionTables(bucket) : [];
  const header = [
    "---",
    "title: Configuration reference",
    "editLink: false",
    "outline: [2, 3]",
    "---",
    "",
    "# Configuration reference",
    "",
    "Every field of a Multistore configuration, generated when this site is built from the JSON Schema that",
    "`@multistore/config` ships as `@multistore/config/schema.json` (in the repository:",
    "[packages/config/schema/config.schema.json](/packages/config/schema/config.schema.json)). Tables are shown as",
    "TOML headers; the same fields are keys of a JSON config. A field or option that is not listed is an error.",
    "What the fields mean together, with examples: [Configuration](/guide/configuration.md).",
    "",
    '<div v-pre class="config-reference">',
    "",
  ];
  const body = tables.map((table) => renderTable(table, 2));
  const backends = [
    "## Backend options {#backend-options}",
    "",
    "`[buckets.backend_options]` takes the options of the bucket's `backend_type`. Numbers and booleans may be written",
    'as strings (`"true"`); names in parentheses are other spellings of the same option (those of the Rust',
    "`object_store` crate among them), and one option may be given under one name only.",
    "",
    ...backendTables.map((table) => renderTable(table, 3)),
  ];
  return [...header, ...body, ...backends, "</div>", ""].join("\n");
}

async function main() {
  const schemaFile = createRequire(import.meta.url).resolve("@multistore/config/schema.json");
  const schema = JSON.parse(await readFile(schemaFile, "utf8"));
  const target = new URL("../pages/reference/configuration.md", import.meta.url);
  await mkdir(new URL(".", target), { recursive: true });
  await writeFile(target, renderConfigReference(schema));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
