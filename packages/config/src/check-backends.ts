/**
 * Builds every bucket's backend once, when a config is loaded, so a bad backend option (or a backend type this
 * runtime cannot serve) stops the server at startup, naming the field, instead of failing each request later.
 */
import type { BackendFactory } from "@multistore/core";
import { backendOptionRules } from "./backend-options.js";
import { ConfigError, type ConfigIssue } from "./config-error.js";
import { joinPath } from "./paths.js";
import type { MultistoreConfig } from "./types.js";

/** Options of `checkBackends`. */
export interface CheckBackendsOptions {
  /** Where the configuration came from, named in the error. */
  source?: string;
  /** What this runtime is called, for buckets of a type it has no factory for (e.g. `"the Node server"`). */
  runtime?: string;
  /** Why a type is missing here and where it is served, by backend type (e.g. `r2` on the Node server). */
  unavailable?: Readonly<Record<string, string>>;
}

/**
 * Builds each bucket's backend with `factories` and throws a ConfigError listing every bucket that cannot be built.
 * Backend factories name the option at fault first ("bucket_name is required ..."), which becomes the issue's path.
 *
 * @returns the built backends, by bucket name
 */
export function checkBackends<B>(
  config: MultistoreConfig,
  factories: Readonly<Record<string, BackendFactory<B>>>,
  options: CheckBackendsOptions = {}
): Map<string, ReturnType<BackendFactory<B>>> {
  const issues: ConfigIssue[] = [];
  const built = new Map<string, ReturnType<BackendFactory<B>>>();
  config.buckets.forEach((bucket, index) => {
    const path = joinPath("buckets", index);
    const factory = Object.hasOwn(factories, bucket.backend_type) ? factories[bucket.backend_type] : undefined;
    if (factory === undefined) {
      const typePath = joinPath(path, "backend_type");
      const why = options.unavailable?.[bucket.backend_type] ?? `${options.runtime ?? "this runtime"} has no backend of that type`;
      issues.push({ path: typePath, message: `${typePath}: "${bucket.backend_type}" cannot be served here: ${why}` });
      return;
    }
    try {
      built.set(bucket.name, factory(bucket));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const option = /^([a-z][a-z0-9_]*)\b/.exec(message)?.[1];
      // The type's own rules say whether the first word names an option (or a factory's ad hoc one, like an R2 binding).
      const named = option !== undefined && (Object.hasOwn(backendOptionRules(bucket.backend_type) ?? {}, option) || Object.hasOwn(bucket.backend_options, option));
      const optionsPath = joinPath(path, "backend_options");
      const optionPath = named ? joinPath(optionsPath, option) : optionsPath;
      issues.push({ path: optionPath, message: `${optionPath}: ${message}` });
    }
  });
  if (issues.length > 0) throw new ConfigError(issues, options.source);
  return built;
}
