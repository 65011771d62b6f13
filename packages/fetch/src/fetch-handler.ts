/**
 * The fetch runtime adapter (Cloudflare Workers, and any runtime with fetch and web streams): a Request in, a
 * Response out, the request line written once the response is sent (`waitUntil` keeps that alive past the return).
 */
import type { Gateway, GatewayResult } from "@multistore/core";
import { CLIENT_CLOSED, isFailure, isKeepAliveBody, requestLineOf, type PlainResponse, type RequestEnd } from "@multistore/core/runtime";
import { readBodyHead, withBody } from "./body-head.js";
import { BACKEND_ANSWER_TIMEOUT_MS, clientHeaders, DRAIN_BEFORE_REFUSING, drainedWithin, errorResponse, executeForward, executeNative, readLimited, requestOrigin, requestTarget, toResponse } from "./execute.js";
import { bodyAsIs, keepsLengths, lengthKeepingStream } from "./streams.js";
import { keptAliveResponse, type KeptAliveEnd } from "./kept-alive.js";
import type { Upload } from "./upload.js";

/** Options of `createFetchHandler`. */
export interface FetchHandlerOptions {
  /** The HTTP client for backend requests (default: the global `fetch`). */
  fetch?: typeof fetch;
  /**
   * How long a forwarded request without a body waits for the backend's headers (and an error document for its
   * end) before it is answered 503 (default 30 s).
   */
  backendAnswerTimeoutMs?: number;
  /** Receives each request's line (default: one JSON line through `console.log`). */
  log?: (line: Record<string, unknown>) => void;
  /**
   * The client's address (logs, `source_ip` rate limits), from the request and what the runtime passed as the
   * handler's second argument: Deno's `ServeHandlerInfo` (`(_request, info) => info.remoteAddr.hostname`), or what a
   * Bun or Node wrapper passes. Default: on Cloudflare Workers the `cf-connecting-ip` header, which Cloudflare's edge
   * sets; elsewhere none, since any client can send that header there.
   */
  clientAddress?: (request: Request, env: unknown) => string | undefined;
}

/** What a runtime passes besides the request: Workers' execution context (its `waitUntil`). */
export interface FetchContext {
  waitUntil(promise: Promise<unknown>): void;
}

/** How a relayed body ended: sent whole, cut by the client leaving, or cut by the backend failing mid-body. */
type Relayed = "sent" | "client left" | "backend failed";

/**
 * Whether the request's signal aborts when the client leaves: on Workers only with the `enable_request_signal`
 * compatibility flag (workerd says which flags are on in `Cloudflare.compatibilityFlags`; a runtime that does not
 * say is taken not to).
 */
function signalsClientLeaving(): boolean {
  const flags = (globalThis as { Cloudflare?: { compatibilityFlags?: Record<string, boolean> } }).Cloudflare?.compatibilityFlags;
  return flags?.enable_request_signal === true;
}

/**
 * How long a broken relay waits for the request's signal to say the client left, before blaming the backend (the
 * signal may trail the broken pipe on a loaded isolate; only the log line waits).
 */
const CLIENT_SIGNAL_GRACE_MS = 1000;

/** Resolves when `signal` aborts, or after `ms`. */
function abortedWithin(signal: AbortSignal, ms: number): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done);
  });
}

/**
 * An object's body on its way to the client through a native pipe whose promise says how it ended. No JavaScript runs
 * per chunk: on Workers, relaying a body through a stream that counts it costs about fifteen times the CPU time of
 * the native pipe (measured under workerd: 0.9 s against 0.05 s per 64 MiB). A body of known length goes through
 * `FixedLengthStream` (which keeps `Content-Length`), any other through `IdentityTransformStream`; a body the backend
 * breaks off then reaches the client cut (a short body, or a chunked one without its last chunk), never as complete.
 * Which side broke a pipe: workerd aborts the request's signal when the client leaves (with `enable_request_signal`),
 * not when the backend fails.
 */
