/** The options of `createGateway`. */
import type { RequestContext } from "../middleware.js";
import type { Route } from "../router.js";
import type { Owner } from "../operations/list.js";
import type { TargetMapping } from "../target-mapping.js";
import type { CorsRule } from "../cors.js";
import type { KeepAliveSettings } from "../keep-alive.js";
import type { BackendFactory } from "./backend.js";
import type { BucketRegistry, CredentialRegistry, TemporaryCredentialResolver } from "./access.js";
import type { BackendTransport } from "./transport.js";
import type { Middleware } from "../middleware.js";

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
  /**
   * The runtime's HTTP client for the gateway's own backend requests (`createNodeTransport`, `createFetchTransport`):
   * with it, CopyObject and UploadPartCopy between stores that cannot copy between each other (different backend
   * kinds or accounts) stream the source into the destination. Without it they answer 501, unless both backends are
   * native (fs, R2).
   */
  transport?: BackendTransport<B>;
  /**
   * How CopyObject, UploadPartCopy and CompleteMultipartUpload answer when they take long (see `KeepAliveBody`):
   * after `afterMs` without an outcome (default 10 s) the answer starts, 200 with whitespace every `everyMs`
   * (default 10 s) and then the result, or the error, as S3 answers. `false`: the answer waits for the outcome (a
   * runtime that cannot stream its answers).
   */
  keepAlive?: Partial<KeepAliveSettings> | false;
}
