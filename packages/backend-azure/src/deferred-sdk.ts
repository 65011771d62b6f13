/**
 * `@azure/storage-blob` loaded on first use. The SDK and its dependencies hold about 6 MB of a Node server's heap,
 * and every mark-compact walks the live heap: a server that has no Azure bucket, or that has not yet sent an Azure
 * request, should not carry it. Construction stays synchronous; the first signature or SDK call awaits the import.
 */
import type { AzureClient } from "./client.js";
import type { SasSigner } from "./sas.js";

/** The Node build's SDK adapter module. */
export type NodeClientModule = typeof import("./node-client.js");

let loading: Promise<NodeClientModule> | undefined;

/**
 * Imports the SDK adapter once; later calls share the same promise. Without the SDK installed (an optional peer
 * dependency) it rejects with an error naming the package to install, the import's own error as its cause.
 */
export function loadNodeClient(): Promise<NodeClientModule> {
  loading ??= import("./node-client.js").catch((error: unknown) => {
    throw new Error("The Azure backend's Node build could not load @azure/storage-blob (is it installed beside @multistore/backend-azure?)", { cause: error });
  });
  return loading;
}

/** A SAS signer made from the SDK once it is loaded. */
export function deferredSigner(create: (sdk: NodeClientModule) => SasSigner): SasSigner {
  let signer: Promise<SasSigner> | undefined;
  return {
    async sign(request) {
      signer ??= loadNodeClient().then(create);
      return (await signer).sign(request);
    },
  };
}

/** An Azure client made from the SDK once it is loaded; each method waits for it, then calls through. */
export function deferredClient(create: (sdk: NodeClientModule) => AzureClient): AzureClient {
  let client: Promise<AzureClient> | undefined;
  const ready = () => {
    client ??= loadNodeClient().then(create);
    return client;
  };
  return {
    listBlobs: async (request) => (await ready()).listBlobs(request),
    uncommittedBlocks: async (blob) => (await ready()).uncommittedBlocks(blob),
    commitBlocks: async (blob, blockIds, headers, metadata, conditions, tags, tier) => (await ready()).commitBlocks(blob, blockIds, headers, metadata, conditions, tags, tier),
    putText: async (blob, text, metadata) => (await ready()).putText(blob, text, metadata),
    getText: async (blob) => (await ready()).getText(blob),
    deleteBlob: async (blob) => (await ready()).deleteBlob(blob),
    startCopy: async (blob, sourceUrl, sourceConditions, metadata, conditions, tags, tier) =>
      (await ready()).startCopy(blob, sourceUrl, sourceConditions, metadata, conditions, tags, tier),
    stageBlockFromUrl: async (blob, blockId, sourceUrl, range) => (await ready()).stageBlockFromUrl(blob, blockId, sourceUrl, range),
    properties: async (blob) => (await ready()).properties(blob),
    setContentHeaders: async (blob, headers) => (await ready()).setContentHeaders(blob, headers),
    setMetadata: async (blob, metadata) => (await ready()).setMetadata(blob, metadata),
    getTags: async (blob) => (await ready()).getTags(blob),
    setTags: async (blob, tags) => (await ready()).setTags(blob, tags),
  };
}
