/**
 * What a runtime build of the GCS backend injects: how to sign (RSA) or which bearer token to send, and how to send
 * small requests.
 */
import { CONTROL_TIMEOUT_MS, LONG_CONTROL_TIMEOUT_MS, responseText } from "@multistore/core/backend";
import type { StreamRequest } from "./part-copy.js";
import type { GcsSigner } from "./v4-signing.js";
import type { ServiceAccountKey } from "./options.js";

/** A backend response with a small body. */
export interface SmallResponse {
  /** Status. */
  status: number;
  /** Headers. */
  headers: Headers;
  /** The body as text. */
  text: string;
}

/** Sends requests whose bodies are small (lists, multipart control, batch delete, copy, precondition checks). */
/** Sends a small request; `long`: a copy or a multipart completion, which may take minutes (see the bounds below). */
export type SendRequest = (method: string, url: string, headers: Record<string, string>, body?: Uint8Array, long?: boolean) => Promise<SmallResponse>;

/** Everything a runtime provides. */
export interface GcsRuntime {
  /** Makes the RSA signer of a service account (throws, naming the option, when the key is unusable). */
  createSigner(key: ServiceAccountKey): GcsSigner;
  /** Sends small requests. */
  send: SendRequest;
  /** Sends the streamed requests of UploadPartCopy (without it, UploadPartCopy answers 501). */
  stream?: StreamRequest;
  /** Signs remotely instead (IAM Credentials `signBlob` as a federated service account); wins over a key. */
  remoteSigner?: GcsSigner;
  /** The federated access token of direct resource access (`auth_type = "oidc"` without a service account). */
  accessToken?: FederatedAccessTokenProvider;
  /** The clock of signatures (tests pin it); defaults to the system clock. */
  now?: () => Date;
}

/** What both builds accept for remote signing (`auth_type = "oidc"`). */
export interface RemoteSigningExtras {
  /**
   * Signs a V4 string to sign (RSA-SHA256) as the service account, remotely: IAM Credentials `signBlob` with a
   * federated access token. Replaces the key-based signer.
   */
  signBlob?: (stringToSign: Uint8Array) => Promise<Uint8Array>;
  /** The email of the account `signBlob` signs as (default: the `service_account_email` option). */
  clientEmail?: string;
}

/** An OAuth 2.0 access token (a Google STS federated token) and when it expires. */
export interface FederatedAccessToken {
  /** The bearer token. Never logged, never put into an error message. */
  accessToken: string;
  /** When it expires (the provider renews it before then). */
  expiresAt: Date;
}

/** Returns the current federated access token; the caller caches and renews it, the backend asks per request. */
export type FederatedAccessTokenProvider = () => Promise<FederatedAccessToken>;

/** What both builds accept for direct resource access (`auth_type = "oidc"` without `service_account_email`). */
export interface DirectAccessExtras {
  /**
   * The federated access token provider (Google STS token exchange with the workload identity provider, e.g.
   * `createFederatedCredentials(...).googleFederatedToken(bucket)`). In direct mode every request carries its token
   * as `Authorization: Bearer`; it is asked once per request, so a renewed token is used at once. Ignored when the
   * bucket signs (a key or `service_account_email`).
   */
  accessToken?: FederatedAccessTokenProvider;
}

/**
 * The remote signer of `extras.signBlob`, if any; throws when no service account email is known. None in direct
 * mode (`auth_type = "oidc"` without `service_account_email`): nothing is signed there, so `signBlob` is ignored.
 */
export function remoteSignerOf(options: { service_account_email?: string; auth_type?: string }, extras: RemoteSigningExtras): GcsSigner | undefined {
  const { signBlob } = extras;
  if (!signBlob || (options.auth_type === "oidc" && !options.service_account_email)) return undefined;
  const clientEmail = extras.clientEmail || options.service_account_email;
  if (!clientEmail) throw new Error("service_account_email is required for backend_type = gcs when signing through signBlob");
  return { clientEmail, sign: (data) => signBlob(data) };
}

/** A `SendRequest` over a fetch implementation (both builds use the platform's fetch for small requests). */
export function fetchSender(fetchImpl?: typeof fetch, timeoutMs = CONTROL_TIMEOUT_MS): SendRequest {
  const send = fetchImpl ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  return async (method, url, headers, body, long) => {
    const response = await send(url, {
      method,
      headers,
      // Bounded, the answer's body included: Node's fetch would wait 5 minutes for headers, and a trickled body forever.
      signal: AbortSignal.timeout(long ? LONG_CONTROL_TIMEOUT_MS : timeoutMs),
      ...(body && { body: body as Uint8Array<ArrayBuffer> }),
      // Signed URLs are single-use targets: a redirect would go unsigned or to a place we did not sign for, and a
      // bearer token must never follow one to another host.
      redirect: "manual",
    });
    return { status: response.status, headers: response.headers, text: method === "HEAD" ? "" : await responseText(response) };
  };
}
