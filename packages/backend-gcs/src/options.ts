/** Options of the GCS backend, validated when the backend is constructed. */
import { isLoopbackHost } from "@multistore/core";
import { fromBase64 } from "@multistore/core/backend";

/** What `createGcsBackend` takes: the bucket's `backend_options`, as strings (TOML format). */
export interface GcsBackendOptions {
  /** Bucket on Google Cloud Storage. Required. */
  bucket_name: string;
  /** Contents of a service account key file (JSON). Required unless `skip_signature = "true"`. */
  service_account_key?: string;
  /** `"true"`: send unsigned requests (public buckets). */
  skip_signature?: string;
  /** Endpoint URL (an emulator or test server); `https://storage.googleapis.com` when absent. */
  endpoint?: string;
  /**
   * `"static"` (the default: `service_account_key`) or `"oidc"`: workload identity federation. With
   * `service_account_email`, the account is impersonated: URLs are signed through IAM Credentials `signBlob` (the
   * runtime passes the `signBlob` extra). Without it, direct resource access: the federated access token itself
   * is sent as a bearer token on every request (the runtime passes the `accessToken` extra), and IAM roles on the
   * bucket are granted to the federated `principal://` / `principalSet://` identity.
   */
  auth_type?: string;
  /**
   * With `auth_type = "oidc"`: the service account to impersonate (it signs through `signBlob`); leave it out for
   * direct resource access with the federated token. Must be an email address when given.
   */
  service_account_email?: string;
  /** Other options are accepted and ignored here (the config package validates names). */
  [option: string]: string | undefined;
}

/** The parts of a service account key the backend uses. */
export interface ServiceAccountKey {
  /** The account's email: the credential of every signature. */
  clientEmail: string;
  /** PKCS#8 PEM private key (`-----BEGIN PRIVATE KEY-----`). Never logged. */
  privateKeyPem: string;
}

/** Validated, parsed options. */
export interface ResolvedGcsOptions {
  /** Backend bucket. */
  bucketName: string;
  /** Endpoint (its path, if any, prefixes every request path). */
  endpoint: URL;
  /** The service account that signs, unless requests go unsigned or are signed remotely (`auth_type = "oidc"`). */
  serviceAccount?: ServiceAccountKey;
  /** With `auth_type = "oidc"`: the email of the service account that signs remotely (`signBlob`). */
  federatedEmail?: string;
  /**
   * `auth_type = "oidc"` without `service_account_email`: direct resource access, unsigned URLs sent with the
   * federated access token as `Authorization: Bearer`.
   */
  federatedDirect?: true;
}

/** The public XML API endpoint. */
export const DEFAULT_GCS_ENDPOINT = "https://storage.googleapis.com";

const SUFFIX = "for backend_type = gcs";

function bool(value: string | undefined, name: string): boolean {
  if (value === undefined || value === "" || value === "false") return false;
  if (value === "true") return true;
  throw new Error(`${name} must be "true" or "false" ${SUFFIX}`);
}

/** Bytes of the DER body of a PKCS#8 PEM; throws (naming the option) when it is not one. */
export function pemToDer(pem: string): Uint8Array {
  const match = /-----BEGIN PRIVATE KEY-----([\s\S]+?)-----END PRIVATE KEY-----/.exec(pem);
  const der = match ? fromBase64(match[1]!.replace(/\s+/g, "")) : undefined;
  if (!der || der.length < 100) {
    throw new Error(`service_account_key.private_key must be a PKCS#8 PEM key ("-----BEGIN PRIVATE KEY-----") ${SUFFIX}`);
  }
  return der;
}

/** Parses a service account key file (JSON text); errors name the option and the missing field, never the key. */
export function parseServiceAccountKey(json: string): ServiceAccountKey {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new Error(`service_account_key must be the JSON of a service account key file ${SUFFIX}`);
  }
  const record = (parsed ?? {}) as Record<string, unknown>;
  const clientEmail = record.client_email;
  const privateKeyPem = record.private_key;
  if (typeof clientEmail !== "string" || !clientEmail.includes("@")) {
    throw new Error(`service_account_key has no client_email ${SUFFIX}`);
  }
  if (typeof privateKeyPem !== "string") throw new Error(`service_account_key has no private_key ${SUFFIX}`);
  pemToDer(privateKeyPem);
  return { clientEmail, privateKeyPem };
}

/** Validates options; errors name the option ("bucket_name is required for backend_type = gcs"). */
export function resolveGcsOptions(options: GcsBackendOptions): ResolvedGcsOptions {
  if (!options.bucket_name) throw new Error(`bucket_name is required ${SUFFIX}`);
  // GCS bucket names: 3-222 characters of [a-z0-9-_.]; anything else cannot be a path segment we sign verbatim.
  if (!/^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/.test(options.bucket_name)) {
    throw new Error(`bucket_name must be a valid bucket name (lowercase letters, digits, "-", "_", ".") ${SUFFIX}`);
  }
  // The file is read by the server's config loader, which hands the backend its contents (service_account_key): a
  // path that reaches the backend came from elsewhere (a registry service, the Worker) and was never read. Refused,
  // rather than reaching the bucket unsigned.
  if (options.service_account_path !== undefined && options.service_account_key === undefined) {
    throw new Error(`service_account_path is read only from the server's config file; give the key's contents as service_account_key ${SUFFIX}`);
  }
  const authType = options.auth_type || "static";
  if (authType !== "static" && authType !== "oidc") {
    throw new Error(`auth_type must be "static" or "oidc" ${SUFFIX}`);
  }
  const skipSignature = bool(options.skip_signature, "skip_signature");
  let endpoint: URL;
  try {
    endpoint = new URL(options.endpoint || DEFAULT_GCS_ENDPOINT);
  } catch {
    throw new Error(`endpoint must be a URL (e.g. http://127.0.0.1:4443) ${SUFFIX}`);
  }
  if (endpoint.protocol !== "http:" && endpoint.protocol !== "https:") throw new Error(`endpoint must use http or https ${SUFFIX}`);
  if (endpoint.search || endpoint.hash || endpoint.username || endpoint.password) {
    throw new Error(`endpoint must not carry a query, fragment or credentials ${SUFFIX}`);
  }
  if (authType === "oidc") {
    const suffix = `${SUFFIX} with auth_type = "oidc"`;
    if (options.service_account_key) throw new Error(`service_account_key must not be set ${suffix} (the proxy holds no key)`);
    if (skipSignature) throw new Error(`skip_signature must not be "true" ${suffix}`);
    const email = options.service_account_email;
    if (!email) {
      // Bearer tokens are credentials in clear: only https carries them off the machine.
      if (endpoint.protocol !== "https:" && !isLoopbackHost(endpoint.hostname)) {
        throw new Error(`endpoint must use https ${suffix} and no service_account_email (http only to a loopback host)`);
      }
      // No account to impersonate: the federated principal itself holds the bucket's IAM roles.
      return { bucketName: options.bucket_name, endpoint, federatedDirect: true };
    }
    if (!/^[^@\s/]+@[^@\s/]+$/.test(email)) throw new Error(`service_account_email must be an email address ${SUFFIX}`);
    return { bucketName: options.bucket_name, endpoint, federatedEmail: email };
  }
  // No key: a public bucket, reached unsigned (skip_signature says so explicitly).
  if (skipSignature || !options.service_account_key) return { bucketName: options.bucket_name, endpoint };
  return { bucketName: options.bucket_name, endpoint, serviceAccount: parseServiceAccountKey(options.service_account_key) };
}
