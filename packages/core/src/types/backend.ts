/**
 * The backend contract: what a backend is asked (object requests, listings, multipart, batch delete, copy) and the
 * results a runtime executes (a request to forward, or a native operation).
 */
import type { ChecksumAlgorithm } from "../checksums/algorithms.js";
import type { BucketConfig, ObjectOperation } from "./access.js";
import type { CopyRequest, PartCopyRequest } from "./copy.js";
import type { CompletedPart, ListPartsRequest, ListPartsResult, ListUploadsRequest, ListUploadsResult } from "./multipart.js";

export type { CopyRange, CopyRequest, PartCopyRequest } from "./copy.js";
export type { CompletedPart, ListedUpload, ListPartsRequest, ListPartsResult, ListUploadsRequest, ListUploadsResult, UploadedPart } from "./multipart.js";

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
  /**
   * UploadPart: its part (1..10000). GetObject and HeadObject: the part to read (`?partNumber=N`), given only to a
   * backend that `readsParts`.
   */
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
  mapResponse?: (status: number, headers: Headers) => { status: number; headers: Headers } | import("../errors.js").S3Error;
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

/** The outcome of a batch delete, per key (full backend keys). */
export interface DeleteObjectsResult {
  /** Keys deleted (or that did not exist). */
  deleted: string[];
  /** Keys that failed, with an S3 error code and message. */
  errors: { key: string; code: string; message: string }[];
}

/** A version of an object to delete (a DeleteObjects entry that names a `VersionId`). */
export interface ObjectVersion {
  /** Full backend key. */
  key: string;
  /** The version, as the client named it (`null`: the version an unversioned object has). */
  versionId: string;
}

/** Result of deleting versions of objects. */
export interface DeleteVersionsResult {
  /**
   * Versions deleted (or that did not exist). `deleteMarker` when the version deleted was a delete marker (or the
   * delete made one), `deleteMarkerVersionId` that marker's version, as the store says.
   */
  deleted: (ObjectVersion & { deleteMarker?: boolean; deleteMarkerVersionId?: string })[];
  /** Versions that failed, with an S3 error code and message. */
  errors: (ObjectVersion & { code: string; message: string })[];
}

/** Result of a write done by a backend in process. */
export interface WriteResult {
  /** ETag including quotes. */
  etag: string;
  /** When known. */
  lastModified?: Date;
  /** Extra headers to return to the client (version id, checksums, ...). */
  headers?: Headers;
  /**
   * A copy's: the checksums the new object (or part) keeps (`x-amz-checksum-crc32` -> base64), which CopyObjectResult
   * and CopyPartResult show (see `copiedChecksums`).
   */
  checksums?: Record<string, string>;
  /**
   * S3's `ChecksumType` of `checksums` (`FULL_OBJECT` or `COMPOSITE`) where the store says; else core names it:
   * COMPOSITE for a value of parts (`…-3`), FULL_OBJECT otherwise.
   */
  checksumType?: string;
}

/** A bucket's default encryption of new objects, as GetBucketEncryption shows it. */
export interface BucketEncryption {
  /** `AES256`, `aws:kms` or `aws:kms:dsse`. */
  algorithm: string;
  /** Whether KMS encryption uses S3 Bucket Keys. */
  bucketKeyEnabled: boolean;
}