function relay(response: Response, signal: AbortSignal): { response: Response; sent: Promise<Relayed> } {
  const length = response.headers.get("content-length");
  if (!response.body || !keepsLengths()) return { response, sent: Promise.resolve("sent") };
  const { readable, writable } = lengthKeepingStream(length !== null && /^\d+$/.test(length) ? Number(length) : undefined);
  const signalled = signalsClientLeaving();
  const sent = response.body.pipeTo(writable).then(
    (): Relayed => "sent",
    async (): Promise<Relayed> => {
      // Without a signal that says so, a broken pipe is taken for the client leaving (as before the signal existed):
      // a client that leaves is common, and must not be logged as a failure of ours.
      if (!signalled) return "client left";
      await abortedWithin(signal, CLIENT_SIGNAL_GRACE_MS);
      return signal.aborted ? "client left" : "backend failed";
    },
  );
  return { response: new Response(readable, bodyAsIs({ status: response.status, headers: response.headers })), sent };
}

/**
 * Creates the handler: `(request, env, context) => Promise<Response>`, a Worker's `fetch` as it is (env unused), or
 * `(request) => ...` elsewhere (without a context, after-middleware and the log line run unawaited).
 */
export function createFetchHandler(gateway: Gateway<ReadableStream> | Gateway<unknown>, options: FetchHandlerOptions = {}): (request: Request, env?: unknown, context?: FetchContext) => Promise<Response> {
  const fetcher = options.fetch ?? fetch;
  const log = options.log ?? ((line: Record<string, unknown>) => console.log(JSON.stringify(line)));
  const answerTimeoutMs = options.backendAnswerTimeoutMs ?? BACKEND_ANSWER_TIMEOUT_MS;
  // (0 or less would answer every forward 503 at once.)
  if (!(Number.isSafeInteger(answerTimeoutMs) && answerTimeoutMs >= 1)) throw new TypeError(`createFetchHandler: backendAnswerTimeoutMs must be a whole number of milliseconds, at least 1 (got ${String(answerTimeoutMs)})`);
  const addressOf = options.clientAddress ?? (onCloudflareWorkers() ? edgeAddress : () => undefined);
  return (request, env, context) =>
    handle(gateway as Gateway<ReadableStream>, request, (promise) => (context ? context.waitUntil(promise) : void promise.catch(() => undefined)), fetcher, log, answerTimeoutMs, addressOf(request, env));
}

/** Whether this is Cloudflare's Workers runtime (workerd says so in `navigator.userAgent`). */
function onCloudflareWorkers(): boolean {
  return (globalThis as { navigator?: { userAgent?: string } }).navigator?.userAgent === "Cloudflare-Workers";
}

/** The client's address as Cloudflare's edge (and workerd locally) sets it; a client cannot forge it there. */
function edgeAddress(request: Request): string | undefined {
  return request.headers.get("cf-connecting-ip") ?? undefined;
}

