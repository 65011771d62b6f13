/**
 * Executing what the gateway resolved a request to, on a fetch runtime: forwards with fetch (the client's body
 * stream going to the backend and the backend's body stream coming back untouched), native operations with the
 * client's body, responses as they are; plus the small body reads and bounded drains around them.
 */
import { S3Error, type GatewayResult, type ResultBase } from "@multistore/core";
import { decodedLengthOf, MAX_BACKEND_ERROR_BYTES, readAtMost, needsBodyDecoding, type PlainResponse } from "@multistore/core/runtime";
import { BACKEND_BYTES_AS_SENT, bodyAsIs } from "./streams.js";
import { clientBody, type Upload } from "./upload.js";

type Result = GatewayResult<ReadableStream>;
type ForwardResult = Extract<Result, { type: "forward" }>;
type NativeResult = Extract<Result, { type: "native" }>;

/** Path and query exactly as the URL carries them (never re-serialized through URL, which would normalize). */
export function requestTarget(url: string): string {
  const afterScheme = url.indexOf("//") + 2;
  const pathStart = url.indexOf("/", afterScheme);
  return pathStart === -1 ? "/" : url.slice(pathStart);
}

/** A request URL's scheme and host (`https://s3.example.com`), as the client addressed them. */
export function requestOrigin(url: string): string {
  const pathStart = url.indexOf("/", url.indexOf("//") + 2);
  return pathStart === -1 ? url : url.slice(0, pathStart);
}

/** Largest oversized body read to its end before refusing it, so the refusal reaches the client. */
export const DRAIN_BEFORE_REFUSING = 16 * 1024 * 1024;
/** The longest a refusal waits for its body to be drained. */
const DRAIN_WAIT_MS = 10_000;

/** Waits for `drained`, at most DRAIN_WAIT_MS. */
export async function drainedWithin(drained: Promise<unknown>): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([drained, new Promise((resolve) => (timer = setTimeout(resolve, DRAIN_WAIT_MS)))]);
  clearTimeout(timer);
}

/** Reads at most `limit` bytes of a small body; more is an EntityTooLarge error. */
export async function readLimited(request: Request, limit: number): Promise<Uint8Array> {
  const tooLarge = () => new S3Error("EntityTooLarge", { message: `The request body exceeds the ${limit}-byte limit for this operation.` });
  const declared = Number(request.headers.get("content-length") ?? 0);
  if (declared > limit) {
    // Answering while the client still sends makes workerd reset the connection, and the client then never sees
    // the error: a body of modest size is read and dropped first (a huge one is refused at once).
    if (request.body && declared <= DRAIN_BEFORE_REFUSING) await drainedWithin(request.body.pipeTo(new WritableStream()).catch(() => undefined));
    throw tooLarge();
  }
  if (!request.body) return new Uint8Array();
  const body = await readAtMost(request.body, limit);
  if (body === undefined) throw tooLarge();
  return body;
}

async function readCapped(body: ReadableStream | null): Promise<string> {
  if (!body) return "";
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (size < MAX_BACKEND_ERROR_BYTES) text += decoder.decode(value, { stream: true });
    size += value.length;
  }
  return text.slice(0, MAX_BACKEND_ERROR_BYTES);
}

/** A refusal of a body that failed its checks, once the rest of that body was read (bounded in time). */
async function refuseBody(result: ResultBase, error: unknown, drained: () => Promise<void>): Promise<Response> {
  await drainedWithin(drained());
  return errorResponse(result, error);
}


export function toResponse(plain: PlainResponse<ReadableStream>): Response {
  const empty = plain.status === 204 || plain.status === 304;
  const body = plain.body;
  if (empty || (typeof body !== "string" && !(body instanceof Uint8Array))) {
    return new Response(empty ? null : (body as BodyInit | null), bodyAsIs({ status: plain.status, headers: plain.headers }));
  }
  // A body in memory has a known length: say it (as the server does), so the log and after-middleware count it.
  const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
  const headers = new Headers(plain.headers);
  headers.set("content-length", String(bytes.length));
  return new Response(bytes as Uint8Array<ArrayBuffer>, bodyAsIs({ status: plain.status, headers }));
}

export function errorResponse(result: ResultBase, error: unknown): Response {
  return toResponse(result.errorResponse(error));
}

/** Reads a stream to its end, discarding the bytes; rejects with the stream's error. */
async function drain(stream: ReadableStream): Promise<void> {
  const reader = stream.getReader();
  for (;;) if ((await reader.read()).done) return;
}

/** How long a forward without a body waits for the backend's answer (its headers, or its whole error document). */
export const BACKEND_ANSWER_TIMEOUT_MS = 30_000;

