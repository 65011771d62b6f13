/**
 * `@multistore/backend-r2`: serves a bucket straight from a Cloudflare R2 bucket binding (Workers only). See
 * `createR2Backend`.
 */
export { createR2Backend, type R2BackendOptions } from "./r2-backend.js";
export type {
  R2Bucket,
  R2Conditional,
  R2GetOptions,
  R2HTTPMetadata,
  R2ListOptions,
  R2MultipartOptions,
  R2MultipartUpload,
  R2Object,
  R2ObjectBody,
  R2Objects,
  R2PutOptions,
  R2PutValue,
  R2Range,
  R2UploadedPart,
} from "./r2-types.js";

export { R2_OPTION_RULES } from "./option-rules.js";
