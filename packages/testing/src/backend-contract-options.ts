/** Options of the shared backend contract (`runBackendContract`). */
import type { Backend } from "@multistore/core/backend";

/**
 * Known defects of an emulator a backend is tested against (e.g. s3rver standing in for S3). Each flag names one
 * thing the emulator gets wrong; the contract then leaves out only the assertions (or the requests) that defect
 * breaks and still runs the rest of the test. Real backends set none of them.
 */
export interface EmulatorGaps {
  /** A suffix range (`Range: bytes=-N`) is served from the start of the object instead of as its last N bytes. */
  suffixRangeFromStart?: boolean;
  /** GET/HEAD never answer 412: a failing `If-Match` or `If-Unmodified-Since` is ignored. */
  ignoresReadPreconditions?: boolean;
  /** Keys holding `& < > '` come back XML-escaped twice in listings (`a&amp;amp;b`), i.e. as different keys. */
  listKeysDoubleEscaped?: boolean;
  /**
   * Listings come in the order of the emulator's on-disk file walk rather than UTF-8 byte order (`c/d` before
   * `c-d`, because the directory `c` sorts before the file `c-d`).
   */
  listsInFileOrder?: boolean;
  /**
   * With a delimiter, a common prefix is left out when none of its keys sits directly below it (keys only at
   * `p/dir2/sub/z` give no `p/dir2/`).
   */
  omitsDeepCommonPrefixes?: boolean;
  /**
   * With a delimiter, a start-after equal to a common prefix (`p/d1/`) does not skip that prefix: it is listed
   * again, so V1-style paging (marker = last common prefix) would repeat it.
   */
  startAfterKeepsCommonPrefix?: boolean;
  /** `max-keys` limits only the `Contents` of a page; `CommonPrefixes` come on top of it. */
  maxKeysIgnoresCommonPrefixes?: boolean;
  /** The ETag of a multipart object is a plain MD5 of its bytes, without S3's `-<part count>` suffix. */
  multipartEtagWithoutPartCount?: boolean;
  /**
   * CompleteMultipartUpload checks neither part order nor part ETags: a wrong list completes the object (and
   * consumes the upload) instead of failing with InvalidPartOrder / InvalidPart. Such requests are not sent.
   */
  completeIgnoresPartOrderAndEtags?: boolean;
  /**
   * CompleteMultipartUpload naming a part number never uploaded kills the emulator (connection closed) instead of
   * failing with InvalidPart. Such requests are not sent.
   */
  completeCrashesOnMissingPart?: boolean;
  /**
   * CopyObject ignores `x-amz-copy-source-if-*`: a failing condition still copies instead of answering 412
   * PreconditionFailed. Such requests are not sent.
   */
  copyIgnoresSourceConditions?: boolean;
  /** UploadPartCopy into an upload id that does not exist succeeds instead of failing with NoSuchUpload. Not sent. */
  partCopyIgnoresUploadId?: boolean;
  /**
   * UploadPart answers an opaque id as the part's ETag instead of the part's MD5 (miniflare's local R2; real R2 has
   * returned the MD5 for uploads created since June 2023).
   */
  partEtagNotMd5?: boolean;
  /** Checksums given with a put (`x-amz-checksum-*`) are neither verified nor kept (s3rver). */
  keepsNoChecksums?: boolean;
}

/** Options of `runBackendContract`. */
export interface BackendContractOptions {
  /** Suite name (the backend's kind). */
  name: string;
  /** Makes a fresh, empty backend (called once per suite), and how to dispose of it. */
  setup(): Promise<{ backend: Backend<any>; cleanup?(): Promise<void> }>;
  /**
   * Optional features; the matching tests exist only when true (default: all off; `listParts` and `listUploads` must
   * match the backend's optional `listParts` and `listMultipartUploads`, `partCopy` its `uploadPartCopy`).
   */
  capabilities?: { conditionalWrites?: boolean; abortMultipart?: boolean; listParts?: boolean; listUploads?: boolean; partCopy?: boolean };
  /** Defects of the emulator standing in for the real store (default: none). Only for emulator-backed suites. */
  emulatorGaps?: EmulatorGaps;
  /**
   * The stream type native dispatches get request bodies as (default `node`, as on the Node server); Workers-only
   * backends ask for `web` ReadableStreams.
   */
  nativeBody?: "node" | "web";
}
