/**
 * The Node build's Azure client and SAS signers: `@azure/storage-blob` with the account key (Shared Key), or with a
 * federated bearer token and user delegation key (`auth_type = "oidc"`).
 */
import {
  AnonymousCredential,
  BlobSASPermissions,
  ContainerClient,
  ContainerSASPermissions,
  generateBlobSASQueryParameters,
  newPipeline,
  RestError,
  StorageSharedKeyCredential,
  type BlobHTTPHeaders,
  type ModifiedAccessConditions,
  type UserDelegationKey as SdkUserDelegationKey,
} from "@azure/storage-blob";
import { AzureError } from "./azure-errors.js";
import { LONG_CONTROL_TIMEOUT_MS } from "@multistore/core/backend";
import { CONTROL_TIMEOUT_MS, type AzureClient, type ContentHeaders } from "./client.js";
import type { Conditions } from "./header-mapping.js";
import { blobUrl } from "./names.js";
import type { ResolvedAzureOptions } from "./options.js";
import { API_VERSION, type SasRequest, type SasSigner } from "./sas.js";
import { tagsRecord } from "./tags.js";
import { expiryWithin, keyTime, type UserDelegationKeyProvider } from "./user-delegation-sas.js";

/** The SDK's SAS generation, pinned to the same service version as the worker build's signer. */
export function createSdkSasSigner(credential: StorageSharedKeyCredential): SasSigner {
  return {
    async sign(request) {
      return generateBlobSASQueryParameters(sasValues(request, request.expiresOn), credential).toString();
    },
  };
}

/** `@azure/core-auth`'s TokenCredential, as the SDK's `newPipeline` accepts it (no extra dependency for one type). */
type TokenCredential = Exclude<Parameters<typeof newPipeline>[0], StorageSharedKeyCredential | AnonymousCredential | undefined>;

function sasValues(request: SasRequest, expiresOn: Date) {
  const permissions = request.blob === undefined ? ContainerSASPermissions.parse(request.permissions) : BlobSASPermissions.parse(request.permissions);
  return { containerName: request.container, ...(request.blob !== undefined && { blobName: request.blob }), permissions, expiresOn, version: API_VERSION };
}

/** The SDK's user delegation SAS generation (`auth_type = "oidc"`), same service version as the worker build's. */
export function createSdkUserDelegationSasSigner(accountName: string, userDelegationKey: UserDelegationKeyProvider): SasSigner {
  return {
    async sign(request) {
      const key = await userDelegationKey();
      const sdkKey: SdkUserDelegationKey = {
        signedObjectId: key.signedObjectId,
        signedTenantId: key.signedTenantId,
        signedStartsOn: new Date(keyTime(key.signedStart)),
        signedExpiresOn: new Date(keyTime(key.signedExpiry)),
        signedService: key.signedService,
        signedVersion: key.signedVersion,
        value: key.value,
      };
      return generateBlobSASQueryParameters(sasValues(request, expiryWithin(request, key)), sdkKey, accountName).toString();
    },
  };
}

/** A bearer token source as the SDK wants it; the runtime's federation caches and renews the token. */
export function federatedTokenCredential(accessToken: () => Promise<{ accessToken: string; expiresAt: Date }>): TokenCredential {
  return {
    async getToken() {
      const token = await accessToken();
      return { token: token.accessToken, expiresOnTimestamp: token.expiresAt.getTime() };
    },
  };
}

function httpHeaders(headers: ContentHeaders): BlobHTTPHeaders {
  return {
    ...(headers["content-type"] !== undefined && { blobContentType: headers["content-type"] }),
    ...(headers["content-disposition"] !== undefined && { blobContentDisposition: headers["content-disposition"] }),
    ...(headers["cache-control"] !== undefined && { blobCacheControl: headers["cache-control"] }),
    ...(headers["content-encoding"] !== undefined && { blobContentEncoding: headers["content-encoding"] }),
    ...(headers["content-language"] !== undefined && { blobContentLanguage: headers["content-language"] }),
  };
}

