/** The body-carrying object operations: the backend prepares them, the runtime executes them with streaming. */
import { awsChunkedEncodingOf, contentEncodingWithoutAwsChunked, type AwsChunkedEncoding } from "../aws-chunked.js";
import { bodyChecksFor, verifyEmptyBody, type BodyChecks } from "../checksums/body-checks.js";
import { S3Error } from "../errors.js";
import { forwardedRequestHeaders } from "../headers.js";
import { keepsObjectSettings } from "../object-settings.js";
import { settledOrPromise, type MaybePromise } from "../maybe-promise.js";
import { checkObjectWriteHeaders } from "../object-write-headers.js";
import { holdsControlCharacters } from "../header-text.js";
import { contentMd5Of } from "../xml-body.js";
import type { Query } from "../s3-request.js";
import type { VerifiedSignature } from "../sigv4/verify.js";
import type { Backend, Identity, ObjectDispatch, ObjectOperation, ObjectRequest } from "../types.js";

/** GetObject query parameters that override response headers. */
export const RESPONSE_OVERRIDES = [
  "response-content-type",
  "response-content-language",
  "response-expires",
  "response-cache-control",
  "response-content-disposition",
  "response-content-encoding",
];

/** Headers describing the client's framing, never forwarded once the body is decoded. */
const FRAMING_HEADERS = ["x-amz-decoded-content-length", "x-amz-trailer", "x-amz-content-sha256"];

/** A prepared object operation and how the runtime must decode the client's body. */
export interface PreparedObject<B> {
  /** What to execute. */
  dispatch: ObjectDispatch<B>;
  /** Set when the client's body is aws-chunked: the runtime decodes it while streaming. */
  bodyEncoding?: AwsChunkedEncoding;
  /** Set when the body must match a hash or checksum: the runtime verifies it while streaming. */
  bodyChecks?: BodyChecks;
}

/** UploadPart's (and UploadPartCopy's) parameters; `uploadId` is the backend's (unwrapped by the gateway), else the query's. */
export function uploadParameters(query: Query, uploadId?: string): { uploadId: string; partNumber: number } {
  return { uploadId: uploadId ?? query.get("uploadId")!, partNumber: partNumberOf(query) };
}

/** The query's `partNumber` (1..10000), else `InvalidArgument`. */
export function partNumberOf(query: Query): number {
  const raw = query.get("partNumber") ?? "";
  // Digits only (leading zeros aside): Number() would also read "1e3", "0x3e9" and "1.0".
  const partNumber = /^0*\d{1,5}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > 10000) {
    throw new S3Error("InvalidArgument", { message: "Part number must be an integer between 1 and 10000, inclusive", details: { ArgumentName: "partNumber" } });
  }
  return partNumber;
}

/**
 * Asks the backend to prepare the operation; handles aws-chunked framing and header filtering. A read or a delete is
 * prepared now when the backend answers now (a presigned URL it still holds). `partNumber`: the part a read asks a
 * backend that `readsParts` for.
 */
export function prepareObject<B>(
  backend: Backend<B>,
  operation: ObjectOperation,
  key: string,
  clientHeaders: Headers,
  query: Query,
  auth: { payloadHash?: string; signature?: VerifiedSignature; identity?: Identity },
  maxUploadBytes?: number,
  backendUploadId?: string,
  partNumber?: number,
): MaybePromise<PreparedObject<B>> {
  const sendsBody = operation === "PutObject" || operation === "UploadPart";
  // Only a real digest is passed on (the backend may verify it); markers describe the client's signing.
  const headers = forwardedRequestHeaders(clientHeaders, { object: { sendsBody }, settings: operation === "PutObject" && keepsObjectSettings(backend), ignoresCustomerKeys: operation === "DeleteObject" });
  if (sendsBody) return prepareUpload(backend, operation, key, clientHeaders, headers, query, auth, maxUploadBytes, backendUploadId);
  // Presigners put `x-amz-checksum-mode` in the query; it asks for the same as the header does.
  const checksumMode = query.get("x-amz-checksum-mode");
  if (checksumMode !== undefined && !headers.has("x-amz-checksum-mode")) headers.set("x-amz-checksum-mode", checksumMode);
  const request = objectRequest(operation, key, headers, query, backendUploadId, auth.identity?.type === "anonymous");
  if (partNumber !== undefined) request.partNumber = partNumber;
  const dispatch = settledOrPromise(backend.prepareObject(request));
  return dispatch instanceof Promise ? dispatch.then(preparedOf) : preparedOf(dispatch);
}

function preparedOf<B>(dispatch: ObjectDispatch<B>): PreparedObject<B> {
  return { dispatch };
}

/** Throws EntityTooLarge for a write of `length` bytes past the gateway's own cap (`maxUploadBytes`), if it has one. */
export function checkUploadCap(length: number, maxUploadBytes: number | undefined): void {
  if (maxUploadBytes !== undefined && length > maxUploadBytes) {
    throw new S3Error("EntityTooLarge", {
      message: `Your proposed upload exceeds the maximum allowed size of ${maxUploadBytes} bytes.`,
      details: { ProposedSize: String(length), MaxSizeAllowed: String(maxUploadBytes) },
    });
  }
}

