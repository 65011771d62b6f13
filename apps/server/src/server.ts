/** Builds the Multistore Node server from a parsed config: gateway, backends, HTTP(S) listener, graceful close. */
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { Readable } from "node:stream";
import { createStaticRegistries, layeredRegistries, uploadIdSecretOf, type MultistoreConfig, type Registries } from "@multistore/config";
import { createGateway, healthRoute, useCryptoPrimitives, type BackendFactory, type Middleware, type Route } from "@multistore/core";
import { createSessionTokenResolver, createSessionTokenSealer, createStsRoute } from "@multistore/sts";
import { createFederatedCredentials, type FederationOptions, type OidcProvider } from "@multistore/oidc-provider";
import { nodeBackends } from "./backends.js";
import { awaitingContinue, createNodeRuntime, GatewayIncomingMessage, type ServerLimits } from "@multistore/node";
import { nodeCryptoPrimitives } from "./node-crypto.js";
import { describeError, requestLogger, type Logger } from "./logger.js";
import { serverMetering } from "./metering.js";
import { createPathMapping } from "@multistore/path-mapping";
import { serverMetrics, type MetricsOptions } from "./metrics.js";
import { stsDisabledRoutes } from "./sts-disabled.js";
import { answerClientError, answerExpectationFailed, requiringHost } from "./client-errors.js";

/** Options of `createMultistoreServer`. */
export interface ServerOptions {
  /** Parsed configuration. */
  config: MultistoreConfig;
  /**
   * Buckets, credentials and roles kept elsewhere (e.g. `createCachedRegistries(createHttpRegistries(...))`), asked
   * for names the config file does not have.
   */
  registries?: Registries;
  /** Logger. */
  logger: Logger;
  /** Domain for virtual-hosted style requests. */
  domain?: string;
  /** TLS certificate and key (PEM) for HTTPS. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** `Server-Timing` on responses (default true). */
  serverTiming?: boolean;
  /** Extra routes (checked before S3). */
  routes?: Route[];
  /**
   * Backends of other `backend_type`s (register their option rules with `registerBackendOptionRules` before parsing
   * the config), or replacements of built-in ones.
   */
  backends?: Record<string, BackendFactory<Readable>>;
  /** Middleware around dispatch. */
  middleware?: Middleware[];
  /** How long a graceful shutdown waits for in-flight requests (default 10 s). */
  shutdownTimeoutMs?: number;
  /** Timeouts, per-bucket connection caps and the anonymous cap per address (defaults: `DEFAULT_LIMITS`). */
  limits?: Partial<ServerLimits>;
  /** Largest PutObject / UploadPart body accepted, by declared length (larger: 400 EntityTooLarge); default none. */
  maxUploadBytes?: number;
  /**
   * When a long CopyObject, UploadPartCopy or CompleteMultipartUpload starts its answer (200, whitespace every
   * `everyMs`, then the result or the error, as S3 answers; default 10 s and 10 s). See core's `keepAlive`.
   */
  keepAlive?: { afterMs?: number; everyMs?: number };
  /**
   * Proxies whose `X-Forwarded-For` is believed (addresses and CIDR ranges, comma-separated, e.g. `10.0.0.0/8`): the
   * client address middleware sees and the anonymous cap counts is then the right-most untrusted hop. Default: none.
   */
  trustedProxies?: string;
  /**
   * Keys sealing STS session tokens (base64 of 32 bytes each; the first seals, all unseal), from `SESSION_TOKEN_KEY`.
   * Without any, STS is off and requests carrying a session token are refused.
   */
  sessionTokenKeys?: string[];
  /**
   * STS endpoint options: `path` (default `/.sts`; `POST /` with an STS form is answered too), and the TEST-ONLY
   * `allowInsecureIssuers` (accept `http://` OIDC issuers on loopback hosts).
   */
  sts?: { path?: string; allowInsecureIssuers?: boolean };
  /**
   * The proxy as an OIDC provider (from `OIDC_PROVIDER_KEY` / `OIDC_PROVIDER_ISSUER`): serves its discovery and JWKS
   * documents, and signs s3, gcs and az buckets with `auth_type = "oidc"` with federated credentials.
   */
  oidcProvider?: OidcProvider;
  /** Endpoint overrides of federated credentials (Google STS / IAM Credentials, Entra authority): tests, sovereign clouds. */
  federationEndpoints?: FederationOptions["endpoints"];
  /** Usage metrics as Prometheus text (`GET /metrics`) on a listener of their own and/or on the S3 port with a token; default off. */
  metrics?: MetricsOptions;
}

