/**
 * The small types that every part of Multistore shares: configuration shapes, identities, the backend contract and
 * the results a runtime executes. Field names of configuration shapes follow the TOML configuration format
 * (snake_case) so a parsed config file is usable as is.
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
  cors_rules?: import("./cors.js").CorsRule[];
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
  | "GetObject"
  | "HeadObject"
  | "PutObject"
  | "CopyObject"
  | "DeleteObject"
  | "DeleteObjects"
  | "CreateMultipartUpload"
  | "UploadPart"
  | "CompleteMultipartUpload"
  | "AbortMultipartUpload"
  | "HeadBucket"
  | "CreateBucket"
  | "DeleteBucket"
  | "GetBucketLocation"
  | "GetBucketVersioning"
  | "ListMultipartUploads";

/** A body-carrying object operation: executed by the runtime so the body streams. */
export type ObjectOperation = "GetObject" | "HeadObject" | "PutObject" | "DeleteObject" | "UploadPart";

/** What a backend needs to prepare a body-carrying object operation. */
export interface ObjectRequest {
  /** Which operation. */
  operation: ObjectOperation;
  /** Full backend key (the bucket's `backend_prefix` already applied). */
  key: string;
  /** Client headers that may be forwarded (already filtered). */
  headers: Headers;
  /** `versionId` query parameter, for reads and deletes of a version. */
  versionId?: string;
  /** UploadPart only. */
  uploadId?: string;
  /** UploadPart only (1..10000). */
  partNumber?: number;
  /** GetObject response overrides (`response-content-type`, ...), passed through to the backend. */
  responseOverrides?: Record<string, string>;
  /** Writes: checksums the runtime verified (`x-amz-checksum-crc32` -> base64); complete once the body has ended. */
  verifiedChecksums?: () => Record<string, string>;
}

/** The runtime sends this request with its own HTTP client, streaming the client's body up and the response down. */
export interface ForwardDispatch {
  /** Discriminant. */
  type: "forward";
  /** HTTP method. */
  method: string;
  /** Fully signed (usually presigned) backend URL. */
  url: string;
  /** Headers to send. */
  headers: Headers;
  /**
   * Maps the backend's status and headers to S3's (e.g. Azure's `x-ms-meta-*` to `x-amz-meta-*`, its error codes to
   * S3 errors). Return an `S3Error` to replace the backend's body with an S3 error document.
   */
  mapResponse?: (status: number, headers: Headers) => { status: number; headers: Headers } | import("./errors.js").S3Error;
}

/** A response produced in process (by a native backend or by core). `B` is the runtime's stream type. */
export interface PlainResponse<B = unknown> {
  /** HTTP status. */
  status: number;
  /** Response headers. */
  headers: Headers;
  /** Body: a string or bytes, the runtime's own stream type, or nothing. */
  body: string | Uint8Array | B | null;
}

/** The backend does the I/O itself (a filesystem on Node, an R2 binding on Workers). */
export interface NativeDispatch<B = unknown> {
  /** Discriminant. */
  type: "native";
  /** Run the operation with the client's body stream (already de-framed when it was aws-chunked). */
  execute(body: B | null, signal: AbortSignal): Promise<PlainResponse<B>>;
}

/** How a backend wants an object operation executed. */
export type ObjectDispatch<B = unknown> = ForwardDispatch | NativeDispatch<B>;

/** One object of a listing. */
export interface ListedObject {
  /** Full backend key (core strips the bucket's backend_prefix). */
  key: string;
  /** Last modification time. */
  lastModified: Date;
  /** ETag including its quotes. */
  etag: string;
  /** Size in bytes. */
  size: number;
  /** Storage class (default STANDARD). */
  storageClass?: string;
}

