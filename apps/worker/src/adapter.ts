/**
 * The Workers runtime adapter: a fetch Request in, a Response out. Forward results are executed with fetch, the
 * client's body stream going to the backend and the backend's body stream coming back untouched.
 */
import { MAX_BACKEND_ERROR_BYTES, needsBodyDecoding, withKnownLength, S3Error, type BodyPlan, type Gateway, type GatewayResult, type PlainResponse, type ResultBase } from "@multistore/core";
import { decodedBody } from "./decoded-body.js";
import { nativeChecksumFactories } from "./digest.js";

type Result = GatewayResult<ReadableStream>;
type ForwardResult = Extract<Result, { type: "forward" }>;
type NativeResult = Extract<Result, { type: "native" }>;

/** Path and query exactly as the URL carries them (never re-serialized through URL, which would normalize). */
export function requestTarget(url: string): string {
  const afterScheme = url.indexOf("//") + 2;
  const pathStart = url.indexOf("/", afterScheme);
  return pathStart === -1 ? "/" : url.slice(pathStart);
}

/** Largest oversized body read to its end before refusing it, so the refusal reaches the client. */
const DRAIN_BEFORE_REFUSING = 16 * 1024 * 1024;
/** The longest a refusal waits for its body to be drained. */
const DRAIN_WAIT_MS = 10_000;

/** Waits for `drained`, at most DRAIN_WAIT_MS. */
async function drainedWithin(drained: Promise<unknown>): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([drained, new Promise((resolve) => (timer = setTimeout(resolve, DRAIN_WAIT_MS)))]);
  clearTimeout(timer);
}

/** Reads at most `limit` bytes of a small body; more is an EntityTooLarge error. */
async function readLimited(request: Request, limit: number): Promise<Uint8Array> {
  const tooLarge = () => new S3Error("EntityTooLarge", { message: `The request body exceeds the ${limit}-byte limit for this operation.` });
  const declared = Number(request.headers.get("content-length") ?? 0);
  if (declared > limit) {
    // Answering while the client still sends makes workerd reset the connection, and the client then never sees
    // the error: a body of modest size is read and dropped first (a huge one is refused at once).
    if (request.body && declared <= DRAIN_BEFORE_REFUSING) await request.body.pipeTo(new WritableStream()).catch(() => undefined);
    throw tooLarge();
  }
  if (!request.body) return new Uint8Array();
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > limit) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
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

/**
 * The client's body, de-framed when it is aws-chunked and verified when it must match a hash or checksum (the last
 * chunk held back until it does), with its declared length kept, as backends need it.
 */
function clientBody(request: Request, result: BodyPlan, sized: boolean, upload: Upload) {
  const settled = () => Promise.resolve();
  if (!request.body || request.method === "GET" || request.method === "HEAD") return { body: null, failure: () => undefined, drained: settled };
  const declared = request.headers.get("content-length");
  if (!needsBodyDecoding(result)) {
    const known = declared !== null && /^\d+$/.test(declared);
    return { body: relayUpload(request.body, known ? Number(declared) : undefined, upload), failure: () => undefined, drained: settled };
  }
  const decoding = decodedBody(request.body, result, nativeChecksumFactories());
  upload.settled = async () => {
    upload.left ||= decoding.brokenOff();
  };
  upload.bytesIn = decoding.bytesIn;
  const length = result.bodyEncoding ? result.bodyEncoding.decodedLength : declared !== null && /^\d+$/.test(declared) ? Number(declared) : undefined;
  // fetch needs the length to send Content-Length; native backends size streams themselves.
  return { body: sized && length !== undefined ? withKnownLength(decoding.body, length) : decoding.body, failure: decoding.failure, drained: decoding.drained };
}

/** What became of the client's body. */
interface Upload {
  /** The client went away before its body was complete (known once `settled` resolved). */
  left: boolean;
  /** Body bytes read from the client (framing included), once a body was read; for the log and after-middleware. */
  bytesIn?: () => number;
  /** For a body that was sent on: resolves once `left` is known. */
  settled?: () => Promise<void>;
}

/**
 * The client's body on its way to the backend, its length kept. Read here rather than handed over as it is: when an
 * upload fails, only a read of the client's body tells a client that went away (`upload.left`) from a backend that
 * failed (workerd's native pipes report both with the same error).
 */
function relayUpload(source: ReadableStream<Uint8Array>, length: number | undefined, upload: Upload): ReadableStream<Uint8Array> {
  const { readable, writable } = length !== undefined ? new FixedLengthStream(length) : new IdentityTransformStream();
  const reader = source.getReader();
  const writer = writable.getWriter();
  let bytesIn = 0;
  upload.bytesIn = () => bytesIn;
  const pumped = (async () => {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (error) {
        upload.left = true;
        await writer.abort(error).catch(() => undefined);
        return;
      }
      try {
        if (chunk.done) return await writer.close();
        bytesIn += chunk.value.length;
        await writer.write(chunk.value);
      } catch (error) {
        // The backend stopped reading (it failed, or answered early).
        await reader.cancel(error).catch(() => undefined);
        return;
      }
    }
  })();
  upload.settled = () => pumped;
  return readable;
}

