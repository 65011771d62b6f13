/**
 * Who may do what: actions and scopes, buckets and credentials as configured, the registries that serve them, and
 * the identity of a caller. Field names of configuration shapes follow the TOML configuration format (snake_case) so
 * a parsed config file is usable as is.
 */
/** An action a scope can grant. */
export type Action =
  | "get_object"
  | "get_object_version"
  | "head_object"
  | "put_object"
  | "delete_object"
  | "list_bucket"
  | "create_multipart_upload"
  | "upload_part"
  | "complete_multipart_upload"
  | "abort_multipart_upload";

/** Every action name, in a stable order. */
export const ACTIONS: readonly Action[] = [
  "get_object",
  "get_object_version",
  "head_object",
  "put_object",
  "delete_object",
  "list_bucket",
  "create_multipart_upload",
  "upload_part",
  "complete_multipart_upload",
  "abort_multipart_upload",
];

/** A grant: some actions on one bucket (or `*`), optionally limited to key prefixes. */
export interface AccessScope {
  /** Bucket name, or `*` for every bucket. */
  bucket: string;
  /** Key prefixes; empty means the whole bucket. See `prefixMatches` for the matching rule. */
  prefixes: string[];
  /** Actions granted. */
  actions: Action[];
}

/** A virtual bucket as clients see it, and where its objects really live. */
export interface BucketConfig {
  /** Name clients use. */
  name: string;
  /** Which backend serves it: `s3`, `az`, `gcs`, `fs`, `r2`, ... */
  backend_type: string;
  /** Prepended to every key on the backend and stripped from listings. */
  backend_prefix?: string;
  /** Whether anonymous callers may read and list it. */
  anonymous_access: boolean;
  /** Roles (by `role_id`) whose temporary credentials may use it. */
  allowed_roles?: string[];
  /** Backend-specific options (all strings, as in the TOML format). */
  backend_options: Record<string, string>;
  /** CORS rules of this bucket; they replace the global rules. */
  cors_rules?: import("../cors.js").CorsRule[];
}

/** A long-lived access key. */
export interface StoredCredential {
  /** Access key id clients sign with. */
  access_key_id: string;
  /** Secret key clients sign with. Never logged. */
  secret_access_key: string;
  /** Who this key belongs to (shown in logs). */
  principal_name: string;
  /** When the key was created (ISO 8601). */
  created_at: string;
  /** When the key stops working (ISO 8601), if ever. */
  expires_at?: string;
  /** A disabled key is refused with AccessDenied. */
  enabled: boolean;
  /** What the key may do. */
  allowed_scopes: AccessScope[];
}

/** Resolves bucket names to bucket configurations. The static config is one implementation. */
export interface BucketRegistry {
  /** The bucket with this name, or undefined. */
  getBucket(name: string): Promise<BucketConfig | undefined> | BucketConfig | undefined;
  /** Every bucket (ListBuckets filters it by what the caller may use). */
  listBuckets(): Promise<BucketConfig[]> | BucketConfig[];
}

/** Resolves access key ids to long-lived credentials. The static config is one implementation. */
export interface CredentialRegistry {
  /** The credential with this access key id, or undefined. */
  getCredential(accessKeyId: string): Promise<StoredCredential | undefined> | StoredCredential | undefined;
}

/** A temporary credential recovered from a session token. */
export interface TemporaryCredential {
  /** Access key id the token was minted with. */
  accessKeyId: string;
  /** Secret the request must be signed with. */
  secretAccessKey: string;
  /** Principal for logs (e.g. role and subject). */
  principalName: string;
  /** When it stops working. */
  expiresAt: Date;
  /** What it may do. */
  scopes: AccessScope[];
  /** Role it was minted for, if any (checked against `allowed_roles`). */
  roleId?: string;
}

/**
 * Turns an `x-amz-security-token` into a temporary credential. Throw an `S3Error` (ExpiredToken, AccessDenied) to
 * refuse; return undefined for tokens it does not recognise.
 */
export interface TemporaryCredentialResolver {
  /** Recover the credential sealed in `sessionToken`. */
  resolve(sessionToken: string): Promise<TemporaryCredential | undefined>;
}

/** Who is calling. */
export type Identity =
  | { type: "anonymous" }
  | {
      type: "credential";
      /** Access key id used to sign. */
      accessKeyId: string;
      /** Principal name for logs. */
      principalName: string;
      /** What the caller may do. */
      scopes: AccessScope[];
      /** Set for temporary credentials. */
      roleId?: string;
    };

/** The S3 operations Multistore serves. */
export type S3Operation =
  | "ListBuckets"
  | "ListObjects"
  | "ListObjectsV2"
  | "ListObjectVersions"
  | "GetObject"
  | "HeadObject"
  | "PutObject"
  | "CopyObject"
  | "DeleteObject"
  | "DeleteObjects"
  | "CreateMultipartUpload"
  | "UploadPart"
  | "UploadPartCopy"
  | "CompleteMultipartUpload"
  | "AbortMultipartUpload"
  | "HeadBucket"
  | "CreateBucket"
  | "DeleteBucket"
  | "GetBucketLocation"
  | "GetBucketVersioning"
  | "ListMultipartUploads"
  | "ListParts"
  | "GetObjectAttributes"
  | "GetObjectTagging"
  | "PutObjectTagging"
  | "DeleteObjectTagging"
  | "GetBucketAcl"
  | "GetObjectAcl"
  | "PutObjectAcl"
  | import("../operations/bucket-settings.js").BucketSettingOperation;

/** A body-carrying object operation: executed by the runtime so the body streams. */
export type ObjectOperation = "GetObject" | "HeadObject" | "PutObject" | "DeleteObject" | "UploadPart";
