/**
 * Node build of the GCS backend: node:crypto signs (RSA-SHA256 with a parsed KeyObject, off the event loop), the
 * platform's fetch sends the small requests. `@google-cloud/storage` is not used at run time: its signer cannot
 * reproduce every V4 input the backend signs byte for byte with the worker build (see README), so the canonical
 * algorithm lives in `v4-signing.ts` and the SDK serves as the reference the tests compare signatures against.
 */
import { createPrivateKey, sign, type KeyObject } from "node:crypto";
import { createGcsBackendWith, type GcsBackend } from "./gcs-backend-base.js";
import { parseServiceAccountKey, type GcsBackendOptions, type ServiceAccountKey } from "./options.js";
import { fetchStreamer } from "./part-copy.js";
import { fetchSender, remoteSignerOf, type DirectAccessExtras, type RemoteSigningExtras } from "./transport.js";
import type { GcsSigner } from "./v4-signing.js";

/** Options only the code (not the configuration) can give. The same in both builds. */
export interface GcsExtras extends RemoteSigningExtras, DirectAccessExtras {
  /** The fetch for the backend's small requests (defaults to the global one). */
  fetch?: typeof fetch;
  /** The clock of signatures (tests pin it). */
  now?: () => Date;
  /** The bound of each of the backend's small requests, its answer included (default 30 s). */
  controlTimeoutMs?: number;
}

/**
 * The RSA signer of a service account key (the JSON text or its parsed parts). The key is parsed once; each
 * signature runs in libuv's thread pool so a burst of requests does not stall the event loop.
 */
export function createGcsSigner(key: string | ServiceAccountKey): GcsSigner {
  const account = typeof key === "string" ? parseServiceAccountKey(key) : key;
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(account.privateKeyPem);
  } catch {
    throw new Error("service_account_key.private_key is not a readable private key for backend_type = gcs");
  }
  if (privateKey.asymmetricKeyType !== "rsa") throw new Error("service_account_key.private_key must be an RSA key for backend_type = gcs");
  return {
    clientEmail: account.clientEmail,
    sign: (data) =>
      new Promise((resolve, reject) => {
        sign("sha256", data, privateKey, (error, signature) => (error ? reject(error) : resolve(new Uint8Array(signature.buffer, signature.byteOffset, signature.byteLength))));
      }),
  };
}

/** Creates a GCS backend (Node build). Throws when options are invalid, naming the option. */
export function createGcsBackend(input: GcsBackendOptions | Readonly<Record<string, string>>, extras: GcsExtras = {}): GcsBackend {
  // A bucket's `backend_options` as configured is accepted as it is; the options are checked here, naming the field.
  const options = input as GcsBackendOptions;
  const remoteSigner = remoteSignerOf(options, extras);
  return createGcsBackendWith(options, {
    createSigner: createGcsSigner,
    send: fetchSender(extras.fetch, extras.controlTimeoutMs),
    stream: fetchStreamer(extras.fetch),
    ...(extras.now && { now: extras.now }),
    ...(remoteSigner && { remoteSigner }),
    ...(extras.accessToken && { accessToken: extras.accessToken }),
  });
}

export type { GcsBackend } from "./gcs-backend-base.js";
export type { GcsBackendOptions, ServiceAccountKey } from "./options.js";
export { resolveGcsOptions, parseServiceAccountKey, DEFAULT_GCS_ENDPOINT } from "./options.js";
export type { DirectAccessExtras, FederatedAccessToken, FederatedAccessTokenProvider, RemoteSigningExtras } from "./transport.js";
export { signUrlV4, type GcsSigner, type V4SignInput, type V4SignedUrl } from "./v4-signing.js";

export { GCS_OPTION_RULES } from "./option-rules.js";
