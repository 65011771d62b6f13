/**
 * The gateway: a function of a request. It routes, parses, authenticates, authorizes and resolves the request into
 * a result the runtime executes: a complete response, a backend request to forward with streaming, or a native
 * operation. Object bodies are never read here.
 */
import { keyPrefixOf } from "./keys.js";
import { authenticate, type Authentication } from "./authenticate.js";
import { S3Error, toS3Error } from "./errors.js";
import { HeaderMap } from "./header-map.js";
import { composeMiddleware, type Middleware, type RequestContext, type RequestOutcome } from "./middleware.js";
import { errorResponse, newRequestId } from "./responses.js";
import { checkRoutes, hasRoute, routeContext, runRoutes, type Route } from "./router.js";
import { isVirtualHosted, parseS3Request, splitTarget, type GatewayRequest, type ParsedS3Request } from "./s3-request.js";
import { listNamespace, usableNamespaceBuckets } from "./operations/namespace-listing.js";
import { attemptedRawPath, attemptedTarget, attemptMapping, parseMappedRequest, type MappingAttempt, type TargetMapping } from "./target-mapping.js";
import { admit } from "./admit.js";
import { bucketCreated, bucketInfo } from "./operations/bucket.js";
import { copyObject } from "./operations/copy.js";
import { deleteObjects } from "./operations/delete-objects.js";
import { listBuckets, listObjects, type Owner } from "./operations/list.js";
import { abortMultipartUpload, completeMultipartUpload, createMultipartUpload } from "./operations/multipart.js";
import { prepareObject } from "./operations/object.js";
import { listParts } from "./operations/list-parts.js";
import { listMultipartUploads } from "./operations/list-uploads.js";
import { readSignedBody } from "./xml-body.js";
import { toHex } from "./encoding.js";
import { createUploadIdCodec } from "./upload-ids.js";
import { ForwardExchangeResult, NativeExchangeResult, type ForwardResult, type NativeResult, type ResponsePlan } from "./dispatch.js";
import { headRequestHeaders, requestedAttributes } from "./operations/object-attributes.js";
import { Exchange, ResponseExchangeResult, type ExchangeOptions } from "./exchange.js";
import { bucketNameOf, corsResponseHeaders, preflightResponse, type CorsRule } from "./cors.js";
import type { BodyPlan } from "./request-body.js";
import type {
  Backend,
  BackendFactory,
  BucketConfig,
  BucketRegistry,
  CredentialRegistry,
  ObjectDispatch,
  ObjectOperation,
  PlainResponse,
  TemporaryCredentialResolver,
} from "./types.js";

/** Options of `createGateway`. */
export interface GatewayOptions<B = unknown> {
  /** Where buckets come from. */
  buckets: BucketRegistry;
  /** Where long-lived access keys come from. */
  credentials: CredentialRegistry;
  /** Backend factories by `backend_type`. */
  backends: Record<string, BackendFactory<B>>;
  /** Resolves session tokens (STS); without it, requests with a token are refused. */
  temporaryCredentials?: TemporaryCredentialResolver;
  /** Routes checked before S3 parsing. */
  routes?: Route[];
  /** Middleware around dispatch. */
  middleware?: Middleware[];
  /** Domain for virtual-hosted style (`bucket.domain`). */
  domain?: string;
  /** Rewrites path-style requests of a hierarchical namespace onto configured buckets (`@multistore/path-mapping`). */
  targetMapping?: TargetMapping;
  /** Owner shown in listings. */
  owner?: Partial<Owner>;
  /** Add `Server-Timing` to responses (default true). */
  serverTiming?: boolean;
  /** Cap for the XML bodies of CompleteMultipartUpload and DeleteObjects (default 2 MiB). */
  maxXmlBodyBytes?: number;
  /** Largest PutObject / UploadPart body accepted (by declared length); larger ones get 400 EntityTooLarge. */
  maxUploadBytes?: number;
  /** Clock, for tests. */
  now?: () => number;
  /**
   * Secret binding the multipart upload ids the gateway hands out to their bucket and key (see `createUploadIdCodec`).
   * Every instance serving the same clients must use the same one: uploads started on one are continued on another.
   * Default: a random secret, good for one process only.
   */
  uploadIdSecret?: string;
  /** CORS rules for every bucket without rules of its own (CORS is off when neither has any). */
  cors?: CorsRule[];
  /** Called with errors worth logging that never reach a response (after-middleware failures). */
  onError?: (error: unknown, context: RequestContext) => void;
}

/** Common to every result: what the request was and how to report its end. */
export interface ResultBase {
  /** What the gateway learned about the request. */
  context: RequestContext;
  /** Report the outcome once the response is complete (runs after-middleware). */
  finish(outcome: Omit<RequestOutcome, "durationMs" | "served">): Promise<void>;
  /** Renders an error raised while executing (client abort, backend unreachable, bad chunk signature). */
  errorResponse(error: unknown): PlainResponse<never>;
}

