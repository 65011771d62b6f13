/**
 * What the buffered and the streaming Lambda handlers share: an event turned into a gateway result (a malformed one
 * refused as S3 would), the request-size limit, the client's body decoded for the backend, and the request's end
 * (after-middleware and the log line).
 */
import { isS3Error, S3Error, type Gateway, type GatewayResult } from "@multistore/core";
import { concatBytes, isFailure, isKeepAliveBody, MAX_BACKEND_ERROR_BYTES, needsBodyDecoding, readAtMost, requestLineOf, RequestBodyDecoder, type BodyPlan, type ForwardedResponse, type LateFailure, type PlainResponse, type RequestEnd } from "@multistore/core/runtime";
import { Readable } from "node:stream";
import { requestFromEvent, type EventRequest, type LambdaHttpEvent } from "./event.js";

/** Refuses a request or response body past a deployment's limit, naming the limit. */
export function tooLarge(what: string, limit: number): S3Error {
  return new S3Error("EntityTooLarge", { status: 413, message: `The ${what} exceeds the ${limit}-byte limit of this AWS Lambda deployment.`, details: { MaxSizeAllowed: String(limit) } });
}

/** The client's body as the backend must get it: aws-chunked framing removed, hashes and checksums verified. */
export async function decodedBody(plan: BodyPlan, body: Uint8Array | null): Promise<Uint8Array | null> {
  if (body === null || !needsBodyDecoding(plan)) return body;
  const decoder = new RequestBodyDecoder(plan);
  return concatBytes([...(await decoder.push(body)), ...(await decoder.finish())]);
}

/** An event resolved by the gateway, or the answer to an event that could not be read. */
export type Invocation = { request: EventRequest; result: GatewayResult<ReadableStream> } | Refusal;

/** An event refused before the gateway saw it: its answer, and what its log line says. */
export interface Refusal {
  refusal: PlainResponse<never>;
  method: string;
  error: S3Error;
  msg: string;
}

/** The log line of an event refused before the gateway saw it (no request to describe beyond this). */
export function refusalLine(invocation: Refusal): Record<string, unknown> {
  const { status } = invocation.refusal;
  return { level: status >= 500 ? "error" : "info", method: invocation.method, status, errorCode: invocation.error.code, msg: invocation.msg };
}

/** Turns an event into a gateway result. */
export async function invoke(gateway: Gateway<ReadableStream> | Gateway<unknown>, event: LambdaHttpEvent, basePath?: string): Promise<Invocation> {
  let request: EventRequest;
  try {
    request = requestFromEvent(event, basePath);
  } catch (error) {
    const http = (event as Partial<LambdaHttpEvent> | null | undefined)?.requestContext?.http;
    // Not payload format 2.0 (a REST API's, an ALB's, payload 1.0): the integration is set up wrong, not the request.
    // Otherwise a header value HTTP forbids (Headers refuses it): the client's fault, answered as S3 would.
    // (The client sees an internal error; the log line says what to set.)
    const misconfigured = typeof http?.method !== "string" || typeof event.rawPath !== "string";
    const refusal = misconfigured ? new S3Error("InternalError", { cause: error }) : new S3Error("InvalidRequest", { message: "The request has a malformed header.", cause: error });
    const msg = misconfigured ? "This function takes payload format 2.0 events (an HTTP API or a Function URL); set the integration's payload format version to 2.0." : refusal.message;
    // (A HEAD's refusal carries no body.)
    const method = typeof http?.method === "string" ? http.method.toUpperCase() : "GET";
    const resource = typeof event?.rawPath === "string" && event.rawPath !== "" ? event.rawPath : "/";
    return { refusal: { status: refusal.status, headers: new Headers({ "content-type": "application/xml" }), body: refusal.toXml(resource, "") }, method, error: refusal, msg };
  }
  const result = await (gateway as Gateway<ReadableStream>).handle({
    method: request.method,
    target: request.target,
    headers: request.headers,
    body: null,
    readBody: async (limit) => {
      if (request.body !== null && request.body.length > limit) throw new S3Error("EntityTooLarge", { message: `The request body exceeds the ${limit}-byte limit for this operation.` });
      return request.body ?? new Uint8Array();
    },
    // A form upload's fields: the rest of the (whole, buffered) body is what the backend gets.
    readBodyHead: async (end) => {
      const body = request.body ?? new Uint8Array();
      const length = end(body);
      if (length < 0) return body;
      request.body = body.subarray(length);
      request.headLength = length;
      return body.subarray(0, length);
    },
    ...(request.clientAddress !== undefined && { clientAddress: request.clientAddress }),
    ...(request.signedPath !== undefined && { signedPath: request.signedPath }),
    // API Gateway and Function URLs are reached over HTTPS.
    ...(request.headers.has("host") && { origin: `https://${request.headers.get("host")}` }),
  });
  return { request, result };
}

