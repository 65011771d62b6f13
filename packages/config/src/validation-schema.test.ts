/**
 * `validation-schema.ts` is ConfigSchema as plain data (what parseConfig validates against, without TypeBox at run
 * time). This test derives it again from the TypeBox schema and fails when the file differs: after a schema change,
 * `pnpm exec vitest run -u src/validation-schema.test.ts` (in packages/config) rewrites it.
 */
import { describe, expect, it } from "vitest";
import type { SchemaNode } from "./check-schema.js";
import { ConfigSchema, schemaHint } from "./schema.js";
import { CONFIG_VALIDATION_SCHEMA } from "./validation-schema.js";

/** Keywords for people and editors only: checkSchema ignores them, so the snapshot leaves them out. */
const DOCUMENTATION = new Set(["description", "title", "deprecated", "examples"]);
/** Keywords checkSchema implements. */
const VALIDATION = new Set(["type", "anyOf", "enum", "properties", "patternProperties", "required", "additionalProperties", "items", "minItems", "minLength", "maxLength", "pattern", "format", "minimum", "maximum", "default"]);
/** Formats checkSchema implements. */
const FORMATS = new Set(["date-time"]);

function snapshotOf(schema: Record<string, unknown>): SchemaNode {
  const node: Record<string, unknown> = {};
  for (const [keyword, value] of Object.entries(schema)) {
    if (DOCUMENTATION.has(keyword)) continue;
    // A keyword the validator would silently skip must not reach the snapshot: implement it in check-schema.ts first.
    if (!VALIDATION.has(keyword)) throw new Error(`checkSchema does not implement the keyword "${keyword}"`);
    if (keyword === "format" && !FORMATS.has(value as string)) throw new Error(`checkSchema does not implement the format "${String(value)}"`);
    if (keyword === "properties" || keyword === "patternProperties") {
      node[keyword] = Object.fromEntries(Object.entries(value as Record<string, Record<string, unknown>>).map(([name, child]) => [name, snapshotOf(child)]));
    } else if (keyword === "anyOf") {
      node[keyword] = (value as Record<string, unknown>[]).map(snapshotOf);
    } else if (keyword === "items" || (keyword === "additionalProperties" && typeof value === "object")) {
      node[keyword] = snapshotOf(value as Record<string, unknown>);
    } else node[keyword] = value;
  }
  const hint = schemaHint(schema);
  if (hint !== undefined) node.hint = hint;
  return node as SchemaNode;
}

function moduleText(): string {
  return `// Generated from ConfigSchema (schema.ts) by validation-schema.test.ts: do not edit. After a schema change, run
// \`pnpm exec vitest run -u src/validation-schema.test.ts\` in packages/config to rewrite it.
import type { SchemaNode } from "./check-schema.js";

/** ConfigSchema as plain data with the hints of its messages: what \`parseConfig\` validates against. */
export const CONFIG_VALIDATION_SCHEMA: SchemaNode = ${JSON.stringify(snapshotOf(ConfigSchema as unknown as Record<string, unknown>), null, 2)};
`;
}

describe("the validation schema", () => {
  it("is ConfigSchema as plain data, with its hints", async () => {
    await expect(moduleText()).toMatchFileSnapshot("./validation-schema.ts");
  });

  it("is what parseConfig uses, hints included", () => {
    const bucket = (CONFIG_VALIDATION_SCHEMA.properties?.buckets?.items?.properties ?? {}) as Record<string, SchemaNode>;
    expect(bucket.name?.hint).toMatch(/^a valid bucket name/);
    expect(Object.keys(bucket.name ?? {})).not.toContain("description");
  });

  it("refuses a keyword the validator would skip", () => {
    expect(() => snapshotOf({ type: "integer", multipleOf: 2 })).toThrow(/keyword "multipleOf"/);
    expect(() => snapshotOf({ type: "string", format: "email" })).toThrow(/format "email"/);
  });
});
