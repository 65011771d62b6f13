/**
 * The one table of backend options: which options each `backend_type` accepts, which are required, and how their
 * values are checked. Validation, redaction and the editor JSON Schema all read it, so a new option is added here
 * and nowhere else.
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

const AUTH_TYPE: BackendOptionRule = {
  description: 'How the proxy authenticates to the backend: "static" (configured keys, the default) or "oidc".',
  kind: "enum",
  values: ["static", "oidc"],
};

const OIDC_SUBJECT: BackendOptionRule = {
  description: 'Subject (sub) of the OIDC tokens the proxy mints for itself (auth_type = "oidc"; default s3-proxy).',
};

const SKIP_SIGNATURE: BackendOptionRule = {
  description: 'Send unsigned requests ("true" for public buckets; a bucket without credentials is unsigned anyway).',
  kind: "boolean",
};

const ALLOW_HTTP: BackendOptionRule = {
  description: "Accepted for compatibility with object_store configs: http:// endpoints are always allowed.",
  kind: "boolean",
};

function withAliases(rule: BackendOptionRule, ...aliases: string[]): BackendOptionRule {
  return { ...rule, aliases };
}

const S3_RULES: BackendOptionRules = {
  bucket_name: { description: "Name of the bucket on the backend.", required: true, aliases: ["aws_bucket", "aws_bucket_name", "bucket"] },
  region: { description: "Region of the bucket, e.g. us-west-2 (default us-east-1).", aliases: ["aws_region", "aws_default_region"] },
  endpoint: {
    description: "Endpoint URL of an S3-compatible service (addressed path-style); derived from the region when absent.",
    kind: "url",
    aliases: ["aws_endpoint", "aws_endpoint_url", "endpoint_url"],
  },
  access_key_id: { description: "Access key id for the backend.", requires: ["secret_access_key"], aliases: ["aws_access_key_id"] },
  secret_access_key: { description: "Secret key for the backend.", secret: true, requires: ["access_key_id"], aliases: ["aws_secret_access_key"] },
  skip_signature: withAliases(SKIP_SIGNATURE, "aws_skip_signature"),
  force_path_style: { description: 'Use path-style URLs ("true"; the default for endpoints other than AWS\'s).', kind: "boolean" },
  virtual_hosted_style_request: {
    description: 'Address the bucket as bucket.endpoint ("true", even on a custom endpoint) or path-style ("false").',
    kind: "boolean",
    aliases: ["aws_virtual_hosted_style_request"],
  },
  allow_http: withAliases(ALLOW_HTTP, "aws_allow_http"),
  auth_type: AUTH_TYPE,
  oidc_role_arn: {
    description: 'ARN of the role assumed with the proxy\'s OIDC token (auth_type = "oidc").',
    requiredWhen: { option: "auth_type", value: "oidc" },
  },
  oidc_subject: OIDC_SUBJECT,
  sts_endpoint: { description: "STS endpoint URL used for AssumeRoleWithWebIdentity (https, or http on loopback).", kind: "secure_url" },
  session_token: {
    description: "Session token of temporary backend credentials.",
    secret: true,
    requires: ["access_key_id"],
    aliases: ["aws_session_token", "aws_token", "token"],
  },
  presign_ttl_secs: { description: "Lifetime of presigned backend URLs in seconds (default 300)." },
  user_agent: { description: "User-Agent of backend requests (default multistore/<version>)." },
};

const FS_RULES: BackendOptionRules = {
  root: {
    description: "Directory holding the bucket's objects; a relative path is relative to the config file.",
    required: true,
    kind: "path",
  },
  temp_max_age_secs: {
    description: "Temp files older than this (left by a crash) are removed by the periodic sweep (default 86400: a day).",
    kind: "seconds",
  },
  multipart_max_age_secs: {
    description: "Multipart uploads started longer ago than this are aborted by the periodic sweep (default 604800: seven days, as S3's AbortIncompleteMultipartUpload rules usually are).",
    kind: "seconds",
  },
  sweep_interval_secs: {
    description: "How often the sweep runs while the server runs (default 3600: hourly).",
    kind: "seconds",
  },
};

const AZ_RULES: BackendOptionRules = {
  account_name: {
    description: 'Storage account name (default with use_emulator = "true": devstoreaccount1).',
    required: true,
    requiredUnless: { option: "use_emulator", value: "true" },
    aliases: ["azure_storage_account_name"],
  },
  container_name: { description: "Blob container name.", required: true, aliases: ["azure_container_name"] },
  access_key: {
    description: "Storage account access key (none: the container is read unsigned).",
    secret: true,
    aliases: ["azure_storage_account_key", "azure_storage_access_key", "azure_storage_master_key", "account_key", "master_key"],
  },
  skip_signature: withAliases(SKIP_SIGNATURE, "azure_skip_signature"),
  endpoint: {
    description: "Blob service endpoint URL (e.g. Azurite); derived from the account when absent.",
    kind: "url",
    aliases: ["azure_storage_endpoint", "azure_endpoint"],
  },
  use_emulator: {
    description: 'Use the local Azurite emulator ("true"): endpoint http://127.0.0.1:10000/<account>, its well-known account and key by default.',
    kind: "boolean",
    aliases: ["azure_storage_use_emulator"],
  },
  allow_http: withAliases(ALLOW_HTTP, "azure_allow_http"),
  auth_type: AUTH_TYPE,
  client_id: {
    description: 'Client id of the app registration trusted for federated credentials (auth_type = "oidc").',
    requiredWhen: { option: "auth_type", value: "oidc" },
    aliases: ["azure_storage_client_id", "azure_client_id"],
  },
  tenant_id: {
    description: 'Directory (tenant) id of that app registration (auth_type = "oidc").',
    requiredWhen: { option: "auth_type", value: "oidc" },
    aliases: ["azure_storage_tenant_id", "azure_storage_authority_id", "azure_tenant_id", "azure_authority_id", "authority_id"],
  },
  oidc_subject: OIDC_SUBJECT,
  authority_host: {
    description:
      "Microsoft Entra authority host for the token request (default https://login.microsoftonline.com; sovereign clouds differ; https, or http on loopback).",
    kind: "secure_url",
  },
};

const GCS_RULES: BackendOptionRules = {
  bucket_name: {
    description: "Name of the bucket on Google Cloud Storage.",
    required: true,
    aliases: ["google_bucket", "google_bucket_name", "bucket"],
  },
  service_account_key: {
    description: "Contents of a service account key file (JSON); none: the bucket is read unsigned.",
    kind: "json",
    secret: true,
    aliases: ["google_service_account_key"],
  },
  service_account_path: {
    description:
      "Path of a service account key file, read when the server loads the config (instead of service_account_key; not on the Worker).",
    kind: "path",
    aliases: ["service_account", "google_service_account", "google_service_account_path"],
  },
  skip_signature: withAliases(SKIP_SIGNATURE, "google_skip_signature"),
  endpoint: { description: "Endpoint URL (e.g. an emulator); the public endpoint when absent.", kind: "url" },
  auth_type: AUTH_TYPE,
  workload_identity_provider: {
    description: 'Full resource name of the workload identity provider (auth_type = "oidc").',
    requiredWhen: { option: "auth_type", value: "oidc" },
  },
  service_account_email: {
    description:
      'Service account impersonated through workload identity federation (auth_type = "oidc"; signs URLs through IAM signBlob). Without it the federated token is used directly (direct resource access).',
  },
  oidc_subject: OIDC_SUBJECT,
  sts_endpoint: {
    description: "Google STS token endpoint URL (default https://sts.googleapis.com/v1/token; https, or http on loopback).",
    kind: "secure_url",
  },
  iam_credentials_endpoint: {
    description: "IAM Service Account Credentials API base URL (default https://iamcredentials.googleapis.com; https, or http on loopback).",
    kind: "secure_url",
  },
};

const R2_RULES: BackendOptionRules = {
  binding: { description: "Name of the Workers R2 bucket binding.", required: true, kind: "identifier" },
};

/**
 * Backend options by `backend_type`. A `backend_type` missing from this map is rejected; add one with
 * `registerBackendOptionRules`. Entries are looked up as own properties only.
 */
export const BACKEND_OPTION_RULES: Record<string, BackendOptionRules> = {
  s3: S3_RULES,
  az: AZ_RULES,
  gcs: GCS_RULES,
  fs: FS_RULES,
  r2: R2_RULES,
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
