/** Turns a backend's error response into an S3 error of our own, so backend details never reach clients. */
import { S3Error, type S3ErrorCode } from "../errors.js";

/** Codes passed on to the client as they are (with our message, resource and request id). */
const PASSED_CODES = new Set<string>([
  "NoSuchKey", "NoSuchUpload", "NoSuchVersion", "InvalidRange", "PreconditionFailed", "NotModified", "InvalidPart",
  "InvalidPartOrder", "EntityTooSmall", "EntityTooLarge", "BadDigest", "InvalidDigest", "InvalidArgument",
  "InvalidRequest", "KeyTooLongError", "MalformedXML", "IncompleteBody", "InvalidStorageClass", "MissingContentLength",
  "XAmzContentSHA256Mismatch", "SlowDown", "MethodNotAllowed", "NotImplemented", "InvalidObjectState", "InvalidPartNumber", "InvalidTag",
]);

/** Codes that mean the gateway's own backend credentials or configuration are wrong. */
const BACKEND_AUTH_CODES = new Set(["SignatureDoesNotMatch", "InvalidAccessKeyId", "AuthorizationHeaderMalformed", "ExpiredToken", "InvalidToken", "NoSuchBucket"]);

const DEFAULT_BY_STATUS: Record<number, S3ErrorCode> = {
  304: "NotModified",
  400: "InvalidRequest",
  403: "AccessDenied",
  404: "NoSuchKey",
  405: "MethodNotAllowed",
  411: "MissingContentLength",
  412: "PreconditionFailed",
  416: "InvalidRange",
  501: "NotImplemented",
  503: "ServiceUnavailable",
};

/** The `<Code>` and `<Message>` of an S3-style error document, if any. */
export function readErrorDocument(text: string): { code?: string; message?: string } {
  const code = /<Code>([^<]{1,128})<\/Code>/.exec(text)?.[1];
  const message = /<Message>([^<]{0,1024})<\/Message>/.exec(text)?.[1];
  return { ...(code !== undefined && { code }), ...(message !== undefined && { message }) };
}

/**
 * Maps a backend failure to the client's error. Backend authentication failures and a missing backend bucket are
 * configuration problems of the gateway: the client sees a generic error, the log sees the cause.
 */
export function backendError(status: number, code: string | undefined, backendMessage?: string): S3Error {
  const cause = new Error(`backend answered ${status}${code ? ` ${code}` : ""}${backendMessage ? `: ${backendMessage}` : ""}`);
  if (code && BACKEND_AUTH_CODES.has(code)) {
    return new S3Error("ServiceUnavailable", { status: 503, message: "The storage backend refused the gateway's request.", cause });
  }
  // Clients retry 503s; a failing backend is exactly that case. A store that says it does not implement the call (S3's
  // NotImplemented) is no failure to retry: its 501 is passed on. Any other 501 (a proxy's page) is a failure.
  if (status === 501 && code === "NotImplemented") return new S3Error("NotImplemented", { message: "The storage backend does not implement this request.", cause });
  if (status >= 500) return new S3Error("ServiceUnavailable", { cause });
  if (code && PASSED_CODES.has(code)) return new S3Error(code, { status, cause });
  if (code === "AccessDenied" || status === 403) return new S3Error("AccessDenied", { cause });
  const fallback = DEFAULT_BY_STATUS[status];
  return fallback ? new S3Error(fallback, { status, cause }) : new S3Error("InvalidRequest", { status, cause });
}
