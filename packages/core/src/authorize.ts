/** Authorization: scopes × action × bucket × key. */
import { S3Error } from "./errors.js";
import type { AccessScope, Action, BucketConfig, Identity } from "./types.js";

/** Actions an anonymous caller may perform on an `anonymous_access` bucket. Writes always need a credential. */
const ANONYMOUS_ACTIONS: readonly Action[] = ["get_object", "get_object_version", "head_object", "list_bucket"];

/**
 * Whether a scope prefix covers a key. A prefix that is empty or ends with `/` matches keys starting with it; any
 * other prefix matches the key equal to it or keys under it as a directory, so `data` never matches `data-private/x`.
 */
export function prefixMatches(prefix: string, key: string): boolean {
  if (prefix === "" || prefix.endsWith("/")) return key.startsWith(prefix);
  return key === prefix || key.startsWith(`${prefix}/`);
}

/**
 * Whether a scope prefix covers a whole listing prefix: every key the listing can return must be covered, so a
 * listing of `data` (which would also show `data-private/...`) is not covered by the scope prefix `data`.
 */
export function prefixCoversListing(prefix: string, listPrefix: string): boolean {
  const directory = prefix === "" || prefix.endsWith("/") ? prefix : `${prefix}/`;
  return listPrefix.startsWith(directory);
}

function scopeBucketMatches(scope: AccessScope, bucket: string): boolean {
  return scope.bucket === "*" || scope.bucket === bucket;
}

function roleAllowed(identity: Identity, bucket: BucketConfig): boolean {
  if (identity.type !== "credential" || identity.roleId === undefined) return true;
  const roles = bucket.allowed_roles ?? [];
  return roles.includes("*") || roles.includes(identity.roleId);
}

/** What is being authorized: an action on a key, on a listing prefix, or on the bucket itself. */
export type AuthorizationTarget = { key: string } | { listPrefix: string } | { bucketOnly: true };

/** Whether `identity` may perform `action` on `target` in `bucket`. */
export function isAllowed(identity: Identity, action: Action, bucket: BucketConfig, target: AuthorizationTarget): boolean {
  // Signing a request never grants less than sending it anonymously would.
  if (bucket.anonymous_access && ANONYMOUS_ACTIONS.includes(action)) return true;
  if (identity.type === "anonymous") return false;
  if (!roleAllowed(identity, bucket)) return false;
  return identity.scopes.some((scope) => {
    if (!scopeBucketMatches(scope, bucket.name) || !scope.actions.includes(action)) return false;
    if ("bucketOnly" in target || scope.prefixes.length === 0) return true;
    if ("key" in target) return scope.prefixes.some((prefix) => prefixMatches(prefix, target.key));
    return scope.prefixes.some((prefix) => prefixCoversListing(prefix, target.listPrefix));
  });
}

/** Throws AccessDenied unless allowed. */
export function authorize(identity: Identity, action: Action, bucket: BucketConfig, target: AuthorizationTarget): void {
  if (!isAllowed(identity, action, bucket, target)) throw new S3Error("AccessDenied");
}

/** Whether the caller may use the bucket at all (ListBuckets shows only these; HeadBucket answers 403 otherwise). */
export function canUseBucket(identity: Identity, bucket: BucketConfig): boolean {
  if (bucket.anonymous_access) return true;
  if (identity.type === "anonymous" || !roleAllowed(identity, bucket)) return false;
  return identity.scopes.some((scope) => scopeBucketMatches(scope, bucket.name) && scope.actions.length > 0);
}
