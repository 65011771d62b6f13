/**
 * Node build of the Azure backend: `@azure/storage-blob` signs SAS tokens and sends the backend's own requests, with
 * the account key or, for `auth_type = "oidc"`, a federated bearer token and user delegation key. The SDK is loaded
 * on the backend's first signature or request (`deferred-sdk.ts`), not when the backend is created.
 */
import { createAzureBackendWith, type AzureBackend } from "./azure-backend-base.js";
import { deferredClient, deferredSigner, type NodeClientModule } from "./deferred-sdk.js";
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
    const signer = deferredSigner((sdk) => sdk.createSdkUserDelegationSasSigner(resolved.accountName, userDelegationKey));
    const client = deferredClient((sdk) => sdk.createSdkClient(resolved, sdk.federatedTokenCredential(accessToken)));
    return createAzureBackendWith(resolved, { signer, now, client });
  }
  const { accountName, accountKey } = resolved;
  if (accountKey === undefined) {
    return createAzureBackendWith(resolved, { signer: undefined, now, client: deferredClient((sdk) => sdk.createSdkClient(resolved, new sdk.AnonymousCredential())) });
  }
  // One credential serves the signer and the client, as before the SDK was deferred.
  let credential: InstanceType<NodeClientModule["StorageSharedKeyCredential"]> | undefined;
  const credentialOf = (sdk: NodeClientModule) => (credential ??= new sdk.StorageSharedKeyCredential(accountName, accountKey));
  const signer = deferredSigner((sdk) => sdk.createSdkSasSigner(credentialOf(sdk)));
  return createAzureBackendWith(resolved, { signer, now, client: deferredClient((sdk) => sdk.createSdkClient(resolved, credentialOf(sdk))) });
}

export type { AzureBackend } from "./azure-backend-base.js";
export type { FederatedAzureExtras } from "./federated.js";
export type { AzureBackendOptions } from "./options.js";
export { resolveAzureOptions } from "./options.js";
export type { UserDelegationKey, UserDelegationKeyProvider } from "./user-delegation-sas.js";

export { AZURE_OPTION_RULES } from "./option-rules.js";
