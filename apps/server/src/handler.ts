/**
 * The Node runtime adapter: turns node:http requests into gateway requests and executes what the gateway
 * resolves them to — forwarding to backends with undici, streaming both ways without copies.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Readable } from "node:stream";
import { MAX_BACKEND_ERROR_BYTES, needsBodyDecoding, S3Error, type BodyPlan, type Gateway, type GatewayResult, type ResultBase } from "@multistore/core";
import { request as undiciRequest, type Dispatcher } from "undici";
import { RequestBodyTransform } from "./request-body-transform.js";
import { fromNodeHeaders, pipeBody, requestHeaders, toNodeHeaders, writeResponse } from "./node-http.js";
import { readLimited } from "./request-body.js";
import type { Logger } from "./logger.js";

/** Options of the request handler. */
export interface HandlerOptions {
  /** Connection pool for backend requests. */
  dispatcher: Dispatcher;
  /** Structured logger. */
  logger: Logger;
}

type ForwardResultOf = Extract<GatewayResult<Readable>, { type: "forward" }>;
type NativeResultOf = Extract<GatewayResult<Readable>, { type: "native" }>;

function hasBody(request: IncomingMessage): boolean {
  const length = request.headers["content-length"];
  return (length !== undefined && length !== "0") || request.headers["transfer-encoding"] !== undefined;
}

/** The client's body, decoded when it is aws-chunked and verified when it must match a hash or checksum. */
function clientBody(request: IncomingMessage, result: BodyPlan) {
  if (!hasBody(request)) return { body: null, decoder: undefined };
  if (!needsBodyDecoding(result)) return { body: request as Readable, decoder: undefined };
  const decoder = new RequestBodyTransform(result);
  request.on("error", (error) => decoder.destroy(error));
  return { body: request.pipe(decoder) as Readable, decoder };
}

async function readCapped(body: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    if (size < MAX_BACKEND_ERROR_BYTES) chunks.push(chunk);
    size += chunk.length;
  }
  return Buffer.concat(chunks).subarray(0, MAX_BACKEND_ERROR_BYTES).toString("utf8");
}

async function executeForward(result: ForwardResultOf, request: IncomingMessage, response: ServerResponse, options: HandlerOptions, signal: AbortSignal) {
  const client = clientBody(request, result);
  const { decoder } = client;
  let body = client.body;
  // An empty object has no last chunk to hold back: the backend could complete the write before the body's checks
  // (a trailer checksum) ran. Check the whole client body first, then send the backend nothing.
  if (body && decoder && result.request.headers.get("content-length") === "0") {
    try {
      for await (const _ of body) void _;
    } catch (error) {
      const failure = decoder.failure ?? error;
      return { status: await writeError(result, response, failure), bytesSent: 0, error: failure };
    }
    body = null;
  }
  const started = performance.now();
  let upstream: Dispatcher.ResponseData;
  try {
    upstream = await undiciRequest(result.request.url, {
      method: result.request.method as Dispatcher.HttpMethod,
      headers: toNodeHeaders(result.request.headers),
      body,
      signal,
      dispatcher: options.dispatcher,
    });
  } catch (error) {
    const failure = decoder?.failure ?? (signal.aborted ? error : new S3Error("ServiceUnavailable", { message: "The storage backend is unreachable.", cause: error }));
    return { status: await writeError(result, response, failure), bytesSent: 0, error: failure };
  }
  const answer = result.respond(upstream.statusCode, fromNodeHeaders(upstream.headers), performance.now() - started);
  if (answer.replaceBody) {
    const text = await readCapped(upstream.body);
    const replacement = answer.replaceBody(text);
    return { status: replacement.status, bytesSent: await writeResponse(response, replacement), errorCode: errorCodeOf(text) };
  }
  response.writeHead(answer.status, toNodeHeaders(answer.headers));
  return { status: answer.status, bytesSent: await pipeBody(upstream.body, response) };
}

function errorCodeOf(text: string): string | undefined {
  return /<Code>([^<]+)<\/Code>/.exec(text)?.[1];
}

async function writeError(result: ResultBase, response: ServerResponse, error: unknown): Promise<number> {
  if (response.headersSent) {
    response.destroy();
    return response.statusCode;
  }
  const plain = result.errorResponse(error);
  await writeResponse(response, plain);
  return plain.status;
}

async function executeNative(result: NativeResultOf, request: IncomingMessage, response: ServerResponse, signal: AbortSignal) {
  const { body, decoder } = clientBody(request, result);
  const plain = await result.execute(body, signal, () => decoder?.failure);
  if (decoder?.failure) {
    return { status: await writeError(result, response, decoder.failure), bytesSent: 0, error: decoder.failure };
  }
  return { status: plain.status, bytesSent: await writeResponse(response, plain) };
}

/** Creates the `(request, response)` listener for node:http / node:https. */
export function createRequestHandler(gateway: Gateway<Readable>, options: HandlerOptions) {
  return async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const controller = new AbortController();
    response.once("close", () => {
      if (!response.writableFinished) controller.abort(new Error("client went away"));
    });
    const result = await gateway.handle({
      method: request.method ?? "GET",
      target: request.url ?? "/",
      headers: requestHeaders(request),
      body: request,
      readBody: (limit) => readLimited(request, limit),
      signal: controller.signal,
    });
    let outcome: { status: number; bytesSent: number; error?: unknown; errorCode?: string };
    try {
      if (result.type === "response") outcome = { status: result.response.status, bytesSent: await writeResponse(response, result.response) };
      else if (result.type === "forward") outcome = await executeForward(result, request, response, options, controller.signal);
      else outcome = await executeNative(result, request, response, controller.signal);
    } catch (error) {
      outcome = { status: await writeError(result, response, error), bytesSent: 0, error };
    }
    const context = result.context;
    if (result.type === "response" && result.response.status >= 400) {
      outcome.errorCode = errorCodeOf(typeof result.response.body === "string" ? result.response.body : "");
    }
    await result.finish({
      status: outcome.status,
      bytesSent: outcome.bytesSent,
      ...(outcome.errorCode !== undefined && { errorCode: outcome.errorCode }),
      ...(outcome.error !== undefined && { error: outcome.error }),
    });
    const identity = context.identity;
    const line = {
      requestId: context.requestId,
      method: context.method,
      bucket: context.bucket,
      operation: context.operation,
      principal: identity?.type === "credential" ? identity.principalName : identity ? "anonymous" : undefined,
      status: outcome.status,
      bytes: outcome.bytesSent,
      durationMs: Math.round((Date.now() - context.startedAt) * 10) / 10,
      ...(outcome.errorCode !== undefined && { errorCode: outcome.errorCode }),
    };
    if (outcome.status >= 500) options.logger.error({ ...line, err: describeError(outcome.error) }, "request failed");
    else options.logger.info(line, "request");
  };
}

/** An error for the log: message and cause chain, never request data. */
export function describeError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  return { type: error.name, message: error.message, ...(error.cause !== undefined && { cause: describeError(error.cause) }) };
}
