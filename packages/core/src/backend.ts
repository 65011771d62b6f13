/**
 * @multistore/core/backend: for backend authors. The backend contract (what a backend is asked and how it answers),
 * the rules its `backend_options` are checked against, and the helpers the built-in backends share: conditional
 * requests, ranges and object headers, checksum response headers, backend error translation, S3 XML, keys and
 * encodings. Errors (`S3Error`, `isS3Error`) come from `@multistore/core`.
 */
export type { BucketConfig, ObjectOperation } from "./types/access.js";
export { contentMd5Of } from "./xml-body.js";
export { AnswerTooLargeError, CONTROL_TIMEOUT_MS, LONG_CONTROL_TIMEOUT_MS, MAX_CONTROL_ANSWER_BYTES, controlAnswerText, responseText, streamChunks } from "./control-answer.js";
export type {
  Backend,
  BackendFactory,
  BucketEncryption,
  CompletedPart,
  CopyRange,
  CopyRequest,
  DeleteObjectsResult,
  DeleteVersionsResult,
  ForwardDispatch,
  ListedObject,
  ListRequest,
  ListResult,
  ListPartsRequest,
  ListPartsResult,
  ListUploadsRequest,
  ListUploadsResult,
  ListedUpload,
  NativeDispatch,
  ObjectDispatch,
  ObjectRequest,
  ObjectTag,
  ObjectVersion,
  PartCopyRequest,
  PlainResponse,
  UploadedPart,
  WriteResult,
} from "./types/backend.js";
export {
  ALLOW_HTTP_OPTION,
  AUTH_TYPE_OPTION,
  OIDC_SUBJECT_OPTION,
  SKIP_SIGNATURE_OPTION,
  withAliases,
  type BackendOptionKind,
  type BackendOptionRule,
  type BackendOptionRules,
} from "./backend-option-rules.js";
export {
  bareEtag,
  checkCopySourceConditions,
  checkIfMatch,
  checkReadConditions,
  checkWriteConditions,
  COPY_SOURCE_CONDITIONS,
  etagList,
  evaluateConditions,
  hasWriteConditions,
  httpSeconds,
  READ_CONDITIONS,
  throwReadFailure,
  type ConditionNames,
  type ConditionOutcome,
} from "./conditions.js";
export { applyResponseOverrides, invalidRange, parseRangeHeader, resolveRange, type ByteRange, type RequestedRange } from "./object-headers.js";
export { setChecksumHeaders } from "./checksums/response-headers.js";
export { copiedChecksums, copyChecksumAlgorithm, type CopyChecksumOptions } from "./checksums/copy-checksums.js";
export { badDigest } from "./checksums/body-checks.js";
export { checksumHeaderName, DEFAULT_CHECKSUM_FACTORIES, type ChecksumAlgorithm, type ChecksumFactories, type IncrementalChecksum } from "./checksums/algorithms.js";
export { taggingHeader, tagsOfHeader } from "./object-tags.js";
export { backendError, readErrorDocument } from "./operations/backend-errors.js";
export { compareUtf8 } from "./operations/list.js";
export { childElement, childElements, childText, DEFAULT_XML_LIMITS, escapeXml, isXmlText, parseXml, replaceNonXml, type XmlElement, type XmlLimits } from "./xml.js";
export { parseListPartsResult } from "./operations/list-parts.js";
export { parseListMultipartUploadsResult } from "./operations/list-uploads.js";
export { pageOfUploads } from "./operations/upload-pages.js";
export { decodeKey, DOT_SEGMENT, encodeKeyPath } from "./keys.js";
export { fromBase64, fromHex, toBase64, toHex, uriEncode, utf8 } from "./encoding.js";
export { asciiTrimmed, canonicalBytes, isPastAscii } from "./header-text.js";
export { checkCopyRange, MAX_PART_COPY_BYTES } from "./operations/copy-range.js";
export { checkCopyChangesObject } from "./object-settings.js";
