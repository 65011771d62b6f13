/** Options of the S3 backend, validated when the backend is constructed. */

/** What `createS3Backend` takes: the bucket's `backend_options`, as strings (TOML format). */
export interface S3BackendOptions {
  /** Bucket on the backend. Required. */
  bucket_name: string;
  /** Region. Required (used for signing and to derive the endpoint). */
  region: string;
  /** Endpoint URL (`https://s3.example.com`); derived from the region when absent. */
  endpoint?: string;
  /** Access key id for signing backend requests. */
  access_key_id?: string;
  /** Secret for signing backend requests. */
  secret_access_key?: string;
  /** Session token for temporary backend credentials. */
  session_token?: string;
  /** `"true"`: send unsigned requests (public buckets). */
  skip_signature?: string;
  /** `"true"`: `endpoint/bucket/key` instead of `bucket.endpoint/key` (MinIO, R2, most S3-compatibles). */
  force_path_style?: string;
  /** Lifetime of presigned backend URLs in seconds (default 300). */
  presign_ttl_secs?: string;
  /** `User-Agent` of backend requests (default `multistore/<version>`). */
  user_agent?: string;
  /** Other options are accepted and ignored here (the config package validates names). */
  [option: string]: string | undefined;
}

/** Validated, parsed options. */
export interface ResolvedS3Options {
  /** Backend bucket. */
  bucketName: string;
  /** Region. */
  region: string;
  /** Endpoint without a trailing slash. */
  endpoint: URL;
  /** Path-style addressing. */
  pathStyle: boolean;
  /** Credentials, unless unsigned. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Presigned URL lifetime. */
  presignTtlSeconds: number;
  /** User-Agent header value. */
  userAgent: string;
}

/** The version reported in User-Agent. */
export const VERSION = "0.1.0";

function bool(value: string | undefined, name: string): boolean {
  if (value === undefined || value === "" || value === "false") return false;
  if (value === "true") return true;
  throw new Error(`${name} must be "true" or "false" for backend_type = s3`);
}

/**
 * Validates options; errors name the option ("bucket_name is required for backend_type = s3"). With
 * `credentialsProvided` (a credential provider signs, e.g. federated credentials for `auth_type = "oidc"`), static
 * keys are not required.
 */
export function resolveS3Options(options: S3BackendOptions, { credentialsProvided = false }: { credentialsProvided?: boolean } = {}): ResolvedS3Options {
  if (!options.bucket_name) throw new Error("bucket_name is required for backend_type = s3");
  if (!options.region) throw new Error("region is required for backend_type = s3");
  const skipSignature = bool(options.skip_signature, "skip_signature");
  const forcePathStyle = bool(options.force_path_style, "force_path_style");
  let endpoint: URL;
  try {
    endpoint = new URL(options.endpoint ?? `https://s3.${options.region}.amazonaws.com`);
  } catch {
    throw new Error("endpoint must be a URL (e.g. https://s3.example.com) for backend_type = s3");
  }
  if (endpoint.protocol !== "http:" && endpoint.protocol !== "https:") {
    throw new Error("endpoint must use http or https for backend_type = s3");
  }
  const hasKey = Boolean(options.access_key_id);
  const hasSecret = Boolean(options.secret_access_key);
  if (hasKey !== hasSecret) throw new Error("access_key_id and secret_access_key must be set together for backend_type = s3");
  if (options.auth_type === "oidc" && !credentialsProvided) {
    throw new Error('auth_type = "oidc" needs the proxy\'s OIDC provider (set OIDC_PROVIDER_KEY and OIDC_PROVIDER_ISSUER) for backend_type = s3');
  }
  if (!skipSignature && !hasKey && !credentialsProvided) {
    throw new Error('access_key_id and secret_access_key are required for backend_type = s3 (or set skip_signature = "true")');
  }
  const ttl = options.presign_ttl_secs === undefined ? 300 : Number(options.presign_ttl_secs);
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > 604800) throw new Error("presign_ttl_secs must be 1..604800 for backend_type = s3");
  // Bucket names with dots break TLS wildcard certificates in virtual-hosted style, so they go path-style.
  const pathStyle = forcePathStyle || options.bucket_name.includes(".") || options.endpoint !== undefined && isIpHost(endpoint.hostname);
  return {
    bucketName: options.bucket_name,
    region: options.region,
    endpoint,
    pathStyle,
    ...(!skipSignature && !credentialsProvided && {
      credentials: {
        accessKeyId: options.access_key_id!,
        secretAccessKey: options.secret_access_key!,
        ...(options.session_token && { sessionToken: options.session_token }),
      },
    }),
    presignTtlSeconds: ttl,
    userAgent: options.user_agent ?? `multistore/${VERSION}`,
  };
}

function isIpHost(hostname: string): boolean {
  return /^\d+\.\d+\.\d+\.\d+$/.test(hostname) || hostname.startsWith("[") || hostname === "localhost";
}