/** Handles one request with the gateway; `waitUntil` keeps after-middleware and logging alive past the response. */
async function handle(
  gateway: Gateway<ReadableStream>,
  request: Request,
  waitUntil: (promise: Promise<unknown>) => void,
  fetcher: typeof fetch,
  log: (line: Record<string, unknown>) => void,
  answerTimeoutMs: number,
  clientAddress: string | undefined,
): Promise<Response> {
  const upload: Upload = { left: false };
  const ending = endOf(request, upload, waitUntil, log);
  let result: GatewayResult<ReadableStream>;
  try {
    result = await gateway.handle({
      method: request.method,
      target: requestTarget(request.url),
      origin: requestOrigin(request.url),
      headers: clientHeaders(request),
      body: request.body,
      // A document the gateway reads itself (DeleteObjects', PutObjectAcl's) is counted as received, as a streamed body is.
      readBody: (limit) =>
        readLimited(request, limit).then((document) => {
          upload.bytesIn ??= () => document.length;
          return document;
        }),
      readBodyHead: async (end) => {
        if (request.body === null) return new Uint8Array(0);
        const read = await readBodyHead(request.body, end);
        // From here on the request's body is what follows the head: streamed to the backend, or drained.
        request = withBody(request, read.rest);
        upload.headBytes = read.head.length;
        upload.bytesIn = () => read.head.length;
        if (read.failure !== undefined) throw read.failure;
        return read.head;
      },
      signal: request.signal,
      ...(clientAddress !== undefined && clientAddress !== "" && { clientAddress }),
    });
  } catch (error) {
    ending.bind(undefined);
    throw error;
  }
  ending.bind(result);
  let response: Response;
  let kept: Promise<KeptAliveEnd> | undefined;
  try {
    const body = result.type === "response" ? result.response.body : null;
    if (result.type === "response" && isKeepAliveBody(body)) {
      const answer = keptAliveResponse(result.response.status, result.response.headers, body);
      response = answer.response;
      kept = answer.ended;
    } else if (result.type === "response") response = toResponse(result.response as PlainResponse<ReadableStream>);
    else if (result.type === "forward") response = await executeForward(result, request, upload, fetcher, answerTimeoutMs);
    else response = await executeNative(result, request, upload);
  } catch (error) {
    response = errorResponse(result, error);
  }
  // A failed or refused upload: did the backend fail, or did the client leave (its body broke off)? A relay the
  // backend may never read again is released first (the rest of the body read and dropped, bounded), so the answer
  // does not wait on it.
  if (upload.settled && response.status >= 400) {
    upload.release?.();
    await drainedWithin(upload.settled());
  }
  // A request refused before its body was read (403, 400, ...) must still have its body consumed, or workerd resets
  // the connection and the client sees a broken socket instead of the error document. A body of modest size is read
  // (and dropped) before the refusal goes out, bounded in size and time; a larger one after (the platform then
  // decides what the client sees).
  if (request.body && !request.bodyUsed) {
    const drained = request.body.pipeTo(new WritableStream()).catch(() => undefined);
    const declared = Number(request.headers.get("content-length") ?? Number.NaN);
    if (response.status >= 400 && declared <= DRAIN_BEFORE_REFUSING) {
      await drainedWithin(drained);
    } else waitUntil(drained);
  }
  if (kept !== undefined) {
    endKeptAlive(kept, upload, ending);
    return response;
  }
  const context = result.context;
  // What the body carries: a HEAD, 204 or 304 carries none, whatever length it announces.
  const bodiless = request.method === "HEAD" || response.status === 204 || response.status === 304;
  const bytes = bodiless ? 0 : Number(response.headers.get("content-length") ?? 0);
  // The client may leave mid-upload (the backend request then fails: not a backend failure) or mid-download (the
  // relay's pipe breaks); either is logged as a client that closed, at info level, as the server logs it. A backend
  // that breaks off a download is logged as a failure (see `relay`).
  const download = request.method === "GET" && (response.status === 200 || response.status === 206);
  const left = request.signal.aborted || upload.left;
  const relayed = !download || left ? { response, sent: Promise.resolve<Relayed>(left ? "client left" : "sent") } : relay(response, request.signal);
  void relayed.sent.then((outcome) => {
    const closed = outcome === "client left" || (outcome === "sent" && request.signal.aborted);
    const cut = closed || outcome === "backend failed";
    // A backend failing mid-body is a failure of ours (503, as the Node server logs it), not the client leaving.
    const status = closed ? CLIENT_CLOSED : outcome === "backend failed" ? 503 : response.status;
    const bytesReceived = upload.bytesIn?.();
    // How much of a cut body reached the client is not known here (the relay is native, see `relay`): a request whose
    // bytes are charged is charged the whole body (an upper bound, so a quota cannot be dodged by cutting
    // downloads short); otherwise nothing is claimed.
    const end = {
      status,
      bytesSent: cut ? (context.metersBytes ? bytes : 0) : bytes,
      ...(bytesReceived !== undefined && { bytesReceived }),
      ...(outcome === "backend failed" && { errorCode: "ServiceUnavailable" }),
    };
    ending.settle(end, closed ? "client closed" : outcome === "backend failed" ? "the storage backend failed mid-response" : undefined);
  });
  return relayed.response;
}

