/**
 * Worker build of the Azure backend: fetch sends, WebCrypto signs SAS tokens (service SAS with the account key, or
 * user delegation SAS for `auth_type = "oidc"`). No Node built-ins.
 */
import { createAzureBackendWith, type AzureBackend } from "./azure-backend-base.js";
import { requireFederation, type FederatedAzureExtras } from "./federated.js";
import { resolveAzureOptions, type AzureBackendOptions } from "./options.js";
import { createRestClient } from "./rest-client.js";
import { createWebCryptoSasSigner } from "./sas.js";
import { createWebCryptoUserDelegationSasSigner } from "./user-delegation-sas.js";

/** Options only the worker build understands. */
export interface WorkerAzureExtras extends FederatedAzureExtras {
  /** The fetch to use (defaults to the global one). */
  fetch?: typeof fetch;
  /** Clock for SAS expiry times (tests pin it). */
  now?: () => Date;
  /** Accepted for parity with the Node build and ignored: every request of this build is authorized by a SAS. */
  accessToken?: () => Promise<{ accessToken: string; expiresAt: Date }>;
}

/** Creates an Azure Blob Storage backend (worker build). Throws when options are invalid, naming the option. */
export function createAzureBackend(input: AzureBackendOptions | Readonly<Record<string, string>>, extras: WorkerAzureExtras = {}): AzureBackend {
  // A bucket's `backend_options` as configured is accepted as it is; the options are checked here, naming the field.
  const options = input as AzureBackendOptions;
  const resolved = resolveAzureOptions(options);
  const signer = resolved.federated
    ? createWebCryptoUserDelegationSasSigner(resolved.accountName, requireFederation(extras.userDelegationKey, "userDelegationKey"))
    : resolved.accountKey === undefined
      ? undefined
      : createWebCryptoSasSigner(resolved.accountName, resolved.accountKey);
  const now = extras.now ?? (() => new Date());
  const send = extras.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  return createAzureBackendWith(resolved, { signer, now, client: createRestClient({ options: resolved, signer, fetch: send, now }) });
}

export type { AzureBackend } from "./azure-backend-base.js";
export type { FederatedAzureExtras } from "./federated.js";
export type { AzureBackendOptions } from "./options.js";
export { resolveAzureOptions } from "./options.js";
export type { UserDelegationKey, UserDelegationKeyProvider } from "./user-delegation-sas.js";

export { AZURE_OPTION_RULES } from "./option-rules.js";