export async function executeForward(result: ForwardResult, request: Request, upload: Upload, fetcher: typeof fetch = fetch, answerTimeoutMs = BACKEND_ANSWER_TIMEOUT_MS): Promise<Response> {
  const client = clientBody(request, result, true, upload);
  const { failure } = client;
  let body = client.body;
  // An empty object has no last chunk to hold back: the backend would complete the write before the body's checks
  // (a trailer checksum) ran. Check the whole client body first, then send the backend nothing.
  if (body && needsBodyDecoding(result) && result.request.headers.get("content-length") === "0") {
    try {
      await drain(body);
    } catch (error) {
      return refuseBody(result, failure() ?? error, client.drained);
    }
    body = null;
  }
  const headers = new Headers(result.request.headers);
  // The runtime owns the framing of the body it sends.
  headers.delete("content-length");
  const started = performance.now();
  // A silent backend is cut (503) rather than waited on: until its headers arrive, and for an error document until
  // it is read. An upload's clock starts once the backend has had the client's whole body (a slow client is not the
  // backend's silence). A body being served is not cut here.
  const deadline = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let settled = false;
  const arm = () => {
    if (!settled) timer = setTimeout(() => deadline.abort(new Error(`no backend answer within ${answerTimeoutMs} ms`)), answerTimeoutMs);
  };
  if (body) void client.ended().then(arm);
  else arm();
  try {
    return await forwardWith(result, request, client, body, headers, started, fetcher, deadline.signal);
  } finally {
    settled = true;
    clearTimeout(timer);
  }
}

async function forwardWith(
  result: ForwardResult,
  request: Request,
  client: ReturnType<typeof clientBody>,
  body: ReadableStream | null,
  headers: Headers,
  started: number,
  fetcher: typeof fetch,
  signal: AbortSignal | undefined,
): Promise<Response> {
  const { failure } = client;
  let upstream: Response;
  try {
    upstream = await fetcher(result.request.url, {
      method: result.request.method,
      headers,
      body,
      ...(signal && { signal }),
      // Runtimes other than workerd (Node's fetch) need this for a stream body; workerd ignores it.
      ...(body && { duplex: "half" }),
      // HEAD and GET answers must come from the backend every time, never from the platform cache. Only those:
      // workerd sends `Cache-Control: no-cache` for it, which a PUT stored as the object's own Cache-Control.
      ...((result.request.method === "GET" || result.request.method === "HEAD") && { cache: "no-store" }),
      redirect: "manual",
      ...BACKEND_BYTES_AS_SENT,
    } as RequestInit);
  } catch (error) {
    const decodingError = failure();
    if (decodingError !== undefined) return refuseBody(result, decodingError, client.drained);
    return errorResponse(result, new S3Error("ServiceUnavailable", { message: "The storage backend is unreachable.", cause: error }));
  }
  // A backend that answered before reading the whole body cancelled it: the rest is read first (bounded), so the
  // answer reaches the client instead of a reset.
  if (body) await drainedWithin(client.drained());
  const answer = result.respond(upstream.status, upstream.headers, performance.now() - started);
  if (answer.replaceBody) {
    if (answer.bodyUnread) {
      // An object, not an error document: let go of, unread.
      upstream.body?.cancel().catch(() => undefined);
      return toResponse(answer.replaceBody(""));
    }
    let text: string;
    try {
      text = await readCapped(upstream.body);
    } catch (error) {
      return errorResponse(result, new S3Error("ServiceUnavailable", { message: "The storage backend did not finish its answer.", cause: error }));
    }
    return toResponse(answer.replaceBody(text));
  }
  const empty = answer.status === 204 || answer.status === 304 || request.method === "HEAD";
  return new Response(empty ? null : upstream.body, bodyAsIs({ status: answer.status, headers: answer.headers }));
}

export async function executeNative(result: NativeResult, request: Request, upload: Upload): Promise<Response> {
  const client = clientBody(request, result, false, upload);
  const { failure, drained } = client;
  let body = client.body;
  // As for a forward (see executeForward): an empty object has no last chunk to hold back, and R2 completes an empty
  // write without waiting for its stream's end. Check the whole client body first, then write nothing.
  const length = decodedLengthOf(result, Number(request.headers.get("content-length") ?? Number.NaN));
  if (body && needsBodyDecoding(result) && length === 0) {
    try {
      await drain(body);
    } catch (error) {
      return refuseBody(result, failure() ?? error, drained);
    }
    body = null;
  }
  const plain = await result.execute(body, request.signal, failure);
  const decodingError = failure();
  return decodingError ? refuseBody(result, decodingError, drained) : toResponse(plain);
}

/**
 * The headers as the client sent them. The platform replaces `Accept-Encoding` (workerd and Cloudflare's edge alike),
 * keeping the client's value in `request.cf.clientAcceptEncoding`; clients that sign that header (rclone does on
 * every GET) would otherwise fail signature verification.
 */
export function clientHeaders(request: Request): Headers {
  const original = (request as { cf?: { clientAcceptEncoding?: unknown } }).cf?.clientAcceptEncoding;
  if (typeof original !== "string") return request.headers;
  const headers = new Headers(request.headers);
  if (original === "") headers.delete("accept-encoding");
  else headers.set("accept-encoding", original);
  return headers;
}

