/**
 * Middleware: an onion around dispatch. Each middleware's `handle(context, next)` runs in registration order once the
 * request is authenticated and authorized; it may answer by itself without calling `next` (a 429 from a quota),
 * replace the bucket's configuration before calling `next` (to serve from another backend), or look at what `next`
 * resolved to. `before` is the short form of a `handle` that only checks; `after` sees the outcome once the response
 * has been sent.
 */
import { HeaderMap } from "./header-map.js";
import type { KeepAliveBody } from "./keep-alive.js";
import type { BucketConfig, Identity, ObjectDispatch, PlainResponse, S3Operation } from "./types.js";

/** What middleware knows about a request. */
export interface RequestContext {
  /** Request id (also in `x-amz-request-id`). */
  requestId: string;
  /** HTTP method. */
  method: string;
  /** The client's request headers (read them; changing them changes nothing that was already decided). */
  headers: Headers;
  /**
   * The S3 error code of the error response the gateway rendered itself, when it answered with one (a refusal, a
   * backend's error): what the request line and the outcome report where the answer carries no document (a HEAD).
   */
  errorCode?: string;
  /** Resolved operation, once parsed. */
  operation?: S3Operation;
  /** Bucket, when the request names one. */
  bucket?: string;
  /** Key, for object operations (as the client named it, without the bucket's backend prefix). */
  key?: string;
  /** Caller, once authenticated. */
  identity?: Identity;
  /** The client's IP address, when the runtime knows it (see `GatewayRequest.clientAddress`). */
  sourceIp?: string;
  /** When the gateway started on it (ms since epoch). */
  startedAt: number;
  /**
   * The bucket's configuration as the registry resolved it, for requests on one bucket. A middleware may replace it
   * before calling `next` (another backend, another prefix): the request is then served from the replacement. The
   * caller was authorized against the registry's configuration; a replacement does not authorize again. Backends are
   * made once per configuration object, so return the same object for the same target.
   */
  bucketConfig?: BucketConfig;
  /** Headers to add to the response, whatever it turns out to be (rate-limit headers, say). */
  responseHeaders?: Headers;
  /**
   * Set once the request was admitted (authenticated and authorized). `after` sees refused requests too: usage
   * recorders charge admitted ones only, so refusals cannot drain a quota.
   */
  admitted?: true;
  /**
   * Set by a middleware that charges the bytes a request sends (usage metering): a download the client leaves
   * mid-body must not go uncharged. The Node runtime counts what it writes, always. The fetch runtime relays bodies
   * natively (JavaScript per chunk would cost Workers many times the relay's CPU time), so it cannot see how much of
   * a cut body went out: with this set it reports the whole body as sent (an upper bound), otherwise nothing.
   */
  metersBytes?: true;
  /**
   * CopyObject and UploadPartCopy, once admitted: the bucket copied from (as configured), and whether the gateway
   * streams the copy (stores that cannot copy between each other) rather than the store copying by itself. A
   * streamed copy's bytes are reported as `RequestOutcome.bytesCopied`; usage metering charges them as a download of
   * this bucket and an upload of the request's (see `@multistore/metering`).
   */
  copySource?: CopySource;
}

/** The source of a copy, as admission found it (see `RequestContext.copySource`). */
export interface CopySource {
  /** The configured name of the bucket copied from. */
  bucket: string;
  /**
   * Whether the gateway streams the bytes from the source's store into the destination's, as admission found the
   * two buckets' backends (a middleware that replaces `bucketConfig` may change that; `bytesCopied` says what happened).
   */
  streamed: boolean;
  /** Bytes streamed (what `RequestOutcome.bytesCopied` reports), set by the copy. */
  bytesCopied?: number;
}

/** What happened, reported once the response is finished. */
export interface RequestOutcome {
  /** Status sent to the client. */
  status: number;
  /** Response body bytes sent. */
  bytesSent: number;
  /** Request body bytes read from the client, aws-chunked framing included (set by both runtimes; absent without a body). */
  bytesReceived?: number;
  /** Total duration in ms. */
  durationMs: number;
  /**
   * How it was served: `forward` (a backend request the runtime sent), `native` (a backend operation in process) or
   * `response` (answered by the gateway itself: an error, a listing, a route).
   */
  served: "forward" | "native" | "response";
  /** The S3 error code, for error responses (and for an error inside a 200 answer, see `errorStatus`). */
  errorCode?: string;
  /**
   * The status of an error answered inside a 200: a long copy or multipart completion whose answer had started (see
   * `createGateway`'s `keepAlive`) when it failed. `status` stays 200, what the client got.
   */
  errorStatus?: number;
  /**
   * Bytes a copy between stores streamed through the gateway, from `context.copySource`'s bucket into the request's:
   * the source's length (or range), reported once the destination's write starts, whatever its answer (an upper
   * bound: the gateway does not count them as they pass, and a write refused at its end read them all; a copy's
   * write conditions are checked against the destination first). Absent where the store copied by itself, or the
   * copy ended before its write.
   */
  bytesCopied?: number;
  /** The error behind a failure (for logs; never shown to clients). */
  error?: unknown;
}

