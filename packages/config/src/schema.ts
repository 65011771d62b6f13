/**
 * The configuration schema: the single source of truth for the file format. The types in `types.ts` are derived
 * from it with `Static<>`, `parseConfig` validates against its plain snapshot (`validation-schema.ts`, kept equal to
 * it by a test, so validating needs no TypeBox at run time), and `emit-json-schema.ts` writes it out for editors.
 * Keys are snake_case to stay compatible with existing multistore TOML files.
 */
import Type, { type TSchema } from "typebox";
import { ACTIONS } from "@multistore/core";
import { MeteringSchema, QuotaSchema, RateLimitSchema } from "./metering-schema.js";
import { DEFAULT_MAX_SESSION_DURATION_SECS, DEFAULT_OWNER, LEGACY_BUCKET_NAME_PATTERN } from "./schema-constants.js";

// Hints turn a failed constraint into "X is not <hint>"; kept out of the schema objects so the emitted JSON Schema
// stays plain. Only hinted values are echoed in messages, which keeps secrets out of them.
const hints = new WeakMap<object, string>();

function hinted<T extends object>(schema: T, hint: string): T {
  hints.set(schema, hint);
  return schema;
}

// Type.Optional copies its argument, so the hint has to follow the copy.
function optional<T extends TSchema>(schema: T): ReturnType<typeof Type.Optional<T>> {
  const wrapped = Type.Optional(schema);
  const hint = hints.get(schema);
  if (hint !== undefined) hints.set(wrapped, hint);
  return wrapped;
}

/** The noun phrase describing valid values of `schema` (e.g. `"a valid bucket name (...)"`), if it has one. */
export function schemaHint(schema: object): string | undefined {
  return hints.get(schema);
}

const DATE_TIME_HINT = "an ISO 8601 date-time (e.g. 2024-01-15T00:00:00Z)";

function dateTime(description: string) {
  return hinted(Type.String({ format: "date-time", description }), DATE_TIME_HINT);
}

/** One action a scope grants. */
export const ActionSchema = hinted(Type.Enum(ACTIONS, { description: "An action a scope grants." }), "an action");

/** A grant: actions on one bucket (or every bucket), optionally limited to key prefixes. */
export const ScopeSchema = Type.Object(
  {
    bucket: Type.String({
      minLength: 1,
      description: 'Name of a configured bucket, "*" for every bucket, or a claim template such as "{sub}" (roles).',
    }),
    prefixes: optional(
      Type.Array(Type.String(), { default: [], description: "Key prefixes the scope is limited to; empty means all." })
    ),
    actions: Type.Array(ActionSchema, { description: "Actions granted; an empty list grants nothing." }),
  },
  { additionalProperties: false, description: "A grant of actions on a bucket." }
);

/** A CORS rule (S3's CORSRule, in snake_case). */
export const CorsRuleSchema = Type.Object(
  {
    allowed_origins: Type.Array(Type.String({ minLength: 1 }), {
      minItems: 1,
      description: 'Origins allowed: exact, with one "*" wildcard (https://*.example.com), or "*".',
    }),
    allowed_methods: Type.Array(
      hinted(Type.Enum(["GET", "PUT", "POST", "DELETE", "HEAD"]), "an HTTP method (GET, PUT, POST, DELETE or HEAD)"),
      { minItems: 1, description: "Methods allowed." }
    ),
    allowed_headers: optional(
      Type.Array(Type.String({ minLength: 1 }), { description: 'Request headers a preflight may ask for ("*" wildcards).' })
    ),
    expose_headers: optional(
      Type.Array(Type.String({ minLength: 1 }), { description: "Response headers browsers may read (ETag, ...)." })
    ),
    max_age_secs: optional(Type.Integer({ minimum: 0, description: "How long browsers may cache a preflight answer." })),
  },
  { additionalProperties: false, description: "A CORS rule." }
);

/** A virtual bucket and the backend that stores its objects. */
export const BucketSchema = Type.Object(
  {
    name: hinted(
      Type.String({ minLength: 3, maxLength: 255, pattern: LEGACY_BUCKET_NAME_PATTERN, description: "Name clients use." }),
      'a valid bucket name (3-255 characters: letters, digits, ".", "_", "-" and ":", starting with a letter or digit; ' +
        "3-63 lowercase letters, digits, \".\" and \"-\" for virtual-hosted style)"
    ),
    backend_type: Type.String({
      minLength: 1,
      description: 'Backend serving the bucket: "s3", "az", "gcs", "fs", "r2" or a registered type.',
    }),
    backend_prefix: optional(
      Type.String({ description: "Prepended to every key on the backend and stripped from listings." })
    ),
    anonymous_access: Type.Boolean({ description: "Whether anonymous callers may read and list the bucket." }),
    allowed_roles: optional(
      Type.Array(Type.String({ minLength: 1 }), {
        default: [],
        description: "role_id of the roles whose temporary credentials may use the bucket.",
      })
    ),
    backend_options: optional(
      Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()]), {
        default: {},
        description: "Options of the backend (see BACKEND_OPTION_RULES); numbers and booleans become strings.",
      })
    ),
    cors_rules: optional(
      Type.Array(CorsRuleSchema, { description: "CORS rules of this bucket (replace the global cors_rules)." })
    ),
  },
  { additionalProperties: false, description: "A virtual bucket." }
);