function date(value: string | undefined): Date | undefined {
  const parsed = value === undefined ? Number.NaN : Date.parse(value);
  // S3 ignores a date condition it cannot parse; so does this.
  return Number.isNaN(parsed) ? undefined : new Date(parsed);
}

function accessConditions(conditions: Conditions): ModifiedAccessConditions {
  const ifModifiedSince = date(conditions.ifModifiedSince);
  const ifUnmodifiedSince = date(conditions.ifUnmodifiedSince);
  return {
    ...(conditions.ifMatch !== undefined && { ifMatch: conditions.ifMatch }),
    ...(conditions.ifNoneMatch !== undefined && { ifNoneMatch: conditions.ifNoneMatch }),
    ...(ifModifiedSince && { ifModifiedSince }),
    ...(ifUnmodifiedSince && { ifUnmodifiedSince }),
  };
}

/**
 * Runs an SDK call within `CONTROL_TIMEOUT_MS` (the signal it is given aborts it then: the SDK sets no deadline of
 * its own, and a silent endpoint held the call forever); Azure's answers become AzureError (`missing` codes on a 404
 * give `fallback`), the rest (network failures, the abort) passes, to be answered 503.
 */
async function sdkCall<T>(operation: (abortSignal: AbortSignal) => Promise<T>, fallback: { value: T } | undefined, timeoutMs: number): Promise<T> {
  try {
    return await operation(AbortSignal.timeout(timeoutMs));
  } catch (error) {
    if (!(error instanceof RestError) || error.statusCode === undefined) throw error;
    const details = error.details as { errorCode?: string } | undefined;
    const code = details?.errorCode ?? error.code;
    if (fallback && error.statusCode === 404 && (code === undefined || code === "BlobNotFound")) return fallback.value;
    throw new AzureError(error.statusCode, code, error.message.split("\n")[0]);
  }
}

