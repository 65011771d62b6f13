/** The two executable results: a backend request to forward, and a native operation. */
import type { AwsChunkedEncoding } from "./aws-chunked.js";
import type { FormFileFraming } from "./post-object/form-file.js";
import type { BodyChecks } from "./checksums/body-checks.js";
import type { BodyPlan } from "./request-body.js";
import { isS3Error, S3Error, toS3Error } from "./errors.js";
import { backendResponseHeaders, filterResponseHeaders } from "./headers.js";
import { backendError, readErrorDocument } from "./operations/backend-errors.js";
import { wholeObjectAsPart } from "./operations/object-parts.js";
import { contextErrorResponse } from "./responses.js";
import { HeaderMap } from "./header-map.js";
import { ExchangeResult, type Exchange } from "./exchange.js";
import type { ForwardDispatch, NativeDispatch, PlainResponse } from "./types.js";

/** Largest backend error document the runtime reads to translate it. */
export const MAX_BACKEND_ERROR_BYTES = 64 * 1024;

/**
 * How the backend's answer becomes the client's, besides filtering: GetObjectAttributes and GetObjectTagging render
 * a head as an XML document; a form upload answers its PutObject as the form asked.
 */
export interface ResponsePlan {
  /**
   * Set when the backend's success (a 200, its filtered headers) is rendered as the client's answer: a HeadObject's
   * as a document, a form upload's as its 204, 201 or 303.
   */
  renderHead?: (headers: Headers) => PlainResponse<never>;
  /**
   * Set for a read of one part (`?partNumber=N`, its number): a `200` means the store holds the object whole
   * (`wholeObjectAsPart`). (Not `partNumber`, which an UploadPart's dispatch could carry.)
   */
  partRead?: number;
}

/** The backend headers a 304 keeps. */
const NOT_MODIFIED_HEADERS = ["etag", "last-modified", "cache-control", "expires", "vary", "x-amz-version-id"] as const;

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
  /**
   * Set with `replaceBody` when the backend's body is no error document but content the client must not get (an
   * object sent whole for a part past the first): call `replaceBody("")` at once and let go of the backend's body
   * unread, however long it is.
   */
  bodyUnread?: true;
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
  /** Set for a browser form upload: the file is cut out of the rest of the body while streaming. */
  formFile?: FormFileFraming;
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
  /** Set for a browser form upload: pass `execute` the file cut out of the rest of the body. */
  formFile?: FormFileFraming;
  /**
   * Runs it. Never throws: failures become error responses. `bodyFailure` tells why the body stream failed when the
   * runtime's decoding or verification of it did (a refused checksum is the client's fault: answered, not reported
   * as an internal error).
   */
  execute(body: B | null, signal: AbortSignal, bodyFailure?: () => unknown): Promise<PlainResponse<B>>;
}

/**
 * A forward dispatch as the runtime executes it: the backend request, and `respond`, which filters the backend's
 * headers, stamps the request's own and turns backend errors into S3 error documents.
 */
export class ForwardExchangeResult extends ExchangeResult implements ForwardResult {
  /** Discriminant. */
  readonly type = "forward" as const;
  /** The backend request. */
  readonly request: { method: string; url: string; headers: Headers };
  /** Set when the client's body is aws-chunked. */
  readonly bodyEncoding?: AwsChunkedEncoding;
  /** Set when the body must match a hash or checksum. */
  readonly bodyChecks?: BodyChecks;
  /** Set for a browser form upload. */
  readonly formFile?: FormFileFraming;
  private readonly mapResponse: ForwardDispatch["mapResponse"];
  private readonly renderHead: ResponsePlan["renderHead"];
  private readonly partRead: number | undefined;

  constructor(exchange: Exchange, dispatch: ForwardDispatch & BodyPlan & ResponsePlan) {
    super(exchange);
    this.renderHead = dispatch.renderHead;
    this.partRead = dispatch.partRead;
    this.request = { method: dispatch.method, url: dispatch.url, headers: dispatch.headers };
    if (dispatch.bodyEncoding) this.bodyEncoding = dispatch.bodyEncoding;
    if (dispatch.bodyChecks) this.bodyChecks = dispatch.bodyChecks;
    if (dispatch.formFile) this.formFile = dispatch.formFile;
    this.mapResponse = dispatch.mapResponse;
  }

