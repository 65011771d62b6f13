/**
 * The Azure Blob Storage backend without a runtime: object data moves through short-lived SAS URLs the runtime
 * executes with streaming; listing, multipart control (and listing parts and uploads), copies and batch deletes are
 * small requests of the injected client. The Node build injects `@azure/storage-blob`, the worker build fetch +
 * WebCrypto.
 */
import type { Backend, CompletedPart, CopyRequest, ListPartsRequest, ListRequest, ListUploadsRequest, ObjectRequest, PartCopyRequest } from "@multistore/core/backend";
import type { AzureBlobInfo, AzureRuntime } from "./client.js";
import { copyObject, deleteObjects } from "./copy-delete.js";
import { listObjects } from "./list.js";
import { listParts } from "./list-parts.js";
import { listMultipartUploads, type ListedMarkers } from "./list-uploads.js";
import { abortMultipartUpload, completeMultipartUpload, createMultipartUpload } from "./multipart.js";
import { blobUrl } from "./names.js";
import { uploadPartCopy } from "./part-copy.js";
import { prepareObject, type ObjectContext } from "./object-dispatch.js";
import type { ResolvedAzureOptions } from "./options.js";
import { SAS_TTL_SECONDS } from "./sas.js";
import { taggingMethods, unsignedTaggingMethods } from "./tagging.js";

/** An Azure backend; `readUrl` is what server-side copies between containers of one account need. */
export interface AzureBackend extends Backend<unknown> {
  /** Container name. */
  readonly containerName: string;
  /** A short-lived URL reading `key` (a read SAS unless requests are unsigned). */
  readUrl(key: string): Promise<string>;
  /** Get Blob Properties of `key` (a part copy's source); undefined when it does not exist. */
  blobProperties(key: string): Promise<AzureBlobInfo | undefined>;
}

/** Builds an Azure backend from validated options and a runtime. */
export function createAzureBackendWith(options: ResolvedAzureOptions, runtime: AzureRuntime): AzureBackend {
  const { client, signer, now } = runtime;

  /** URL of a blob with extra query parameters and, when signing, a SAS granting `permissions`. */
  async function signedUrl(blob: string, permissions: string, query: Record<string, string> = {}): Promise<string> {
    const parts = Object.entries(query).map(([name, value]) => `${name}=${encodeURIComponent(value)}`);
    if (signer) {
      const expiresOn = new Date(now().getTime() + SAS_TTL_SECONDS * 1000);
      parts.push(await signer.sign({ container: options.containerName, blob, permissions, expiresOn }));
    }
    const url = blobUrl(options.endpoint, options.containerName, blob);
    return parts.length === 0 ? url : `${url}?${parts.join("&")}`;
  }

  const context: ObjectContext = { client, signedUrl };
  const listedMarkers: ListedMarkers = new Map();
  const backend: AzureBackend = {
    kind: "az",
    // Copy Blob reads the source through its own SAS, so any two containers of one account (and key) can copy.
    copyDomain: `az:${options.endpoint}:${options.accountName}:${options.federated ? "oidc" : options.accountKey === undefined ? "anonymous" : "key"}`,
    containerName: options.containerName,
    // Azure keeps none of S3's checksums.
    keptChecksums: [],
    readUrl: (key: string) => signedUrl(key, "r"),
    blobProperties: (key: string) => client.properties(key),
    prepareObject: (request: ObjectRequest) => prepareObject(context, request),
    listObjects: (request: ListRequest) => listObjects(client, request),
    createMultipartUpload: (key: string, headers: Headers) => createMultipartUpload(client, key, headers),
    completeMultipartUpload: (key: string, uploadId: string, parts: CompletedPart[], headers: Headers) =>
      completeMultipartUpload(client, key, uploadId, parts, headers),
    abortMultipartUpload: (key: string, uploadId: string) => abortMultipartUpload(client, key, uploadId),
    listParts: (key: string, uploadId: string, request: ListPartsRequest) => listParts(client, key, uploadId, request),
    listMultipartUploads: (request: ListUploadsRequest) => listMultipartUploads(client, request, listedMarkers),
    deleteObjects: (keys: string[]) => deleteObjects(client, keys),
    copyObject: (request: CopyRequest<unknown>) => copyObject(client, backend, request),
    uploadPartCopy: (request: PartCopyRequest<unknown>) => uploadPartCopy(client, backend, request),
    ...(signer ? taggingMethods(client) : unsignedTaggingMethods(client)),
  };
  return backend;
}
