/**
 * Builds the gateway from the environment, once per isolate: the config is parsed and validated on first use and
 * kept; a broken config is kept too, so every request answers the same clear error without re-parsing.
 */
import {
  checkBackends,
  ConfigError,
  createCachedRegistries,
  createHttpRegistries,
  createStaticRegistries,
  layeredRegistries,
  parseConfig,
  parseJsonConfig,
  uploadIdSecretOf,
  type MultistoreConfig,
  type Registries,
} from "@multistore/config";
import { createAzureBackend } from "@multistore/backend-azure";
import { createGcsBackend } from "@multistore/backend-gcs";
import { createR2Backend } from "@multistore/backend-r2";
import { createFetchTransport } from "@multistore/fetch";
import { createS3Backend } from "@multistore/backend-s3";
import { createGateway, healthRoute, S3Error, type BackendFactory, type BucketConfig, type Gateway, type Middleware, type Route, type TemporaryCredentialResolver } from "@multistore/core";
import { createSessionTokenResolver, createSessionTokenSealer, createStsRoute, parseSessionTokenKeys } from "@multistore/sts";
import { createFederatedCredentials, oidcProviderFromEnv, requireOidcProviderFor, type FederatedCredentials } from "@multistore/oidc-provider";
import type { Env } from "./env.js";
import { meteringMiddleware } from "./metering.js";
import { createPathMapping } from "@multistore/path-mapping";

/** The ready gateway, or the configuration error every request must report. */
export type Setup = { gateway: Gateway<ReadableStream>; config: MultistoreConfig; backendAnswerTimeoutMs?: number } | { error: S3Error };

/** What a Worker built with `createWorker` adds to the gateway. */
export interface WorkerExtensions {
  /** Middleware around dispatch, in order (see `Middleware` in @multistore/core). */
  middleware?: Middleware[];
  /** Routes answered before S3 (after the health check, STS and OIDC routes), e.g. `/tiles/:layer/:z`. */
  routes?: Route[];
}

const cache = new WeakMap<WorkerExtensions, { key: unknown; env: Env; setup: Setup }>();

function readConfig(env: Env): MultistoreConfig {
  const raw = env.PROXY_CONFIG;
  if (raw === undefined || raw === "") {
    throw new ConfigError([{ path: "PROXY_CONFIG", message: "PROXY_CONFIG is not set: add it as a secret (JSON) or a [vars] table in wrangler.toml" }]);
  }
  // Remarks that do not stop the config from loading, logged once per isolate.
  const options = { source: "PROXY_CONFIG", onWarning: (message: string) => console.log(JSON.stringify({ level: "warn", msg: `config: ${message}` })) };
  const config = typeof raw === "string" ? parseJsonConfig(raw, options) : parseConfig(raw, options);
  const issues = config.buckets.flatMap((bucket, index) => {
    if (bucket.backend_type === "gcs" && bucket.backend_options.service_account_path !== undefined) {
      const path = `buckets[${index}].backend_options.service_account_path`;
      return [{ path, message: `${path}: the Worker has no files to read a key from: put the key's JSON in service_account_key (as a secret)` }];
    }
    if (bucket.backend_type !== "r2") return [];
    const binding = bucket.backend_options.binding ?? "";
    return env[binding] === undefined
      ? [{ path: `buckets[${index}].backend_options.binding`, message: `buckets[${index}].backend_options.binding: no R2 binding named "${binding}" in this Worker (add it under r2_buckets in wrangler.toml)` }]
      : [];
  });
  if (issues.length > 0) throw new ConfigError(issues, "PROXY_CONFIG");
  return config;
}

function positiveInteger(value: string | undefined, name: string, unit = "bytes"): number | undefined {
  if (value === undefined || value === "") return undefined;
  if (!/^\d+$/.test(value)) throw new ConfigError([{ path: name, message: `${name} must be a whole number of ${unit}, got "${value}"` }]);
  return Number(value);
}

/** `KEEP_ALIVE_AFTER_MS` and `KEEP_ALIVE_EVERY_MS`: when a long answer starts, and how often it sends a space. */
function keepAliveOf(env: Env): { afterMs?: number; everyMs?: number } {
  const settings: { afterMs?: number; everyMs?: number } = {};
  for (const [name, field] of [["KEEP_ALIVE_AFTER_MS", "afterMs"], ["KEEP_ALIVE_EVERY_MS", "everyMs"]] as const) {
    const value = positiveInteger(env[name], name, "milliseconds");
    if (value === undefined) continue;
    if (value < 1 || value > 3_600_000) throw new ConfigError([{ path: name, message: `${name} must be from 1 to 3600000 milliseconds, got "${env[name]}"` }]);
    settings[field] = value;
  }
  return settings;
}

