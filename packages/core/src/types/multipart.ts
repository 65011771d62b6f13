/** What multipart uploads ask a backend: the parts a CompleteMultipartUpload names, ListParts and ListMultipartUploads. */

/** A part named in CompleteMultipartUpload. */
export interface CompletedPart {
  /** 1..10000, ascending. */
  partNumber: number;
  /** ETag as the client sent it (quotes included when it sent them). */
  etag: string;
  /** Checksums the client sent with the part, by algorithm name (`ChecksumCRC32`, ...). */
  checksums?: Record<string, string>;
}

/** A part of an upload in progress, as ListParts shows it. */
export interface UploadedPart {
  /** 1..10000. */
  partNumber: number;
  /** ETag including quotes, as UploadPart answered it. */
  etag: string;
  /** Bytes. */
  size: number;
  /** When the part was uploaded (or the best the backend knows). */
  lastModified: Date;
  /** The part's checksums, by S3's element name (`ChecksumCRC32`, ...), where the backend keeps them. */
  checksums?: Record<string, string>;
}

/** What ListParts asks a backend: one page of an upload's parts, in ascending part number. */
export interface ListPartsRequest {
  /** Parts per page (1..1000). */
  maxParts: number;
  /** Only parts numbered above this (0: from the first). */
  partNumberMarker: number;
}

/** One page of an upload's parts. */
export interface ListPartsResult {
  /** Ascending part numbers, all above the marker, at most `maxParts`. */
  parts: UploadedPart[];
  /** Whether parts numbered above the last one listed remain. */
  isTruncated: boolean;
  /** The storage class the upload's object will have, as S3 names it (absent: STANDARD). */
  storageClass?: string;
}

/** What ListMultipartUploads asks a backend: one page of the uploads in progress under a prefix. */
export interface ListUploadsRequest {
  /** Only uploads of keys starting with this (a full backend key prefix). */
  prefix: string;
  /** Only uploads of keys after this one; with `uploadIdMarker`, also this key's uploads after that upload. */
  keyMarker?: string;
  /** With `keyMarker`: the backend upload id (of an upload of `keyMarker`) the page starts after. */
  uploadIdMarker?: string;
  /** Uploads per page (1..1000). */
  maxUploads: number;
}

/** An upload in progress, as ListMultipartUploads shows it. */
export interface ListedUpload {
  /** Full backend key. */
  key: string;
  /** The backend's upload id (core hands clients its own id wrapping it). */
  uploadId: string;
  /** When the upload was started (or the best the backend knows). */
  initiated: Date;
  /** The storage class the upload's object will have, as S3 names it (absent: STANDARD). */
  storageClass?: string;
}

/** One page of uploads in progress. */
export interface ListUploadsResult {
  /**
   * In UTF-8 byte order of their keys; a key's uploads in the order the backend keeps them (S3 and fs: by initiation),
   * the same order `uploadIdMarker` pages through. At most `maxUploads`.
   */
  uploads: ListedUpload[];
  /** Whether uploads after the last one listed remain. */
  isTruncated: boolean;
}
