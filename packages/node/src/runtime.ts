/**
 * The Node runtime as one object: per-bucket backend pools, the watchdog that cuts stalled peers, the anonymous cap
 * per client address, and the `(request, response)` listener that serves a gateway with them. Backends get their
 * bucket's pool from `dispatcher`, so the runtime is made first, then the backends and the gateway, then the listener.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Readable } from "node:stream";
import type { Gateway } from "@multistore/core";
import type { BackendTransport } from "@multistore/core/runtime";
import type { Agent } from "undici";
import { clientAddressResolver, parseTrustedProxies } from "./client-address.js";
import { createRequestListener, describeError } from "./handler.js";
import { AddressCounter, BucketPools, DEFAULT_LIMITS, type ServerLimits } from "./limits.js";
import type { RequestLog } from "./request-log.js";
import { createNodeTransport } from "./transport.js";
import { Watchdog } from "./watchdog.js";

/** Options of `createNodeRuntime`. */
export interface NodeRuntimeOptions {
  /** Timeouts, per-bucket connection caps and the anonymous cap per address (defaults: `DEFAULT_LIMITS`). */
  limits?: Partial<ServerLimits>;
  /** Proxies whose `X-Forwarded-For` is believed (addresses and CIDR ranges, comma-separated). Default: none. */
  trustedProxies?: string;
  /** Writes each request's line (default: one JSON line per request on standard output). */
  requestLog?: RequestLog;
  /** Told about an error that escaped a request (the client still gets a 500). Default: `console.error`. */
  onError?: (error: unknown) => void;
}

/** A Node runtime (see the module's comment). */
export interface NodeRuntime {
  /** The connection pool of a bucket's backend requests: give it to the backends (undici `dispatcher`). */
  dispatcher(bucket: { name: string }): Agent;
  /**
   * The gateway's own backend requests, through the same pools (give it to `createGateway` as `transport`: copies
   * between stores that cannot copy between each other stream through it).
   */
  readonly transport: BackendTransport<Readable>;
  /**
   * The `(request, response)` listener serving `gateway`, for node:http / node:https or an existing server. A
   * gateway whose backends mix body types (`Gateway<unknown>`) is accepted: bodies are checked when they are sent.
   */
  createHandler(gateway: Gateway<Readable> | Gateway<unknown>): (request: IncomingMessage, response: ServerResponse) => void;
  /**
   * Resolves once no request is being served by a listener of this runtime: each one's after-middleware (usage
   * records) has run and its line is written. For a stop: close the metering store after this, not before.
   */
  drained(): Promise<void>;
  /** Stops the watchdog and closes every backend connection (after the server stopped accepting requests). */
  close(): Promise<void>;
}

const INTERNAL_ERROR = '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message></Error>';

/**
 * Creates a Node runtime.
 *
 * @throws Error naming `--trusted-proxies` entries that are not addresses or ranges
 */
export function createNodeRuntime(options: NodeRuntimeOptions = {}): NodeRuntime {
  const limits: ServerLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const pools = new BucketPools(limits);
  const watchdog = new Watchdog(limits.idleTimeoutMs);
  const clientAddress = clientAddressResolver(options.trustedProxies ? parseTrustedProxies(options.trustedProxies) : undefined);
  const onError = options.onError ?? ((error: unknown) => console.error("multistore: unhandled error in request handler", describeError(error)));
  // Requests being served, by every listener: entered as a listener gets one, left once it settled.
  let serving = 0;
  let whenDrained: (() => void)[] = [];
  const left = () => {
    if (--serving > 0) return;
    serving = 0;
    const waiting = whenDrained;
    whenDrained = [];
    for (const resolve of waiting) resolve();
  };
  return {
    dispatcher: (bucket) => pools.dispatcher(bucket.name),
    transport: createNodeTransport((bucket) => pools.dispatcher(bucket), pools),
    drained: () => (serving === 0 ? Promise.resolve() : new Promise<void>((resolve) => whenDrained.push(resolve))),
    createHandler(gateway) {
      const listener = createRequestListener(
        gateway as Gateway<Readable>,
        {
          pools,
          anonymousRequests: new AddressCounter(limits.anonymousRequestsPerAddress),
          watchdog,
          clientAddress,
          ...(options.requestLog && { requestLog: options.requestLog }),
        },
        (response, failed, error) => {
          left();
          if (!failed) return;
          onError(error);
          if (!response.headersSent) response.writeHead(500, { "content-type": "application/xml" }).end(INTERNAL_ERROR);
          else response.destroy();
        },
      );
      return (request, response) => {
        serving++;
        listener(request, response);
      };
    },
    async close() {
      watchdog.close();
      await pools.close();
    },
  };
}
