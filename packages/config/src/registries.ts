import type { BucketConfig, BucketRegistry, CredentialRegistry, StoredCredential } from "@multistore/core";
import type { RoleLookup } from "./cached-registries.js";
import type { MultistoreConfig, RoleDefinition } from "./types.js";

/** Registries serving a parsed configuration from memory. */
export interface StaticRegistries {
  /** Buckets by name (case-sensitive, as S3 bucket names). */
  buckets: BucketRegistry;
  /** Credentials by access key id (case-sensitive). */
  credentials: CredentialRegistry;
  /** Roles by `role_id` (none when the config given has no `roles`). */
  roles: RoleLookup;
}

/**
 * Builds in-memory registries over a parsed configuration. Lookups are synchronous and Map-based, so a key such as
 * `__proto__` or `toString` is just an unknown name.
 *
 * @param config a configuration returned by `parseConfig` (or a loader); it should not be mutated afterwards
 */
export function createStaticRegistries(config: Pick<MultistoreConfig, "buckets" | "credentials"> & { roles?: RoleDefinition[] }): StaticRegistries {
  const buckets = new Map<string, BucketConfig>(config.buckets.map((bucket) => [bucket.name, bucket]));
  const credentials = new Map<string, StoredCredential>(
    config.credentials.map((credential) => [credential.access_key_id, credential])
  );
  const roles = new Map<string, RoleDefinition>((config.roles ?? []).map((role) => [role.role_id, role]));
  return {
    buckets: {
      getBucket: (name) => buckets.get(name),
      // A fresh array, so a caller sorting or filtering it cannot change the registry.
      listBuckets: () => [...buckets.values()],
    },
    credentials: {
      getCredential: (accessKeyId) => credentials.get(accessKeyId),
    },
    roles: (roleId) => roles.get(roleId),
  };
}
