/**
 * The small Azure requests the backend makes itself (listing, block lists, markers, copies, deletes). The Node build
 * implements them with `@azure/storage-blob`, the worker build with fetch and SAS URLs. Failures are thrown as
 * `AzureError` (an Azure answer) or anything else (the network).
 */
import type { ObjectTag } from "@multistore/core/backend";
import type { Conditions, ContentHeaderName } from "./header-mapping.js";
import type { SasSigner } from "./sas.js";

/** One blob of a listing. */
export interface AzureListedBlob {
  /** Blob name. */
  name: string;
  /** ETag as Azure gives it (quoted or not). */
  etag: string;
  /** Last modification. */
  lastModified: Date;
  /** Size in bytes. */
  size: number;
  /** Metadata by Azure name. */
  metadata: Record<string, string>;
  /** Access tier (`Hot`, `Cool`, `Cold`, `Archive`), when Azure says. */
  accessTier?: string;
}

/** One page of List Blobs. */
export interface AzureListPage {
  /** Blobs, in Azure's order. */
  blobs: AzureListedBlob[];
  /** Blob prefixes (delimiter roll-ups), in Azure's order. */
  prefixes: string[];
  /** Azure's continuation marker, when there is more. */
  nextMarker?: string;
}

/** A List Blobs request. */
export interface AzureListRequest {
  /** Name prefix (may be empty). */
  prefix: string;
  /** Delimiter for roll-ups. */
  delimiter?: string;
  /** Azure's marker of a previous page. */
  marker?: string;
  /** At most this many blobs + prefixes (1..5000). */
  maxResults: number;
  /** First name to list (inclusive; service version 2026-02-06). */
  startFrom?: string;
}

/** Properties of one blob. */
export interface AzureBlobInfo {
  /** ETag as Azure gives it. */
  etag: string;
  /** Last modification. */
  lastModified: Date;
  /** Size in bytes. */
  size: number;
  /** Metadata by Azure name. */
  metadata: Record<string, string>;
  /** `x-ms-copy-status` of the last copy into the blob, if any. */
  copyStatus?: string;
  /** How many blob index tags the blob has (absent: none). */
  tagCount?: number;
  /** Access tier (`Hot`, `Cool`, `Cold`, `Archive`), when Azure says. */
  accessTier?: string;
}

/** Content headers by S3 name. */
export type ContentHeaders = Partial<Record<ContentHeaderName, string>>;

/** The requests of the backend, relative to its container. */
export interface AzureClient {
  /** One page of List Blobs (metadata included). */
  listBlobs(request: AzureListRequest): Promise<AzureListPage>;
  /** The uncommitted blocks of a blob (empty when the blob has none or does not exist). */
  uncommittedBlocks(blob: string): Promise<{ name: string; size: number }[]>;
  /**
   * Put Block List: commits `blockIds` (uncommitted) in order with content headers, metadata, tags, conditions and
   * an access tier (the account's default without one).
   */
  commitBlocks(
    blob: string,
    blockIds: string[],
    headers: ContentHeaders,
    metadata: Record<string, string>,
    conditions: Conditions,
    tags: readonly ObjectTag[],
    tier?: string,
  ): Promise<{ etag: string; lastModified?: Date }>;
  /** Writes a small blob (upload markers), with metadata (Azure names, values that are header values). */
  putText(blob: string, text: string, metadata?: Record<string, string>): Promise<void>;
  /** Reads a small blob; undefined when it does not exist. */
  getText(blob: string): Promise<string | undefined>;
  /** Deletes a blob (and its snapshots); false when it did not exist. */
  deleteBlob(blob: string): Promise<boolean>;
  /**
   * Copy Blob from a URL; `metadata` replaces the source's when given, `conditions` are the destination's (`If-Match`,
   * `If-None-Match: *`), `tags` the copy's (Copy Blob copies none of the source's), `tier` its access tier (the
   * account's default without one). Returns the copy status.
   */
  startCopy(
    blob: string,
    sourceUrl: string,
    sourceConditions: Conditions,
    metadata?: Record<string, string>,
    conditions?: Conditions,
    tags?: readonly ObjectTag[],
    tier?: string,
  ): Promise<string>;
  /**
   * Put Block From URL: stages block `blockId` of `blob` from `count` bytes of the source at `offset` (the whole
   * source without a range).
   */
  stageBlockFromUrl(blob: string, blockId: string, sourceUrl: string, range?: { offset: number; count: number }): Promise<void>;
  /** Get Blob Properties; undefined when the blob does not exist. */
  properties(blob: string): Promise<AzureBlobInfo | undefined>;
  /** Set Blob Properties: replaces all content headers (unset ones are cleared). */
  setContentHeaders(blob: string, headers: ContentHeaders): Promise<void>;
  /** Set Blob Metadata: replaces all metadata. */
  setMetadata(blob: string, metadata: Record<string, string>): Promise<void>;
  /** Get Blob Tags; undefined when the blob does not exist. */
  getTags(blob: string): Promise<ObjectTag[] | undefined>;
  /** Set Blob Tags: replaces all tags (none removes them); false when the blob does not exist. */
  setTags(blob: string, tags: readonly ObjectTag[]): Promise<boolean>;
}

/** What a runtime build injects. */
export interface AzureRuntime {
  /** Signs SAS tokens; undefined when requests are unsigned (`skip_signature`). */
  signer: SasSigner | undefined;
  /** The backend's own requests. */
  client: AzureClient;
  /** The clock for SAS expiry times. */
  now: () => Date;
}

/**
 * The longest one control call (a listing, a commit, a copy's start, a property read) may take, its answer's body
 * included: a silent or trickling endpoint is then answered 503, not waited on forever.
 */
export const CONTROL_TIMEOUT_MS = 30_000;
