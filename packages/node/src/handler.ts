/**
 * The Node runtime adapter: turns node:http requests into gateway requests and executes what the gateway
 * resolves them to — forwarding to backends with undici, streaming both ways without copies — within the server's
 * limits (limits.ts): a bucket's own pool and slots, a cap on anonymous requests per address, and the watchdog that
 * cuts stalled clients.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Readable } from "node:stream";
import { S3Error, type Gateway, type GatewayResult } from "@multistore/core";
import { documentErrorCode, needsBodyDecoding, type BodyPlan } from "@multistore/core/runtime";
import { forward, forwardThen, type ForwardOutcome } from "./forward.js";
import type { AddressCounter, BucketPools } from "./limits.js";
import { CountingTransform, RequestBodyTransform } from "./request-body-transform.js";
import { requestHeaders, writeResponse } from "./node-http.js";
import { continueBody } from "./expect-continue.js";
import { headLengthOf } from "./request-body.js";
import { requestLineWriter, type RequestLog } from "./request-log.js";
import { clientLeft, Served, writeError, type Done, type Outcome, type Settle } from "./served.js";
import type { Watchdog } from "./watchdog.js";
import { clientAddressResolver, type ClientAddressOf } from "./client-address.js";
import { NodeGatewayRequest } from "./gateway-request.js";

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

function hasBody(headers: Headers): boolean {
  const length = headers.get("content-length");
  return (length !== null && length !== "0") || headers.has("transfer-encoding");
}

function ignoreError(): void {}

/** A body stream that counts what it read from the client. */
type Counter = { bytesIn: number };

/**
 * The client's body, decoded when it is aws-chunked and verified when it must match a hash or checksum, and counted
 * either way (bytes received, framing included).
 */
function clientBody(request: IncomingMessage, headers: Headers, result: BodyPlan): { body: Readable | null; decoder: RequestBodyTransform | undefined; counter: Counter | undefined } {
  if (!hasBody(headers)) return { body: null, decoder: undefined, counter: undefined };
  // The gateway let the request through: a client waiting for 100 Continue may send its body now.
  continueBody(request);
  const decoder = needsBodyDecoding(result) ? new RequestBodyTransform(result) : undefined;
  const counter = decoder ?? new CountingTransform();
  // A form upload's fields were read before its file: they were received too.
  counter.bytesIn = headLengthOf(request);
  request.on("error", (error) => counter.destroy(error));
  // The body flows in before its reader attaches (a backend that looks something up first, a forward waiting for a
  // slot): a check that fails then (a wrong checksum, found at the body's end) must not be an unheard 'error' event,
  // which would end the process. Readers still get the error (a failed stream's iterator and pipe report it), and
  // the decoder keeps it (`failure`) for the answer.
  counter.on("error", ignoreError);
  return { body: request.pipe(counter) as Readable, decoder, counter };
}

/** The outcome with the body bytes read from the client, once the body is done with. */
function withReceived(outcome: Outcome, counter: Counter | undefined): Outcome {
  if (counter !== undefined) outcome.bytesReceived = counter.bytesIn;
  return outcome;
}

/**
 * Forwards once one of the bucket's backend slots is held, then calls `done` once with what it came to. When it
 * throws instead, it has released the slot and not called `done`: the caller answers the error. A free slot is taken
 * synchronously, and the forward reports through callbacks rather than promises: most requests do not wait, and each
 * promise turn on this path shows in the CPU a small GET costs.
 */
function executeForward(result: ForwardResultOf, request: IncomingMessage, headers: Headers, response: ServerResponse, options: HandlerOptions, done: Done): void {
  const bucket = result.context.bucket ?? "";
  const release = options.pools.tryAcquire(bucket);
  if (release !== undefined) {
    forwardHolding(result, request, headers, response, options, bucket, release, done);
    return;
  }
  // A bounded wait for one of the bucket's backend slots: a busy bucket cannot take another bucket's connections.
  options.pools.acquire(bucket).then(
    (granted) => {
      try {
        forwardHolding(result, request, headers, response, options, bucket, granted, done);
      } catch (error) {
        done.failed(error);
      }
    },
    (error: unknown) => done.failed(error),
  );
}