/** A server, ready to listen. */
export interface MultistoreServer {
  /** The node:http(s) server. */
  server: Server;
  /** Starts listening; resolves with the bound address. */
  listen(port: number, host: string): Promise<{ port: number; host: string }>;
  /**
   * Stops accepting, drains in-flight requests (bounded by `shutdownTimeoutMs`; requests cut at it get up to 1 s more
   * to record their usage and write their line), closes backend connections and the metering store (1 s more at most).
   */
  close(): Promise<void>;
  /** The metrics listener's bound address, once listening (with `metrics.listen`). */
  metricsAddress(): { port: number; host: string } | undefined;
}

/** How long requests cut at the shutdown timeout get to record their usage and write their line. */
const SETTLE_GRACE_MS = 1000;

/** `work`'s outcome, or "late" at `deadline` (ms since epoch). */
function within<T>(work: Promise<T>, deadline: number): Promise<T | "late"> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<"late">((resolve) => {
    timer = setTimeout(() => resolve("late"), Math.max(0, deadline - Date.now()));
    timer.unref();
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/** Creates the server. */
export function createMultistoreServer(options: ServerOptions): MultistoreServer {
  const { logger } = options;
  // Process-wide, and the same functions as WebCrypto; installing them again changes nothing.
  useCryptoPrimitives(nodeCryptoPrimitives);
  const fromFile = createStaticRegistries(options.config);
  const registries = options.registries ? layeredRegistries(fromFile, options.registries) : fromFile;
  const runtime = createNodeRuntime({
    ...(options.limits && { limits: options.limits }),
    ...(options.trustedProxies && { trustedProxies: options.trustedProxies }),
    requestLog: requestLogger(logger),
    onError: (error) => logger.error({ err: describeError(error) }, "unhandled error in request handler"),
  });
  const stsRoutes: Route[] = [];
  let temporaryCredentials;
  if (options.sessionTokenKeys && options.sessionTokenKeys.length > 0) {
    const sealer = createSessionTokenSealer({ keys: options.sessionTokenKeys });
    temporaryCredentials = createSessionTokenResolver(sealer);
    stsRoutes.push(
      ...createStsRoute({
        roles: registries.roles,
        sealer,
        ...(options.sts?.path !== undefined && { path: options.sts.path }),
        allowInsecureIssuers: options.sts?.allowInsecureIssuers === true,
        onError: (error) => logger.error({ err: describeError(error) }, "STS internal error"),
      }),
    );
  } else {
    const log = options.config.roles.length > 0 ? logger.warn.bind(logger) : logger.info.bind(logger);
    log({ roles: options.config.roles.length }, "STS disabled: SESSION_TOKEN_KEY is not set (requests with session tokens are refused)");
    // STS clients get an STS error that names the missing key, not S3's 404/405.
    stsRoutes.push(...stsDisabledRoutes(options.sts?.path));
  }
  const metering = serverMetering(options.config, logger);
  const metrics = serverMetrics(options.metrics, logger);
  const federation =
    options.oidcProvider &&
    createFederatedCredentials({
      provider: options.oidcProvider,
      ...(options.federationEndpoints && { endpoints: options.federationEndpoints }),
      onError: (error, context) => logger.error({ ...context, err: describeError(error) }, "federated backend credentials failed"),
    });
  const gateway = createGateway<Readable>({
    // Shared by every worker and instance with this configuration: an upload started on one continues on another.
    uploadIdSecret: uploadIdSecretOf(options.config, options.sessionTokenKeys),
    buckets: registries.buckets,
    credentials: registries.credentials,
    backends: { ...nodeBackends({ dispatcher: runtime.dispatcher, ...(federation && { federation }) }), ...options.backends },
    // Copies between stores that cannot copy between each other stream through the buckets' pools.
    transport: runtime.transport,
    routes: [healthRoute(), ...stsRoutes, ...(options.oidcProvider?.routes ?? []), ...metrics.routes, ...(options.routes ?? [])],
    ...(temporaryCredentials && { temporaryCredentials }),
    // Metering first in the chain: a refused request reaches no other middleware. Metrics have only an `after` hook
    // (no part in the chain); it runs first, so a slow metering store does not delay their counting.
    middleware: [...(metrics.middleware ? [metrics.middleware] : []), ...(metering.middleware ? [metering.middleware] : []), ...(options.middleware ?? [])],
    ...(options.domain && { domain: options.domain }),
    ...(options.config.path_mapping && {
      targetMapping: createPathMapping({ bucketSegments: options.config.path_mapping.bucket_segments, separator: options.config.path_mapping.separator }),
    }),
    owner: { id: options.config.owner_id, displayName: options.config.owner_display_name },
    ...(options.config.cors_rules && { cors: options.config.cors_rules }),
    serverTiming: options.serverTiming ?? true,
    ...(options.maxUploadBytes !== undefined && { maxUploadBytes: options.maxUploadBytes }),
    ...(options.keepAlive && { keepAlive: options.keepAlive }),
    onError: (error, context) => logger.error({ requestId: context.requestId, err: describeError(error) }, "internal error"),
  });
  const listener = requiringHost(runtime.createHandler(gateway));
  // node:http's Host and Expect checks read the headers the gateway reads: one pass over them, not two. A request
  // without a body (no Content-Length, no Transfer-Encoding: most GETs and HEADs) is ended at once instead of going
  // through its stream's end and close events.
  // The Host check is the listener's (requiringHost), to answer it as S3 does every other refusal.
  const serverOptions = { IncomingMessage: GatewayIncomingMessage, optimizeEmptyRequests: true, requireHostHeader: false };
  const server: Server = options.tls ? createHttpsServer({ ...options.tls, ...serverOptions }, listener) : createHttpServer(serverOptions, listener);
  server.on("clientError", answerClientError);
  server.on("checkExpectation", answerExpectationFailed);
  // Expect: 100-continue is answered once the gateway let the request through (see awaitingContinue).
  server.on("checkContinue", awaitingContinue(listener));
  // Slow or stuck clients must not pin memory forever; large uploads still stream for as long as they move.
  server.headersTimeout = 60_000;
  server.requestTimeout = 0;
  server.keepAliveTimeout = 5_000;

  return {
    server,
    metricsAddress: () => metrics.address(),
    async listen(port, host) {
      await metering.ready();
      // Before the S3 port: a metrics address in use stops the start with nothing else listening.
      await metrics.listen();
      return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
          server.off("error", reject);
          const address = server.address();
          if (address && typeof address === "object") resolve({ port: address.port, host: address.address });
          else resolve({ port, host });
        });
      });
    },
    async close() {
      const deadline = Date.now() + (options.shutdownTimeoutMs ?? 10_000);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Keep-alive connections that finish their last request while we drain must not hold the process open.
      server.closeIdleConnections();
      const sweeper = setInterval(() => server.closeIdleConnections(), 50);
      void closed.then(() => clearInterval(sweeper));
      const timeout = new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), options.shutdownTimeoutMs ?? 10_000).unref());
      if ((await Promise.race([closed, timeout])) === "timeout") {
        logger.warn("shutdown timeout: closing remaining connections");
        server.closeAllConnections();
        await closed;
      }
      clearInterval(sweeper);
      // Requests whose connections were just closed are still ending: their usage is recorded and their line written
      // once they are. They, and the metering store's close after them, get what is left of the bound, or a short
      // grace past it when the timeout cut them (else the usage of the very requests cut would be lost).
      const settleBy = Math.max(deadline, Date.now() + SETTLE_GRACE_MS);
      // The store's close (a Redis QUIT sends what is queued first) gets a bound of its own once they have.
      const meteringClosed = within(runtime.drained(), settleBy)
        .then(async (drained) => {
          if (drained === "late") logger.warn("shutdown timeout: closing the metering store with usage still being recorded");
          if ((await within(metering.close(), Date.now() + SETTLE_GRACE_MS)) === "late") logger.warn("shutdown timeout: the metering store did not close in time");
        })
        .catch((error: unknown) => logger.warn({ err: describeError(error) }, "metering store close failed"));
      // Backend requests no client connection holds (a listing, a multipart commit) get what is left of the bound:
      // the pools' close waits for each, and a backend trickling its answer would hold the stop for as long.
      const released = Promise.all([runtime.close(), metrics.close()]);
      try {
        if ((await within(released, deadline)) === "late") logger.warn("shutdown timeout: leaving backend requests still running");
      } finally {
        await meteringClosed;
      }
    },
  };
}
