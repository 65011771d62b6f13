/**
 * `@multistore/config`: the configuration format of Multistore (one TypeBox schema), its TOML and JSON loaders, and
 * static registries serving a parsed configuration. Runtime-free: works on Node, Workers and browsers.
 */
export { ConfigError, isConfigError, type ConfigIssue } from "./config-error.js";
export {
  ActionSchema,
  BucketSchema,
  ConfigSchema,
  CredentialSchema,
  RoleSchema,
  ScopeSchema,
  CorsRuleSchema,
} from "./schema.js";
export { BUCKET_NAME_PATTERN, DEFAULT_MAX_SESSION_DURATION_SECS, DEFAULT_OWNER } from "./schema-constants.js";
export { MeteringSchema, QuotaSchema, RateLimitSchema } from "./metering-schema.js";
export type {
  BucketDefinition,
  BucketInput,
  ConfigInput,
  CredentialDefinition,
  CredentialInput,
  MeteringDefinition,
  MultistoreConfig,
  QuotaDefinition,
  RateLimitDefinition,
  RoleDefinition,
  RoleInput,
  ScopeDefinition,
  ScopeInput,
} from "./types.js";
export {
  BACKEND_OPTION_RULES,
  BUILT_IN_BACKEND_TYPES,
  backendOptionRules,
  hasBackendType,
  registerBackendOptionRules,
  type BackendOptionKind,
  type BackendOptionRule,
  type BackendOptionRules,
  type RegisterBackendOptionRulesOptions,
} from "./backend-options.js";
export { parseConfig, type ParseConfigOptions } from "./parse-config.js";
export { parseJsonConfig } from "./json-loader.js";
export { parseTomlConfig } from "./toml-loader.js";
export { createStaticRegistries, type StaticRegistries } from "./registries.js";
export { createCachedRegistries, layeredRegistries, type CacheOptions, type Registries, type RoleLookup } from "./cached-registries.js";
export { createHttpRegistries, type HttpRegistriesOptions } from "./http-registries.js";
export { redactConfig, REDACTED } from "./redact.js";
export { createConfigJsonSchema, JSON_SCHEMA_DIALECT } from "./json-schema.js";
export { resolvePosixPath } from "./paths.js";
export { uploadIdSecretOf } from "./upload-id-secret.js";
export { checkBackends, type CheckBackendsOptions } from "./check-backends.js";
