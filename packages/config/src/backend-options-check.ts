import { isLoopbackHost } from "@multistore/core";
import { BACKEND_OPTION_RULES, backendOptionRules, type BackendOptionRule, type BackendOptionRules } from "./backend-options.js";
import { closestName } from "./closest-name.js";
import type { ConfigIssue } from "./config-error.js";
import { joinPath, resolvePosixPath } from "./paths.js";

/**
 * Checks a bucket's `backend_type` and `backend_options` against `BACKEND_OPTION_RULES` and returns the options
 * normalized (strings only, relative `path` options resolved). Problems are appended to `issues`.
 *
 * @param backendType the bucket's `backend_type`
 * @param options the bucket's options that passed the schema check (strings, numbers or booleans)
 * @param written names of every option written, valid or not (a badly typed option is not also "missing")
 * @param bucketPath path of the bucket, e.g. `buckets[2]`
 * @param baseDirectory directory relative `path` options are resolved against; left relative when absent
 * @param issues where problems go
 */
export function checkBackendOptions(
  backendType: string,
  options: Readonly<Record<string, string | number | boolean>>,
  written: ReadonlySet<string>,
  bucketPath: string,
  baseDirectory: string | undefined,
  issues: ConfigIssue[]
): Record<string, string> {
  const rules = backendOptionRules(backendType);
  const optionsPath = joinPath(bucketPath, "backend_options");
  const report = (name: string, message: string): void => {
    const path = joinPath(optionsPath, name);
    issues.push({ path, message: `${path}${message}` });
  };
  // TOML users write `skip_signature = true` or `port = 9000`; the format's options are strings. Aliases (the
  // object_store spellings) are filed under the option's own name.
  const canonical = rules === undefined ? new Map<string, string>() : aliasesOf(rules);
  const values: Record<string, string> = {};
  const seenAs = new Map<string, string>();
  for (const [written, value] of Object.entries(options)) {
    const name = canonical.get(written) ?? written;
    const earlier = seenAs.get(name);
    if (earlier !== undefined) {
      report(written, ` and ${earlier} are the same option: set one of them`);
      continue;
    }
    seenAs.set(name, written);
    setValue(values, name, String(value));
  }
  const writtenNames = new Set([...written].map((name) => canonical.get(name) ?? name));

  if (rules === undefined) {
    issues.push({
      path: joinPath(bucketPath, "backend_type"),
      message:
        `${joinPath(bucketPath, "backend_type")}: ${JSON.stringify(backendType)} is not a backend type ` +
        suggestion(backendType, Object.keys(BACKEND_OPTION_RULES)) +
        `(expected one of: ${Object.keys(BACKEND_OPTION_RULES).join(", ")})`,
    });
    return values;
  }

  const isSet = (name: string): boolean => writtenNames.has(name);

  for (const name of Object.keys(values)) {
    if (!Object.hasOwn(rules, name)) {
      report(
        name,
        ` is not a known option for backend_type ${JSON.stringify(backendType)} ` +
          suggestion(name, [...Object.keys(rules), ...canonical.keys()]) +
          `(expected one of: ${Object.keys(rules).join(", ")})`
      );
    }
  }

  for (const [name, rule] of Object.entries(rules)) {
    const value = values[name];
    if (value === undefined) {
      if (isSet(name)) continue;
      const excused = rule.requiredUnless !== undefined && values[rule.requiredUnless.option] === rule.requiredUnless.value;
      if (rule.required === true && !excused) report(name, ` is required for backend_type ${JSON.stringify(backendType)}`);
      else if (rule.requiredWhen !== undefined && values[rule.requiredWhen.option] === rule.requiredWhen.value) {
        report(name, ` is required when ${rule.requiredWhen.option} is ${JSON.stringify(rule.requiredWhen.value)}`);
      }
      continue;
    }
    for (const other of rule.requires ?? []) {
      if (!isSet(other)) report(other, ` is required when ${name} is set (set both or neither)`);
    }
    const problem = checkValue(rule, value);
    if (problem !== undefined) report(name, problem);
    else if (rule.kind === "path" && baseDirectory !== undefined)
      setValue(values, name, resolvePosixPath(baseDirectory, value));
  }
  return values;
}

function suggestion(name: string, known: string[]): string {
  const closest = closestName(name, known);
  return closest === undefined ? "" : `(did you mean ${closest}?) `;
}

/** Alias → option name, for every option of `rules` that has aliases. */
function aliasesOf(rules: BackendOptionRules): Map<string, string> {
  const map = new Map<string, string>();
  for (const [name, rule] of Object.entries(rules)) for (const alias of rule.aliases ?? []) map.set(alias, name);
  return map;
}

/** Why `value` does not fit `rule` (a message tail starting with a space or colon), or undefined when it does. */
function checkValue(rule: BackendOptionRule, value: string): string | undefined {
  // Only values of closed vocabularies are echoed: anything else may be (or embed) a credential.
  const shown = rule.secret === true ? "" : ` (got ${JSON.stringify(value)})`;
  if (value === "") {
    if (rule.kind === "boolean") return ' must be "true" or "false"';
    return rule.required === true ? " must not be empty" : " must not be empty (remove it to leave it unset)";
  }
  switch (rule.kind ?? "string") {
    case "boolean":
      return value === "true" || value === "false" ? undefined : ` must be "true" or "false"${shown}`;
    case "enum": {
      const allowed = rule.values ?? [];
      if (allowed.includes(value)) return undefined;
      return rule.secret === true
        ? ` must be one of: ${allowed.join(", ")}`
        : `: ${JSON.stringify(value)} is not supported (expected one of: ${allowed.join(", ")})`;
    }
    case "url":
      return isHttpUrl(value) ? undefined : " must be an absolute http:// or https:// URL";
    case "secure_url":
      return isSecureUrl(value) ? undefined : " must be an https:// URL (http:// only to a loopback host such as 127.0.0.1)";
    case "json":
      return isJson(value) ? undefined : " must be a JSON document (e.g. the contents of a key file)";
    case "identifier":
      return /^[A-Za-z_$][\w$]*$/.test(value) ? undefined : ` must be a JavaScript identifier${shown}`;
    case "seconds":
      return /^[1-9]\d{0,9}$/.test(value) ? undefined : ` must be a whole number of seconds, at least 1${shown}`;
    default:
      return undefined;
  }
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === "http:" || url.protocol === "https:") && url.hostname !== "";
  } catch {
    return false;
  }
}

function isSecureUrl(value: string): boolean {
  if (!isHttpUrl(value)) return false;
  const url = new URL(value);
  if (url.protocol === "https:") return true;
  return isLoopbackHost(url.hostname);
}

function isJson(value: string): boolean {
  try {
    JSON.parse(value);
    return true;
  } catch {
    return false;
  }
}

// Plain assignment would hit the `__proto__` setter for an option of that name and silently drop it.
function setValue(target: Record<string, string>, name: string, value: string): void {
  Object.defineProperty(target, name, { value, enumerable: true, writable: true, configurable: true });
}
