import { BACKEND_OPTION_RULES } from "./backend-options.js";

/** What `redactConfig` puts in place of a secret. */
export const REDACTED = "[REDACTED]";

// Any key that smells like a credential, anywhere in the document; access key ids are identifiers, not secrets.
const SECRET_KEY = /secret|key|password|token/i;
const NOT_SECRET = new Set(["access_key_id"]);

/**
 * A deep copy of a configuration (parsed or not) fit for printing or logging: every secret is replaced by
 * `"[REDACTED]"`. Secrets are `secret_access_key`, the `az` backend's `access_key`, `service_account_key`, options
 * marked `secret` in `BACKEND_OPTION_RULES`, and any key matching /secret|key|password|token/i except
 * `access_key_id`.
 *
 * @param config the configuration (any JSON-like value)
 * @returns the redacted copy; dates become ISO strings
 */
export function redactConfig(config: unknown): unknown {
  return redact(config, secretOptionNames());
}

function redact(value: unknown, secretNames: ReadonlySet<string>): unknown {
  if (Array.isArray(value)) return value.map((item: unknown) => redact(item, secretNames));
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? String(value) : value.toISOString();
  if (typeof value !== "object" || value === null) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const secret = !NOT_SECRET.has(key) && (SECRET_KEY.test(key) || secretNames.has(key));
    Object.defineProperty(copy, key, {
      value: secret ? REDACTED : redact(item, secretNames),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return copy;
}

/** Option names declared secret by any backend type, registered ones included. */
function secretOptionNames(): Set<string> {
  const names = new Set<string>();
  for (const rules of Object.values(BACKEND_OPTION_RULES)) {
    for (const [name, rule] of Object.entries(rules)) if (rule.secret === true) names.add(name);
  }
  return names;
}