/** One tag of an object (GetObjectTagging). */
export interface ObjectTag {
  /** Tag key. */
  key: string;
  /** Tag value. */
  value: string;
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
  /**
   * Whether the store reads one part of a multipart object itself (S3's `partNumber` on GetObject and HeadObject):
   * `ObjectRequest.partNumber` is then passed on. Without it, core reads the object as its one part (see
   * `preparePartRead`): a store that keeps no part boundaries cannot say where a part starts.
   */
  readonly readsParts?: boolean;
  /**
   * Whether the store encrypts every object at rest with keys it manages, whatever a write asks: SSE-S3 (`AES256`)
   * writes are then taken and GetBucketEncryption answers SSE-S3. Azure Storage, Cloud Storage and R2 always do (core
   * knows them by `kind`); an fs root on encrypted storage may say so.
   */
  readonly encryptsAtRest?: boolean;
  /**
   * The whole-object checksums a PutObject keeps when it carries one as a header (`x-amz-checksum-<algorithm>`),
   * having verified it; undefined: every algorithm S3 takes (an S3 store, fs). A copy streamed from another store
   * gives the destination the source's checksum in one of these: Cloud Storage keeps only a CRC32C, R2 only SHAs,
   * Azure none. A CopyObject naming another algorithm (`x-amz-checksum-algorithm`) is refused with 501, within the
   * store too: its copy could not keep it.
   */
  readonly keptChecksums?: readonly ChecksumAlgorithm[];
  /**
   * Whole-object checksums the store computes and keeps on every write, given or not (Cloud Storage's CRC32C), and
   * answers a PutObject with: a copy streamed into it that names one needs none from its source.
   */
  readonly computedChecksums?: readonly ChecksumAlgorithm[];
  /**
   * Prepare GetObject, HeadObject, PutObject, DeleteObject or UploadPart. May answer synchronously (a presigned URL
   * still held): the gateway then forwards without a promise turn.
   */
  prepareObject(request: ObjectRequest): ObjectDispatch<B> | Promise<ObjectDispatch<B>>;
  /** One page of keys. */
  listObjects(request: ListRequest): Promise<ListResult>;
  /** Start a multipart upload. */
  createMultipartUpload(key: string, headers: Headers): Promise<{ uploadId: string }>;
  /** Assemble the parts (in the given order) into the object. Honours `if-match` / `if-none-match` in `headers`. */
  completeMultipartUpload(key: string, uploadId: string, parts: CompletedPart[], headers: Headers): Promise<WriteResult>;
  /** Forget an upload and its parts. */
  abortMultipartUpload(key: string, uploadId: string): Promise<void>;
  /**
   * One page of an upload's parts (ListParts); `NoSuchUpload` when the upload is unknown. Optional: without it,
   * ListParts answers `501 NotImplemented` (R2's Workers binding, for one, cannot list parts).
   */
  listParts?(key: string, uploadId: string, request: ListPartsRequest): Promise<ListPartsResult>;
  /**
   * One page of the uploads in progress under a prefix (ListMultipartUploads). Optional: without it, no upload is
   * listed, which is right for a backend that cannot list an upload's parts either (a client that finds an upload
   * resumes it with ListParts).
   */
  listMultipartUploads?(request: ListUploadsRequest): Promise<ListUploadsResult>;
  /** Delete up to 1000 keys. */
  deleteObjects(keys: string[]): Promise<DeleteObjectsResult>;
  /**
   * Delete up to 1000 named versions (DeleteObjects entries with a `VersionId`), each that version only. Optional:
   * without it, core deletes version `null` as the object itself (the only version an unversioned object has) and
   * answers any other version `NoSuchVersion`.
   */
  deleteObjectVersions?(versions: ObjectVersion[]): Promise<DeleteVersionsResult>;
  /** Server-side copy. Throws `NotImplemented` when the source is in another copy domain. */
  copyObject(request: CopyRequest<B>): Promise<WriteResult>;
  /**
   * UploadPartCopy: copies the source (or its range) into a part; the result's ETag is the part's, as UploadPart
   * answers it. Throws `NotImplemented` when the source is in another copy domain. Optional: without it,
   * UploadPartCopy answers `501 NotImplemented` (and clients copying large objects in parts fail).
   */
  uploadPartCopy?(request: PartCopyRequest<B>): Promise<WriteResult>;
  /**
   * GetObjectTagging: the object's tags (`NoSuchKey` when it does not exist) and the version they belong to.
   * Optional: a backend that stores no tags leaves it out, and its objects have an empty tag set.
   */
  getObjectTagging?(key: string, versionId?: string): Promise<{ tags: ObjectTag[]; versionId?: string }>;
  /**
   * PutObjectTagging: replaces the object's tags (`NoSuchKey` when it does not exist); the version they were set on.
   * Optional, with `deleteObjectTagging`: a backend that stores no tags leaves both out, and only an empty tag set
   * may be put on its objects (they have no other).
   */
  putObjectTagging?(key: string, tags: readonly ObjectTag[], versionId?: string): Promise<{ versionId?: string }>;
  /** DeleteObjectTagging: removes the object's tags (`NoSuchKey` when it does not exist). */
  deleteObjectTagging?(key: string, versionId?: string): Promise<{ versionId?: string }>;
  /**
   * GetBucketEncryption: what the store encrypts new objects of the bucket with; undefined when it has no default set,
   * or will not say (the gateway's credentials may not read it). Optional: without it, the answer follows the store's
   * kind (the stores that encrypt everything answer SSE-S3).
   */
  getBucketEncryption?(): Promise<BucketEncryption | undefined>;
}

/** Makes the backend of a bucket from its configuration. Called once per bucket configuration object. */
export type BackendFactory<B = unknown> = (bucket: BucketConfig) => Backend<B>;
