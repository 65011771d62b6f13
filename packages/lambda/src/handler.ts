/**
 * The Lambda runtime adapter: an event in, a result out. Lambda hands the whole request body over at once and takes
 * the whole response back (buffered invocation: 6 MB each way), so bodies are bytes here, not streams: a client's
 * aws-chunked or checksummed body is decoded and verified in one pass before the backend sees it, and a backend's
 * answer is read whole — refused with a clear error when it cannot fit.
 */
import type { Gateway, GatewayResult, ResultBase } from "@multistore/core";
import { headerRecord, readAtMost, type LateFailure, type PlainResponse } from "@multistore/core/runtime";
import { checkBasePath, type LambdaHttpEvent, type LambdaHttpResult } from "./event.js";
import { rawFetch } from "./raw-fetch.js";
import { backendFailure, checkAnswerTimeout, checkRequestSize, deadlineFailure, resultHeaders, decodedBody, endInvocation, invocationDeadline, invoke, refusalLine, sendForward, tooLarge, webBody, wholeResponse, type Forward } from "./invocation.js";

/** Lambda's limit on an invocation's request and response payloads (buffered mode). */
export const LAMBDA_PAYLOAD_BYTES = 6 * 1024 * 1024;

/** Options of `createLambdaHandler`. */
export interface LambdaHandlerOptions {
  /**
   * Largest request body accepted (bytes; default: what fits Lambda's payload once base64-encoded, about 4.5 MiB).
   * Larger uploads get `413 EntityTooLarge` naming the limit; clients upload bigger objects in smaller parts.
   */
  maxRequestBytes?: number;
  /** Largest response body (bytes; default as `maxRequestBytes`). Larger objects get `413`, asking for a Range. */
  maxResponseBytes?: number;
  /** The HTTP client for backend requests (default: node:http's, which keeps encoded bodies as the backend sent them; the global `fetch` would decode them). */
  fetch?: typeof fetch;
  /** How long a backend request waits for the backend's headers before it is answered 503 (default 30 s). */
  backendAnswerTimeoutMs?: number;
  /**
   * A leading part of every path that names no bucket: a custom domain's API mapping (`/s3` of
   * `https://data.example.com/s3`), or `""` for none. Default: the HTTP API's stage when it is not `$default` (API
   * Gateway puts `/prod` in front of each path on `https://<id>.execute-api.<region>.amazonaws.com/prod`). Clients
   * sign the whole path; buckets are read after it.
   */
  basePath?: string;
  /** Receives each request's line (default: one JSON line on stdout, which Lambda sends to CloudWatch). */
  log?: (line: Record<string, unknown>) => void;
}

/** Base64 makes 3 bytes 4: what fits the payload once encoded, less room for the rest of the event. */
export const DEFAULT_BODY_LIMIT = Math.floor(((LAMBDA_PAYLOAD_BYTES - 64 * 1024) * 3) / 4);

/** A result and the body bytes it carries (for the log and after-middleware). */
interface Answer {
  result: LambdaHttpResult;
  bytes: number;
}

function toResult(status: number, headers: Headers, body: Uint8Array | string | null, head = false): Answer {
  const bytes = body === null ? new Uint8Array() : typeof body === "string" ? new TextEncoder().encode(body) : body;
  // A copy: the length added here must not change the response's own headers.
  const record = resultHeaders(headerRecord(headers));
  // A HEAD answer keeps the length of what a GET would send; others say the length of what they carry.
  if (!head && status !== 204 && status !== 304) record["content-length"] ??= String(bytes.length);
  return { result: { statusCode: status, headers: record, body: Buffer.from(bytes).toString("base64"), isBase64Encoded: true }, bytes: bytes.length };
}

function fromPlain(plain: PlainResponse<unknown>, method: string): Answer {
  const head = method === "HEAD";
  const body = head ? null : typeof plain.body === "string" || plain.body instanceof Uint8Array ? plain.body : null;
  return toResult(plain.status, plain.headers, body, head);
}

/**
 * Reads a response body whole, refusing past `limit` (the declared length is checked first). A body that fails (cut
 * short, silent, past the invocation's deadline) is the backend's failure: 503.
 */
async function readWhole(response: Response, limit: number, deadline?: AbortSignal): Promise<Uint8Array> {
  const declared = Number(response.headers.get("content-length") ?? Number.NaN);
  if (declared > limit) {
    await response.body?.cancel();
    throw tooLarge("object", limit);
  }
  const body = response.body;
  // A deadline already passed (an abort listener would never hear it): nothing is read.
  if (deadline?.aborted) {
    await body?.cancel(deadline.reason).catch(() => {});
    throw backendFailure(deadline.reason);
  }
  if (!body) return new Uint8Array();
  // A body read in process (a native backend's) is not under the backend request's signal: cancelled here.
  const onDeadline = () => void body.cancel(deadline?.reason).catch(() => {});
  deadline?.addEventListener("abort", onDeadline, { once: true });
  let bytes: Uint8Array | undefined;
  try {
    // Without a declared length (a chunked answer), read no more than the limit.
    bytes = await readAtMost(body, limit);
  } catch (error) {
    throw backendFailure(error);
  } finally {
    deadline?.removeEventListener("abort", onDeadline);
  }
  if (deadline?.aborted) throw backendFailure(deadline.reason);
  if (bytes === undefined) throw tooLarge("object", limit);
  return bytes;
}