/** The config's buckets, credentials and roles, then (with REGISTRY_URL) the catalogue service's, cached per isolate. */
function registriesFor(env: Env, config: MultistoreConfig): Required<Registries> {
  const fromConfig = createStaticRegistries(config);
  const url = env.REGISTRY_URL;
  const ttl = positiveInteger(env.REGISTRY_TTL, "REGISTRY_TTL", "seconds");
  const timeout = positiveInteger(env.REGISTRY_TIMEOUT, "REGISTRY_TIMEOUT", "seconds");
  if (!url) return fromConfig;
  let service;
  try {
    service = createHttpRegistries({ url, ...(timeout !== undefined && { timeoutMs: Math.max(1, timeout) * 1000 }), ...(env.REGISTRY_TOKEN && { headers: { authorization: `Bearer ${env.REGISTRY_TOKEN}` } }) });
  } catch (error) {
    throw new ConfigError([{ path: "REGISTRY_URL", message: `REGISTRY_URL: ${(error as Error).message.replace(/^createHttpRegistries: /, "")}` }]);
  }
  const cached = createCachedRegistries(service, {
    ttlMs: (ttl ?? 60) * 1000,
    // workerd: a request must never wait on a lookup another request started.
    shareInFlight: false,
    onStale: (error, what) => console.log(JSON.stringify({ level: "warn", msg: "registry unavailable: serving an expired entry", entry: what, err: String(error) })),
  });
  return layeredRegistries(fromConfig, cached);
}

/**
 * STS routes and the session-token resolver when SESSION_TOKEN_KEY is set. Without it, a config with roles is a
 * configuration error (roles exist only for STS, so the Worker must not quietly run without it); with no roles STS is
 * off (logged once). A malformed key is a configuration error too.
 */
function sts(env: Env, config: MultistoreConfig, roles: Required<Registries>["roles"]): { routes: Route[]; temporaryCredentials?: TemporaryCredentialResolver } {
  const keys = parseSessionTokenKeys(env.SESSION_TOKEN_KEY);
  if (keys.length === 0) {
    if (config.roles.length > 0) {
      throw new ConfigError([{ path: "SESSION_TOKEN_KEY", message: "SESSION_TOKEN_KEY is not set, but PROXY_CONFIG defines roles (STS): add it as a secret, base64 of 32 bytes (make one with: openssl rand -base64 32)" }]);
    }
    console.log(JSON.stringify({ level: "info", msg: "STS disabled: SESSION_TOKEN_KEY is not set (requests with session tokens are refused)" }));
    return { routes: [] };
  }
  let sealer;
  try {
    sealer = createSessionTokenSealer({ keys });
  } catch (error) {
    throw new ConfigError([{ path: "SESSION_TOKEN_KEY", message: (error as Error).message }]);
  }
  const routes = createStsRoute({
    roles,
    sealer,
    ...(env.STS_PATH && { path: env.STS_PATH }),
    allowInsecureIssuers: env.STS_ALLOW_INSECURE_ISSUERS === "true",
    // workerd: a request must never await a JWKS fetch another request started (it can hang when that one ends).
    jwksShareInFlight: false,
    onError: (error) => console.error(JSON.stringify({ level: "error", msg: "STS internal error", err: String(error) })),
  });
  return { routes, temporaryCredentials: createSessionTokenResolver(sealer) };
}

/**
 * The proxy as an OIDC provider when OIDC_PROVIDER_KEY and OIDC_PROVIDER_ISSUER are set: its discovery and JWKS
 * routes, and federated credentials for s3, gcs and az buckets with `auth_type = "oidc"`.
 */
function oidc(env: Env, config: MultistoreConfig): { routes: Route[]; federation?: FederatedCredentials } {
  let provider;
  try {
    provider = oidcProviderFromEnv(env);
    requireOidcProviderFor(config.buckets, provider);
  } catch (error) {
    throw new ConfigError([{ path: "OIDC_PROVIDER_KEY", message: (error as Error).message }]);
  }
  if (!provider) return { routes: [] };
  const federation = createFederatedCredentials({
    provider,
    onError: (error, context) => console.error(JSON.stringify({ level: "error", msg: "federated backend credentials failed", ...context, err: String(error) })),
  });
  return { routes: provider.routes, federation };
}

