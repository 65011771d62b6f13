/**
 * Checks that span fields or entries: backend options per backend type, uniqueness of names and ids, and
 * references from scopes and buckets to configured buckets and roles. They run on the partially valid result of
 * the schema check, so every value is re-checked for its type before use.
 */
import { checkBackendOptions } from "./backend-options-check.js";
import { BACKEND_TYPE_ALIASES, hasBackendType } from "./backend-options.js";
import type { ConfigIssue } from "./config-error.js";
import { joinPath } from "./paths.js";
import { BUCKET_NAME_PATTERN } from "./schema-constants.js";
import { checkLimitRules } from "./metering-checks.js";

/** An http:// URL on a loopback host (a local test issuer). */
const LOOPBACK_HTTP = /^http:\/\/(localhost|127(\.\d{1,3}){3}|\[::1\])(:\d+)?(\/|$)/;

/** Sessions STS may grant, in seconds: what AWS allows for a role's maximum session duration. */
const SESSION_DURATION_RANGE = [900, 43_200] as const;
const VIRTUAL_HOSTED_NAME = new RegExp(BUCKET_NAME_PATTERN);

type Entry = Record<string, unknown>;

/**
 * Runs the cross-field checks on `checked` (the schema check's output) and normalizes it in place: bucket options
 * become strings, role audiences become lists.
 *
 * @param raw the document as given, used to see what the user wrote (e.g. both audience spellings)
 * @param checked the schema check's output
 * @param baseDirectory directory relative `fs` roots are resolved against
 * @param issues where problems go
 * @param warnings where remarks go that do not stop the config from loading (what the original multistore accepts)
 * @param references whether scopes and `allowed_roles` must name configured buckets and roles (false for a document
 *   holding part of a configuration)
 */
export function crossCheck(
  raw: unknown,
  checked: unknown,
  baseDirectory: string | undefined,
  issues: ConfigIssue[],
  warnings: string[] = [],
  references = true
): void {
  if (!isEntry(checked)) return;
  // Names come from the raw document so that a bucket whose name failed its own check does not also make every
  // scope that mentions it fail.
  const rawBuckets = entriesOf(isEntry(raw) ? raw.buckets : undefined);
  const bucketNames = references ? stringsOf(rawBuckets, "name") : undefined;
  const roleIds = references ? stringsOf(entriesOf(isEntry(raw) ? raw.roles : undefined), "role_id") : undefined;

  entriesOf(checked.buckets).forEach((bucket, index) => {
    if (bucket === undefined) return;
    const path = joinPath("buckets", index);
    // "azure" and "gs" (the original's other spellings) are az and gcs, unless registered as types of their own.
    if (typeof bucket.backend_type === "string" && !hasBackendType(bucket.backend_type) && Object.hasOwn(BACKEND_TYPE_ALIASES, bucket.backend_type)) {
      bucket.backend_type = BACKEND_TYPE_ALIASES[bucket.backend_type];
    }
    if (typeof bucket.backend_type === "string" && isEntry(bucket.backend_options)) {
      const options = bucket.backend_options as Record<string, string | number | boolean>;
      // Options that failed their type check are gone from `options` but were written: not "missing".
      const rawOptions = rawBuckets[index]?.backend_options;
      const writtenRaw = isEntry(rawOptions)
        ? Object.keys(rawOptions).filter((key) => rawOptions[key] !== undefined)
        : [];
      const written = new Set([...Object.keys(options), ...writtenRaw]);
      bucket.backend_options = checkBackendOptions(bucket.backend_type, options, written, path, baseDirectory, issues);
    }
    checkRoleReferences(bucket.allowed_roles, joinPath(path, "allowed_roles"), roleIds, warnings);
    if (typeof bucket.name === "string" && !isVirtualHostedName(bucket.name)) {
      warnings.push(
        `${joinPath(path, "name")}: ${JSON.stringify(bucket.name)} cannot be used in a host name (virtual-hosted style ` +
          "needs 3-63 lowercase letters, digits, \".\" and \"-\"): clients must address it path-style"
      );
    }
  });
  checkUnique(checked.buckets, "buckets", "name", "bucket names", issues);
  checkLimitRules(checked, bucketNames, issues, warnings);

  entriesOf(checked.credentials).forEach((credential, index) => {
    if (credential === undefined) return;
    checkScopes(
      credential.allowed_scopes,
      joinPath(joinPath("credentials", index), "allowed_scopes"),
      bucketNames,
      issues
    );
  });
  checkUnique(checked.credentials, "credentials", "access_key_id", "access key ids", issues);

  const rawRoles = entriesOf(isEntry(raw) ? raw.roles : undefined);
  entriesOf(checked.roles).forEach((role, index) => {
    if (role === undefined) return;
    const path = joinPath("roles", index);
    const written = rawRoles[index];
    // `!= null`: a JSON `null` means "unset", as in the schema check.
    if (written?.required_audience != null && written.required_audiences != null) {
      const legacyPath = joinPath(path, "required_audience");
      issues.push({
        path: legacyPath,
        message: `${legacyPath}: set either required_audiences or the legacy required_audience, not both`,
      });
    }
    role.required_audiences = audiences(role.required_audiences ?? role.required_audience);
    delete role.required_audience;
    const duration = role.max_session_duration_secs;
    if (typeof duration === "number") {
      const [floor, ceiling] = SESSION_DURATION_RANGE;
      const clamped = Math.min(Math.max(duration, floor), ceiling);
      if (clamped !== duration) {
        warnings.push(`${joinPath(path, "max_session_duration_secs")}: ${duration} is outside ${floor}..${ceiling}; using ${clamped}`);
        role.max_session_duration_secs = clamped;
      }
    }
    if (Array.isArray(role.trusted_oidc_issuers) && role.trusted_oidc_issuers.length === 0) {
      warnings.push(`${joinPath(path, "trusted_oidc_issuers")}: no issuers are trusted, so no token can assume this role`);
    }
    const issuers: unknown[] = Array.isArray(role.trusted_oidc_issuers) ? role.trusted_oidc_issuers : [];
    issuers.forEach((issuer, index) => {
      // STS fetches issuers over https only (plain http on loopback, for test issuers, when allowed): said at load
      // rather than as an IDPCommunicationError on every call.
      if (typeof issuer === "string" && issuer.startsWith("http://") && !LOOPBACK_HTTP.test(issuer)) {
        warnings.push(`${joinPath(joinPath(path, "trusted_oidc_issuers"), index)}: ${JSON.stringify(issuer)} is not https; STS fetches issuers over https only, so no token from it can assume this role`);
      }
    });
    checkScopes(role.allowed_scopes, joinPath(path, "allowed_scopes"), bucketNames, issues);
  });
  checkUnique(checked.roles, "roles", "role_id", "role ids", issues);
}

