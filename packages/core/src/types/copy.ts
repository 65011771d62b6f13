/** What server-side copies ask a backend: CopyObject and UploadPartCopy. */
import type { Backend } from "./backend.js";

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
  /**
   * Set by core when the client's copy changes the object it copies (new metadata, a storage class, encryption): a
   * copy onto itself is then no error. Such settings may not reach a store that keeps none of them, so `headers`
   * alone cannot tell.
   */
  changesObject?: boolean;
}

/** The bytes of a part copy's source (inclusive offsets), from `x-amz-copy-source-range`. */
export interface CopyRange {
  /** First byte. */
  first: number;
  /** Last byte (inclusive). */
  last: number;
}

/** An UploadPartCopy request: an object (or a range of it) copied into one part of a multipart upload. */
export interface PartCopyRequest<B = unknown> {
  /** Backend of the source bucket (the same object as `this` for copies within a bucket). */
  sourceBackend: Backend<B>;
  /** Full backend key of the source. */
  sourceKey: string;
  /** `versionId` of the source, if given. */
  sourceVersionId?: string;
  /** The source bytes to copy; the whole object when absent. Check it against the source's size (`checkCopyRange`). */
  range?: CopyRange;
  /** Full backend key of the upload. */
  key: string;
  /** The backend's upload id. */
  uploadId: string;
  /** The part number (1..10000, checked). */
  partNumber: number;
  /** Copy-relevant client headers; the backend evaluates `x-amz-copy-source-if-*` against the source. */
  headers: Headers;
}