/** S3's largest body of one PutObject or UploadPart (5 GiB): larger objects are uploaded in parts. */
const MAX_UPLOAD_BODY_BYTES = 5 * 1024 ** 3;

/** PutObject and UploadPart: the body's framing and checks, then the backend. */
async function prepareUpload<B>(
  backend: Backend<B>,
  operation: ObjectOperation,
  key: string,
  clientHeaders: Headers,
  headers: Headers,
  query: Query,
  auth: { payloadHash?: string; signature?: VerifiedSignature; identity?: Identity },
  maxUploadBytes: number | undefined,
  backendUploadId: string | undefined,
): Promise<PreparedObject<B>> {
  if (operation === "PutObject") checkObjectWriteHeaders(clientHeaders, false, backend);
  // A Content-MD5 that is no MD5 at all is refused before any backend sees it (InvalidDigest, as S3): stores differ
  // in what they answer to one, and some do not look at it.
  contentMd5Of(clientHeaders);
  const bodyEncoding = awsChunkedEncodingOf(clientHeaders, auth.payloadHash, auth.signature);
  const bodyChecks = bodyChecksFor(clientHeaders, auth.payloadHash, bodyEncoding !== undefined);
  if (bodyEncoding) {
    if (bodyEncoding.decodedLength === undefined) {
      throw new S3Error("MissingContentLength", { message: "aws-chunked uploads need x-amz-decoded-content-length." });
    }
    // Even an empty object's framing has its final chunk ("0\r\n\r\n"): an empty body is no aws-chunked body, and no
    // runtime would read it to find out.
    if (clientHeaders.get("content-length") === "0") {
      throw new S3Error("IncompleteBody", { message: "Malformed aws-chunked body: the body is empty, with no final chunk." });
    }
    for (const name of FRAMING_HEADERS) headers.delete(name);
    const contentEncoding = contentEncodingWithoutAwsChunked(clientHeaders.get("content-encoding"));
    if (contentEncoding) headers.set("content-encoding", contentEncoding);
    else headers.delete("content-encoding");
    headers.set("content-length", String(bodyEncoding.decodedLength));
  } else if (!clientHeaders.has("content-length")) {
    throw new S3Error("MissingContentLength");
  }
  const length = Number(headers.get("content-length"));
  // Past what S3 takes in one request, whatever the server allows (a backend would stage it before refusing it);
  // some such lengths are not even exact numbers here.
  if (!(length <= MAX_UPLOAD_BODY_BYTES)) {
    throw new S3Error("EntityTooLarge", { details: { ProposedSize: String(headers.get("content-length")), MaxSizeAllowed: String(MAX_UPLOAD_BODY_BYTES) } });
  }
  checkUploadCap(length, maxUploadBytes);
  // An empty body may reach the backend with no stream for the runtime to verify: settle its checks now.
  if (length === 0 && bodyChecks && bodyChecks.trailerChecksums.length === 0) await verifyEmptyBody(bodyChecks);
  const request = objectRequest(operation, key, headers, query, backendUploadId, false);
  if (bodyChecks) request.verifiedChecksums = () => ({ ...bodyChecks.verified });
  const dispatch = await backend.prepareObject(request);
  return { dispatch, ...(bodyEncoding && { bodyEncoding }), ...(bodyChecks && { bodyChecks }) };
}

/** Response overrides asked for anonymously: as S3, refused (anyone could change how a public object is served). */
export function anonymousOverrides(operation: ObjectOperation): S3Error {
  return new S3Error("InvalidRequest", { message: `Request specific response headers cannot be used for anonymous ${operation === "GetObject" ? "GET" : "HEAD"} requests.` });
}

/** The backend's request: the operation, its key and headers, and what the query asks of it. */
function objectRequest(operation: ObjectOperation, key: string, headers: Headers, query: Query, backendUploadId: string | undefined, anonymous: boolean): ObjectRequest {
  const request: ObjectRequest = { operation, key, headers };
  // Most object requests carry no query at all (presigned ones only their signature's).
  if (query.pairs.length > 0) {
    // (HeadObject takes them too: it answers with the headers GetObject would.)
    if (operation === "GetObject" || operation === "HeadObject") {
      let responseOverrides: Record<string, string> | undefined;
      for (const name of RESPONSE_OVERRIDES) {
        const value = query.get(name);
        if (value === undefined) continue;
        // As S3: anyone could otherwise change how a public object is served (say, as HTML from this origin).
        if (anonymous) throw anonymousOverrides(operation);
        // (Text past ASCII is sent as UTF-8, as S3 sends it: see `applyResponseOverrides`.)
        if (holdsControlCharacters(value)) {
          throw new S3Error("InvalidArgument", {
            message: `${name} must not hold control characters.`,
            details: { ArgumentName: name },
          });
        }
        responseOverrides ??= {};
        responseOverrides[name] = value;
      }
      if (responseOverrides) request.responseOverrides = responseOverrides;
    }
    const versionId = query.get("versionId");
    if (versionId !== undefined) request.versionId = versionId;
    if (operation === "UploadPart") Object.assign(request, uploadParameters(query, backendUploadId));
  }
  return request;
}
