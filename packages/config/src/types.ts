/**
 * Types of the configuration, derived from the schema so they cannot drift from it. The `*Input` types describe a
 * document as written; the `*Definition` types describe it after `parseConfig` applied defaults and normalization.
 */
import type { Static } from "typebox";
import type { BucketConfig, StoredCredential } from "@multistore/core";
import type { BucketSchema, ConfigSchema, CredentialSchema, RoleSchema, ScopeSchema } from "./schema.js";
import type { MeteringSchema, QuotaSchema, RateLimitSchema } from "./metering-schema.js";

/** A configuration document as written (before defaults and normalization). */
export type ConfigInput = Static<typeof ConfigSchema>;
/** A bucket as written. */
export type BucketInput = Static<typeof BucketSchema>;
/** A credential as written. */
export type CredentialInput = Static<typeof CredentialSchema>;
/** A role as written. */
export type RoleInput = Static<typeof RoleSchema>;
/** A scope as written. */
export type ScopeInput = Static<typeof ScopeSchema>;

/** A request rate limit as written. */
export type RateLimitDefinition = Static<typeof RateLimitSchema>;
/** A bandwidth quota as written. */
export type QuotaDefinition = Static<typeof QuotaSchema>;
/** The `[metering]` table as written. */
export type MeteringDefinition = Static<typeof MeteringSchema>;

/** A normalized scope: `prefixes` is always present. */
export type ScopeDefinition = Omit<ScopeInput, "prefixes"> & {
  /** Key prefixes the scope is limited to; empty means the whole bucket. */
  prefixes: string[];
};

/** A normalized bucket: defaults applied, `backend_options` all strings, relative `fs` roots resolved. */
export type BucketDefinition = Omit<BucketInput, "allowed_roles" | "backend_options"> & {
  /** `role_id` of the roles whose temporary credentials may use the bucket. */
  allowed_roles: string[];
  /** Backend options, values as strings (as core's `BucketConfig` has them). */
  backend_options: Record<string, string>;
};

/** A normalized credential. */
export type CredentialDefinition = Omit<CredentialInput, "allowed_scopes"> & {
  /** What the key may do. */
  allowed_scopes: ScopeDefinition[];
};

/** A normalized role: audiences always a list (legacy `required_audience` folded in), defaults applied. */
export type RoleDefinition = Omit<
  RoleInput,
  | "required_audiences"
  | "required_audience"
  | "subject_conditions"
  | "max_session_duration_secs"
  | "allowed_scopes"
  | "trusted_oidc_issuers"
> & {
  /** Issuer URLs whose tokens may assume the role; empty: none can. */
  trusted_oidc_issuers: string[];
  /** Audiences a token must carry (one of them); empty means any audience. */
  required_audiences: string[];
  /** Patterns the token's subject must match; empty means any subject. */
  subject_conditions: string[];
  /** Longest session a token may request, in seconds. */
  max_session_duration_secs: number;
  /** What temporary credentials of the role may do. */
  allowed_scopes: ScopeDefinition[];
};

/** A parsed, validated and normalized configuration. */
export type MultistoreConfig = Omit<
  ConfigInput,
  "$schema" | "owner_id" | "owner_display_name" | "buckets" | "roles" | "credentials"
> & {
  /** Owner id ListBuckets reports. */
  owner_id: string;
  /** Owner display name ListBuckets reports. */
  owner_display_name: string;
  /** Virtual buckets, in file order. */
  buckets: BucketDefinition[];
  /** Roles assumable with OIDC tokens, in file order. */
  roles: RoleDefinition[];
  /** Long-lived access keys, in file order. */
  credentials: CredentialDefinition[];
};

// Compile-time proof that the normalized config plugs into core's registries as is: the build fails otherwise.
type Expect<T extends true> = T;
/** @internal Compile-time check, not part of the API. */
export type _BucketsFitCore = Expect<BucketDefinition[] extends BucketConfig[] ? true : false>;
/** @internal Compile-time check, not part of the API. */
export type _CredentialsFitCore = Expect<CredentialDefinition[] extends StoredCredential[] ? true : false>;
