/**
 * The fetch runtime adapter (Cloudflare Workers, and any runtime with fetch and web streams): a Request in, a
 * Response out, the request line written once the response is sent (`waitUntil` keeps that alive past the return).
 */
import type { Gateway } from "@multistore/core";
import { CLIENT_CLOSED, requestLineOf } from "@multistore/core/runtime";
import { BACKEND_ANSWER_TIMEOUT_MS, clientHeaders, DRAIN_BEFORE_REFUSING, drainedWithin, errorResponse, executeForward, executeNative, readLimited, requestTarget, toResponse } from "./execute.js";
import { bodyAsIs, keepsLengths, lengthKeepingStream } from "./streams.js";
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
}

/** What a runtime passes besides the request: Workers' execution context (its `waitUntil`). */
export interface FetchContext {
  waitUntil(promise: Promise<unknown>): void;
}

/**
 * An object's body on its way to the client through a native pipe whose promise says how it ended: false when the
 * client went away first. No JavaScript runs per chunk: on Workers, relaying a body through a stream that counts it
 * costs about fifteen times the CPU time of the native pipe (measured under workerd: 0.9 s against 0.05 s per 64 MiB).
 * Only bodies of a known length are relayed (`FixedLengthStream` keeps `Content-Length`); anything else is sent as it is.
 */
function relay(response: Response): { response: Response; sent: Promise<boolean> } {
  const length = response.headers.get("content-length");
  if (!response.body || length === null || !/^\d+$/.test(length) || !keepsLengths()) return { response, sent: Promise.resolve(true) };
  const { readable, writable } = lengthKeepingStream(Number(length));
  const sent = response.body.pipeTo(writable).then(
    () => true,
    () => false,
  );
  return { response: new Response(readable, bodyAsIs({ status: response.status, headers: response.headers })), sent };
}

/** Handles one request with the gateway; `waitUntil` keeps after-middleware and logging alive past the response. */
/**
 * Creates the handler: `(request, env, context) => Promise<Response>`, a Worker's `fetch` as it is (env unused), or
 * `(request) => ...` elsewhere (without a context, after-middleware and the log line run unawaited).
 */
export function createFetchHandler(gateway: Gateway<ReadableStream> | Gateway<unknown>, options: FetchHandlerOptions = {}): (request: Request, env?: unknown, context?: FetchContext) => Promise<Response> {
  const fetcher = options.fetch ?? fetch;
  const log = options.log ?? ((line: Record<string, unknown>) => console.log(JSON.stringify(line)));
  const answerTimeoutMs = options.backendAnswerTimeoutMs ?? BACKEND_ANSWER_TIMEOUT_MS;
  return (request, _env, context) =>
    handle(gateway as Gateway<ReadableStream>, request, (promise) => (context ? context.waitUntil(promise) : void promise.catch(() => undefined)), fetcher, log, answerTimeoutMs);
}

async function handle(
  gateway: Gateway<ReadableStream>,
  request: Request,
  waitUntil: (promise: Promise<unknown>) => void,
  fetcher: typeof fetch,
  log: (line: Record<string, unknown>) => void,
  answerTimeoutMs: number,
): Promise<Response> {
  const clientIp = request.headers.get("cf-connecting-ip");
  const result = await gateway.handle({
    method: request.method,
    target: requestTarget(request.url),
    headers: clientHeaders(request),
    body: request.body,
    readBody: (limit) => readLimited(request, limit),
    signal: request.signal,
    // Set by Cloudflare's edge (and by workerd locally) to the client's address; a client cannot forge it there.
    ...(clientIp !== null && { clientAddress: clientIp }),
  });
  let response: Response;
  const upload: Upload = { left: false };
  try {
    if (result.type === "response") response = toResponse(result.response);
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
  const context = result.context;
  // What the body carries: a HEAD, 204 or 304 carries none, whatever length it announces.
  const bodiless = request.method === "HEAD" || response.status === 204 || response.status === 304;
  const bytes = bodiless ? 0 : Number(response.headers.get("content-length") ?? 0);
  // The client may leave mid-upload (the backend request then fails: not a backend failure) or mid-download (the
  // relay's pipe breaks); either is logged as a client that closed, at info level, as the server logs it.
  const download = request.method === "GET" && (response.status === 200 || response.status === 206);
  const relayed = !download || request.signal.aborted || upload.left ? { response, sent: Promise.resolve(!request.signal.aborted && !upload.left) } : relay(response);
  waitUntil(
    relayed.sent.then(async (sent) => {
      const closed = !sent || request.signal.aborted;
      const status = closed ? CLIENT_CLOSED : response.status;
      const bytesReceived = upload.bytesIn?.();
      // How much of a cut body reached the client is not known here (the relay is native, see `relay`): a request whose
      // bytes are charged is charged the whole body (an upper bound, so a quota cannot be dodged by cutting
      // downloads short); otherwise nothing is claimed.
      const end = { status, bytesSent: closed ? (context.metersBytes ? bytes : 0) : bytes, ...(bytesReceived !== undefined && { bytesReceived }) };
      await result.finish(end);
      // 501 answers what is not served (an unsupported operation or condition): no failure.
      log({ level: status >= 500 && status !== 501 ? "error" : "info", ...requestLineOf(context, end), ...(closed && { msg: "client closed" }) });
    }),
  );
  return relayed.response;
}
