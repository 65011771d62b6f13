/**
 * Constants of the configuration format, apart from the TypeBox schema that uses them so that run-time checks (the
 * Worker's) can import them without the schema builder.
 */

/** Default of `owner_id` and `owner_display_name` (what ListBuckets reports as the owner). */
export const DEFAULT_OWNER = "multistore-proxy";

/** Default of a role's `max_session_duration_secs` (one hour, as STS). */
export const DEFAULT_MAX_SESSION_DURATION_SECS = 3600;

/**
 * S3's bucket naming rules for names usable in a host name (virtual-hosted style); length is checked separately so
 * the pattern stays readable. Names outside it (legacy S3 names such as `My_Data`) load, with a warning, and are
 * served path-style.
 */
export const BUCKET_NAME_PATTERN = "^[a-z0-9][a-z0-9.-]*[a-z0-9]$";

/**
 * Bucket names accepted at all: legacy S3 names (letters of either case, digits, ".", "_" and "-"; 3-255), and ":"
 * for the buckets of a hierarchical namespace (`account:product`, see `path_mapping`).
 */
export const LEGACY_BUCKET_NAME_PATTERN = "^[A-Za-z0-9][A-Za-z0-9._:-]*$";
