import { escapeXml, replaceNonXml } from "./xml.js";

/** S3 error codes Multistore emits, with their HTTP status and a default message. */
const ERROR_CODES = {
  AccessDenied: [403, "Access Denied"],
  AuthorizationHeaderMalformed: [400, "The authorization header is malformed."],
  AuthorizationQueryParametersError: [400, "The presigned URL's authentication parameters are malformed."],
  BadDigest: [400, "The checksum you specified did not match what we received."],
  EntityTooLarge: [400, "Your proposed upload exceeds the maximum allowed size."],
  EntityTooSmall: [400, "Your proposed upload is smaller than the minimum allowed object size."],
  ExpiredToken: [400, "The provided token has expired."],
  IncompleteBody: [400, "You did not provide the number of bytes specified by the Content-Length HTTP header."],
  IncorrectNumberOfFilesInPostRequest: [400, "POST requires exactly one file upload per request."],
  InternalError: [500, "We encountered an internal error. Please try again."],
  InvalidAccessKeyId: [403, "The AWS access key ID you provided does not exist in our records."],
  InvalidArgument: [400, "Invalid argument."],
  InvalidBucketName: [400, "The specified bucket is not valid."],
  InvalidDigest: [400, "The Content-MD5 you specified is not valid."],
  InvalidObjectState: [403, "The operation is not valid for the object's storage class."],
  InvalidPart: [400, "One or more of the specified parts could not be found."],
  InvalidPartNumber: [416, "The requested partnumber is not satisfiable."],
  InvalidPartOrder: [400, "The list of parts was not in ascending order."],
  InvalidPolicyDocument: [400, "The content of the form does not meet the conditions specified in the policy document."],
  InvalidRange: [416, "The requested range is not satisfiable."],
  InvalidRedirectLocation: [400, "The website redirect location must have a prefix of 'http://' or 'https://' or '/', and be at most 2 KB long."],
  InvalidRequest: [400, "Invalid request."],
  InvalidStorageClass: [400, "The storage class you specified is not valid."],
  InvalidTag: [400, "The tag provided was not a valid tag."],
  InvalidToken: [400, "The provided token is malformed or otherwise invalid."],
  KeyTooLongError: [400, "Your key is too long."],
  MalformedACLError: [400, "The XML you provided was not well-formed or did not validate against our published schema."],
  MalformedPOSTRequest: [400, "The body of your POST request is not well-formed multipart/form-data."],
  MalformedXML: [400, "The XML you provided was not well-formed or did not validate against our published schema."],
  MaxPostPreDataLengthExceeded: [400, "Your POST request fields preceding the upload file were too large."],
  MethodNotAllowed: [405, "The specified method is not allowed against this resource."],
  MissingContentLength: [411, "You must provide the Content-Length HTTP header."],
  MissingSecurityHeader: [400, "Your request is missing a required header."],
  NoSuchBucket: [404, "The specified bucket does not exist."],
  NoSuchKey: [404, "The specified key does not exist."],
  NoSuchUpload: [404, "The specified multipart upload does not exist."],
  NoSuchVersion: [404, "The specified version does not exist."],
  NotImplemented: [501, "A header or operation you provided implies functionality that is not implemented."],
  NotModified: [304, "Not Modified"],
  PreconditionFailed: [412, "At least one of the preconditions you specified did not hold."],
  RequestTimeout: [400, "Your socket connection to the server was not read from or written to within the timeout period."],
  RequestTimeTooSkewed: [403, "The difference between the request time and the server's time is too large."],
  ServiceUnavailable: [503, "Service is unable to handle request."],
  SignatureDoesNotMatch: [
    403,
    "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
  ],
  SlowDown: [503, "Please reduce your request rate."],
  TooManyRequests: [429, "Too many requests."],
  XAmzContentSHA256Mismatch: [400, "The provided 'x-amz-content-sha256' header does not match what was computed."],
} as const satisfies Record<string, readonly [number, string]>;

/** A known S3 error code. */
export type S3ErrorCode = keyof typeof ERROR_CODES;

/** Options of an `S3Error`. */
export interface S3ErrorOptions {
  /** Message for the client; defaults to S3's message for the code. Never put secrets here. */
  message?: string;
  /** Overrides the code's usual HTTP status. */
  status?: number;
  /** Underlying error, kept for logs (never rendered). */
  cause?: unknown;
  /** Extra elements rendered in the error document (e.g. `Key`, `BucketName`). */
  details?: Record<string, string>;
  /** Extra response headers (e.g. `retry-after`). */
  headers?: Record<string, string>;
  /**
   * Show `message` even on a 5xx. Only for messages written for operators that name no secret (a broken
   * configuration names the field to fix).
   */
  expose?: boolean;
}

/** The one error type of Multistore: it knows its S3 code and status and renders S3's XML error document. */
export class S3Error extends Error {
  /** S3 error code, e.g. `NoSuchKey`. */
  readonly code: string;
  /** HTTP status. */
  readonly status: number;
  /** Extra elements for the XML document. */
  readonly details: Record<string, string>;
  /** Extra response headers. */
  readonly headers: Record<string, string>;
  /** Whether a 5xx message may be shown. */
  readonly expose: boolean;

  constructor(code: S3ErrorCode | (string & {}), options: S3ErrorOptions = {}) {
    const known = (ERROR_CODES as Record<string, readonly [number, string]>)[code];
    super(options.message ?? known?.[1] ?? code, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "S3Error";
    this.code = code;
    this.status = options.status ?? known?.[0] ?? 500;
    this.details = options.details ?? {};
    this.headers = options.headers ?? {};
    this.expose = options.expose ?? false;
  }

  /** Renders the S3 XML error document. 5xx messages are generic: details belong in the log. */
  toXml(resource: string, requestId: string): string {
    // NotImplemented messages are ours and say what is missing; other 5xx details belong in the log only.
    const message = this.status >= 500 && !this.expose && this.code !== "NotImplemented" ? genericMessage(this.code) : this.message;
    const details = Object.entries(this.details)
      .map(([name, value]) => `<${name}>${escapeXml(carriable(value))}</${name}>`)
      .join("");
    return (
      `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${escapeXml(this.code)}</Code>` +
      `<Message>${escapeXml(carriable(message))}</Message>${details}<Resource>${escapeXml(carriable(resource))}</Resource>` +
      `<RequestId>${escapeXml(requestId)}</RequestId></Error>`
    );
  }
}

/**
 * A value an error document echoes (a key, a path), with what XML cannot carry percent-encoded: a raw control
 * character would make the whole document one no client can parse.
 */
function carriable(value: string): string {
  return replaceNonXml(value, (character) => `%${character.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`);
}

function genericMessage(code: string): string {
  return (ERROR_CODES as Record<string, readonly [number, string]>)[code]?.[1] ?? "We encountered an internal error.";
}

/** Whether `value` is an `S3Error` (also across duplicated module copies). */
export function isS3Error(value: unknown): value is S3Error {
  return value instanceof S3Error || (value instanceof Error && value.name === "S3Error" && "code" in value);
}

/** Wraps anything thrown into an `S3Error`: S3 errors pass, the rest become InternalError with the cause kept. */
export function toS3Error(error: unknown): S3Error {
  if (isS3Error(error)) return error;
  return new S3Error("InternalError", { cause: error });
}
