/** Worker build of the GCS backend: WebCrypto signs (RSASSA-PKCS1-v1_5 over the PKCS#8 key), fetch sends. No Node built-ins. */
import { createGcsBackendWith, type GcsBackend } from "./gcs-backend-base.js";
import { parseServiceAccountKey, pemToDer, type GcsBackendOptions, type ServiceAccountKey } from "./options.js";
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

const RSA_PKCS1_SHA256 = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" } as const;

/**
 * The RSA signer of a service account key (the JSON text or its parsed parts). The PEM is checked now; the key is
 * imported into WebCrypto on first use (importing is asynchronous) and kept.
 */
export function createGcsSigner(key: string | ServiceAccountKey): GcsSigner {
  const account = typeof key === "string" ? parseServiceAccountKey(key) : key;
  const der = pemToDer(account.privateKeyPem);
  let imported: Promise<CryptoKey> | undefined;
  return {
    clientEmail: account.clientEmail,
    async sign(data) {
      imported ??= crypto.subtle.importKey("pkcs8", der as Uint8Array<ArrayBuffer>, RSA_PKCS1_SHA256, false, ["sign"]);
      return new Uint8Array(await crypto.subtle.sign(RSA_PKCS1_SHA256, await imported, data as Uint8Array<ArrayBuffer>));
    },
  };
}

/** Creates a GCS backend (worker build). Throws when options are invalid, naming the option. */
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
