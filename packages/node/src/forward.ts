/**
 * Executes a forward result with undici's dispatcher API: the backend's response goes straight into the client's
 * `ServerResponse`, chunk by chunk with backpressure, and its headers are parsed once into the record that
 * `writeHead` takes. No `Headers`, no web streams, no `pipeline` and no per-request `AbortController` on this path:
 * the client going away aborts the backend request through undici's own abort callback.
 */
import type { ServerResponse } from "node:http";
import type { Readable } from "node:stream";
import type { GatewayResult } from "@multistore/core";
import { clientResponseHeaders, createHeaderRecord, type HeaderMap, headerRecord, isStrippedResponseHeader, MAX_BACKEND_ERROR_BYTES, type ForwardedResponse } from "@multistore/core/runtime";
import { util, type Dispatcher } from "undici";
import { resetConnection } from "./reset-connection.js";

type ForwardResult = Extract<GatewayResult<Readable>, { type: "forward" }>;

/** How a forward ended. `error` is set when it failed before or while the response was sent. */
export interface ForwardOutcome {
  /** Status sent to the client (0 when nothing could be sent). */
  status: number;
  /** Body bytes written to the client. */
  bytesSent: number;
  /** Why it failed. */
  error?: unknown;
  /** When the backend's error document replaced its body: that document's text (for the log's error code). */
  backendErrorText?: string;
  /** Set when the backend answered: the client's response has started (or is complete). */
  answered: boolean;
  /** Set when the backend failed after the response started (the client was cut, not gone): a failure of ours. */
  backendFailed?: true;
}

/**
 * Backend response headers as a record of lowercase names (repeated names joined), for `respond`, without the ones
 * clients never see: those are left undecoded, and `respond` takes the record as it is (see `clientResponseHeaders`).
 * Names go through undici's lookup of well-known header names, which answers an interned lowercase string without
 * decoding the bytes.
 */
function parseRawHeaders(raw: Buffer[]): HeaderMap {
  const record = createHeaderRecord();
  for (let index = 0; index < raw.length; index += 2) {
    const name = util.headerNameToString(raw[index]!);
    if (isStrippedResponseHeader(name)) continue;
    const value = raw[index + 1]!.toString("latin1");
    const previous = record[name];
    record[name] = previous === undefined ? value : `${previous}, ${value}`;
  }
  return clientResponseHeaders(record);
}

/**
 * The origin of the last forwarded URL. Requests go to a handful of backends: handing undici the same origin string
 * again lets its per-origin pool lookup use the string's cached hash instead of hashing a fresh slice each time.
 */
let lastOrigin = "";

/** Splits an absolute URL into origin and path-with-query without a URL object. */
export function splitUrl(url: string): { origin: string; path: string } {
  if (lastOrigin !== "" && url.charCodeAt(lastOrigin.length) === 47 /* "/" */ && url.startsWith(lastOrigin)) return { origin: lastOrigin, path: url.slice(lastOrigin.length) };
  const pathStart = url.indexOf("/", url.indexOf("//") + 2);
  if (pathStart === -1) return { origin: url, path: "/" };
  lastOrigin = url.slice(0, pathStart);
  return { origin: lastOrigin, path: url.slice(pathStart) };
}

/** undici's legacy handler interface: what `Client` calls natively, with no wrapping. */
class ForwardHandler implements Dispatcher.DispatchHandler {
  private abort: ((reason?: Error) => void) | undefined;
  private resume: (() => void) | undefined;
  private replaced: ForwardedResponse | undefined;
  private replacedChunks: Buffer[] = [];
  private replacedBytes = 0;
  /** Set when the backend's body is let go of unread (`ForwardedResponse.bodyUnread`): the answer is already sent. */
  private letGo = false;
  private bytesSent = 0;
  private readonly started = performance.now();
  private settled = false;
  /** The headers of the response as it started (read only if the backend fails mid-body). */
  private sentHeaders: Headers | undefined;
  private readonly onClientClose = () => {
    if (!this.response.writableFinished) this.abort?.(new Error("client went away"));
  };

  constructor(
    private readonly result: ForwardResult,
    private readonly response: ServerResponse,
    private readonly settle: (outcome: ForwardOutcome) => void,
  ) {
    response.once("close", this.onClientClose);
  }

