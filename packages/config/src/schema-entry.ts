/**
 * `@multistore/config/schema`: the TypeBox schemas the configuration format is made from, and the editor JSON
 * Schema built from them. A subpath of its own because TypeBox's builder is several hundred modules: a server or
 * Worker that only parses configurations validates against the plain snapshot (`validation-schema.ts`) and never
 * loads it, which keeps its heap, and so each of its garbage collections, smaller.
 */
export { ActionSchema, BucketSchema, ConfigSchema, CorsRuleSchema, CredentialSchema, RoleSchema, ScopeSchema } from "./schema.js";
export { MeteringSchema, QuotaSchema, RateLimitSchema } from "./metering-schema.js";
export { createConfigJsonSchema, JSON_SCHEMA_DIALECT } from "./json-schema.js";
