/** The Worker's environment: configuration variables, secrets and bindings. */

/** What the Worker reads from `env`. Bindings named in the config (R2 buckets) are looked up by name. */
export interface Env {
  /** The proxy configuration: a JSON string (e.g. a secret) or a structured var (a TOML table in wrangler.toml). */
  PROXY_CONFIG?: string | Record<string, unknown>;
  /** Domain for virtual-hosted style requests (`bucket.<domain>`). */
  VIRTUAL_HOST_DOMAIN?: string;
  /** Largest upload accepted (bytes); larger ones get 400 EntityTooLarge instead of the platform's 413. */
  MAX_UPLOAD_BYTES?: string;
  /**
   * Milliseconds a backend may stay silent on a forwarded request before the client gets 503 (default 30000): a read
   * until the backend's headers arrive, an upload from when the backend had its whole body.
   */
  BACKEND_ANSWER_TIMEOUT_MS?: string;
  /** `"false"` leaves out the Server-Timing header. */
  SERVER_TIMING?: string;
  /**
   * Milliseconds a CopyObject, UploadPartCopy or CompleteMultipartUpload may take before its answer starts (200, then
   * whitespace every `KEEP_ALIVE_EVERY_MS`, then the result or the error, as S3 answers them; default 10000 each).
   */
  KEEP_ALIVE_AFTER_MS?: string;
  /** Milliseconds between the spaces of a started long answer (default 10000). */
  KEEP_ALIVE_EVERY_MS?: string;
  /**
   * Keys sealing STS session tokens (a secret): base64 of 32 bytes, or a comma-separated list while rotating (the
   * first seals, all unseal). Without it STS is off and requests carrying a session token are refused.
   */
  SESSION_TOKEN_KEY?: string;
  /** Path of the STS endpoint (default `/.sts`; `POST /` with an STS form is answered too). */
  STS_PATH?: string;
  /** TEST ONLY: `"true"` accepts `http://` OIDC issuers on loopback hosts (a local test issuer). */
  STS_ALLOW_INSECURE_ISSUERS?: string;
  /**
   * The proxy's OIDC signing keys (a secret): RSA private keys, PKCS#8 PEM, one or more blocks (kid = JWK
   * thumbprint), or a JSON array `[{"kid":"k1","pem":"-----BEGIN PRIVATE KEY-----\n..."}]`. The first key signs.
   */
  OIDC_PROVIDER_KEY?: string;
  /** The proxy's public URL as an OIDC issuer (`https://...`); with OIDC_PROVIDER_KEY it serves discovery and JWKS. */
  OIDC_PROVIDER_ISSUER?: string;
  /** A catalogue service (`https://...`) asked for buckets, credentials and roles PROXY_CONFIG does not have. */
  REGISTRY_URL?: string;
  /** Bearer token sent to REGISTRY_URL (a secret). */
  REGISTRY_TOKEN?: string;
  /** Seconds the service's answers are kept per isolate (default 60). */
  REGISTRY_TTL?: string;
  /** Seconds one lookup may take (default 5). */
  REGISTRY_TIMEOUT?: string;
  /** Any other binding (R2 buckets by binding name). */
  [binding: string]: unknown;
}
