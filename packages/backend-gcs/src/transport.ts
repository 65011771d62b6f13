/** What a runtime build of the GCS backend injects: how to sign (RSA) and how to send small requests. */
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
export type SendRequest = (method: string, url: string, headers: Record<string, string>, body?: Uint8Array) => Promise<SmallResponse>;

/** Everything a runtime provides. */
export interface GcsRuntime {
  /** Makes the RSA signer of a service account (throws, naming the option, when the key is unusable). */
  createSigner(key: ServiceAccountKey): GcsSigner;
  /** Sends small requests. */
  send: SendRequest;
  /** The clock of signatures (tests pin it); defaults to the system clock. */
  now?: () => Date;
}

/** A `SendRequest` over a fetch implementation (both builds use the platform's fetch for small requests). */
export function fetchSender(fetchImpl?: typeof fetch): SendRequest {
  const send = fetchImpl ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  return async (method, url, headers, body) => {
    const response = await send(url, {
      method,
      headers,
      ...(body && { body: body as Uint8Array<ArrayBuffer> }),
      // Signed URLs are single-use targets: a redirect would go unsigned or to a place we did not sign for.
      redirect: "manual",
    });
    return { status: response.status, headers: response.headers, text: method === "HEAD" ? "" : await response.text() };
  };
}