/** A long-lived access key and what it may do. */
export const CredentialSchema = Type.Object(
  {
    access_key_id: hinted(
      Type.String({ minLength: 1, pattern: "^[^\\s/]+$", description: "Access key id clients sign with." }),
      'a valid access key id (no whitespace or "/")'
    ),
    secret_access_key: Type.String({ minLength: 1, description: "Secret key clients sign with." }),
    principal_name: Type.String({ minLength: 1, description: "Who the key belongs to (shown in logs)." }),
    created_at: dateTime("When the key was created (ISO 8601)."),
    expires_at: optional(dateTime("When the key stops working (ISO 8601); never when absent.")),
    enabled: Type.Boolean({ description: "A disabled key is refused." }),
    allowed_scopes: Type.Array(ScopeSchema, { description: "What the key may do." }),
  },
  { additionalProperties: false, description: "A long-lived access key." }
);

/** A role that OIDC identities (e.g. CI jobs) assume through STS AssumeRoleWithWebIdentity. */
export const RoleSchema = Type.Object(
  {
    role_id: Type.String({ minLength: 1, description: "Identifier used in RoleArn and in buckets' allowed_roles." }),
    name: Type.String({ minLength: 1, description: "Human-readable name." }),
    trusted_oidc_issuers: optional(
      Type.Array(hinted(Type.String({ minLength: 1, pattern: "^https?://" }), "an OIDC issuer URL (https://...)"), {
        default: [],
        description: "Issuer URLs whose tokens may assume the role; with none, no token can assume it.",
      })
    ),
    required_audiences: optional(
      Type.Union([Type.String(), Type.Array(Type.String())], {
        description: "Audiences a token must carry (one of them); any audience when absent.",
      })
    ),
    required_audience: optional(
      Type.String({ deprecated: true, description: "Legacy single-audience form of required_audiences." })
    ),
    subject_conditions: optional(
      Type.Array(Type.String(), {
        default: [],
        description: "Patterns (with * wildcards) the token's sub must match; any subject when empty.",
      })
    ),
    max_session_duration_secs: optional(
      Type.Integer({
        default: DEFAULT_MAX_SESSION_DURATION_SECS,
        description: "Longest session a token may request, in seconds (900..43200; clamped into that range).",
      })
    ),
    allowed_scopes: optional(
      Type.Array(ScopeSchema, {
        default: [],
        description: "What temporary credentials of the role may do; nothing when empty or absent.",
      })
    ),
  },
  { additionalProperties: false, description: "A role assumable with an OIDC token." }
);

/** The whole configuration document (TOML or JSON). */
export const ConfigSchema = Type.Object(
  {
    $schema: optional(Type.String({ description: "JSON Schema reference for editors; ignored." })),
    owner_id: optional(
      Type.String({ minLength: 1, default: DEFAULT_OWNER, description: "Owner id ListBuckets reports." })
    ),
    owner_display_name: optional(
      Type.String({ minLength: 1, default: DEFAULT_OWNER, description: "Owner display name ListBuckets reports." })
    ),
    buckets: optional(Type.Array(BucketSchema, { default: [], description: "Virtual buckets." })),
    roles: optional(Type.Array(RoleSchema, { default: [], description: "Roles assumable with OIDC tokens." })),
    credentials: optional(Type.Array(CredentialSchema, { default: [], description: "Long-lived access keys." })),
    cors_rules: optional(
      Type.Array(CorsRuleSchema, { description: "CORS rules for buckets without their own; CORS is off without any." })
    ),
    rate_limits: optional(Type.Array(RateLimitSchema, { description: "Request rate limits (see @multistore/metering)." })),
    quotas: optional(Type.Array(QuotaSchema, { description: "Bandwidth quotas (see @multistore/metering)." })),
    metering: optional(MeteringSchema),
    path_mapping: optional(
      Type.Object(
        {
          bucket_segments: Type.Integer({ minimum: 2, maximum: 8, description: "Leading path segments that name a bucket." }),
          separator: optional(
            hinted(
              Type.String({ pattern: "^[:._-]{1,4}$", default: ":", description: "Joins the segments into a configured bucket name." }),
              'a separator of 1 to 4 of ":", ".", "_" and "-"'
            )
          ),
        },
        { additionalProperties: false, description: "Hierarchical namespaces: /{account}/{product}/{key} → bucket account:product." }
      )
    ),
  },
  {
    additionalProperties: false,
    title: "Multistore configuration",
    description: "Configuration of a Multistore proxy.",
  }
);
