import { BACKEND_OPTION_RULES, type BackendOptionRule, type BackendOptionRules } from "./backend-options.js";
import { ConfigSchema } from "./schema.js";

/** The JSON Schema dialect of the emitted schema. */
export const JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema";

type JsonSchema = Record<string, unknown>;

/**
 * The configuration's JSON Schema for editors (VS Code, Taplo, ...): `ConfigSchema` as plain JSON, refined with
 * one `if`/`then` per backend type from the option rules, so editors complete and check `backend_options` too.
 *
 * @param rules the option rules to describe (default: the current `BACKEND_OPTION_RULES`, registrations included)
 */
export function createConfigJsonSchema(
  rules: Readonly<Record<string, BackendOptionRules>> = BACKEND_OPTION_RULES
): JsonSchema {
  // A JSON round trip drops TypeBox's non-enumerable bookkeeping and leaves nothing shared with ConfigSchema.
  const schema = JSON.parse(JSON.stringify(ConfigSchema)) as JsonSchema & {
    properties: { buckets: { items: JsonSchema & { properties: { backend_type: JsonSchema } } } };
  };
  const bucket = schema.properties.buckets.items;
  bucket.properties.backend_type.examples = Object.keys(rules);
  bucket.allOf = Object.entries(rules).map(([backendType, options]) => ({
    if: { properties: { backend_type: { const: backendType } }, required: ["backend_type"] },
    then: backendOptionsClause(options),
  }));
  return { $schema: JSON_SCHEMA_DIALECT, ...schema };
}

function backendOptionsClause(rules: BackendOptionRules): JsonSchema {
  const entries = Object.entries(rules);
  const plainRequired = (rule: BackendOptionRule) => rule.required === true && (rule.aliases ?? []).length === 0 && rule.requiredUnless === undefined;
  const required = entries.filter(([, rule]) => plainRequired(rule)).map(([name]) => name);
  // A required option written under an alias, or excused by another option, is one of several ways to satisfy it.
  const alternatives = entries
    .filter(([, rule]) => rule.required === true && !plainRequired(rule))
    .map(([name, rule]) => {
      const ways: JsonSchema[] = [name, ...(rule.aliases ?? [])].map((spelling) => ({ required: [spelling] }));
      const unless = rule.requiredUnless;
      if (unless) ways.push({ properties: { [unless.option]: { enum: unless.value === "true" ? ["true", true] : [unless.value] } }, required: [unless.option] });
      return { anyOf: ways };
    });
  const properties: JsonSchema = {};
  for (const [name, rule] of entries) {
    properties[name] = optionSchema(rule);
    for (const alias of rule.aliases ?? []) properties[alias] = { ...optionSchema(rule), description: `Another name of ${name}: ${rule.description}` };
  }
  const options: JsonSchema = { type: "object", properties, additionalProperties: false };
  if (required.length > 0) options.required = required;
  const dependent = entries.filter(([, rule]) => (rule.requires ?? []).length > 0);
  if (dependent.length > 0) {
    options.dependentRequired = Object.fromEntries(dependent.map(([name, rule]) => [name, [...(rule.requires ?? [])]]));
  }
  const conditional = entries.filter(([, rule]) => rule.requiredWhen !== undefined);
  const allOf: JsonSchema[] = [
    ...conditional.map(([name, rule]) => {
      const when = rule.requiredWhen as { option: string; value: string };
      return {
        if: { properties: { [when.option]: { const: when.value } }, required: [when.option] },
        then: { required: [name] },
      };
    }),
    ...alternatives,
  ];
  if (allOf.length > 0) options.allOf = allOf;
  const clause: JsonSchema = { properties: { backend_options: options } };
  // backend_options defaults to {}, so it only has to be written when something in it is required.
  if (required.length > 0 || alternatives.length > 0) clause.required = ["backend_options"];
  return clause;
}

function optionSchema(rule: BackendOptionRule): JsonSchema {
  const description = { description: rule.description };
  switch (rule.kind ?? "string") {
    case "boolean":
      // TOML users write `skip_signature = true`; the parser turns it into "true".
      return { enum: [true, false, "true", "false"], ...description };
    case "enum":
      return { enum: [...(rule.values ?? [])], ...description };
    case "url":
      return { type: "string", pattern: "^https?://", ...description };
    case "secure_url":
      return { type: "string", pattern: "^(https://|http://(127\\.|localhost[:/]|localhost$|\\[::1\\]))", ...description };
    case "identifier":
      return { type: "string", pattern: "^[A-Za-z_$][\\w$]*$", ...description };
    case "seconds":
      return { type: ["integer", "string"], minimum: 1, pattern: "^[1-9][0-9]*$", ...description };
    default:
      // Numbers are accepted (and turned into strings) by the parser.
      return { type: ["string", "number"], minLength: 1, ...description };
  }
}
