/**
 * ListParts on Azure: the upload's parts are the uncommitted blocks of the destination blob that its block ids name
 * (see block-ids.ts), each part's latest upload listed. The marker says the upload exists and gives its class.
 */
import type { UploadedPart, ListPartsRequest, ListPartsResult } from "@multistore/core/backend";
import { azureCall as call } from "./azure-errors.js";
import { partEtag } from "./block-ids.js";
import type { AzureClient } from "./client.js";
import { readMarker } from "./multipart.js";
import { checkKey, markerName } from "./names.js";
import { latestBlock, partsOfUpload } from "./staged-parts.js";
import { s3StorageClassOf } from "./storage-class.js";

/** One page of the parts of upload `uploadId` of `key`; NoSuchUpload when there is no such upload of the key. */
export async function listParts(client: AzureClient, key: string, uploadId: string, request: ListPartsRequest): Promise<ListPartsResult> {
  checkKey(key);
  const marker = await readMarker(client, key, uploadId);
  const staged = partsOfUpload(await call(() => client.uncommittedBlocks(key)), uploadId);
  const numbers = [...staged.keys()].filter((partNumber) => partNumber > request.partNumberMarker).sort((a, b) => a - b);
  const page = numbers.slice(0, request.maxParts);
  // Blocks staged by earlier versions carry no time: the upload's start (its marker's) is the best known.
  let started: Date | undefined;
  const parts: UploadedPart[] = [];
  for (const partNumber of page) {
    const block = latestBlock(partNumber, staged.get(partNumber)!);
    if (block.stagedAt === undefined && started === undefined) started = (await call(() => client.properties(markerName(uploadId))))?.lastModified ?? new Date();
    parts.push({ partNumber, etag: partEtag(block), size: block.size, lastModified: block.stagedAt ?? started ?? new Date() });
  }
  const storageClass = s3StorageClassOf(marker.tier);
  return { parts, isTruncated: numbers.length > page.length, ...(storageClass !== undefined && { storageClass }) };
}
