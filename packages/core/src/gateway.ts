/**
 * The gateway: a function of a request. It routes, parses, authenticates, authorizes and resolves the request into
 * a result the runtime executes: a complete response, a backend request to forward with streaming, or a native
 * operation. Object bodies are never read here.
 */
import { authenticate, type Authentication } from "./authenticate.js";
import { isS3Error, S3Error, toS3Error } from "./errors.js";
import { composeMiddleware, type RequestContext, type RequestOutcome } from "./middleware.js";
import { contextErrorResponse, newRequestId } from "./responses.js";
import { checkRoutes, hasRoute, routeContext, runRoutes } from "./router.js";
import { isVirtualHosted, parseS3Request, splitTarget, type GatewayRequest, type ParsedS3Request, type SplitTarget } from "./s3-request.js";
import { settledOrPromise, type MaybePromise } from "./maybe-promise.js";
import { listNamespace, usableNamespaceBuckets } from "./operations/namespace-listing.js";
import { isNamespaceRead, readNamespace } from "./operations/namespace-settings.js";
import { listNamespaceKeys } from "./operations/namespace-keys.js";
import { deleteNamespaceObjects } from "./operations/namespace-delete.js";
import { readSignedBody } from "./xml-body.js";
import { attemptedRawPath, attemptedTarget, attemptMapping, parseMappedRequest, type MappingAttempt } from "./target-mapping.js";
import { admit } from "./admit.js";
import { isFormUpload, readFormUpload, withFormPlan, type FormUpload } from "./post-object/form-upload.js";
import type { ResolvedBucket } from "./operations/copy.js";
import type { Owner } from "./operations/list.js";
import { toHex } from "./encoding.js";
import { createUploadIdCodec } from "./upload-ids.js";
import { ForwardExchangeResult, NativeExchangeResult, type ForwardResult, type NativeResult } from "./dispatch.js";
import { Exchange, ResponseExchangeResult, type ExchangeOptions } from "./exchange.js";
import { bucketNameOf, corsResponseHeaders, preflightResponse, type CorsRule } from "./cors.js";
import { createPerform, type Dispatched } from "./perform.js";
import { requestWithHeaders } from "./presigned-headers.js";
import { keepAliveSettings, type KeepAliveBody } from "./keep-alive.js";
import type { Backend, BucketConfig, PlainResponse } from "./types.js";
import type { GatewayOptions } from "./types/gateway-options.js";

export type { GatewayOptions } from "./types/gateway-options.js";

/** Common to every result: what the request was and how to report its end. */
export interface ResultBase {
  /** What the gateway learned about the request. */
  context: RequestContext;
  /** Report the outcome once the response is complete (runs after-middleware). */
  finish(outcome: Omit<RequestOutcome, "durationMs" | "served">): Promise<void>;
  /**
   * False when the gateway has no middleware: `finish` would do nothing, and a runtime may skip it (and the promise
   * turn of waiting for it). Absent means: call `finish`.
   */
  readonly afterHooks?: boolean;
  /** Renders an error raised while executing (client abort, backend unreachable, bad chunk signature). */
  errorResponse(error: unknown): PlainResponse<never>;
}

/** A complete response. */
export interface ResponseResult<B> extends ResultBase {
  /** Discriminant. */
  type: "response";
  /** The response: its body may be a `KeepAliveBody` (a long copy or completion answered as S3 answers it). */
  response: PlainResponse<B | KeepAliveBody>;
  /** For an error response: the error it renders, causes kept (for logs; never shown to clients). */
  error?: unknown;
}

/** What `handle` resolves to. */
export type GatewayResult<B = unknown> = ResponseResult<B> | (ResultBase & ForwardResult) | (ResultBase & NativeResult<B>);

/** The gateway. */
export interface Gateway<B = unknown> {
  /** Resolves a request. Never throws: failures become error responses. */
  handle(request: GatewayRequest<B>): Promise<GatewayResult<B>>;
  /**
   * `handle` without its promise where none is needed: the result itself when every step answered now (a static
   * configuration, a cached key), else a promise of it. Throws only where `handle` would reject.
   */
  handleNow?(request: GatewayRequest<B>): MaybePromise<GatewayResult<B>>;
}

const DEFAULT_OWNER: Owner = { id: "multistore-proxy", displayName: "multistore-proxy" };
const DEFAULT_MAX_XML_BODY = 2 * 1024 * 1024;