/** The forward itself, once the bucket's slot is held; releases it (before `done` hears of the outcome). */
function forwardHolding(result: ForwardResultOf, request: IncomingMessage, headers: Headers, response: ServerResponse, options: HandlerOptions, bucket: string, release: () => void, done: Done): void {
  try {
    const { decoder, body, counter } = clientBody(request, headers, result);
    const settle = (outcome: Outcome | Promise<Outcome>) => {
      if (outcome instanceof Promise) {
        outcome.then(settle, (error: unknown) => {
          release();
          done.failed(error);
        });
        return;
      }
      release();
      done.ended(withReceived(outcome, counter));
    };
    // An empty object has no last chunk to hold back: the backend could complete the write before the body's checks
    // (a trailer checksum) ran. Check the whole client body first, then send the backend nothing.
    if (body && decoder && result.request.headers.get("content-length") === "0") settle(checkedEmptyBody(result, body, decoder, response, options, bucket));
    else forwardThen(result, response, { dispatcher: options.pools.dispatcher(bucket), body }, (outcome) => settle(outcomeOf(result, outcome, response, decoder)));
  } catch (error) {
    // (Releasing is idempotent: a forward that reported before throwing has released already.)
    release();
    throw error;
  }
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
    return {
      status: outcome.status,
      bytesSent: outcome.bytesSent,
      error: outcome.error,
      errorCode: outcome.backendErrorText === undefined ? undefined : documentErrorCode(outcome.backendErrorText),
      ...(outcome.backendFailed && { backendFailed: true }),
    };
  }
  const request = response.req;
  const failure = decoder?.failure ?? (clientLeft(request, response) ? outcome.error : new S3Error("ServiceUnavailable", { message: "The storage backend is unreachable.", cause: outcome.error }));
  return writeError(result, response, failure).then((status) => ({ status, bytesSent: 0, error: failure }));
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

/**
 * Creates the `(request, response)` listener for node:http / node:https. `settle` hears once of each request's end
 * (see `Settle`). A request the gateway resolves now is served within node:http's event, with no promise turn.
 */
export function createRequestListener(gateway: Gateway<Readable>, options: HandlerOptions, settle: Settle): (request: IncomingMessage, response: ServerResponse) => void {
  const log = options.requestLog ?? requestLineWriter((text) => void process.stdout.write(text));
  const clientAddress = options.clientAddress ?? clientAddressResolver(undefined);
  // (A gateway of another making may have only `handle`.)
  const resolveNow = gateway.handleNow ? gateway.handleNow.bind(gateway) : gateway.handle.bind(gateway);
  return function listener(request: IncomingMessage, response: ServerResponse): void {
    // Set when the gateway admits an anonymous caller, who is then counted in until the request has ended: the cap
    // holds for every request that does work, listings and other control requests included (the gateway does those
    // before it answers).
    let leave: (() => void) | undefined;
    try {
      const watch = options.watchdog.watch(request, response);
      const headers = requestHeaders(request);
      // From the headers just read (node's request.headers would build a second copy of them).
      const address = clientAddress(request.socket.remoteAddress, headers.get("x-forwarded-for") ?? undefined);
      const resolved = resolveNow(
        new NodeGatewayRequest(
          request,
          response,
          headers,
          address,
          (context) => {
            if (context.identity?.type === "anonymous") leave = options.anonymousRequests.enter(address);
          },
          clientAddress.trustsPeer,
        ),
      );
      // Any thenable (another library's promise from a gateway of another making), not only a native promise.
      if (typeof (resolved as { then?: unknown }).then === "function") {
        Promise.resolve(resolved).then(
          (result) => serve(counted(new Served(result, request, response, watch, log, settle), leave), result, request, headers, response, options),
          (error: unknown) => {
            leave?.();
            settle(response, true, error);
          },
        );
      } else {
        const result = resolved as GatewayResult<Readable>;
        serve(counted(new Served(result, request, response, watch, log, settle), leave), result, request, headers, response, options);
      }
    } catch (error) {
      // Reported, never thrown out of node:http's event.
      leave?.();
      settle(response, true, error);
    }
  };
}

/**
 * Creates the `(request, response)` listener for node:http / node:https, as a function returning a promise of each
 * request's end: it rejects when reporting the request failed (after-middleware, the log) or when it could not be
 * answered at all.
 */
export function createRequestHandler(gateway: Gateway<Readable>, options: HandlerOptions): (request: IncomingMessage, response: ServerResponse) => Promise<void> {
  const pending = new WeakMap<ServerResponse, { resolve: () => void; reject: (error: unknown) => void }>();
  const listener = createRequestListener(gateway, options, (response, failed, error) => {
    const ends = pending.get(response);
    pending.delete(response);
    if (failed) ends?.reject(error);
    else ends?.resolve();
  });
  return (request, response) =>
    new Promise<void>((resolve, reject) => {
      pending.set(response, { resolve, reject });
      listener(request, response);
    });
}

/** `served`, counted out of its caller's address when it ends (when it was counted in). */
function counted(served: Served, leave: (() => void) | undefined): Served {
  served.leave = leave;
  return served;
}

/** Writes a response the gateway made, or runs a result that does work (a forward or a native operation). */
function serve(served: Served, result: GatewayResult<Readable>, request: IncomingMessage, headers: Headers, response: ServerResponse, options: HandlerOptions): void {
  try {
    if (result.type === "response") {
      writeResponse(response, result.response).then((bytesSent) => served.ended({ status: result.response.status, bytesSent }), (error: unknown) => served.failed(error));
      return;
    }
    if (result.type === "forward") executeForward(result, request, headers, response, options, served);
    else executeNative(result, request, headers, response).then((outcome) => served.ended(outcome), (error: unknown) => served.failed(error));
  } catch (error) {
    served.failed(error);
  }
}

export { describeError } from "./request-log.js";