/** A request for one page of a listing. Keys and prefixes are full backend keys. */
export interface ListRequest {
  /** Only keys starting with this. */
  prefix: string;
  /** Roll keys up into common prefixes at this delimiter. */
  delimiter?: string;
  /** At most this many keys + common prefixes (1..1000). */
  maxKeys: number;
  /** Only keys after this one (V1 `marker`, V2 `start-after`). */
  startAfter?: string;
  /** Opaque token from a previous page's `nextContinuationToken`. */
  continuationToken?: string;
}

/** One page of a listing. */
export interface ListResult {
  /** Objects, in UTF-8 byte order of their keys. */
  objects: ListedObject[];
  /** Common prefixes (each ending with the delimiter), in order. */
  commonPrefixes: string[];
  /** Whether there is more. */
  isTruncated: boolean;
  /** Opaque token for the next page, when truncated. */
  nextContinuationToken?: string;
}

/** A part named in CompleteMultipartUpload. */
export interface CompletedPart {
  /** 1..10000, ascending. */
  partNumber: number;
  /** ETag as the client sent it (quotes included when it sent them). */
  etag: string;
  /** Checksums the client sent with the part, by algorithm name (`ChecksumCRC32`, ...). */
  checksums?: Record<string, string>;
}

/** The outcome of a batch delete, per key (full backend keys). */
export interface DeleteObjectsResult {
  /** Keys deleted (or that did not exist). */
  deleted: string[];
  /** Keys that failed, with an S3 error code and message. */
  errors: { key: string; code: string; message: string }[];
}

/** Result of a write done by a backend in process. */
export interface WriteResult {
  /** ETag including quotes. */
  etag: string;
  /** When known. */
  lastModified?: Date;
  /** Extra headers to return to the client (version id, checksums, ...). */
  headers?: Headers;
}

/** A server-side copy request. */
export interface CopyRequest<B = unknown> {
  /** Backend of the source bucket (the same object as `this` for copies within a bucket). */
  sourceBackend: Backend<B>;
  /** Full backend key of the source. */
  sourceKey: string;
  /** `versionId` of the source, if given. */
  sourceVersionId?: string;
  /** Full backend key of the destination. */
  key: string;
  /** Copy-relevant client headers (`x-amz-metadata-directive`, `x-amz-copy-source-if-*`, content headers, metadata). */
  headers: Headers;
}

/**
 * A storage backend for one bucket. Backends are made by `createXBackend(options)` factories and pass the shared
 * contract suite. Methods throw `S3Error` for S3-visible failures; other errors become 500/503.
 */
export interface Backend<B = unknown> {
  /** Short name for logs (`s3`, `fs`, ...). */
  readonly kind: string;
  /**
   * Identifies where the data lives (e.g. an endpoint URL with its credential, or `fs`); copies are possible between
   * backends whose `copyDomain` is equal.
   */
  readonly copyDomain: string;
  /** Prepare GetObject, HeadObject, PutObject, DeleteObject or UploadPart. */
  prepareObject(request: ObjectRequest): Promise<ObjectDispatch<B>>;
  /** One page of keys. */
  listObjects(request: ListRequest): Promise<ListResult>;
  /** Start a multipart upload. */
  createMultipartUpload(key: string, headers: Headers): Promise<{ uploadId: string }>;
  /** Assemble the parts (in the given order) into the object. Honours `if-match` / `if-none-match` in `headers`. */
  completeMultipartUpload(key: string, uploadId: string, parts: CompletedPart[], headers: Headers): Promise<WriteResult>;
  /** Forget an upload and its parts. */
  abortMultipartUpload(key: string, uploadId: string): Promise<void>;
  /** Delete up to 1000 keys. */
  deleteObjects(keys: string[]): Promise<DeleteObjectsResult>;
  /** Server-side copy. Throws `NotImplemented` when the source is in another copy domain. */
  copyObject(request: CopyRequest<B>): Promise<WriteResult>;
}

/** Makes the backend of a bucket from its configuration. Called once per bucket configuration object. */
export type BackendFactory<B = unknown> = (bucket: BucketConfig) => Backend<B>;