/** Throws 413 when a request that reaches a backend carries (or declares) more than `limit` bytes. */
export function checkRequestSize(request: EventRequest, result: GatewayResult<ReadableStream>, limit: number): void {
  const declared = Number(request.headers.get("content-length") ?? 0);
  if (result.type !== "response" && (declared > limit || (request.body?.length ?? 0) > limit)) throw tooLarge("request body", limit);
}

/** Reports the request's end to after-middleware and writes its log line (`failure`: an error inside a 200 answer). */
export async function endInvocation(request: EventRequest, result: GatewayResult<ReadableStream>, status: number, bytesSent: number, log: (line: Record<string, unknown>) => void, failure?: LateFailure): Promise<void> {
  const end: RequestEnd = {
    status,
    bytesSent,
    ...(request.body !== null && { bytesReceived: (request.headLength ?? 0) + request.body.length }),
    ...(failure !== undefined && { errorCode: failure.code, errorStatus: failure.status, error: failure.error }),
  };
  await result.finish(end);
  // 501 answers what is not served (an unsupported operation or condition): no failure.
  log({ level: isFailure(end, result.context) ? "error" : "info", ...requestLineOf(result.context, end) });
}

/**
 * The gateway's own response, with a kept-alive body (a long copy or completion, see core's `KeepAliveBody`) read
 * whole: Lambda hands its answer over at once, so keeping it alive gains nothing here (`keepAlive: false` on the
 * gateway keeps such answers' own status), but its document is still a valid S3 answer.
 */
export async function wholeResponse(plain: PlainResponse<unknown>): Promise<{ plain: PlainResponse<unknown>; failure?: LateFailure }> {
  const body = plain.body;
  if (!isKeepAliveBody(body)) return { plain };
  const chunks: Uint8Array[] = [];
  for await (const chunk of body) chunks.push(chunk);
  const { failure } = await body.ended;
  return { plain: { status: plain.status, headers: plain.headers, body: concatBytes(chunks) }, ...(failure !== undefined && { failure }) };
}

/** How long a forward waits for the backend's headers. */
export const BACKEND_ANSWER_TIMEOUT_MS = 30_000;

/** Throws when `backendAnswerTimeoutMs` is given and is no whole number of milliseconds of at least 1. */
export function checkAnswerTimeout(owner: string, value: number | undefined): void {
  if (value !== undefined && !(Number.isSafeInteger(value) && value >= 1)) throw new TypeError(`${owner}: backendAnswerTimeoutMs must be a whole number of milliseconds, at least 1 (got ${String(value)})`);
}

/** Time kept back from an invocation's deadline to send its answer. */
const DEADLINE_MARGIN_MS = 1000;

/**
 * The invocation's own deadline, from Lambda's `context.getRemainingTimeInMillis()`, less a margin to answer in:
 * aborted then, so that a backend still answering (a trickle, a silence) is answered 503 by us, not cut by Lambda
 * (whose own timeout answers no S3 error). Undefined without a Lambda context.
 */
export function invocationDeadline(context: unknown): AbortSignal | undefined {
  const remaining = (context as { getRemainingTimeInMillis?: () => number } | null | undefined)?.getRemainingTimeInMillis?.();
  if (typeof remaining !== "number" || !Number.isFinite(remaining)) return undefined;
  const margin = Math.min(DEADLINE_MARGIN_MS, remaining / 2);
  const left = Math.floor(remaining - margin);
  // Nothing left: aborted now. A timer of 1 ms raced the work instead, and a quick backend answered past the deadline.
  if (left <= 0) return AbortSignal.abort(new DOMException("The invocation's deadline has passed.", "TimeoutError"));
  return AbortSignal.timeout(left);
}

/** What a backend's body failing (cut, silent, past the invocation's deadline) is to the client: the backend's failure. */
export function backendFailure(error: unknown): S3Error {
  if (isS3Error(error)) return error;
  return new S3Error("ServiceUnavailable", { message: "The storage backend did not finish its answer in time.", cause: error });
}

/**
 * Why a native backend (fs) stopped, when the invocation's deadline stopped it: the backend's failure (503), as a
 * forward's backend that is still answering then. Without it, the aborted read or write is an internal error (500).
 */
