/**
 * Response streaming on Lambda (Function URLs with `InvokeMode: RESPONSE_STREAM`): the backend's body goes to the
 * client as it arrives instead of being read whole, so downloads are limited by Lambda's streamed-response limit
 * (20 MiB by default, `maxResponseBytes`) instead of the 6 MB of a buffered invocation, and the first bytes leave
 * before the last arrive. Requests are still handed over whole (6 MB). Uses the `awslambda` global of Lambda's
 * Node.js runtime: `streamifyResponse` and `HttpResponseStream.from`, which sends the status and headers ahead of the
 * body.
 */
import { toS3Error, type Gateway, type GatewayResult, type ResultBase } from "@multistore/core";
import { headerRecord, type LateFailure, type PlainResponse } from "@multistore/core/runtime";
import { checkBasePath, type LambdaHttpEvent } from "./event.js";
import { rawFetch } from "./raw-fetch.js";
import { backendFailure, checkAnswerTimeout, checkRequestSize, deadlineFailure, resultHeaders, decodedBody, endInvocation, invocationDeadline, invoke, refusalLine, sendForward, tooLarge, webBody, wholeResponse, type Forward } from "./invocation.js";
import { DEFAULT_BODY_LIMIT, LAMBDA_PAYLOAD_BYTES } from "./handler.js";

/** The writable stream Lambda hands a streaming handler (a Node.js Writable). */
export interface LambdaResponseStream {
  write(chunk: Uint8Array): boolean;
  end(chunk?: Uint8Array | string): void;
  once(event: "drain" | "close" | "error", listener: (...args: unknown[]) => void): unknown;
  removeListener(event: "drain" | "close" | "error", listener: (...args: unknown[]) => void): unknown;
  destroy(error?: Error): void;
}

/** Resolves when `out` drains; rejects when it closes or fails first. Leaves no listener behind either way. */
function drainedOrGone(out: LambdaResponseStream): Promise<void> {
  return new Promise((resolve, reject) => {
    const onDrain = () => {
      off();
      resolve();
    };
    const onClose = () => {
      off();
      reject(new Error("the response stream closed before it drained"));
    };
    const onError = (error: unknown) => {
      off();
      reject(error instanceof Error ? error : new Error("the response stream failed"));
    };
    const off = () => {
      out.removeListener("drain", onDrain);
      out.removeListener("close", onClose);
      out.removeListener("error", onError);
    };
    out.once("drain", onDrain);
    out.once("close", onClose);
    out.once("error", onError);
  });
}

/** The parts of Lambda's Node.js runtime (`globalThis.awslambda`) that response streaming uses. */
export interface AwsLambdaStreamingApi {
  streamifyResponse(handler: (event: LambdaHttpEvent, responseStream: LambdaResponseStream, context: unknown) => Promise<void>): unknown;
  HttpResponseStream: { from(stream: LambdaResponseStream, metadata: { statusCode: number; headers: Record<string, string> }): LambdaResponseStream };
}

/** Options of `createLambdaStreamingHandler`. */
export interface LambdaStreamingOptions {
  /** Largest request body accepted (bytes; default about 4.5 MiB, what fits a 6 MB invocation payload). */
  maxRequestBytes?: number;
  /** Largest response body streamed (bytes; default 20 MiB, Lambda's default limit for streamed responses). */
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
  /** Receives each request's line (default: one JSON line on stdout). */
  log?: (line: Record<string, unknown>) => void;
  /** The runtime's streaming API (default: `globalThis.awslambda`, present only inside Lambda). */
  awslambda?: AwsLambdaStreamingApi;
}

/** Lambda's default limit on a streamed response. */
export const LAMBDA_STREAMED_RESPONSE_BYTES = 20 * 1024 * 1024;

/** One invocation's response: headers first, then the body, counted. */
class StreamedAnswer {
  started = false;
  bytes = 0;
  status = 0;
  constructor(
    private readonly api: AwsLambdaStreamingApi,
    private readonly stream: LambdaResponseStream,
  ) {}

