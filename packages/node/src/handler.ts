/**
 * The Node runtime adapter: turns node:http requests into gateway requests and executes what the gateway
 * resolves them to — forwarding to backends with undici, streaming both ways without copies — within the server's
 * limits (limits.ts): a bucket's own pool and slots, a cap on anonymous requests per address, and the watchdog that
 * cuts stalled clients.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Readable } from "node:stream";
import { S3Error, type Gateway, type GatewayResult, type ResultBase } from "@multistore/core";
import { needsBodyDecoding, type BodyPlan } from "@multistore/core/runtime";
import { forward, type ForwardOutcome } from "./forward.js";
import type { AddressCounter, BucketPools } from "./limits.js";
import { CountingTransform, RequestBodyTransform } from "./request-body-transform.js";
import { requestHeaders, writeResponse } from "./node-http.js";
import { readLimited } from "./request-body.js";
import { CLIENT_CLOSED, requestLineWriter, type RequestLog } from "./request-log.js";
import type { Watchdog } from "./watchdog.js";
import { clientAddressResolver, type ClientAddressOf } from "./client-address.js";

/** Options of the request handler. */
export interface HandlerOptions {
  /** Per-bucket backend pools and slots. */
  pools: BucketPools;
  /** In-flight anonymous requests per source address. */
  anonymousRequests: AddressCounter;
  /** Cuts clients that stall. */
  watchdog: Watchdog;
  /** Writes the request line (default: one JSON line per request on standard output). */
  requestLog?: RequestLog;
  /** The client's address from the socket's peer and `X-Forwarded-For` (default: the peer). */
  clientAddress?: ClientAddressOf;
}

type ForwardResultOf = Extract<GatewayResult<Readable>, { type: "forward" }>;
type NativeResultOf = Extract<GatewayResult<Readable>, { type: "native" }>;

/** What executing a result came to, for after-middleware and the log line. */
interface Outcome {
  status: number;
  bytesSent: number;
  bytesReceived?: number;
  error?: unknown;
  errorCode?: string | undefined;
}

function hasBody(headers: Headers): boolean {
  const length = headers.get("content-length");
  return (length !== null && length !== "0") || headers.has("transfer-encoding");
}

/** A body stream that counts what it read from the client. */
type Counter = { bytesIn: number };

/**
 * The client's body, decoded when it is aws-chunked and verified when it must match a hash or checksum, and counted
 * either way (bytes received, framing included).
 */
function clientBody(request: IncomingMessage, headers: Headers, result: BodyPlan): { body: Readable | null; decoder: RequestBodyTransform | undefined; counter: Counter | undefined } {
  if (!hasBody(headers)) return { body: null, decoder: undefined, counter: undefined };
  const decoder = needsBodyDecoding(result) ? new RequestBodyTransform(result) : undefined;
  const counter = decoder ?? new CountingTransform();
  request.on("error", (error) => counter.destroy(error));
  return { body: request.pipe(counter) as Readable, decoder, counter };
}

/** The outcome with the body bytes read from the client, once the body is done with. */
function withReceived(outcome: Outcome, counter: Counter | undefined): Outcome {
  if (counter !== undefined) outcome.bytesReceived = counter.bytesIn;
  return outcome;
}

/**
 * Forwards once one of the bucket's backend slots is held. A free slot is taken synchronously: most requests do not
 * wait, and each promise turn on this path shows in the CPU a small GET costs.
 */
function executeForward(result: ForwardResultOf, request: IncomingMessage, headers: Headers, response: ServerResponse, options: HandlerOptions): Promise<Outcome> {
  const bucket = result.context.bucket ?? "";
  const release = options.pools.tryAcquire(bucket);
  if (release !== undefined) return forwardHolding(result, request, headers, response, options, bucket, release);
  // A bounded wait for one of the bucket's backend slots: a busy bucket cannot take another bucket's connections.
  return options.pools.acquire(bucket).then(
    (granted) => forwardHolding(result, request, headers, response, options, bucket, granted),
    async (error: unknown) => ({ status: await writeError(result, response, error), bytesSent: 0, error }),
  );
}

/** The forward itself, once the bucket's slot is held; releases it. */
async function forwardHolding(result: ForwardResultOf, request: IncomingMessage, headers: Headers, response: ServerResponse, options: HandlerOptions, bucket: string, release: () => void): Promise<Outcome> {
  try {
    const client = clientBody(request, headers, result);
    return withReceived(await forwardBody(result, client, response, options, bucket), client.counter);
  } finally {
    release();
  }
}

/** Sends the backend request with the client's body (checked first when it is empty: see `checkedEmptyBody`). */
function forwardBody(result: ForwardResultOf, client: ReturnType<typeof clientBody>, response: ServerResponse, options: HandlerOptions, bucket: string): Promise<Outcome> {
  const { decoder, body } = client;
  // An empty object has no last chunk to hold back: the backend could complete the write before the body's checks
  // (a trailer checksum) ran. Check the whole client body first, then send the backend nothing.
  if (body && decoder && result.request.headers.get("content-length") === "0") return checkedEmptyBody(result, body, decoder, response, options, bucket);
  return forward(result, response, { dispatcher: options.pools.dispatcher(bucket), body }).then((outcome) => outcomeOf(result, outcome, response, decoder));
}

