/** One problem found in a configuration. */
export interface ConfigIssue {
  /** Where the problem is, e.g. `buckets[1].backend_options.bucket_name` (empty for the whole document). */
  path: string;
  /** What is wrong and how to fix it; starts with the path. Never contains a secret value. */
  message: string;
}

/**
 * Thrown when a configuration is invalid. Collects every issue instead of stopping at the first one, so a user can
 * fix a config file in one pass.
 */
export class ConfigError extends Error {
  /** Every problem found, in document order. */
  readonly issues: ConfigIssue[];
  /** Where the configuration came from (a file name, `environment`, ...), if the caller said. */
  readonly source: string | undefined;

  /**
   * @param issues the problems found (at least one)
   * @param source where the configuration came from, shown in the message
   */
  constructor(issues: ConfigIssue[], source?: string) {
    const where = source === undefined ? "" : ` (${source})`;
    const count = issues.length === 1 ? "1 problem" : `${issues.length} problems`;
    super(
      `invalid multistore configuration${where}: ${count}\n${issues.map((issue) => `  - ${issue.message}`).join("\n")}`
    );
    this.name = "ConfigError";
    this.issues = issues;
    this.source = source;
  }
}

/** Whether `value` is a `ConfigError` (also across duplicated module copies, where `instanceof` fails). */
export function isConfigError(value: unknown): value is ConfigError {
  return value instanceof ConfigError || (value instanceof Error && value.name === "ConfigError" && "issues" in value);
}
