/** Azure's error codes (`x-ms-error-code`) as the S3 errors clients understand. */
import { isS3Error, S3Error, type S3ErrorCode } from "@multistore/core";
import { backendError } from "@multistore/core/backend";
import { archived } from "./storage-class.js";

/** A failed Azure request, as both builds' clients report it. */
export class AzureError extends Error {
  /** HTTP status Azure answered. */
  readonly status: number;
  /** Azure's error code, when it sent one. */
  readonly code: string | undefined;

  constructor(status: number, code: string | undefined, message?: string) {
    super(`Azure answered ${status}${code ? ` ${code}` : ""}${message ? `: ${message}` : ""}`);
    this.name = "AzureError";
    this.status = status;
    this.code = code;
  }
}

/** Codes that translate one to one. */
const DIRECT: Record<string, S3ErrorCode> = {
  BlobNotFound: "NoSuchKey",
  // A blob in the Archive tier is offline (until rehydrated, or while it is): S3's answer for a GLACIER object not
  // restored.
  BlobArchived: "InvalidObjectState",
  BlobBeingRehydrated: "InvalidObjectState",
  // A conditional request that failed; 409 BlobAlreadyExists is what `If-None-Match: *` on a write gets.
  ConditionNotMet: "PreconditionFailed",
  SourceConditionNotMet: "PreconditionFailed",
  TargetConditionNotMet: "PreconditionFailed",
  BlobAlreadyExists: "PreconditionFailed",
  InvalidRange: "InvalidRange",
  Md5Mismatch: "BadDigest",
  InvalidMd5: "InvalidDigest",
  RequestBodyTooLarge: "EntityTooLarge",
  InvalidBlockList: "InvalidPart",
  ServerBusy: "SlowDown",
  InvalidHeaderValue: "InvalidArgument",
  InvalidMetadata: "InvalidArgument",
  MetadataTooLarge: "InvalidArgument",
  InvalidBlobOrBlock: "InvalidArgument",
  InvalidBlockId: "InvalidArgument",
  InvalidResourceName: "InvalidArgument",
  // Blob index tags Azure refused (the backend checks S3's limits and Azure's characters first).
  InvalidTag: "InvalidTag",
  TagsTooLarge: "InvalidTag",
  EmptyTagName: "InvalidTag",
  DuplicateTagNames: "InvalidTag",
};

/** The gateway's own credentials or SAS were refused (or a public container forbids the operation). */
const AUTH_CODES = new Set([
  "AuthenticationFailed",
  "AuthorizationFailure",
  "AuthorizationPermissionMismatch",
  "AuthorizationResourceTypeMismatch",
  "AuthorizationProtocolMismatch",
  "AuthorizationSourceIPMismatch",
  "AuthorizationServiceMismatch",
  "NoAuthenticationInformation",
  "InsufficientAccountPermissions",
  "AccountIsDisabled",
  "PublicAccessNotPermitted",
]);

/** The S3 error for an Azure failure. */
export function azureToS3Error(status: number, code: string | undefined, message?: string): S3Error {
  const cause = new AzureError(status, code, message);
  if (code === "ContainerNotFound") {
    // The configured container is missing: a configuration problem of the gateway, which core answers with 503.
    return backendError(404, "NoSuchBucket", cause.message);
  }
  if (code === "CannotVerifyCopySource") {
    // Azure reports the copy source's own failure under this code, with that failure's status.
    if (status === 404) return new S3Error("NoSuchKey", { cause });
    if (status === 412) return new S3Error("PreconditionFailed", { cause });
  }
  if (code !== undefined && AUTH_CODES.has(code)) return new S3Error("AccessDenied", { cause });
  // Azure's codes index an object literal: an inherited name (`constructor`) is no code of ours.
  const direct = code !== undefined && Object.hasOwn(DIRECT, code) ? DIRECT[code] : undefined;
  if (direct === "InvalidObjectState") return archived(cause);
  if (direct !== undefined) return new S3Error(direct, { cause });
  if (status === 404 && code === undefined) return new S3Error("NoSuchKey", { cause });
  if (status === 403) return new S3Error("AccessDenied", { cause });
  return backendError(status, undefined, cause.message);
}

/** `azureToS3Error` for anything a client threw: Azure failures are translated, network failures become 503. */
export function toS3Failure(error: unknown): S3Error {
  if (isS3Error(error)) return error;
  if (error instanceof AzureError) return azureToS3Error(error.status, error.code, error.message);
  return new S3Error("ServiceUnavailable", { message: "The storage backend is unreachable.", cause: error });
}

/** Runs one call to Azure; what it throws becomes the S3 error it means (see `toS3Failure`). */
export async function azureCall<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw toS3Failure(error);
  }
}
