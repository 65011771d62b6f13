/** The two executable results: a backend request to forward, and a native operation. */
import type { AwsChunkedEncoding } from "./aws-chunked.js";
import type { BodyChecks } from "./checksums/body-checks.js";
import type { BodyPlan } from "./request-body.js";
import { isS3Error, toS3Error } from "./errors.js";
import { filterResponseHeaders } from "./headers.js";
import { backendError, readErrorDocument } from "./operations/backend-errors.js";
import { errorResponse, stampHeaders } from "./responses.js";
import type { ForwardDispatch, NativeDispatch, PlainResponse } from "./types.js";

/** Largest backend error document the runtime reads to translate it. */
export const MAX_BACKEND_ERROR_BYTES = 64 * 1024;

/** What the runtime sends after the backend answered. */
export interface ForwardedResponse {
  /** Status for the client. */
  status: number;
  /** Headers for the client (filtered, stamped). */
  headers: Headers;
  /**
   * Set when the backend's body must not reach the client (an error): read at most `MAX_BACKEND_ERROR_BYTES` of it,
   * pass the text here and send the returned response instead.
   */
  replaceBody?: (backendBody: string) => PlainResponse<never>;
}

/** A backend request the runtime executes with its own HTTP client, streaming both ways. */
export interface ForwardResult {
  /** Discriminant. */
  type: "forward";
  /** The backend request. */
  request: { method: string; url: string; headers: Headers };
  /** Set when the client's body is aws-chunked: decode it while streaming it to the backend. */
  bodyEncoding?: AwsChunkedEncoding;
  /** Set when the body must match a hash or checksum: verify it while streaming (see `RequestBodyDecoder`). */
  bodyChecks?: BodyChecks;
  /** Turns the backend's status and headers into the client's response. `backendMs`: time to backend headers. */
  respond(status: number, headers: Headers, backendMs?: number): ForwardedResponse;
}

/** An operation the backend performs in process with the client's body. */
export interface NativeResult<B> {
  /** Discriminant. */
  type: "native";
  /** Set when the client's body is aws-chunked: pass `execute` the decoded stream. */
  bodyEncoding?: AwsChunkedEncoding;
  /** Set when the body must match a hash or checksum: pass `execute` the verifying stream. */
  bodyChecks?: BodyChecks;
  /**
   * Runs it. Never throws: failures become error responses. `bodyFailure` tells why the body stream failed when the
   * runtime's decoding or verification of it did (a refused checksum is the client's fault: answered, not reported
   * as an internal error).
   */
  execute(body: B | null, signal: AbortSignal, bodyFailure?: () => unknown): Promise<PlainResponse<B>>;
}

/** Timing for Server-Timing, when enabled. */
export interface DispatchTiming {
  /** `performance.now()` when the gateway started on the request. */
  started: number;
  /** Time spent before dispatch. */
  dispatchMs: number;
}

/** What finishing a dispatch needs to know about its request. */
export interface DispatchContext {
  /** Request id for headers and error documents. */
  requestId: string;
  /** Client's method (HEAD errors are bodiless). */
  method: string;
  /** Resource for error documents. */
  resource: string;
  /** Server-Timing, when enabled. */
  timing?: DispatchTiming;
  /** Headers every response of this request carries (CORS). */
  extraHeaders?: Headers;
  /** Called with internal failures worth logging. */
  report?: (error: unknown) => void;
}

function timingFor(timing: DispatchTiming | undefined, backendMs: number | undefined) {
  if (!timing) return undefined;
  return { total: performance.now() - timing.started, dispatch: timing.dispatchMs, ...(backendMs !== undefined && { backend: backendMs }) };
}

/** Wraps a forward dispatch with response translation. */
export function finishForward(dispatch: ForwardDispatch & BodyPlan, context: DispatchContext): ForwardResult {
  const { requestId, method, resource, timing, extraHeaders } = context;
  return {
    type: "forward",
    request: { method: dispatch.method, url: dispatch.url, headers: dispatch.headers },
    ...(dispatch.bodyEncoding && { bodyEncoding: dispatch.bodyEncoding }),
    ...(dispatch.bodyChecks && { bodyChecks: dispatch.bodyChecks }),
    respond(status, backendHeaders, backendMs) {
      const mapped = dispatch.mapResponse ? dispatch.mapResponse(status, backendHeaders) : { status, headers: backendHeaders };
      const renderError = (error: unknown): PlainResponse<never> => {
        const response = errorResponse(error, method, resource, requestId);
        stampHeaders(response.headers, requestId, timingFor(timing, backendMs), extraHeaders);
        return response;
      };
      if (isS3Error(mapped)) {
        const response = renderError(mapped);
        return { status: response.status, headers: response.headers, replaceBody: () => response };
      }
      const headers = filterResponseHeaders(mapped.headers);
      stampHeaders(headers, requestId, timingFor(timing, backendMs), extraHeaders);
      if (mapped.status < 400 && mapped.status !== 304) return { status: mapped.status, headers };
      const fromHeaders = headers.get("x-amz-error-code") ?? undefined;
      return {
        status: mapped.status,
        headers,
        replaceBody: (text) => {
          const document = readErrorDocument(text);
          return renderError(backendError(mapped.status, document.code ?? fromHeaders, document.message));
        },
      };
    },
  };
}

/** Wraps a native dispatch: errors become S3 error responses; headers are filtered and stamped. */
export function finishNative<B>(dispatch: NativeDispatch<B> & BodyPlan, context: DispatchContext): NativeResult<B> {
  const { requestId, method, resource, timing, extraHeaders, report } = context;
  return {
    type: "native",
    ...(dispatch.bodyEncoding && { bodyEncoding: dispatch.bodyEncoding }),
    ...(dispatch.bodyChecks && { bodyChecks: dispatch.bodyChecks }),
    async execute(body, signal, bodyFailure) {
      const started = performance.now();
      try {
        const response = await dispatch.execute(body, signal);
        const headers = filterResponseHeaders(response.headers);
        stampHeaders(headers, requestId, timingFor(timing, performance.now() - started), extraHeaders);
        return { ...response, headers };
      } catch (caught) {
        // The backend saw its body stream fail; the stream's own reason is the one to answer with.
        const error = bodyFailure?.() ?? caught;
        const s3Error = toS3Error(error);
        if (s3Error.status >= 500) report?.(error);
        const response = errorResponse(s3Error, method, resource, requestId);
        stampHeaders(response.headers, requestId, timingFor(timing, performance.now() - started), extraHeaders);
        return response;
      }
    },
  };
}
