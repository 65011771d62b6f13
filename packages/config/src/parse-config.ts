import { checkSchema } from "./check-schema.js";
import { ConfigError, type ConfigIssue } from "./config-error.js";
import { crossCheck } from "./cross-checks.js";
import type { MultistoreConfig } from "./types.js";
import { CONFIG_VALIDATION_SCHEMA } from "./validation-schema.js";

/** Options of `parseConfig`, `parseJsonConfig` and `parseTomlConfig`. */
export interface ParseConfigOptions {
  /**
   * Directory that relative paths in the config (the `fs` backend's `root`) are resolved against: normally the
   * directory of the config file. Without it relative paths are kept as written.
   */
  baseDirectory?: string;
  /** Where the configuration came from (a file name, `MULTISTORE_CONFIG`, ...), named in error messages. */
  source?: string;
  /**
   * Receives remarks on a config that loads anyway (a bucket naming an unknown role, a session duration clamped, a
   * bucket name that cannot be used virtual-hosted). Default: `console.warn`.
   */
  onWarning?: (message: string) => void;
  /**
   * Whether credential scopes and buckets' `allowed_roles` must name buckets and roles of the same document (default
   * true). False for a document holding part of a configuration, such as one entry served by a registry.
   */
  checkReferences?: boolean;
}

/**
 * Validates and normalizes a configuration given as a plain object (e.g. parsed JSON, or a Worker's binding).
 * Defaults are applied, backend options become strings, audiences become lists, relative `fs` roots are resolved.
 *
 * @param value the configuration document
 * @param options where it came from and what relative paths are relative to
 * @returns a new object; `value` is not modified
 * @throws ConfigError listing every problem found
 */
export function parseConfig(value: unknown, options: ParseConfigOptions = {}): MultistoreConfig {
  const issues: ConfigIssue[] = [];
  if (typeof value === "string") {
    issues.push({
      path: "",
      message:
        "the configuration must be a table (object) (got a string: parse text with parseJsonConfig or parseTomlConfig)",
    });
    throw new ConfigError(issues, options.source);
  }
  const checked = checkSchema(CONFIG_VALIDATION_SCHEMA, value, "", issues);
  const warnings: string[] = [];
  crossCheck(value, checked, options.baseDirectory, issues, warnings, options.checkReferences !== false);
  if (issues.length > 0) throw new ConfigError(issues, options.source);
  const warn = options.onWarning ?? ((message: string) => console.warn(`multistore config: ${message}`));
  for (const warning of warnings) warn(options.source === undefined ? warning : `${options.source}: ${warning}`);
  // Without issues the checked value matches the schema and carries every default.
  const { $schema: _ignored, ...config } = checked as MultistoreConfig & { $schema?: string };
  return config;
}
