/**
 * `@multistore/config`: the configuration format of Multistore, its TOML and JSON loaders, and static registries
 * serving a parsed configuration. Runtime-free: works on Node, Workers and browsers. The TypeBox schemas the format is
 * made from are `@multistore/config/schema`, apart so that parsing a configuration does not load TypeBox.
 */
export { ConfigError, isConfigError, type ConfigIssue } from "./config-error.js";
export { BUCKET_NAME_PATTERN, DEFAULT_MAX_SESSION_DURATION_SECS, DEFAULT_OWNER } from "./schema-constants.js";
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
export { resolvePosixPath } from "./paths.js";
export { uploadIdSecretOf } from "./upload-id-secret.js";
export { checkBackends, type CheckBackendsOptions } from "./check-backends.js";