/** A refusal of a body that failed its checks, once the rest of that body was read (bounded in time). */
async function refuseBody(result: ResultBase, error: unknown, drained: () => Promise<void>): Promise<Response> {
  await drainedWithin(drained());
  return errorResponse(result, error);
}


function toResponse(plain: PlainResponse<ReadableStream>): Response {
  const empty = plain.status === 204 || plain.status === 304;
  const body = plain.body;
  if (empty || (typeof body !== "string" && !(body instanceof Uint8Array))) {
    return new Response(empty ? null : (body as BodyInit | null), { status: plain.status, headers: plain.headers });
  }
  // A body in memory has a known length: say it (as the server does), so the log and after-middleware count it.
  const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
  const headers = new Headers(plain.headers);
  headers.set("content-length", String(bytes.length));
  return new Response(bytes, { status: plain.status, headers });
}

function errorResponse(result: ResultBase, error: unknown): Response {
  return toResponse(result.errorResponse(error));
}

/** Reads a stream to its end, discarding the bytes; rejects with the stream's error. */
async function drain(stream: ReadableStream): Promise<void> {
  const reader = stream.getReader();
  for (;;) if ((await reader.read()).done) return;
}

async function executeForward(result: ForwardResult, request: Request, upload: Upload): Promise<Response> {
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
  let upstream: Response;
  try {
    upstream = await fetch(result.request.url, {
      method: result.request.method,
      headers,
      body,
      // HEAD and GET answers must come from the backend every time, never from the platform cache.
      cache: "no-store",
      redirect: "manual",
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
  if (answer.replaceBody) return toResponse(answer.replaceBody(await readCapped(upstream.body)));
  const empty = answer.status === 204 || answer.status === 304 || request.method === "HEAD";
  return new Response(empty ? null : upstream.body, { status: answer.status, headers: answer.headers });
}

async function executeNative(result: NativeResult, request: Request, upload: Upload): Promise<Response> {
  const { body, failure, drained } = clientBody(request, result, false, upload);
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

/**
 * An object's body on its way to the client through a native pipe (no JavaScript per chunk) whose promise says how
 * it ended: false when the client went away first. Only bodies of a known length are relayed (`FixedLengthStream`
 * keeps `Content-Length`); anything else is sent as it is.
 */
function relay(response: Response): { response: Response; sent: Promise<boolean> } {
  const length = response.headers.get("content-length");
  if (!response.body || length === null || !/^\d+$/.test(length)) return { response, sent: Promise.resolve(true) };
  const { readable, writable } = new FixedLengthStream(Number(length));
  const sent = response.body.pipeTo(writable).then(
    () => true,
    () => false,
  );
  return { response: new Response(readable, { status: response.status, headers: response.headers }), sent };
}

/** The status logged for a request whose client went away before its response was complete (as the server logs it). */
const CLIENT_CLOSED = 499;

/** Handles one request with the gateway; `waitUntil` keeps after-middleware and logging alive past the response. */
export async function handle(gateway: Gateway<ReadableStream>, request: Request, waitUntil: (promise: Promise<unknown>) => void): Promise<Response> {
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
    else if (result.type === "forward") response = await executeForward(result, request, upload);
    else response = await executeNative(result, request, upload);
  } catch (error) {
    response = errorResponse(result, error);
  }
  // A failed upload: did the backend fail, or did the client leave (its body broke off)?
  if (upload.settled && response.status >= 500) await drainedWithin(upload.settled());
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
  const bytes = Number(response.headers.get("content-length") ?? 0);
  // The client may leave mid-upload (the backend request then fails: not a backend failure) or mid-download (the
  // relay's pipe breaks); either is logged as a client that closed, at info level, as the server logs it.
  const download = request.method === "GET" && (response.status === 200 || response.status === 206);
  const relayed = !download || request.signal.aborted || upload.left ? { response, sent: Promise.resolve(!request.signal.aborted && !upload.left) } : relay(response);
  waitUntil(
    relayed.sent.then(async (sent) => {
      const closed = !sent || request.signal.aborted;
      const status = closed ? CLIENT_CLOSED : response.status;
      const bytesReceived = upload.bytesIn?.();
      await result.finish({ status, bytesSent: closed ? 0 : bytes, ...(bytesReceived !== undefined && { bytesReceived }) });
      const identity = context.identity;
      console.log(
        JSON.stringify({
          level: status >= 500 ? "error" : "info",
          requestId: context.requestId,
          method: context.method,
          bucket: context.bucket,
          operation: context.operation,
          principal: identity?.type === "credential" ? identity.principalName : identity ? "anonymous" : undefined,
          status,
          bytes: closed ? 0 : bytes,
          ...(bytesReceived !== undefined && { bytesReceived }),
          durationMs: Date.now() - context.startedAt,
          ...(closed && { msg: "client closed" }),
        }),
      );
    }),
  );
  return relayed.response;
}
