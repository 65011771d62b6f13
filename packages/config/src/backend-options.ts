/**
 * Backend options by `backend_type`: the built-in backends' rules, each owned by its package (next to the validator
 * that builds the backend, so the two cannot disagree), plus registered ones. Validation, redaction and the editor
 * JSON Schema all read this table.
 */

export type { BackendOptionKind, BackendOptionRule, BackendOptionRules } from "@multistore/core/backend";
import type { BackendOptionRules } from "@multistore/core/backend";
import { AZURE_OPTION_RULES } from "@multistore/backend-azure/option-rules";
import { FS_OPTION_RULES } from "@multistore/backend-fs/option-rules";
import { GCS_OPTION_RULES } from "@multistore/backend-gcs/option-rules";
import { R2_OPTION_RULES } from "@multistore/backend-r2/option-rules";
import { S3_OPTION_RULES } from "@multistore/backend-s3/option-rules";

/**
 * Backend options by `backend_type`. A `backend_type` missing from this map is rejected; add one with
 * `registerBackendOptionRules`. Entries are looked up as own properties only.
 */
export const BACKEND_OPTION_RULES: Record<string, BackendOptionRules> = {
  s3: S3_OPTION_RULES,
  az: AZURE_OPTION_RULES,
  gcs: GCS_OPTION_RULES,
  fs: FS_OPTION_RULES,
  r2: R2_OPTION_RULES,
};

/** Other spellings of built-in backend types that configs of the original multistore use. */
export const BACKEND_TYPE_ALIASES: Readonly<Record<string, string>> = Object.freeze({ azure: "az", gs: "gcs" });

/** The backend types Multistore knows without registration. */
export const BUILT_IN_BACKEND_TYPES: readonly string[] = Object.freeze(Object.keys(BACKEND_OPTION_RULES));

// Lowercase and punctuation-light so a backend type reads well in TOML and cannot be `__proto__`.
const BACKEND_TYPE_PATTERN = /^[a-z][a-z0-9_-]*$/;

/** Options of `registerBackendOptionRules`. */
export interface RegisterBackendOptionRulesOptions {
  /** Replace the rules of an already-known type (built-ins included); otherwise that is an error. */
  replace?: boolean;
}

/**
 * Teaches the config parser a new `backend_type` (e.g. from a third-party backend package). Call it before parsing.
 *
 * @param backendType the `backend_type` value, lowercase (`[a-z][a-z0-9_-]*`)
 * @param rules the options it accepts
 * @throws Error when the type is malformed, already registered (without `replace`), or a rule is inconsistent
 */
export function registerBackendOptionRules(
  backendType: string,
  rules: BackendOptionRules,
  options: RegisterBackendOptionRulesOptions = {}
): void {
  if (!BACKEND_TYPE_PATTERN.test(backendType)) {
    throw new Error(`backend type "${backendType}" must match ${BACKEND_TYPE_PATTERN.source}`);
  }
  if (hasBackendType(backendType) && options.replace !== true) {
    throw new Error(`backend type "${backendType}" is already registered (pass { replace: true } to replace it)`);
  }
  for (const [name, rule] of Object.entries(rules)) {
    if (rule.kind === "enum" && (rule.values === undefined || rule.values.length === 0)) {
      throw new Error(`option "${name}" of backend type "${backendType}" is an enum without values`);
    }
    const conditions = [rule.requiredWhen, rule.requiredUnless].flatMap((condition) => (condition ? [condition.option] : []));
    for (const other of [...(rule.requires ?? []), ...conditions]) {
      if (!Object.hasOwn(rules, other)) {
        throw new Error(`option "${name}" of backend type "${backendType}" refers to unknown option "${other}"`);
      }
    }
  }
  BACKEND_OPTION_RULES[backendType] = Object.freeze({ ...rules });
}

/** Whether rules are registered for `backendType`. */
export function hasBackendType(backendType: string): boolean {
  return Object.hasOwn(BACKEND_OPTION_RULES, backendType);
}

/** The rules of `backendType`, or undefined when it is not registered. */
export function backendOptionRules(backendType: string): BackendOptionRules | undefined {
  return hasBackendType(backendType) ? BACKEND_OPTION_RULES[backendType] : undefined;
}