/**
 * What `next` resolves to: a complete response (`status` set: a listing, a multipart result, an error) or a backend
 * call the runtime makes once middleware has returned (`type` set: `"forward"` or `"native"`; its outcome reaches
 * `after`). A middleware returns it, or a response of its own. A long copy or multipart completion's response may
 * have a `KeepAliveBody` (see `createGateway`'s `keepAlive`): a 200 whose document is still to come.
 */
export type MiddlewareAnswer = PlainResponse<KeepAliveBody> | ObjectDispatch<unknown>;

/** Calls the rest of the onion (the next middleware, then the gateway's own dispatch). Call it at most once. */
export type Next = () => Promise<MiddlewareAnswer>;

/** A middleware. Every hook is optional. */
export interface Middleware {
  /** Name for logs and errors. */
  name: string;
  /** Runs after authentication and authorization, before `handle` and dispatch. Throw an `S3Error` to reject. */
  before?(context: RequestContext): void | Promise<void>;
  /**
   * Wraps dispatch: return `next()` (possibly after changing `context.bucketConfig` or `context.responseHeaders`), or
   * answer with a response of your own without calling it. Throwing an `S3Error` answers with that error.
   */
  handle?(context: RequestContext, next: Next): Promise<MiddlewareAnswer>;
  /** Runs once the response is complete. Errors thrown here are logged, never sent. */
  after?(context: RequestContext, outcome: RequestOutcome): void | Promise<void>;
}

/** Whether an answer is a complete response (as opposed to a backend call the runtime makes). */
export function isPlainResponse(answer: MiddlewareAnswer): answer is PlainResponse<KeepAliveBody> {
  return !("type" in answer);
}

/** Runs the onion of `before` / `handle` hooks around `inner` for one request. */
export type MiddlewareChain = <A>(context: RequestContext, inner: () => Promise<A>) => Promise<A | PlainResponse<KeepAliveBody>>;

/** A middleware's own answer, checked: a response with `Headers` (a plain record is accepted and wrapped). */
function checkedAnswer(name: string, answer: unknown): MiddlewareAnswer {
  if (answer === null || typeof answer !== "object") throw new Error(`middleware "${name}" resolved to ${String(answer)}, not an answer`);
  if ("type" in answer) return answer as MiddlewareAnswer;
  const response = answer as PlainResponse<KeepAliveBody>;
  if (typeof response.status !== "number" || !Number.isInteger(response.status) || response.status < 200 || response.status > 599) {
    throw new Error(`middleware "${name}" answered with status ${String(response.status)}`);
  }
  const headers = response.headers as unknown;
  if (headers !== undefined && typeof (headers as Headers).set === "function") return response;
  return { status: response.status, headers: new HeaderMap(headers as Record<string, string> | undefined), body: response.body ?? null };
}

/**
 * Composes the middleware that take part in dispatch (those with `before` or `handle`), in order, around the
 * gateway's own dispatch. Undefined when none does, so a gateway without middleware calls dispatch directly.
 */
export function composeMiddleware(middlewares: readonly Middleware[]): MiddlewareChain | undefined {
  const layers = middlewares.filter((middleware) => middleware.before !== undefined || middleware.handle !== undefined);
  if (layers.length === 0) return undefined;
  return function run<A>(context: RequestContext, inner: () => Promise<A>): Promise<A | PlainResponse<KeepAliveBody>> {
    const step = async (index: number): Promise<A | PlainResponse<KeepAliveBody>> => {
      if (index === layers.length) return inner();
      const layer = layers[index]!;
      if (layer.before) await layer.before(context);
      if (!layer.handle) return step(index + 1);
      let called = false;
      const next = () => {
        if (called) return Promise.reject(new Error(`middleware "${layer.name}" called next() more than once`));
        called = true;
        return step(index + 1) as Promise<MiddlewareAnswer>;
      };
      return checkedAnswer(layer.name, await layer.handle(context, next)) as A | PlainResponse<KeepAliveBody>;
    };
    return step(0);
  };
}

/** Runs every `after` hook, collecting (not throwing) their errors. */
export async function runAfter(
  middlewares: readonly Middleware[],
  context: RequestContext,
  outcome: RequestOutcome,
): Promise<unknown[]> {
  const errors: unknown[] = [];
  for (const middleware of middlewares) {
    try {
      await middleware.after?.(context, outcome);
    } catch (error) {
      errors.push(error);
    }
  }
  return errors;
}
