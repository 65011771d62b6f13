/** Node build of the Azure backend: `@azure/storage-blob` signs SAS tokens and sends the backend's own requests. */
import { createAzureBackendWith, type AzureBackend } from "./azure-backend-base.js";
import { AnonymousCredential, createSdkClient, createSdkSasSigner, StorageSharedKeyCredential } from "./node-client.js";
import { resolveAzureOptions, type AzureBackendOptions } from "./options.js";

/** Options only the Node build understands. */
export interface NodeAzureExtras {
  /** Clock for SAS expiry times (tests pin it). */
  now?: () => Date;
}

/** Creates an Azure Blob Storage backend (Node build). Throws when options are invalid, naming the option. */
export function createAzureBackend(options: AzureBackendOptions, extras: NodeAzureExtras = {}): AzureBackend {
  const resolved = resolveAzureOptions(options);
  const credential = resolved.accountKey === undefined ? new AnonymousCredential() : new StorageSharedKeyCredential(resolved.accountName, resolved.accountKey);
  const signer = credential instanceof StorageSharedKeyCredential ? createSdkSasSigner(credential) : undefined;
  return createAzureBackendWith(resolved, { signer, now: extras.now ?? (() => new Date()), client: createSdkClient(resolved, credential) });
}

export type { AzureBackend } from "./azure-backend-base.js";
export type { AzureBackendOptions } from "./options.js";
export { resolveAzureOptions } from "./options.js";
