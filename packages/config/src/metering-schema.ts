/**
 * The metering sections of the configuration: `[[rate_limits]]` (requests per window), `[[quotas]]` (bytes per
 * window) and `[metering]` (where the counters are kept, and what happens when that store fails). Enforced by
 * `@multistore/metering`.
 */
import Type from "typebox";

/** What one counter is kept per. */
const LimitScopeSchema = Type.Enum(["bucket", "principal", "source_ip"], {
  description:
    'What one counter is kept per: "bucket" (every caller of a bucket together), "principal" (each authenticated ' +
    'caller; anonymous requests are not counted) or "source_ip" (each client address, anonymous callers only).',
});

const filters = {
  bucket: Type.Optional(Type.String({ minLength: 1, description: "Only requests on this bucket (default: every bucket)." })),
  principal: Type.Optional(
    Type.String({ minLength: 1, description: "Only requests of this principal: a key's principal_name, or role:<role_id> for temporary credentials." })
  ),
  id: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 64,
      description: "Names the rule's counters (default: its position); a stable id keeps them when rules are reordered.",
    })
  ),
};

const windowSecs = Type.Integer({ minimum: 1, maximum: 31 * 86400, description: "Length of the counting window, in seconds." });

/** A request rate limit: at most `requests` requests per `window_secs` per counter. */
export const RateLimitSchema = Type.Object(
  {
    scope: LimitScopeSchema,
    ...filters,
    requests: Type.Integer({ minimum: 1, description: "Requests allowed per window; one more gets 503 SlowDown." }),
    window_secs: Type.Optional({ ...windowSecs, default: 1 }),
  },
  { additionalProperties: false, description: "A request rate limit." }
);

/** A bandwidth quota: at most `bytes` bytes per `window_secs` per counter. */
export const QuotaSchema = Type.Object(
  {
    scope: LimitScopeSchema,
    ...filters,
    bytes: Type.Integer({ minimum: 1, description: "Bytes allowed per window; past it requests get 429 TooManyRequests." }),
    window_secs: windowSecs,
    direction: Type.Optional(
      Type.Enum(["egress", "ingress", "total"], {
        default: "total",
        description: 'Which bytes count: "egress" (sent to clients), "ingress" (received from them) or "total".',
      })
    ),
  },
  { additionalProperties: false, description: "A bandwidth quota." }
);

/** Where counters are kept. */
export const MeteringSchema = Type.Object(
  {
    store: Type.Optional(
      Type.Enum(["memory", "redis", "durable_object"], {
        default: "memory",
        description:
          'Where counters live: "memory" (one process), "redis" (a fleet of servers; redis_url) or "durable_object" ' +
          "(the Worker's METERING Durable Object binding).",
      })
    ),
    redis_url: Type.Optional(
      Type.String({ minLength: 1, description: "redis:// or rediss:// URL of the shared Redis (or MULTISTORE_REDIS_URL)." })
    ),
    redis_cluster: Type.Optional(
      Type.Boolean({
        default: false,
        description:
          "redis_url is one node of a Redis Cluster: the others are discovered, and counters spread over the cluster (or " +
          "stay on one node when key_prefix has a hash tag, e.g. {multistore}).",
      })
    ),
    key_prefix: Type.Optional(Type.String({ minLength: 1, default: "multistore", description: "Prefix of counter keys." })),
    timeout_ms: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 60_000, default: 250, description: "Longest wait for the store per request." })
    ),
    on_store_error: Type.Optional(
      Type.Enum(["allow", "refuse"], {
        default: "allow",
        description:
          'When the store fails or is slower than timeout_ms: "allow" the request (fail open) or "refuse" it with 503 SlowDown.',
      })
    ),
  },
  { additionalProperties: false, description: "Where rate limit and quota counters are kept." }
);