/** A complete response. */
export interface ResponseResult<B> extends ResultBase {
  /** Discriminant. */
  type: "response";
  /** The response. */
  response: PlainResponse<B>;
  /** For an error response: the error it renders, causes kept (for logs; never shown to clients). */
  error?: unknown;
}

/** What `handle` resolves to. */
export type GatewayResult<B = unknown> = ResponseResult<B> | (ResultBase & ForwardResult) | (ResultBase & NativeResult<B>);

/** The gateway. */
export interface Gateway<B = unknown> {
  /** Resolves a request. Never throws: failures become error responses. */
  handle(request: GatewayRequest<B>): Promise<GatewayResult<B>>;
}

/** What dispatch resolves to: a complete response, or a backend call for the runtime. */
type Dispatched<B> = PlainResponse<never> | (ObjectDispatch<B> & BodyPlan & ResponsePlan);

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
        throw new S3Error("InternalError", { cause: new Error(`no backend registered for backend_type "${bucket.backend_type}"`) });
      }
      backend = factory(bucket);
      backends.set(bucket, backend);
    }
    return backend;
  }

  async function resolveBucket(name: string) {
    const bucket = await options.buckets.getBucket(name);
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

  async function handle(request: GatewayRequest<B>): Promise<GatewayResult<B>> {
    const target = request.target;
    const context: RequestContext = { requestId: newRequestId(), method: request.method, headers: request.headers, startedAt: now() };
    if (request.clientAddress !== undefined) context.sourceIp = request.clientAddress;
    const exchange = new Exchange(exchangeOptions, request.method, target, context, performance.now());
    try {
      const questionMark = target.indexOf("?");
      const path = questionMark === -1 ? target : target.slice(0, questionMark);
      if (routes.length > 0 && hasRoute(routes, request.method, path)) {
        const routed = await runRoutes(routes, request, routeContext(context.requestId, path, request));
        if (routed) return new ResponseExchangeResult<B>(exchange, routed);
      }

      const origin = request.headers.get("origin");
      // Mapped before authentication (a refusal gets the mapped bucket's CORS rules too), once: parsing reuses it.
      const attempt = origin === null && request.method !== "OPTIONS" ? undefined : attemptMapping(options.targetMapping, request.method, target, request.headers, options.domain);
      if (request.method === "OPTIONS") {
        const preflight = preflightResponse(await corsRulesFor(request, attempt), request.headers);
        return new ResponseExchangeResult<B>(exchange, { ...preflight, body: null });
      }
      if (origin !== null) exchange.cors = corsResponseHeaders(await corsRulesFor(request, attempt), origin, request.method);

      // Authenticate before interpreting the request: an unsigned or mis-signed caller learns nothing about which
      // operations or keys we would accept. The target is split and its query parsed once for both.
      const split = splitTarget(target);
      const auth = await authenticate({ method: request.method, rawPath: split.rawPath, query: split.query, headers: request.headers }, authenticationSources);
      context.identity = auth.identity;
      const mapped = attempt !== undefined ? attemptedTarget(attempt) : options.targetMapping && !isVirtualHosted(request.headers, options.domain) ? options.targetMapping.map(request.method, split.rawPath, split.query) : undefined;
      const parsed = mapped === undefined ? parseS3Request(request.method, target, request.headers, options.domain, split) : parseMappedRequest(request.method, request.headers, mapped, split.query, options.targetMapping!);
      exchange.resource = parsed.resource;
      context.operation = parsed.operation;
      if (parsed.bucket !== undefined) context.bucket = parsed.bucket;
      if (parsed.key !== undefined) context.key = parsed.key;
      const result = await dispatch(request, parsed, auth, context);
      if (!("type" in result)) return new ResponseExchangeResult<B>(exchange, result);
      exchange.dispatchMs = performance.now() - exchange.started;
      if (result.type === "forward") return new ForwardExchangeResult(exchange, result);
      return new NativeExchangeResult(exchange, result);
    } catch (error) {
      const s3Error = toS3Error(error);
      if (s3Error.code === "InternalError") {
        try {
          options.onError?.(error, context);
        } catch {
          // A failing error reporter must not turn a 500 into a rejected promise.
        }
      }
      return new ResponseExchangeResult<B>(exchange, errorResponse(s3Error, request.method, exchange.resource ?? target.split("?")[0]!, context.requestId) as PlainResponse<B>, error);
    }
  }

  /** Admits the request, then runs middleware (once, here) around the operation. */
  async function dispatch(request: GatewayRequest<B>, parsed: ParsedS3Request, auth: Authentication, context: RequestContext): Promise<Dispatched<B>> {
    const namespace = parsed.namespace;
    if (namespace !== undefined && (parsed.operation === "ListObjects" || parsed.operation === "ListObjectsV2")) {
      const version = parsed.operation === "ListObjects" ? 1 : 2;
      // Admission first, as for every request: middleware never sees a refused one.
      const usable = await usableNamespaceBuckets(namespace, options.buckets, auth.identity);
      context.admitted = true;
      const list = () => listNamespace(version, namespace, parsed.query, usable);
      return chain === undefined ? await list() : await chain(context, list);
    }
    const bucket = await admit(parsed, auth.identity, request.headers, options.buckets, resolveBucket);
    if (bucket !== undefined) context.bucketConfig = bucket;
    context.admitted = true;
    // (`return await`: returning a promise from an async function costs two more microtask turns.)
    if (chain === undefined) return await perform(request, parsed, auth, context, bucket);
    return await chain(context, () => perform(request, parsed, auth, context, bucket));
  }

  /** Performs an admitted operation on the bucket configuration middleware left in the context. */
  async function perform(request: GatewayRequest<B>, parsed: ParsedS3Request, auth: Authentication, context: RequestContext, original: BucketConfig | undefined): Promise<Dispatched<B>> {
    const identity = auth.identity;
    const { operation, query } = parsed;
    if (operation === "ListBuckets") return listBuckets(options.buckets, identity, owner, createdAt);
    if (operation === "CreateBucket") return bucketCreated(parsed.bucket!);
    const served = context.bucketConfig!;
    const backend = backendFor(served) as Backend<unknown>;
    // A configuration a middleware swapped in serves the request (backend, prefix); the caller stays authorized, and
    // named, as the registry's configuration said.
    const bucket = original === undefined || served === original ? served : { ...served, name: original.name, anonymous_access: original.anonymous_access, allowed_roles: original.allowed_roles };
    const key = parsed.key === undefined ? undefined : keyPrefixOf(bucket) + parsed.key;
    // Upload ids are bound to the bucket and key the client named, whatever configuration serves them.
    const bucketName = parsed.bucket!;
    switch (operation) {
      case "HeadBucket":
        return { status: 200, headers: new HeaderMap(), body: null };
      case "GetBucketLocation":
      case "GetBucketVersioning":
        return bucketInfo(operation, bucket, identity);
      case "ListMultipartUploads":
        return listMultipartUploads(backend, { bucket, bucketName, ...(parsed.listing && { view: parsed.listing }) }, query, owner, uploadIds);
      case "ListObjects":
      case "ListObjectsV2":
        return listObjects(operation === "ListObjects" ? 1 : 2, bucket, backend, query, identity, owner, parsed.listing);
      case "DeleteObjects":
        return deleteObjects(backend, bucket, identity, await readSignedBody((limit) => request.readBody(limit), auth.payloadHash, maxXmlBody));
      case "CopyObject":
        return copyObject({ bucket, backend }, parsed.key!, request.headers, parsed.copySource ?? request.headers.get("x-amz-copy-source") ?? "", resolveBucket);
      case "CreateMultipartUpload":
        return createMultipartUpload(backend, bucketName, parsed.key!, key!, request.headers, (backendId) => uploadIds.wrap(bucketName, parsed.key!, backendId));
      case "CompleteMultipartUpload": {
        // The body first: a refused id still leaves the client's document read, not cut off mid-send.
        const body = await readSignedBody((limit) => request.readBody(limit), auth.payloadHash, maxXmlBody);
        return completeMultipartUpload(backend, bucketName, parsed.key!, key!, await uploadIds.unwrap(bucketName, parsed.key!, query.get("uploadId")!), body, request.headers);
      }
      case "GetObjectAttributes": {
        const attributes = requestedAttributes(request.headers, query);
        return { ...(await prepareObject(backend as Backend<B>, "HeadObject", key!, headRequestHeaders(request.headers, attributes), query, auth)).dispatch, attributes };
      }
      case "ListParts": {
        const clientUploadId = query.get("uploadId")!;
        return listParts(backend, { bucket: bucketName, clientKey: parsed.key!, key: key!, clientUploadId, uploadId: await uploadIds.unwrap(bucketName, parsed.key!, clientUploadId) }, query);
      }
      case "AbortMultipartUpload":
        return abortMultipartUpload(backend, key!, await uploadIds.unwrap(bucketName, parsed.key!, query.get("uploadId")!));
      default: {
        const objectOperation = operation as ObjectOperation;
        const uploadId = operation === "UploadPart" ? await uploadIds.unwrap(bucketName, parsed.key!, query.get("uploadId")!) : undefined;
        const prepared = await prepareObject(backend as Backend<B>, objectOperation, key!, request.headers, query, auth, options.maxUploadBytes, uploadId);
        const { bodyEncoding, bodyChecks } = prepared;
        if (!bodyEncoding && !bodyChecks) return prepared.dispatch;
        return { ...prepared.dispatch, ...(bodyEncoding && { bodyEncoding }), ...(bodyChecks && { bodyChecks }) };
      }
    }
  }

  return { handle };
}
