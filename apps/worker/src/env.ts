/** The Worker's environment: configuration variables, secrets and bindings. */

/** What the Worker reads from `env`. Bindings named in the config (R2 buckets) are looked up by name. */
export interface Env {
  /** The proxy configuration: a JSON string (e.g. a secret) or a structured var (a TOML table in wrangler.toml). */
  PROXY_CONFIG?: string | Record<string, unknown>;
  /** Domain for virtual-hosted style requests (`bucket.<domain>`). */
  VIRTUAL_HOST_DOMAIN?: string;
  /** Largest upload accepted (bytes); larger ones get 400 EntityTooLarge instead of the platform's 413. */
  MAX_UPLOAD_BYTES?: string;
  /** `"false"` leaves out the Server-Timing header. */
  SERVER_TIMING?: string;
  /** Any other binding (R2 buckets by binding name). */
  [binding: string]: unknown;
}
