/**
 * Maps errors thrown by the R2 binding to S3 errors. The binding throws plain Errors whose message ends with R2's
 * numeric code, e.g. `put: The specified object name is not valid. (10020)`; the real binding also sets `code`.
 * Codes without an S3 meaning stay as they are (core reports them as 500 InternalError).
 */
import { S3Error } from "@multistore/core";

/** R2 codes this backend maps (see https://developers.cloudflare.com/r2/api/error-codes/). */
export const R2_CODES = {
  /** R2's generic failure; on a multipart upload's calls it is what an unknown upload id gets (see `mapR2Error`). */
  internal: 10001,
  noSuchKey: 10007,
  entityTooSmall: 10011,
  metadataTooLarge: 10012,
  invalidObjectName: 10020,
  noSuchUpload: 10024,
  invalidPart: 10025,
  badDigest: 10037,
  invalidRange: 10039,
  multipartProblem: 10048,
} as const;

/** R2's numeric error code of `error`, if it carries one. */
export function r2ErrorCode(error: unknown): number | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "number") return code;
  const message = (error as { message?: unknown }).message;
  const match = typeof message === "string" ? /\((\d{5})\)\s*$/.exec(message) : null;
  return match ? Number(match[1]) : undefined;
}

/** What an error message may name. */
export interface ErrorContext {
  key?: string;
  uploadId?: string;
}

/** The S3 error for an R2 failure, or the error itself when it has no S3 meaning. */
export function mapR2Error(error: unknown, context: ErrorContext = {}): unknown {
  const cause = error;
  switch (r2ErrorCode(error)) {
    case R2_CODES.noSuchKey:
      return new S3Error("NoSuchKey", { cause, ...(context.key !== undefined && { details: { Key: context.key } }) });
    case R2_CODES.entityTooSmall:
      return new S3Error("EntityTooSmall", { cause });
    case R2_CODES.metadataTooLarge:
      return new S3Error("MetadataTooLarge", { status: 400, message: "Your metadata headers exceed the maximum allowed metadata size.", cause });
    case R2_CODES.invalidObjectName:
      return new S3Error("InvalidArgument", { message: "The specified object name is not valid.", cause });
    case R2_CODES.noSuchUpload:
      return new S3Error("NoSuchUpload", { cause, ...(context.uploadId !== undefined && { details: { UploadId: context.uploadId } }) });
    case R2_CODES.internal:
      // resumeMultipartUpload(...).uploadPart/complete/abort of an id R2 does not know fails with 10001, not 10024.
      if (context.uploadId !== undefined) return new S3Error("NoSuchUpload", { cause, details: { UploadId: context.uploadId } });
      break;
    case R2_CODES.invalidPart:
      return new S3Error("InvalidPart", { cause });
    case R2_CODES.badDigest:
      return new S3Error("BadDigest", { message: "The Content-MD5 you specified did not match what we received.", cause });
    case R2_CODES.multipartProblem:
      // R2's own restriction, stricter than S3: every part but the last must have the same size.
      return new S3Error("InvalidRequest", {
        message: "R2 could not assemble the parts: every part except the last must have the same size.",
        cause,
      });
  }
  // A FixedLengthStream errors when the client sends fewer or more bytes than its Content-Length announced.
  if (error instanceof Error && /did not see all expected bytes|too many bytes/i.test(error.message)) {
    return new S3Error("IncompleteBody", { cause });
  }
  return error;
}

/** Runs one binding call, turning its failures into S3 errors. */
export async function r2Call<T>(call: () => Promise<T>, context: ErrorContext = {}): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw mapR2Error(error, context);
  }
}