  /** Sends a whole response (no body for HEAD). */
  send(plain: PlainResponse<unknown>, head: boolean): void {
    const body = head ? null : typeof plain.body === "string" ? new TextEncoder().encode(plain.body) : plain.body instanceof Uint8Array ? plain.body : null;
    // A copy: the length added here must not change the response's own headers.
    const headers = resultHeaders(headerRecord(plain.headers));
    if (!head && plain.status !== 204 && plain.status !== 304) headers["content-length"] ??= String(body?.length ?? 0);
    const out = this.open(plain.status, headers);
    this.bytes = body?.length ?? 0;
    out.end(body ?? undefined);
  }

  /** Streams `body` with backpressure, stopping past `limit`. */
  async pipe(status: number, headers: Headers, body: ReadableStream<Uint8Array>, limit: number, deadline?: AbortSignal): Promise<void> {
    // A deadline already passed (an abort listener would never hear it): answered 503 before anything is sent.
    if (deadline?.aborted) {
      await body.cancel(deadline.reason).catch(() => {});
      throw backendFailure(deadline.reason);
    }
    const out = this.open(status, resultHeaders(headerRecord(headers)));
    const reader = body.getReader();
    // Past the invocation's deadline the body is cut (the client sees a broken response, never a short one).
    const onDeadline = () => void reader.cancel(deadline?.reason).catch(() => {});
    deadline?.addEventListener("abort", onDeadline, { once: true });
    try {
      for (let next = await reader.read(); !next.done; next = await reader.read()) {
        // (A body without a declared length is cut at the limit; what was sent is what is counted.)
        if (this.bytes + next.value.length > limit) throw tooLarge("object", limit);
        this.bytes += next.value.length;
        // Drained, or gone: a stream that closes or fails while full never drains, and must not hold the invocation.
        if (!out.write(next.value)) await drainedOrGone(out);
      }
      if (deadline?.aborted) throw backendFailure(deadline.reason);
    } catch (error) {
      await reader.cancel().catch(() => {});
      throw error;
    } finally {
      deadline?.removeEventListener("abort", onDeadline);
    }
    out.end();
  }

  private open(status: number, headers: Record<string, string>): LambdaResponseStream {
    this.started = true;
    this.status = status;
    return this.api.HttpResponseStream.from(this.stream, { statusCode: status, headers });
  }
}

type Native = Extract<GatewayResult<ReadableStream>, { type: "native" }>;

async function streamForward(result: Forward, method: string, body: Uint8Array | null, answer: StreamedAnswer, limit: number, fetcher: typeof fetch, answerTimeoutMs: number | undefined, deadline: AbortSignal | undefined): Promise<void> {
  const { upstream, answer: forwarded, document } = await sendForward(result, method, body, fetcher, answerTimeoutMs, deadline);
  if (document) {
    answer.send(document, method === "HEAD");
    return;
  }
  if (Number(upstream.headers.get("content-length") ?? 0) > limit && method !== "HEAD") {
    await upstream.body?.cancel();
    throw tooLarge("object", limit);
  }
  if (method === "HEAD" || forwarded.status === 204 || forwarded.status === 304 || !upstream.body) {
    await upstream.body?.cancel();
    answer.send({ status: forwarded.status, headers: forwarded.headers, body: null }, method === "HEAD");
    return;
  }
  await answer.pipe(forwarded.status, forwarded.headers, upstream.body, limit, deadline);
}