/** Creates the SDK client of one container. Retries are left to S3 clients, which retry 503s. */
export function createSdkClient(options: ResolvedAzureOptions, credential: StorageSharedKeyCredential | AnonymousCredential | TokenCredential, timeoutMs = CONTROL_TIMEOUT_MS): AzureClient {
  const sdk = <T>(operation: (abortSignal: AbortSignal) => Promise<T>, fallback?: { value: T }) => sdkCall(operation, fallback, timeoutMs);
  const container = new ContainerClient(blobUrl(options.endpoint, options.containerName), newPipeline(credential, { retryOptions: { maxTries: 1 } }));
  const blockBlob = (name: string) => container.getBlockBlobClient(name);
  return {
    async listBlobs(request) {
      const { value: page } = await sdk((abortSignal) => {
        const listOptions = { prefix: request.prefix, includeMetadata: true, abortSignal, ...(request.startFrom !== undefined && { startFrom: request.startFrom }) };
        const pages = request.delimiter
          ? container.listBlobsByHierarchy(request.delimiter, listOptions).byPage({ maxPageSize: request.maxResults, ...(request.marker && { continuationToken: request.marker }) })
          : container.listBlobsFlat(listOptions).byPage({ maxPageSize: request.maxResults, ...(request.marker && { continuationToken: request.marker }) });
        return pages.next();
      });
      const segment = page.segment as {
        blobItems: { name: string; properties: { etag?: string; lastModified: Date; contentLength?: number; accessTier?: string }; metadata?: Record<string, string> }[];
        blobPrefixes?: { name: string }[];
      };
      return {
        blobs: segment.blobItems.map((item) => ({
          name: item.name,
          etag: item.properties.etag ?? "",
          lastModified: item.properties.lastModified,
          size: item.properties.contentLength ?? 0,
          metadata: item.metadata ?? {},
          ...(item.properties.accessTier && { accessTier: item.properties.accessTier }),
        })),
        prefixes: (segment.blobPrefixes ?? []).map((prefix) => prefix.name),
        ...(page.continuationToken && { nextMarker: page.continuationToken }),
      };
    },
    async uncommittedBlocks(blob) {
      const list = await sdk((abortSignal) => blockBlob(blob).getBlockList("uncommitted", { abortSignal }), { value: undefined });
      return (list?.uncommittedBlocks ?? []).map((block) => ({ name: block.name, size: block.size }));
    },
    async commitBlocks(blob, blockIds, headers, metadata, conditions, tags, tier) {
      const options = {
        blobHTTPHeaders: httpHeaders(headers),
        metadata,
        conditions: accessConditions(conditions),
        ...(tags.length > 0 && { tags: tagsRecord(tags) }),
        ...(tier && { tier }),
      };
      const response = await sdk((abortSignal) => blockBlob(blob).commitBlockList(blockIds, { ...options, abortSignal }));
      return { etag: response.etag ?? "", ...(response.lastModified && { lastModified: response.lastModified }) };
    },
    async putText(blob, text, metadata) {
      await sdk((abortSignal) => blockBlob(blob).upload(text, Buffer.byteLength(text), { blobHTTPHeaders: { blobContentType: "application/json" }, ...(metadata && { metadata }), abortSignal }));
    },
    async getText(blob) {
      const buffer = await sdk((abortSignal) => blockBlob(blob).downloadToBuffer(undefined, undefined, { abortSignal }), { value: undefined });
      return buffer?.toString("utf8");
    },
    async deleteBlob(blob) {
      return sdk(async (abortSignal) => (await blockBlob(blob).delete({ deleteSnapshots: "include", abortSignal }), true), { value: false });
    },
    async startCopy(blob, sourceUrl, sourceConditions, metadata, conditions, tags = [], tier) {
      const options = {
        sourceConditions: accessConditions(sourceConditions),
        ...(conditions && { conditions: accessConditions(conditions) }),
        ...(metadata && { metadata }),
        ...(tags.length > 0 && { tags: tagsRecord(tags) }),
        ...(tier && { tier }),
      };
      const poller = await sdk((abortSignal) => blockBlob(blob).beginCopyFromURL(sourceUrl, { ...options, abortSignal }));
      // The poller has sent Copy Blob; the backend polls the blob's properties itself while the copy is pending.
      return poller.getOperationState().result?.copyStatus ?? "pending";
    },
    async stageBlockFromUrl(blob, blockId, sourceUrl, range) {
      // A server-side copy of up to 5 GiB: bounded as S3's copies are, not as a control call.
      await sdkCall((abortSignal) => blockBlob(blob).stageBlockFromURL(blockId, sourceUrl, range?.offset, range?.count, { abortSignal }), undefined, Math.max(timeoutMs, LONG_CONTROL_TIMEOUT_MS));
    },
    async properties(blob) {
      const properties = await sdk((abortSignal) => blockBlob(blob).getProperties({ abortSignal }), { value: undefined });
      if (!properties) return undefined;
      return {
        etag: properties.etag ?? "",
        lastModified: properties.lastModified ?? new Date(0),
        size: properties.contentLength ?? 0,
        metadata: properties.metadata ?? {},
        ...(properties.copyStatus && { copyStatus: properties.copyStatus }),
        ...(properties.tagCount && { tagCount: properties.tagCount }),
        ...(properties.accessTier && { accessTier: properties.accessTier }),
      };
    },
    async setContentHeaders(blob, headers) {
      await sdk((abortSignal) => blockBlob(blob).setHTTPHeaders(httpHeaders(headers), { abortSignal }));
    },
    async setMetadata(blob, metadata) {
      await sdk((abortSignal) => blockBlob(blob).setMetadata(metadata, { abortSignal }));
    },
    async getTags(blob) {
      const answer = await sdk((abortSignal) => blockBlob(blob).getTags({ abortSignal }), { value: undefined });
      return answer && Object.entries(answer.tags).map(([key, value]) => ({ key, value }));
    },
    async setTags(blob, tags) {
      const set = async (abortSignal: AbortSignal) => {
        await blockBlob(blob).setTags(tagsRecord(tags), { abortSignal });
        return true;
      };
      return sdk(set, { value: false });
    },
  };
}

export { AnonymousCredential, StorageSharedKeyCredential };