/** Ends a kept-alive answer's request once its body is over: an error inside its 200 logged as that error. */
function endKeptAlive(kept: Promise<KeptAliveEnd>, upload: Upload, ending: { settle(end: RequestEnd, msg: string | undefined): void }): void {
  void kept.then((end) => {
    const bytesReceived = upload.bytesIn?.();
    // A client that left is logged as gone, whatever the work did after (as the Node server logs it).
    const failure = end.complete ? end.failure : undefined;
    const requestEnd: RequestEnd = {
      status: end.complete ? 200 : CLIENT_CLOSED,
      bytesSent: end.bytesSent,
      ...(bytesReceived !== undefined && { bytesReceived }),
      ...(failure !== undefined && { errorCode: failure.code, errorStatus: failure.status, error: failure.error }),
    };
    ending.settle(requestEnd, !end.complete ? "client closed" : failure !== undefined ? "failed after its answer started" : undefined);
  });
}

/**
 * How long after the client reset its connection the request is ended for it, when the handler has not ended it
 * itself by then (it normally has: a client that closes ends the handler's reads and writes with errors it handles).
 */
const ABANDONED_AFTER_MS = 5_000;

/**
 * The end of a request, run once through `waitUntil`: its usage recorded (a quota reservation settled) and its line
 * logged. It is registered with `waitUntil` before anything is awaited, the gateway's own work included (it reserves
 * quota, and reads small bodies: DeleteObjects', PutObjectAcl's): a client that resets the connection cancels the
 * request, and a `waitUntil` registered after that is not kept (the end, registered once the answer was known, never
 * ran: no line, and the reservation of the declared size held for its whole window). Should the handler itself not
 * get past where it waits, the end comes at the latest `ABANDONED_AFTER_MS` after the request's signal aborted, as a
 * client that closed, charged the bytes of its body that arrived. `bind` gives it the gateway's result (undefined
 * when there is none: nothing to end); `settle` ends it.
 */
function endOf(request: Request, upload: Upload, waitUntil: (promise: Promise<unknown>) => void, log: (line: Record<string, unknown>) => void) {
  let settle!: (ending: { end: RequestEnd; msg: string | undefined }) => void;
  const ended = new Promise<{ end: RequestEnd; msg: string | undefined }>((resolve) => (settle = resolve));
  let bind!: (result: GatewayResult<ReadableStream> | undefined) => void;
  const bound = new Promise<GatewayResult<ReadableStream> | undefined>((resolve) => (bind = resolve));
  waitUntil(
    bound.then(async (result) => {
      if (result === undefined) return;
      const { end, msg } = await ended;
      await result.finish(end);
      // 501 answers what is not served (an unsupported operation or condition): no failure.
      log({ level: isFailure(end, result.context) ? "error" : "info", ...requestLineOf(result.context, end), ...(msg && { msg }) });
    }),
  );
  let timer: ReturnType<typeof setTimeout> | undefined;
  const abandoned = () => {
    timer = setTimeout(() => {
      const bytesReceived = upload.bytesIn?.();
      settle({ end: { status: CLIENT_CLOSED, bytesSent: 0, ...(bytesReceived !== undefined && { bytesReceived }) }, msg: "client closed" });
    }, ABANDONED_AFTER_MS);
  };
  if (request.signal.aborted) abandoned();
  else request.signal.addEventListener("abort", abandoned, { once: true });
  return {
    bind,
    settle(end: RequestEnd, msg: string | undefined) {
      clearTimeout(timer);
      request.signal.removeEventListener("abort", abandoned);
      settle({ end, msg });
    },
  };
}