  respond(status: number, backendHeaders: Headers, backendMs?: number): ForwardedResponse {
    const exchange = this.exchange;
    const mapped = this.mapResponse ? this.mapResponse(status, backendHeaders) : undefined;
    if (mapped !== undefined && isS3Error(mapped)) {
      const response = this.renderError(mapped, backendMs);
      return { status: response.status, headers: response.headers, replaceBody: () => response };
    }
    let finalStatus = mapped === undefined ? status : mapped.status;
    // What a backend's mapping returns is always filtered: it may have added any header (or returned a runtime's
    // filtered record with one added).
    const headers = mapped === undefined ? backendResponseHeaders(backendHeaders) : filterResponseHeaders(mapped.headers);
    if (this.partRead !== undefined && finalStatus === 200) {
      const answer = wholeObjectAsPart(this.partRead, headers);
      if (isS3Error(answer)) {
        const response = this.renderError(answer, backendMs);
        return { status: response.status, headers: response.headers, replaceBody: () => response, bodyUnread: true };
      }
      finalStatus = answer;
    }
    if (this.renderHead !== undefined && finalStatus === 200) {
      // The head's (empty) body is replaced by the document.
      const document = this.renderHead(headers);
      exchange.stamp(document.headers, backendMs);
      return { status: document.status, headers: document.headers, replaceBody: () => document };
    }
    if (finalStatus === 304) return { status: 304, headers: this.notModifiedHeaders(headers, backendMs) };
    if (finalStatus >= 300 && finalStatus < 400) {
      // A redirect names the backend (S3's 301 PermanentRedirect for a bucket in another region, its Endpoint, the
      // Location): the client must not be sent there, nor learn it. The store is misconfigured or moving: 503.
      const redirect = new Error(`the storage backend answered ${finalStatus}${headers.get("location") ? ` to ${headers.get("location")}` : ""}`);
      const response = this.renderError(new S3Error("ServiceUnavailable", { message: "The storage backend redirected the request.", cause: redirect }), backendMs);
      return { status: response.status, headers: response.headers, replaceBody: () => response };
    }
    exchange.stamp(headers, backendMs);
    if (finalStatus < 400) return { status: finalStatus, headers };
    const fromHeaders = headers.get("x-amz-error-code") ?? undefined;
    // The code for the request line until the body names one (a HEAD's error has none to read).
    exchange.context.errorCode = backendError(finalStatus, fromHeaders).code;
    return {
      status: finalStatus,
      headers,
      replaceBody: (text) => {
        const document = readErrorDocument(text);
        return this.renderError(backendError(finalStatus, document.code ?? fromHeaders, document.message), backendMs);
      },
    };
  }

  /**
   * A 304's headers: the validators a cache revalidates with and the caching headers a 200 would have carried (RFC
   * 9110, section 15.4.5), as S3 sends them; none that describe a body (there is none).
   */
  private notModifiedHeaders(headers: Headers, backendMs: number | undefined): Headers {
    const kept = new HeaderMap();
    for (const name of NOT_MODIFIED_HEADERS) {
      const value = headers.get(name);
      if (value !== null) kept.set(name, value);
    }
    this.exchange.stamp(kept, backendMs);
    return kept;
  }

  /** A backend's error as this request's S3 error response (a method: `respond` allocates no closure for it). */
  private renderError(error: unknown, backendMs: number | undefined): PlainResponse<never> {
    const exchange = this.exchange;
    const response = contextErrorResponse(error, exchange.method, exchange.resource ?? "/", exchange.context);
    exchange.stamp(response.headers, backendMs);
    return response;
  }
}

/** A native dispatch: errors become S3 error responses; headers are filtered and stamped. */
export class NativeExchangeResult<B> extends ExchangeResult implements NativeResult<B> {
  /** Discriminant. */
  readonly type = "native" as const;
  /** Set when the client's body is aws-chunked. */
  readonly bodyEncoding?: AwsChunkedEncoding;
  /** Set when the body must match a hash or checksum. */
  readonly bodyChecks?: BodyChecks;
  /** Set for a browser form upload. */
  readonly formFile?: FormFileFraming;

  constructor(
    exchange: Exchange,
    private readonly dispatch: NativeDispatch<B> & BodyPlan & ResponsePlan,
  ) {
    super(exchange);
    if (dispatch.bodyEncoding) this.bodyEncoding = dispatch.bodyEncoding;
    if (dispatch.bodyChecks) this.bodyChecks = dispatch.bodyChecks;
    if (dispatch.formFile) this.formFile = dispatch.formFile;
  }

  async execute(body: B | null, signal: AbortSignal, bodyFailure?: () => unknown): Promise<PlainResponse<B>> {
    const exchange = this.exchange;
    const started = performance.now();
    try {
      const response = await this.dispatch.execute(body, signal);
      const headers = filterResponseHeaders(response.headers);
      let status = response.status;
      if (this.dispatch.partRead !== undefined && status === 200) {
        // (A part past the first was asked of the store as a head: no native backend reads parts, so there is no
        // body to let go of.)
        const answer = wholeObjectAsPart(this.dispatch.partRead, headers);
        if (isS3Error(answer)) throw answer;
        status = answer;
      }
      if (this.dispatch.renderHead !== undefined && response.status === 200) {
        const document = this.dispatch.renderHead(headers);
        exchange.stamp(document.headers, performance.now() - started);
        return document;
      }
      exchange.stamp(headers, performance.now() - started);
      return { status, headers, body: response.body };
    } catch (caught) {
      // The backend saw its body stream fail; the stream's own reason is the one to answer with.
      const error = bodyFailure?.() ?? caught;
      const s3Error = toS3Error(error);
      // Aborted: the client left (the runtime logs it as such), which is no failure of ours to report.
      // NotImplemented is an answer to the request (a condition the backend cannot evaluate), no failure either.
      if (s3Error.status >= 500 && s3Error.code !== "NotImplemented" && !signal.aborted) exchange.options.onError?.(error, exchange.context);
      const response = contextErrorResponse(s3Error, exchange.method, exchange.resource ?? "/", exchange.context);
      exchange.stamp(response.headers, performance.now() - started);
      return response;
    }
  }
}
