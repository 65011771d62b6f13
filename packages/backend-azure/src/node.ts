/**
 * Node build of the Azure backend: `@azure/storage-blob` signs SAS tokens and sends the backend's own requests, with
 * the account key or, for `auth_type = "oidc"`, a federated bearer token and user delegation key.
 */
import { createAzureBackendWith, type AzureBackend } from "./azure-backend-base.js";
import {
  AnonymousCredential,
  createSdkClient,
  createSdkSasSigner,
  createSdkUserDelegationSasSigner,
  federatedTokenCredential,
  StorageSharedKeyCredential,
} from "./node-client.js";
import { resolveAzureOptions, type AzureBackendOptions } from "./options.js";
import { requireFederation, type FederatedAzureExtras } from "./federated.js";

/** Options only the Node build understands. */
export interface NodeAzureExtras extends FederatedAzureExtras {
  /** Clock for SAS expiry times (tests pin it). */
  now?: () => Date;
  /**
   * With `auth_type = "oidc"`: a Microsoft Entra access token for Storage (cached and renewed by the caller); the
   * SDK's own requests (listing, block lists, copies) carry it as a bearer token.
   */
  accessToken?: () => Promise<{ accessToken: string; expiresAt: Date }>;
}

/** Creates an Azure Blob Storage backend (Node build). Throws when options are invalid, naming the option. */
export function createAzureBackend(input: AzureBackendOptions | Readonly<Record<string, string>>, extras: NodeAzureExtras = {}): AzureBackend {
  // A bucket's `backend_options` as configured is accepted as it is; the options are checked here, naming the field.
  const options = input as AzureBackendOptions;
  const resolved = resolveAzureOptions(options);
  const now = extras.now ?? (() => new Date());
  if (resolved.federated) {
    const userDelegationKey = requireFederation(extras.userDelegationKey, "userDelegationKey");
    const accessToken = requireFederation(extras.accessToken, "accessToken");
    const signer = createSdkUserDelegationSasSigner(resolved.accountName, userDelegationKey);
    return createAzureBackendWith(resolved, { signer, now, client: createSdkClient(resolved, federatedTokenCredential(accessToken)) });
  }
  const credential = resolved.accountKey === undefined ? new AnonymousCredential() : new StorageSharedKeyCredential(resolved.accountName, resolved.accountKey);
  const signer = credential instanceof StorageSharedKeyCredential ? createSdkSasSigner(credential) : undefined;
  return createAzureBackendWith(resolved, { signer, now, client: createSdkClient(resolved, credential) });
}

export type { AzureBackend } from "./azure-backend-base.js";
export type { FederatedAzureExtras } from "./federated.js";
export type { AzureBackendOptions } from "./options.js";
export { resolveAzureOptions } from "./options.js";
export type { UserDelegationKey, UserDelegationKeyProvider } from "./user-delegation-sas.js";

export { AZURE_OPTION_RULES } from "./option-rules.js";
