/**
 * The part of the Workers R2 binding API this backend uses. Declared here (matching the real API in
 * `@cloudflare/workers-types`) rather than referenced, so the published `.d.ts` does not force those global types
 * on consumers; a real binding (`env.MY_BUCKET`) is structurally assignable to `R2Bucket`.
 *
 * Only the `R2Conditional` and `R2Range` object forms are used (never `Headers`): they work on the real binding and
 * through miniflare's Node-side proxy alike, and they let the backend apply S3's precedence rules itself.
 */

/** HTTP metadata stored with an object. */
export interface R2HTTPMetadata {
  contentType?: string;
  contentLanguage?: string;
  contentDisposition?: string;
  contentEncoding?: string;
  cacheControl?: string;
  cacheExpiry?: Date;
}

/** Preconditions of a get or put. ETags are bare (R2 refuses quoted ones); `*` matches any object. */
export interface R2Conditional {
  etagMatches?: string;
  etagDoesNotMatch?: string;
  uploadedBefore?: Date;
  uploadedAfter?: Date;
  /** Compare upload times truncated to seconds, as HTTP dates have no finer precision. */
  secondsGranularity?: boolean;
}

/** A byte range of a get. */
export type R2Range = { offset: number; length?: number } | { offset?: number; length: number } | { suffix: number };

/** Metadata of a stored object. */
export interface R2Object {
  readonly key: string;
  readonly size: number;
  /** Bare ETag. */
  readonly etag: string;
  /** Quoted ETag. */
  readonly httpEtag: string;
  readonly uploaded: Date;
  readonly httpMetadata?: R2HTTPMetadata;
  readonly customMetadata?: Record<string, string>;
  readonly storageClass: string;
  /** Digests R2 keeps: MD5 of single-part objects, and the SHA digests given at upload. */
  readonly checksums?: R2Checksums;
}

/** Digests of a stored object. */
export interface R2Checksums {
  readonly md5?: ArrayBuffer;
  readonly sha1?: ArrayBuffer;
  readonly sha256?: ArrayBuffer;
}

/** An object with its body (a get whose preconditions held). */
export interface R2ObjectBody extends R2Object {
  readonly body: ReadableStream;
}

/** Options of `R2Bucket.get`. */
export interface R2GetOptions {
  onlyIf?: R2Conditional;
  range?: R2Range;
}

/** Options of `R2Bucket.put`. */
export interface R2PutOptions {
  onlyIf?: R2Conditional;
  httpMetadata?: R2HTTPMetadata;
  customMetadata?: Record<string, string>;
  /** Expected MD5 (hex): R2 refuses the body with error 10037 when it differs. */
  md5?: string;
  /** Expected SHA-1 (hex), stored with the object; R2 takes one digest per put. */
  sha1?: string;
  /** Expected SHA-256 (hex), stored with the object. */
  sha256?: string;
  /** `Standard` or `InfrequentAccess`; the bucket's default class without it. */
  storageClass?: string;
}

/** Options of `R2Bucket.createMultipartUpload`. */
export interface R2MultipartOptions {
  httpMetadata?: R2HTTPMetadata;
  customMetadata?: Record<string, string>;
  /** The completed object's storage class (see `R2PutOptions.storageClass`). */
  storageClass?: string;
}

/** A part as `complete` wants it. */
export interface R2UploadedPart {
  partNumber: number;
  etag: string;
}

/** A body R2 accepts: streams must have a known length (a request body or a `FixedLengthStream`). */
export type R2PutValue = ReadableStream | ArrayBuffer | ArrayBufferView | string | null;

/** An open multipart upload. */
export interface R2MultipartUpload {
  readonly key: string;
  readonly uploadId: string;
  uploadPart(partNumber: number, value: Exclude<R2PutValue, null>): Promise<R2UploadedPart>;
  abort(): Promise<void>;
  complete(uploadedParts: R2UploadedPart[]): Promise<R2Object>;
}

/** Options of `R2Bucket.list`. */
export interface R2ListOptions {
  limit?: number;
  prefix?: string;
  cursor?: string;
  delimiter?: string;
  startAfter?: string;
}

/** One page of `R2Bucket.list`. */
export interface R2Objects {
  objects: R2Object[];
  delimitedPrefixes: string[];
  truncated: boolean;
  cursor?: string;
}

/** An R2 bucket binding. */
export interface R2Bucket {
  head(key: string): Promise<R2Object | null>;
  /** Resolves to an object without `body` when `onlyIf` fails, and to null when there is no such key. */
  get(key: string, options?: R2GetOptions): Promise<R2ObjectBody | R2Object | null>;
  /** Resolves to null when `onlyIf` fails. */
  put(key: string, value: R2PutValue, options?: R2PutOptions): Promise<R2Object | null>;
  createMultipartUpload(key: string, options?: R2MultipartOptions): Promise<R2MultipartUpload>;
  resumeMultipartUpload(key: string, uploadId: string): R2MultipartUpload;
  delete(keys: string | string[]): Promise<void>;
  list(options?: R2ListOptions): Promise<R2Objects>;
}