async function streamNative(result: Native, method: string, body: Uint8Array | null, answer: StreamedAnswer, limit: number, deadline: AbortSignal | undefined): Promise<void> {
  const decoded = await decodedBody(result, body);
  const plain = await result.execute(decoded === null ? null : new Blob([decoded as Uint8Array<ArrayBuffer>]).stream(), deadline ?? new AbortController().signal, deadlineFailure(deadline));
  const answerBody = webBody(plain.body);
  // Refused before anything is sent, as a forward's is: a 200 cut at the limit would look like a broken download.
  if (answerBody !== undefined && method !== "HEAD" && Number(plain.headers.get("content-length") ?? 0) > limit) {
    await answerBody.cancel().catch(() => {});
    throw tooLarge("object", limit);
  }
  if (answerBody !== undefined && method !== "HEAD") {
    await answer.pipe(plain.status, plain.headers, answerBody, limit, deadline);
    return;
  }
  await answerBody?.cancel().catch(() => {});
  answer.send(plain, method === "HEAD");
}

/**
 * Creates a streaming Lambda handler (`export const handler = createLambdaStreamingHandler(gateway)`), for Function
 * URLs with `InvokeMode: RESPONSE_STREAM`. Throws when the runtime's `awslambda` global is missing.
 */
export function createLambdaStreamingHandler(gateway: Gateway<ReadableStream> | Gateway<unknown>, options: LambdaStreamingOptions = {}): unknown {
  const api = options.awslambda ?? (globalThis as { awslambda?: AwsLambdaStreamingApi }).awslambda;
  if (typeof api?.streamifyResponse !== "function" || typeof api.HttpResponseStream?.from !== "function") throw new TypeError("createLambdaStreamingHandler: the awslambda global of Lambda's Node.js runtime is missing (pass options.awslambda outside Lambda)");
  const maxRequestBytes = options.maxRequestBytes ?? DEFAULT_BODY_LIMIT;
  const maxResponseBytes = options.maxResponseBytes ?? LAMBDA_STREAMED_RESPONSE_BYTES;
  for (const [name, value, most] of [["maxRequestBytes", maxRequestBytes, LAMBDA_PAYLOAD_BYTES], ["maxResponseBytes", maxResponseBytes, Number.MAX_SAFE_INTEGER]] as const) {
    if (!(Number.isInteger(value) && value > 0 && value <= most)) throw new TypeError(`createLambdaStreamingHandler: ${name} must be a whole number of bytes from 1 to ${most} (got ${String(value)})`);
  }
  checkBasePath("createLambdaStreamingHandler", options.basePath);
  checkAnswerTimeout("createLambdaStreamingHandler", options.backendAnswerTimeoutMs);
  const fetcher = options.fetch ?? rawFetch;
  const log = options.log ?? ((line) => console.log(JSON.stringify(line)));
  return api.streamifyResponse(async (event, responseStream, context) => {
    const answer = new StreamedAnswer(api, responseStream);
    // Lambda's deadline for this invocation, less a margin: see invocationDeadline.
    const deadline = invocationDeadline(context);
    const invocation = await invoke(gateway, event, options.basePath);
    if ("refusal" in invocation) {
      log(refusalLine(invocation));
      return answer.send(invocation.refusal, invocation.method === "HEAD");
    }
    const { request, result } = invocation;
    let failure: LateFailure | undefined;
    try {
      checkRequestSize(request, result, maxRequestBytes);
      if (result.type === "response") {
        const whole = await wholeResponse(result.response);
        failure = whole.failure;
        answer.send(whole.plain, request.method === "HEAD");
      } else if (result.type === "forward") await streamForward(result, request.method, request.body, answer, maxResponseBytes, fetcher, options.backendAnswerTimeoutMs, deadline);
      else await streamNative(result, request.method, request.body, answer, maxResponseBytes, deadline);
    } catch (error) {
      // A started body cannot become an error document: the client must see a broken response, never a short one,
      // and the log line the failure (its code and status) behind the 200 that was sent.
      if (answer.started) {
        responseStream.destroy(error instanceof Error ? error : new Error(String(error)));
        const s3Error = toS3Error(error);
        failure = { code: s3Error.code, status: s3Error.status, error };
      } else answer.send((result as ResultBase).errorResponse(error), request.method === "HEAD");
    }
    await endInvocation(request, result, answer.status, answer.bytes, log, failure);
  });
}