function build(env: Env, extensions: WorkerExtensions): Setup {
  try {
    const config = readConfig(env);
    const registries = registriesFor(env, config);
    const maxUploadBytes = positiveInteger(env.MAX_UPLOAD_BYTES, "MAX_UPLOAD_BYTES");
    const backendAnswerTimeoutMs = positiveInteger(env.BACKEND_ANSWER_TIMEOUT_MS, "BACKEND_ANSWER_TIMEOUT_MS", "milliseconds");
    if (backendAnswerTimeoutMs === 0) throw new ConfigError([{ path: "BACKEND_ANSWER_TIMEOUT_MS", message: "BACKEND_ANSWER_TIMEOUT_MS must be at least 1 millisecond" }]);
    const keepAlive = keepAliveOf(env);
    const stsSetup = sts(env, config, registries.roles);
    const oidcSetup = oidc(env, config);
    const metering = meteringMiddleware(env, config);
    /** The federation, for buckets that use it. */
    const federated = (bucket: BucketConfig) => (bucket.backend_options.auth_type === "oidc" ? oidcSetup.federation : undefined);
    const backends: Record<string, BackendFactory<ReadableStream>> = {
      s3: (bucket) => {
        const federation = federated(bucket);
        return createS3Backend(bucket.backend_options, { ...(federation && { credentials: federation.awsCredentials(bucket) }) }) as never;
      },
      r2: (bucket) => createR2Backend({ bucket: env[bucket.backend_options.binding ?? ""] as never }),
      az: (bucket) => {
        const federation = federated(bucket);
        return createAzureBackend(bucket.backend_options, { ...(federation && { userDelegationKey: federation.azureUserDelegationKey(bucket) }) }) as never;
      },
      gcs: (bucket) => {
        const federation = federated(bucket);
        return createGcsBackend(bucket.backend_options, {
          ...(federation && { signBlob: federation.googleSignBlob(bucket), accessToken: federation.googleFederatedToken(bucket) }),
        }) as never;
      },
    };
    // Every backend is built now: a bad option is reported (naming the field) before any request reaches it.
    const built = checkBackends(config, backends, { source: "PROXY_CONFIG", runtime: "the Worker", unavailable: { fs: "the Worker has no file system: serve fs buckets with the Node server" } });
    // The gateway serves the backends just built instead of building each again on its first request. By
    // configuration object, not name: a middleware may serve a bucket from another configuration of the same name.
    const builtFor = new Map<object, ReturnType<BackendFactory<ReadableStream>> | undefined>(config.buckets.map((bucket) => [bucket, built.get(bucket.name)]));
    const prebuilt = Object.fromEntries(Object.entries(backends).map(([type, factory]) => [type, (bucket: BucketConfig) => builtFor.get(bucket) ?? factory(bucket)]));
    const gateway = createGateway<ReadableStream>({
      // The same in every isolate of this deployment: an upload started in one continues in another.
      uploadIdSecret: uploadIdSecretOf(config, parseSessionTokenKeys(env.SESSION_TOKEN_KEY)),
      buckets: registries.buckets,
      credentials: registries.credentials,
      backends: prebuilt,
      // Copies between stores that cannot copy between each other stream through the Worker's fetch.
      transport: createFetchTransport(fetch, backendAnswerTimeoutMs),
      routes: [healthRoute(), ...stsSetup.routes, ...oidcSetup.routes, ...(extensions.routes ?? [])],
      // Metering first: a refused request costs no other middleware's work.
      middleware: [...(metering ? [metering] : []), ...(extensions.middleware ?? [])],
      ...(stsSetup.temporaryCredentials && { temporaryCredentials: stsSetup.temporaryCredentials }),
      owner: { id: config.owner_id, displayName: config.owner_display_name },
      ...(config.cors_rules && { cors: config.cors_rules }),
      serverTiming: env.SERVER_TIMING !== "false",
      ...(env.VIRTUAL_HOST_DOMAIN && { domain: env.VIRTUAL_HOST_DOMAIN }),
      ...(config.path_mapping && {
        targetMapping: createPathMapping({ bucketSegments: config.path_mapping.bucket_segments, separator: config.path_mapping.separator }),
      }),
      ...(maxUploadBytes !== undefined && { maxUploadBytes }),
      keepAlive,
      onError: (error, context) => console.error(JSON.stringify({ level: "error", requestId: context.requestId, msg: "internal error", err: String(error), stack: error instanceof Error ? error.stack : undefined })),
    });
    return { gateway, config, ...(backendAnswerTimeoutMs !== undefined && { backendAnswerTimeoutMs }) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    console.error(JSON.stringify({ level: "error", msg: "invalid configuration", error: message }));
    return { error: new S3Error("InternalError", { message: `Multistore is misconfigured: ${message}`, expose: true, cause: error }) };
  }
}

/** The setup for this environment (and these extensions), built on first use. */
export function setupFor(env: Env, extensions: WorkerExtensions = NO_EXTENSIONS): Setup {
  const key = env.PROXY_CONFIG;
  let cached = cache.get(extensions);
  if (!cached || cached.env !== env || cached.key !== key) {
    cached = { key, env, setup: build(env, extensions) };
    cache.set(extensions, cached);
  }
  return cached.setup;
}

const NO_EXTENSIONS: WorkerExtensions = {};