function audiences(value: unknown): string[] {
  if (typeof value === "string") return [value];
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : [];
}

function checkScopes(
  scopes: unknown,
  path: string,
  bucketNames: ReadonlySet<string> | undefined,
  issues: ConfigIssue[]
): void {
  if (bucketNames === undefined) return;
  entriesOf(scopes).forEach((scope, index) => {
    const bucket = scope?.bucket;
    // "{sub}" and the like are filled in from the token's claims when STS mints credentials.
    if (typeof bucket !== "string" || bucket === "*" || bucketNames.has(bucket) || /\{[^}]*\}/.test(bucket)) return;
    const bucketPath = joinPath(joinPath(path, index), "bucket");
    const known = bucketNames.size === 0 ? "no buckets are configured" : `configured: ${[...bucketNames].join(", ")}`;
    issues.push({
      path: bucketPath,
      message: `${bucketPath}: ${JSON.stringify(
        bucket
      )} is not a configured bucket (${known}; use "*" for every bucket)`,
    });
  });
}

/** A bucket naming a role that is not configured: no credentials of that role can exist, so it only warns. */
function checkRoleReferences(
  roles: unknown,
  path: string,
  roleIds: ReadonlySet<string> | undefined,
  warnings: string[]
): void {
  if (!Array.isArray(roles) || roleIds === undefined) return;
  roles.forEach((roleId: unknown, index) => {
    // `"*"` lets every role in (core's authorization reads it so).
    if (typeof roleId !== "string" || roleId === "*" || roleIds.has(roleId)) return;
    const known = roleIds.size === 0 ? "no roles are configured" : `configured: ${[...roleIds].join(", ")}`;
    warnings.push(`${joinPath(path, index)}: ${JSON.stringify(roleId)} is not a configured role_id (${known}); it grants nothing`);
  });
}

function isVirtualHostedName(name: string): boolean {
  return name.length >= 3 && name.length <= 63 && VIRTUAL_HOSTED_NAME.test(name) && !name.includes("..");
}

/** Reports every entry whose `key` repeats an earlier entry's. The values are identifiers, never secrets. */
function checkUnique(list: unknown, listPath: string, key: string, what: string, issues: ConfigIssue[]): void {
  const seen = new Map<string, number>();
  entriesOf(list).forEach((entry, index) => {
    const value = entry?.[key];
    if (typeof value !== "string") return;
    const first = seen.get(value);
    if (first === undefined) {
      seen.set(value, index);
      return;
    }
    const path = joinPath(joinPath(listPath, index), key);
    issues.push({
      path,
      message: `${path}: ${JSON.stringify(value)} is already used by ${joinPath(
        listPath,
        first
      )} (${what} must be unique)`,
    });
  });
}

function isEntry(value: unknown): value is Entry {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The entries of a list, positions kept (`undefined` where an entry is not a table). */
function entriesOf(value: unknown): (Entry | undefined)[] {
  return Array.isArray(value) ? value.map((item: unknown) => (isEntry(item) ? item : undefined)) : [];
}

/**
 * The `key` of every entry, or undefined when some entry has none: references cannot be judged then, and
 * reporting them would only repeat the entry's own error.
 */
function stringsOf(entries: (Entry | undefined)[], key: string): Set<string> | undefined {
  const values = new Set<string>();
  for (const entry of entries) {
    const value = entry?.[key];
    if (typeof value !== "string") return undefined;
    values.add(value);
  }
  return values;
}
