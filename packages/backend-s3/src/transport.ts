/** What a runtime build of the S3 backend injects: how to sign and how to send. */
import { uriEncode } from "@multistore/core/backend";

/**
 * The query string both builds send: every name and value RFC 3986-encoded (a space is `%20`, never `+`), which
 * is exactly how SigV4 canonicalizes them. `URLSearchParams` would write spaces as `+`, which S3-compatibles do
 * not all read as a space, so the signed and the sent query could differ.
 */
export function encodeQuery(pairs: Iterable<[string, string]>): string {
  return Array.from(pairs, ([name, value]) => `${uriEncode(name)}=${uriEncode(value)}`).join("&");
}

/** A request to sign. `url` carries the encoded path and every query parameter to sign. */
export interface SignableRequest {
  /** HTTP method. */
  method: string;
  /** Full URL, path already encoded once (S3 rules), query parameters included. */
  url: URL;
  /** Headers to sign and send (lowercase names). */
  headers: Record<string, string>;
}

/** Backend credentials; `sessionToken` (temporary credentials) is sent as `X-Amz-Security-Token`. */
export interface S3Credentials {
  /** Access key id. */
  accessKeyId: string;
  /** Secret access key. */
  secretAccessKey: string;
  /** Session token of temporary credentials. */
  sessionToken?: string;
  /** When temporary credentials expire (informational: the provider renews them). */
  expiration?: Date;
}

/**
 * Supplies the credentials of every backend request (e.g. federated credentials, cached and renewed by the
 * provider). Called once per signed or presigned request; it should answer from a cache. Throw an `S3Error` to fail
 * the request with a specific error (anything else becomes 503 ServiceUnavailable).
 */
export type S3CredentialsProvider = () => Promise<S3Credentials>;

/**
 * Signs S3's small control requests (SigV4 headers). Object URLs are presigned by core's `createPresigner` in both
 * builds: it runs on every forwarded request and costs one hash and one HMAC.
 */
export interface S3Signer {
  /** Headers (including `authorization`) for a request whose body hash is `payloadHash`. */
  sign(request: SignableRequest, payloadHash: string): Promise<Record<string, string>>;
}

/** A backend response with a small body. */
export interface SmallResponse {
  /** Status. */
  status: number;
  /** Headers. */
  headers: Headers;
  /** The body as text. */
  text: string;
}

/**
 * Sends requests whose bodies are small (lists, multipart control, batch delete, copy). `long`: a copy or a
 * multipart completion, which S3 may take minutes over, answering 200 at once and whitespace until its document.
 */
export type SendRequest = (
  method: string,
  url: string,
  headers: Record<string, string>,
  body?: Uint8Array,
  long?: boolean,
) => Promise<SmallResponse>;

/** Everything a runtime provides. */
export interface S3Runtime {
  /** Makes a signer for credentials and region. */
  createSigner(credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }, region: string): S3Signer;
  /** Sends small requests. */
  send: SendRequest;
  /** Base64 MD5 of bytes, where the runtime has MD5 (some S3-compatibles still require Content-MD5). */
  md5Base64?: (bytes: Uint8Array) => string;
}