  onConnect(abort: (reason?: Error) => void): void {
    this.abort = abort;
    if (this.response.destroyed) abort(new Error("client went away"));
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    this.resume = resume;
    const answer = this.result.respond(statusCode, parseRawHeaders(rawHeaders), performance.now() - this.started);
    if (answer.replaceBody) {
      this.replaced = answer;
      if (answer.bodyUnread) {
        // Answered now; the backend's body (an object, not an error document) is let go of, not read to its end.
        this.sendReplacement("");
        // (Set once answered: a failure to answer still takes the error path.)
        this.letGo = true;
        this.abort?.(new Error("the backend's body is not needed"));
      }
      return true;
    }
    this.response.writeHead(answer.status, headerRecord(answer.headers));
    this.sentHeaders = answer.headers;
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.letGo) return true;
    if (this.replaced) {
      if (this.replacedBytes < MAX_BACKEND_ERROR_BYTES) this.replacedChunks.push(chunk);
      this.replacedBytes += chunk.length;
      return true;
    }
    this.bytesSent += chunk.length;
    if (this.response.write(chunk)) return true;
    this.response.once("drain", this.resume!);
    return false;
  }

  onComplete(): void {
    if (this.letGo) return;
    if (this.replaced) {
      this.sendReplacement(Buffer.concat(this.replacedChunks).subarray(0, MAX_BACKEND_ERROR_BYTES).toString("utf8"));
      return;
    }
    this.response.end();
    this.finish({ status: this.response.statusCode, bytesSent: this.bytesSent, answered: true });
  }

  /** Sends the document that replaces the backend's body (`text`: what was read of that body). */
  private sendReplacement(text: string): void {
    const replacement = this.replaced!.replaceBody!(text);
    const headers = headerRecord(replacement.headers);
    const body = typeof replacement.body === "string" ? Buffer.from(replacement.body) : null;
    if (body) headers["content-length"] = String(body.length);
    this.response.writeHead(replacement.status, headers);
    this.response.end(body ?? undefined);
    // (A replaced success, GetObjectAttributes' document, has no backend error to log; a body let go of unread has
    // no backend document: the log's error code is our own.)
    const logged = this.replaced!.bodyUnread ? (typeof replacement.body === "string" ? replacement.body : "") : text;
    this.finish({ status: replacement.status, bytesSent: body?.length ?? 0, ...(replacement.status >= 400 && { backendErrorText: logged }), answered: true });
  }

  onError(error: Error): void {
    // (Our own abort of a body let go of: the answer was sent.)
    if (this.letGo) return;
    if (this.response.headersSent) {
      // The client left first (its close aborted the backend request), or the backend failed mid-body.
      const backendFailed = !this.response.destroyed;
      // A started body cannot become an error document: the client must see a broken response, never a short one.
      // A body with a length, or chunked, shows a client it was cut; one delimited by the connection's end (HTTP/1.0
      // without a length) would look complete after a clean close: that connection is reset instead.
      const socket = this.response.socket;
      const closeDelimited = !this.response.chunkedEncoding && this.sentHeaders?.get("content-length") == null;
      if (backendFailed && socket && closeDelimited) resetConnection(socket);
      this.response.destroy();
      this.finish({ status: this.response.statusCode, bytesSent: this.bytesSent, error, answered: true, ...(backendFailed && { backendFailed: true }) });
      return;
    }
    this.finish({ status: 0, bytesSent: 0, error, answered: false });
  }

  private finish(outcome: ForwardOutcome): void {
    if (this.settled) return;
    this.settled = true;
    this.response.off("close", this.onClientClose);
    if (this.resume) this.response.off("drain", this.resume);
    this.settle(outcome);
  }
}

/** Options of one forward. */
export interface ForwardOptions {
  /** The pool backend requests go through. */
  dispatcher: Dispatcher;
  /** The body to send (the client's, possibly decoded), or null. Its length is the request's `content-length`. */
  body: Readable | null;
}

/**
 * Sends the backend request and streams its answer to `response`. Never rejects: when the backend could not be
 * reached or failed before answering, the outcome has `answered: false` and nothing was written.
 */
export function forward(result: ForwardResult, response: ServerResponse, options: ForwardOptions): Promise<ForwardOutcome> {
  return new Promise((resolve) => forwardThen(result, response, options, resolve));
}

/** `forward`, calling `settle` once with the outcome instead of resolving a promise (the server's own path). */
export function forwardThen(result: ForwardResult, response: ServerResponse, options: ForwardOptions, settle: (outcome: ForwardOutcome) => void): void {
  const { origin, path } = splitUrl(result.request.url);
  const handler = new ForwardHandler(result, response, settle);
  const headers = headerRecord(result.request.headers);
  try {
    options.dispatcher.dispatch({ origin, path, method: result.request.method as Dispatcher.HttpMethod, headers, body: options.body }, handler);
  } catch (error) {
    handler.onError(error as Error);
  }
}