/** Creates a gateway. */
export function createGateway<B = unknown>(options: GatewayOptions<B>): Gateway<B> {
  const owner: Owner = { ...DEFAULT_OWNER, ...options.owner };
  const routes = options.routes ?? [];
  checkRoutes(routes);
  const middleware = options.middleware ?? [];
  const chain = composeMiddleware(middleware);
  const serverTiming = options.serverTiming ?? true;
  const maxXmlBody = options.maxXmlBodyBytes ?? DEFAULT_MAX_XML_BODY;
  const now = options.now ?? Date.now;
  const createdAt = new Date(now());
  const backends = new WeakMap<BucketConfig, Backend<B>>();

  function backendFor(bucket: BucketConfig): Backend<B> {
    let backend = backends.get(bucket);
    if (!backend) {
      const factory = options.backends[bucket.backend_type];
      if (!factory) {
        // A bucket of a kind this runtime does not serve (an r2 bucket on the Node server): no failure of the request.
        throw new S3Error("ServiceUnavailable", { message: "The bucket's backend_type is not served here.", cause: new Error(`no backend registered for backend_type "${bucket.backend_type}"`) });
      }
      try {
        backend = factory(bucket);
      } catch (error) {
        // Options the backend refuses (a registry service's bucket, checked only now): no failure of the request.
        if (isS3Error(error)) throw error;
        throw new S3Error("ServiceUnavailable", { message: "The bucket's backend cannot be built from its configuration.", cause: error });
      }
      backends.set(bucket, backend);
    }
    return backend;
  }

  /** A bucket's configuration and backend: now when the registry answers now. Throws NoSuchBucket. */
  function resolveBucket(name: string): MaybePromise<ResolvedBucket> {
    const found = settledOrPromise(options.buckets.getBucket(name));
    return found instanceof Promise ? found.then((bucket) => resolvedBucket(name, bucket)) : resolvedBucket(name, found);
  }

  function resolvedBucket(name: string, bucket: BucketConfig | undefined): ResolvedBucket {
    if (!bucket) throw new S3Error("NoSuchBucket", { details: { BucketName: name } });
    return { bucket, backend: backendFor(bucket) as Backend<unknown> };
  }

  /** CORS rules that apply to a request: its bucket's own (the mapped bucket's, under a mapping), else the global ones. */
  async function corsRulesFor(request: GatewayRequest<B>, attempt: MappingAttempt | undefined): Promise<CorsRule[]> {
    const name = bucketNameOf(attemptedRawPath(attempt) ?? request.target, request.headers, options.domain);
    const bucket = name === undefined ? undefined : await options.buckets.getBucket(name);
    return bucket?.cors_rules ?? options.cors ?? [];
  }

  const authenticationSources = {
    credentials: options.credentials,
    ...(options.temporaryCredentials && { temporaryCredentials: options.temporaryCredentials }),
    now,
    ...(options.domain && { domain: options.domain }),
  };
  const uploadIds = createUploadIdCodec(options.uploadIdSecret ?? toHex(crypto.getRandomValues(new Uint8Array(32))));
  const exchangeOptions: ExchangeOptions = { middleware, serverTiming, now, onError: options.onError };
  const keepAlive = keepAliveSettings(options.keepAlive);
  const perform = createPerform<B>({ buckets: options.buckets, owner, createdAt, maxXmlBody, maxUploadBytes: options.maxUploadBytes, uploadIds, backendFor, resolveBucket, transport: options.transport, keepAlive, onError: options.onError, cors: options.cors });

  /**
   * Resolves a request. Most requests are resolved without a promise turn between their steps: each step answers
   * now when what it looks up is there now (see `MaybePromise`), and only `handle`'s own promise remains.
   */
  function handle(request: GatewayRequest<B>): Promise<GatewayResult<B>> {
    try {
      const result = handleNow(request);
      return result instanceof Promise ? result : Promise.resolve(result);
    } catch (error) {
      // Only setting up the request (the clock, say) or rendering its error can throw here: a rejection, as ever.
      return Promise.reject(error);
    }
  }

  function handleNow(request: GatewayRequest<B>): MaybePromise<GatewayResult<B>> {
    const target = request.target;
    const context: RequestContext = { requestId: newRequestId(), method: request.method, headers: request.headers, startedAt: now() };
    if (request.clientAddress !== undefined) context.sourceIp = request.clientAddress;
    const exchange = new Exchange(exchangeOptions, request.method, target, context, performance.now());
    try {
      const questionMark = target.indexOf("?");
      const path = questionMark === -1 ? target : target.slice(0, questionMark);
      const origin = request.headers.get("origin");
      const routed = routes.length > 0 && hasRoute(routes, request.method, path);
      const result = routed || origin !== null || request.method === "OPTIONS" ? handleBeforeS3(request, exchange, path, routed, origin) : resolve(request, exchange, undefined);
      if (result instanceof Promise) return result.catch((error: unknown) => failed(exchange, error));
      return result;
    } catch (error) {
      return failed(exchange, error);
    }
  }

  /** Routes, CORS preflights and CORS requests: what is answered or decided before the S3 request is looked at. */
  async function handleBeforeS3(request: GatewayRequest<B>, exchange: Exchange, path: string, routed: boolean, origin: string | null): Promise<GatewayResult<B>> {
    // A route's path (STS, OIDC discovery) names no bucket: the global CORS rules apply to it, and its preflight is
    // answered from them, never by the route (a browser's web identity flow posts to STS from another origin).
    if (routed && !(request.method === "OPTIONS" && origin !== null)) {
      const response = await runRoutes(routes, request, routeContext(exchange.context.requestId, path, request));
      if (response) {
        if (origin !== null) exchange.cors = corsResponseHeaders(options.cors ?? [], origin, request.method);
        return new ResponseExchangeResult<B>(exchange, response);
      }
    }
    // Mapped before authentication (a refusal gets the mapped bucket's CORS rules too), once: parsing reuses it.
    const attempt = origin === null && request.method !== "OPTIONS" ? undefined : attemptMapping(options.targetMapping, request.method, request.target, request.headers, options.domain);
    if (request.method === "OPTIONS") {
      const preflight = preflightResponse(routed ? (options.cors ?? []) : await corsRulesFor(request, attempt), request.headers);
      return new ResponseExchangeResult<B>(exchange, { ...preflight, body: null });
    }
    if (origin !== null) exchange.cors = corsResponseHeaders(await corsRulesFor(request, attempt), origin, request.method);
    return resolve(request, exchange, attempt);
  }

  /**
   * Authenticates, parses and dispatches an S3 request (a browser form upload: the PutObject its fields describe,
   * mapped, admitted and metered as one). Authentication comes before interpreting the request: an unsigned or
   * mis-signed caller learns nothing about which operations or keys we would accept. The target is split and its
   * query parsed once for both.
   */
  function resolve(request: GatewayRequest<B>, exchange: Exchange, attempt: MappingAttempt | undefined): MaybePromise<GatewayResult<B>> {
    const split = splitTarget(request.target);
    if (request.method === "POST" && isFormUpload(request, split, options.domain)) {
      return readFormUpload(request, split, options.domain, authenticationSources).then((upload) => authenticated(upload.request, exchange, undefined, upload.split, upload.auth, upload));
    }
    const auth = authenticate({ method: request.method, rawPath: request.signedPath ?? split.rawPath, query: split.query, headers: request.headers }, authenticationSources);
    if (auth instanceof Promise) return auth.then((resolved) => authenticated(request, exchange, attempt, split, resolved));
    return authenticated(request, exchange, attempt, split, auth);
  }

  function authenticated(sent: GatewayRequest<B>, exchange: Exchange, attempt: MappingAttempt | undefined, split: SplitTarget, auth: Authentication, upload?: FormUpload): MaybePromise<GatewayResult<B>> {
    const request = auth.headers === undefined ? sent : requestWithHeaders(sent, auth.headers, exchange.context);
    const context = exchange.context;
    context.identity = auth.identity;
    const mapped = attempt !== undefined ? attemptedTarget(attempt) : options.targetMapping && !isVirtualHosted(request.headers, options.domain) ? options.targetMapping.map(request.method, split.rawPath, split.query) : undefined;
    const parsed = mapped === undefined ? parseS3Request(request.method, request.target, request.headers, options.domain, split) : parseMappedRequest(request.method, request.headers, mapped, split.query, options.targetMapping!);
    exchange.resource = parsed.resource;
    context.operation = parsed.operation;
    if (parsed.bucket !== undefined) context.bucket = parsed.bucket;
    if (parsed.key !== undefined) context.key = parsed.key;
    const result = dispatch(request, parsed, auth, context);
    if (result instanceof Promise || upload !== undefined) return Promise.resolve(result).then((dispatched) => resultOf(exchange, upload === undefined ? dispatched : withFormPlan(dispatched, upload)));
    return resultOf(exchange, result);
  }

  function resultOf(exchange: Exchange, result: Dispatched<B>): GatewayResult<B> {
    if (!("type" in result)) return new ResponseExchangeResult<B>(exchange, result);
    exchange.dispatchMs = performance.now() - exchange.started;
    if (result.type === "forward") return new ForwardExchangeResult(exchange, result);
    return new NativeExchangeResult(exchange, result);
  }

  /** A request that failed before it was executed, as its error response. */
  function failed(exchange: Exchange, error: unknown): GatewayResult<B> {
    const s3Error = toS3Error(error);
    if (s3Error.code === "InternalError") reportError(error, exchange.context);
    const resource = exchange.resource ?? exchange.target.split("?")[0]!;
    return new ResponseExchangeResult<B>(exchange, contextErrorResponse(s3Error, exchange.method, resource, exchange.context) as PlainResponse<B>, error);
  }

  /** Tells the gateway's `onError` of an internal error. */
  function reportError(error: unknown, context: RequestContext): void {
    try {
      options.onError?.(error, context);
    } catch {
      // A failing error reporter must not turn a 500 into a rejected promise, nor end an answer.
    }
  }

  /** Admits the request, then runs middleware (once, here) around the operation. */
  function dispatch(request: GatewayRequest<B>, parsed: ParsedS3Request, auth: Authentication, context: RequestContext): MaybePromise<Dispatched<B>> {
    const namespace = parsed.namespace;
    if (namespace !== undefined && (parsed.operation === "ListObjects" || parsed.operation === "ListObjectsV2")) {
      return dispatchNamespaceListing(request, parsed.operation === "ListObjects" ? 1 : 2, namespace, parsed, auth, context);
    }
    // The namespace is a bucket to its clients: it exists when a bucket under it is the caller's to use.
    const operation = parsed.operation;
    if (namespace !== undefined && isNamespaceRead(operation)) return dispatchOnNamespace(request, namespace, auth, context, async (usable) => readNamespace(operation, usable, { name: namespace.name, owner, cors: options.cors, backendFor: (bucket) => backendFor(bucket) as Backend<unknown> }));
    if (namespace !== undefined && parsed.operation === "DeleteObjects") {
      return dispatchOnNamespace(request, namespace, auth, context, async () => {
        const body = await readSignedBody((limit) => request.readBody(limit), auth.payloadHash, maxXmlBody, request.headers);
        return deleteNamespaceObjects(namespace, auth.identity, body, resolveBucket, (error) => reportError(error, context));
      });
    }
    if (namespace !== undefined && (parsed.operation === "ListMultipartUploads" || parsed.operation === "ListObjectVersions")) {
      throw new S3Error("NotImplemented", { message: `Listing ${parsed.operation === "ListMultipartUploads" ? "multipart uploads" : "object versions"} above the buckets of a namespace is not supported; name a bucket in the prefix (prefix=product/).` });
    }
    const bucket = admit(parsed, auth.identity, request.headers, options.buckets, resolveBucket, context);
    if (bucket instanceof Promise) return bucket.then((resolved) => admitted(request, parsed, auth, context, resolved));
    return admitted(request, parsed, auth, context, bucket);
  }

  async function dispatchNamespaceListing(request: GatewayRequest<B>, version: 1 | 2, namespace: NonNullable<ParsedS3Request["namespace"]>, parsed: ParsedS3Request, auth: Authentication, context: RequestContext): Promise<Dispatched<B>> {
    return dispatchOnNamespace(request, namespace, auth, context, (usable) =>
      // Without a delimiter S3 lists keys, not prefixes: every usable bucket's keys, under its path.
      parsed.query.get("delimiter")
        ? listNamespace(version, namespace, parsed.query, usable)
        : listNamespaceKeys(version, namespace, parsed.query, usable, { identity: auth.identity, owner, backendFor: (bucket) => backendFor(bucket) as Backend<unknown> }),
    );
  }

  /** A request on a namespace itself, once one of its buckets is the caller's to use; middleware around it. */
  async function dispatchOnNamespace(request: GatewayRequest<B>, namespace: NonNullable<ParsedS3Request["namespace"]>, auth: Authentication, context: RequestContext, answer: (usable: BucketConfig[]) => Promise<PlainResponse<never>>): Promise<Dispatched<B>> {
    // Admission first, as for every request: middleware never sees a refused one.
    const usable = await usableNamespaceBuckets(namespace, options.buckets, auth.identity);
    request.onAdmitted?.(context);
    context.admitted = true;
    return chain === undefined ? await answer(usable) : await chain(context, () => answer(usable));
  }

  function admitted(request: GatewayRequest<B>, parsed: ParsedS3Request, auth: Authentication, context: RequestContext, bucket: BucketConfig | undefined): MaybePromise<Dispatched<B>> {
    if (bucket !== undefined) context.bucketConfig = bucket;
    request.onAdmitted?.(context);
    context.admitted = true;
    if (chain === undefined) return perform(request, parsed, auth, context, bucket);
    return chain(context, async () => perform(request, parsed, auth, context, bucket));
  }

  return { handle, handleNow };
}
