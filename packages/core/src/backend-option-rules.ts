/**
 * The shape of a backend's option rules: which options a `backend_type` accepts, which are required, and how values
 * are checked. Each backend package owns its rules (next to the validator that builds the backend); the config
 * package gathers them to validate configs, redact secrets and emit the editor JSON Schema.
 */

/** How an option's value is checked (values are always strings once parsed). */
export type BackendOptionKind =
  /** Any string. */
  | "string"
  /** `"true"` or `"false"` (TOML booleans are accepted and converted). */
  | "boolean"
  /** An absolute `http://` or `https://` URL. */
  | "url"
  /**
   * An `https://` URL, or `http://` to a loopback host (127.0.0.0/8, `::1`, `localhost`: local emulators): for
   * endpoints that receive the proxy's tokens, which must never cross a network in clear text.
   */
  | "secure_url"
  /** A JSON document (e.g. a service account key file's contents). */
  | "json"
  /** A POSIX path; a relative one is resolved against the config file's directory. */
  | "path"
  /** One of `values`. */
  | "enum"
  /** A JavaScript identifier (Workers binding names must be one). */
  | "identifier"
  /** A whole number of seconds, at least 1 (TOML integers are accepted and converted). */
  | "seconds";

/** How one backend option is validated and documented. */
export interface BackendOptionRule {
  /** What the option does; shown by editors through the JSON Schema. */
  description: string;
  /** Whether the option must be set. */
  required?: boolean;
  /** How the value is checked; `"string"` when absent. */
  kind?: BackendOptionKind;
  /** Allowed values, for `kind: "enum"`. */
  values?: readonly string[];
  /** Whether the value is a secret: never shown in errors, replaced by `redactConfig`. */
  secret?: boolean;
  /** Options that must also be set when this one is (write the rule both ways for "both or neither"). */
  requires?: readonly string[];
  /** This option becomes required when another option has a given value (e.g. `auth_type = "oidc"`). */
  requiredWhen?: { readonly option: string; readonly value: string };
  /** A `required` option that may be left out when another option has a given value (e.g. `use_emulator = "true"`). */
  requiredUnless?: { readonly option: string; readonly value: string };
  /**
   * Other names the option is accepted under (the object_store spellings the original multistore takes, such as
   * `aws_access_key_id`); the parsed config holds it under its own name.
   */
  aliases?: readonly string[];
}

/** The options of one backend type, by option name. */
export type BackendOptionRules = Readonly<Record<string, BackendOptionRule>>;

/** `auth_type`: static keys or federated credentials, for every backend that supports federation. */
export const AUTH_TYPE_OPTION: BackendOptionRule = {
  description: 'How the proxy authenticates to the backend: "static" (configured keys, the default) or "oidc".',
  kind: "enum",
  values: ["static", "oidc"],
};

/** `oidc_subject`: the `sub` of the proxy's own OIDC tokens. */
export const OIDC_SUBJECT_OPTION: BackendOptionRule = {
  description: 'Subject (sub) of the OIDC tokens the proxy mints for itself (auth_type = "oidc"; default s3-proxy).',
};

/** `skip_signature`: unsigned requests. */
export const SKIP_SIGNATURE_OPTION: BackendOptionRule = {
  description: 'Send unsigned requests ("true" for public buckets; a bucket without credentials is unsigned anyway).',
  kind: "boolean",
};

/** `allow_http`: accepted from object_store configs. */
export const ALLOW_HTTP_OPTION: BackendOptionRule = {
  description: "Accepted for compatibility with object_store configs: http:// endpoints are always allowed.",
  kind: "boolean",
};

/** `rule` also accepted under `aliases`. */
export function withAliases(rule: BackendOptionRule, ...aliases: string[]): BackendOptionRule {
  return { ...rule, aliases };
}