type Native = Extract<GatewayResult<ReadableStream>, { type: "native" }>;

async function executeForward(result: Forward, method: string, body: Uint8Array | null, options: Required<Pick<LambdaHandlerOptions, "maxResponseBytes">> & { fetch: typeof fetch; answerTimeoutMs?: number; deadline?: AbortSignal }): Promise<Answer> {
  const { upstream, answer, document } = await sendForward(result, method, body, options.fetch, options.answerTimeoutMs, options.deadline);
  if (document) return fromPlain(document, method);
  if (method === "HEAD" || answer.status === 204 || answer.status === 304) {
    await upstream.body?.cancel();
    return toResult(answer.status, answer.headers, null, method === "HEAD");
  }
  return toResult(answer.status, answer.headers, await readWhole(upstream, options.maxResponseBytes, options.deadline));
}

async function executeNative(result: Native, method: string, body: Uint8Array | null, maxResponseBytes: number, deadline: AbortSignal | undefined): Promise<Answer> {
  const decoded = await decodedBody(result, body);
  const stream = decoded === null ? null : new Blob([decoded as Uint8Array<ArrayBuffer>]).stream();
  const plain = await result.execute(stream, deadline ?? new AbortController().signal, deadlineFailure(deadline));
  const answerBody = webBody(plain.body);
  if (answerBody !== undefined) {
    if (method === "HEAD") {
      await answerBody.cancel().catch(() => {});
      return toResult(plain.status, plain.headers, null, true);
    }
    return toResult(plain.status, plain.headers, await readWhole(new Response(answerBody, { headers: plain.headers }), maxResponseBytes, deadline));
  }
  return fromPlain(plain, method);
}

/**
 * Creates the Lambda handler (`export const handler = createLambdaHandler(gateway)`) for API Gateway HTTP APIs and
 * Function URLs, payload format 2.0. Backends answer through `fetch` (s3, az and gcs forward their requests).
 */
export function createLambdaHandler(gateway: Gateway<ReadableStream> | Gateway<unknown>, options: LambdaHandlerOptions = {}): (event: LambdaHttpEvent, context?: unknown) => Promise<LambdaHttpResult> {
  const maxRequestBytes = options.maxRequestBytes ?? DEFAULT_BODY_LIMIT;
  const maxResponseBytes = options.maxResponseBytes ?? DEFAULT_BODY_LIMIT;
  for (const [name, value] of [["maxRequestBytes", maxRequestBytes], ["maxResponseBytes", maxResponseBytes]] as const) {
    if (!(Number.isInteger(value) && value > 0 && value <= LAMBDA_PAYLOAD_BYTES)) throw new TypeError(`createLambdaHandler: ${name} must be a whole number of bytes from 1 to ${LAMBDA_PAYLOAD_BYTES} (got ${String(value)})`);
  }
  checkBasePath("createLambdaHandler", options.basePath);
  checkAnswerTimeout("createLambdaHandler", options.backendAnswerTimeoutMs);
  const fetcher = options.fetch ?? rawFetch;
  const log = options.log ?? ((line) => console.log(JSON.stringify(line)));
  return async (event, context) => {
    // Lambda's deadline for this invocation (less a margin to answer in): what the backend has not finished by then
    // is answered 503.
    const deadline = invocationDeadline(context);
    const invocation = await invoke(gateway, event, options.basePath);
    if ("refusal" in invocation) {
      log(refusalLine(invocation));
      return fromPlain(invocation.refusal, invocation.method).result;
    }
    const { request, result } = invocation;
    let answer: Answer;
    let failure: LateFailure | undefined;
    try {
      checkRequestSize(request, result, maxRequestBytes);
      if (result.type === "response") {
        const whole = await wholeResponse(result.response);
        failure = whole.failure;
        answer = fromPlain(whole.plain, request.method);
      } else if (result.type === "forward") answer = await executeForward(result, request.method, request.body, { maxResponseBytes, fetch: fetcher, ...(options.backendAnswerTimeoutMs !== undefined && { answerTimeoutMs: options.backendAnswerTimeoutMs }), ...(deadline && { deadline }) });
      else answer = await executeNative(result, request.method, request.body, maxResponseBytes, deadline);
    } catch (error) {
      answer = fromPlain((result as ResultBase).errorResponse(error), request.method);
    }
    await endInvocation(request, result, answer.result.statusCode, answer.bytes, log, failure);
    return answer.result;
  };
}