async function checkedEmptyBody(result: ForwardResultOf, body: Readable, decoder: RequestBodyTransform, response: ServerResponse, options: HandlerOptions, bucket: string): Promise<Outcome> {
  try {
    for await (const _ of body) void _;
  } catch (error) {
    const failure = decoder.failure ?? error;
    return { status: await writeError(result, response, failure), bytesSent: 0, error: failure };
  }
  return outcomeOf(result, await forward(result, response, { dispatcher: options.pools.dispatcher(bucket), body: null }), response, decoder);
}

/** What a forward came to; one that failed before the backend answered gets its error document. */
function outcomeOf(result: ForwardResultOf, outcome: ForwardOutcome, response: ServerResponse, decoder: RequestBodyTransform | undefined): Outcome | Promise<Outcome> {
  if (outcome.answered) {
    return { status: outcome.status, bytesSent: outcome.bytesSent, error: outcome.error, errorCode: outcome.backendErrorText === undefined ? undefined : errorCodeOf(outcome.backendErrorText) };
  }
  const request = response.req;
  const clientGone = response.destroyed || (request.destroyed && !request.complete);
  const failure = decoder?.failure ?? (clientGone ? outcome.error : new S3Error("ServiceUnavailable", { message: "The storage backend is unreachable.", cause: outcome.error }));
  return writeError(result, response, failure).then((status) => ({ status, bytesSent: 0, error: failure }));
}

function errorCodeOf(text: string): string | undefined {
  return /<Code>([^<]+)<\/Code>/.exec(text)?.[1];
}

async function writeError(result: ResultBase, response: ServerResponse, error: unknown): Promise<number> {
  if (response.headersSent || response.destroyed) {
    response.destroy();
    return response.statusCode;
  }
  const plain = result.errorResponse(error);
  await writeResponse(response, plain);
  return plain.status;
}

async function executeNative(result: NativeResultOf, request: IncomingMessage, headers: Headers, response: ServerResponse): Promise<Outcome> {
  const controller = new AbortController();
  const onClose = () => {
    if (!response.writableFinished) controller.abort(new Error("client went away"));
  };
  response.once("close", onClose);
  const { body, decoder, counter } = clientBody(request, headers, result);
  try {
    const plain = await result.execute(body, controller.signal, () => decoder?.failure);
    if (decoder?.failure) {
      return withReceived({ status: await writeError(result, response, decoder.failure), bytesSent: 0, error: decoder.failure }, counter);
    }
    return withReceived({ status: plain.status, bytesSent: await writeResponse(response, plain) }, counter);
  } finally {
    response.off("close", onClose);
  }
}

/** Runs a result that does work (a forward or a native operation), counted against its anonymous caller's address. */
async function execute(result: GatewayResult<Readable>, request: IncomingMessage, headers: Headers, response: ServerResponse, options: HandlerOptions, address: string): Promise<Outcome> {
  if (result.type === "response") return { status: result.response.status, bytesSent: await writeResponse(response, result.response) };
  let leave: (() => void) | undefined;
  if (result.context.identity?.type === "anonymous") {
    try {
      leave = options.anonymousRequests.enter(address);
    } catch (error) {
      return { status: await writeError(result, response, error), bytesSent: 0, error, errorCode: "SlowDown" };
    }
  }
  try {
    return result.type === "forward" ? await executeForward(result, request, headers, response, options) : await executeNative(result, request, headers, response);
  } finally {
    leave?.();
  }
}

/** Creates the `(request, response)` listener for node:http / node:https. */
export function createRequestHandler(gateway: Gateway<Readable>, options: HandlerOptions) {
  const log = options.requestLog ?? requestLineWriter((text) => void process.stdout.write(text));
  const clientAddress = options.clientAddress ?? clientAddressResolver(undefined);
  return async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const watch = options.watchdog.watch(request, response);
    const headers = requestHeaders(request);
    // From the headers just read (node's request.headers would build a second copy of them).
    const address = clientAddress(request.socket.remoteAddress, headers.get("x-forwarded-for") ?? undefined);
    const result = await gateway.handle({
      method: request.method ?? "GET",
      target: request.url ?? "/",
      headers,
      body: request,
      readBody: (limit) => readLimited(request, limit),
      clientAddress: address,
    });
    let outcome: Outcome;
    try {
      outcome = await execute(result, request, headers, response, options, address);
    } catch (error) {
      outcome = { status: await writeError(result, response, error), bytesSent: 0, error };
    } finally {
      watch.done();
    }
    if (result.type === "response" && result.response.status >= 400) {
      outcome.errorCode = errorCodeOf(typeof result.response.body === "string" ? result.response.body : "");
      // The error behind an error response (a backend's failure behind a listing's 503, say), for the log.
      if (result.error !== undefined) outcome.error = result.error;
    }
    const stall = watch.stalled();
    if (stall === "backend stopped reading") {
      outcome = { status: 503, bytesSent: outcome.bytesSent, error: new S3Error("ServiceUnavailable", { message: `The storage backend ${stall}.` }), errorCode: "ServiceUnavailable" };
    } else if (stall !== undefined || (!response.writableFinished && (response.destroyed || (request.destroyed && !request.complete)))) {
      // (A request whose body was read to its end is destroyed too, by then: that is not a client leaving.)
      // The client left (or stalled and was cut): not a server failure, and logged as such.
      outcome = { status: CLIENT_CLOSED, bytesSent: outcome.bytesSent, errorCode: stall === undefined ? undefined : "RequestTimeout" };
    }
    await result.finish(outcome);
    log(result.context, outcome);
  };
}

export { describeError } from "./request-log.js";
