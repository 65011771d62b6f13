/** Options of the S3 backend, validated when the backend is constructed. */
import { VERSION } from "./version.js";

/** What `createS3Backend` takes: the bucket's `backend_options`, as strings (TOML format). */
export interface S3BackendOptions {
  /** Bucket on the backend. Required. */
  bucket_name: string;
  /** Region, used for signing and to derive the endpoint (default `us-east-1`). */
  region?: string;
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
  /**
   * `"true"`: `bucket.endpoint/key` even with a custom endpoint; `"false"`: path-style even on AWS. Unset: AWS
   * endpoints (and the derived one) are virtual-hosted, any other endpoint is path-style.
   */
  virtual_hosted_style_request?: string;
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

/** Region of a bucket that names none (as AWS SDKs and the original multistore assume). */
export const DEFAULT_REGION = "us-east-1";

/** The version reported in User-Agent (from package.json). */
export { VERSION };

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
  const region = options.region || DEFAULT_REGION;
  // The region is signed into every request's scope and, without an endpoint, names the host: a character beyond
  // letters, digits, ".", "_" and "-" would change the scope's shape or send requests to another host.
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(region)) {
    throw new Error("region must be a region name (letters, digits, \".\", \"_\" and \"-\", e.g. us-west-2) for backend_type = s3");
  }
  const skipSignature = bool(options.skip_signature, "skip_signature");
  const forcePathStyle = bool(options.force_path_style, "force_path_style");
  const virtualHosted = options.virtual_hosted_style_request === undefined || options.virtual_hosted_style_request === "" ? undefined : bool(options.virtual_hosted_style_request, "virtual_hosted_style_request");
  if (forcePathStyle && virtualHosted === true) throw new Error('force_path_style and virtual_hosted_style_request = "true" contradict each other for backend_type = s3');
  let endpoint: URL;
  try {
    endpoint = new URL(options.endpoint ?? `https://s3.${region}.amazonaws.com`);
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
  // No keys and no credential provider: a public bucket, reached unsigned (skip_signature says so explicitly).
  const unsigned = skipSignature || (!hasKey && !credentialsProvided);
  const ttl = options.presign_ttl_secs === undefined ? 300 : Number(options.presign_ttl_secs);
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > 604800) throw new Error("presign_ttl_secs must be 1..604800 for backend_type = s3");
  return {
    bucketName: options.bucket_name,
    region,
    endpoint,
    pathStyle: isPathStyle(options, endpoint, forcePathStyle, virtualHosted),
    ...(!unsigned && !credentialsProvided && {
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

/**
 * Path-style unless told otherwise for any endpoint but AWS's own: S3-compatible services (MinIO, Ceph, R2, local
 * emulators) rarely resolve `bucket.host`. On AWS, bucket names with dots break TLS wildcard certificates in
 * virtual-hosted style, so they go path-style too.
 */
function isPathStyle(options: S3BackendOptions, endpoint: URL, forcePathStyle: boolean, virtualHosted: boolean | undefined): boolean {
  if (forcePathStyle || virtualHosted === false) return true;
  if (virtualHosted === true) return false;
  if (options.endpoint !== undefined && !isAwsHost(endpoint.hostname)) return true;
  return options.bucket_name.includes(".") || isIpHost(endpoint.hostname);
}

function isAwsHost(hostname: string): boolean {
  return /(^|\.)amazonaws\.com(\.cn)?$/.test(hostname.toLowerCase());
}

function isIpHost(hostname: string): boolean {
  return /^\d+\.\d+\.\d+\.\d+$/.test(hostname) || hostname.startsWith("[") || hostname === "localhost";
}