export function deadlineFailure(deadline: AbortSignal | undefined): () => unknown {
  return () => (deadline?.aborted ? backendFailure(deadline.reason) : undefined);
}

/** A forward result (the backend request the gateway resolved a request to). */
export type Forward = Extract<GatewayResult<ReadableStream>, { type: "forward" }>;

/** What a forward's backend answered: the client's status and headers, and the error document replacing its body. */
export interface SentForward {
  /** The backend's response; its body is the caller's to read unless `document` is set (then it was read). */
  upstream: Response;
  /** The client's status and headers. */
  answer: ForwardedResponse;
  /** When the backend answered an error: the client's error document, made from the backend's. */
  document?: PlainResponse<never>;
}

/**
 * Sends a forward's backend request with the client's body (decoded and verified) and turns the backend's status
 * and headers into the client's. An error document is read here, under the same deadline; a body being served is the
 * caller's to read.
 */
export async function sendForward(result: Forward, method: string, body: Uint8Array | null, fetcher: typeof fetch, answerTimeoutMs = BACKEND_ANSWER_TIMEOUT_MS, invocation?: AbortSignal): Promise<SentForward> {
  const sent = await decodedBody(result, body);
  const headers = new Headers(result.request.headers);
  headers.delete("content-length");
  const started = performance.now();
  // A silent backend is answered 503 within the bound rather than holding the invocation to Lambda's own timeout
  // (which answers no S3 error): until the headers, and for an error document until it is read. The body the
  // client reads is not cut by it.
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(new Error(`no backend answer within ${answerTimeoutMs} ms`)), answerTimeoutMs);
  try {
    let upstream: Response;
    try {
      const requestBody = sent === null || (sent.length === 0 && method !== "PUT") ? null : (sent as Uint8Array<ArrayBuffer>);
      // The invocation's deadline bounds the whole exchange, the body the client reads included.
      const signal = invocation === undefined ? deadline.signal : AbortSignal.any([deadline.signal, invocation]);
      upstream = await fetcher(result.request.url, { method: result.request.method, headers, body: requestBody, redirect: "manual", signal });
    } catch (error) {
      throw new S3Error("ServiceUnavailable", { message: "The storage backend is unreachable.", cause: error });
    }
    const answer = result.respond(upstream.status, upstream.headers, performance.now() - started);
    if (!answer.replaceBody) return { upstream, answer };
    if (answer.bodyUnread) {
      // An object, not an error document: let go of, unread.
      upstream.body?.cancel().catch(() => undefined);
      return { upstream, answer, document: answer.replaceBody("") };
    }
    // An error document is short: a little more than the part kept is read, never the whole of a large one.
    let bytes: Uint8Array | undefined;
    try {
      bytes = upstream.body ? await readAtMost(upstream.body, MAX_BACKEND_ERROR_BYTES * 4) : undefined;
    } catch (error) {
      throw new S3Error("ServiceUnavailable", { message: "The storage backend did not finish its answer.", cause: error });
    }
    const text = bytes === undefined ? "" : new TextDecoder().decode(bytes.subarray(0, MAX_BACKEND_ERROR_BYTES));
    return { upstream, answer, document: answer.replaceBody(text) };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A native backend's body as a web stream: backends made for Node (fs) answer with a Node `Readable`, which this
 * runtime reads as any other body (it was taken for no body at all, and its file left open).
 */
export function webBody(body: unknown): ReadableStream<Uint8Array> | undefined {
  if (body instanceof ReadableStream) return body as ReadableStream<Uint8Array>;
  if (body instanceof Readable) return Readable.toWeb(body) as unknown as ReadableStream<Uint8Array>;
  return undefined;
}

/** Text past ASCII in a header value. */
const PAST_ASCII = /[\u0080-\uffff]/;

/**
 * Response headers as Lambda's JSON result carries them: text. Header values here hold bytes, one character each
 * (node:http's Latin-1 decoding of a backend's answer, or an override given as its UTF-8 bytes); a value that is
 * valid UTF-8 is handed over as the text it encodes, which API Gateway and Function URLs send as UTF-8 again.
 */
export function resultHeaders(record: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name in record) {
    const value = record[name]!;
    if (!PAST_ASCII.test(value) || /[\u0100-\uffff]/.test(value)) {
      out[name] = value;
      continue;
    }
    const text = Buffer.from(value, "latin1").toString("utf8");
    out[name] = text.includes("\ufffd") ? value : text;
  }
  return out;
}
