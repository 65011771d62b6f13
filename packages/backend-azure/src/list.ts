/**
 * ListObjects from List Blobs. Azure's `maxresults` counts blobs and prefixes together, as S3's `max-keys` does, and
 * its NextMarker becomes the continuation token (wrapped, so the token can also carry a pending start-after).
 *
 * start-after: Azure has no exclusive start key. Since service version 2026-02-06 List Blobs takes `startFrom`
 * (inclusive; a single level below the prefix when a delimiter is used), so the listing begins at or just before
 * the start key and the entries up to it are skipped here. A service that ignores `startFrom` lists from the
 * prefix instead: then one S3 page reads at most `MAX_ROUNDS` Azure pages and may come back empty but truncated
 * (clients continue with the token).
 */
import { S3Error } from "@multistore/core";
import { compareUtf8, fromBase64, toBase64, type ListedObject, type ListRequest, type ListResult } from "@multistore/core/backend";
import { azureCall as call } from "./azure-errors.js";
import type { AzureClient, AzureListedBlob } from "./client.js";
import { partCount, toS3Etag } from "./etag.js";
import { metadataValue, PARTS_METADATA } from "./header-mapping.js";
import { isReservedKey, UPLOADS_PREFIX } from "./names.js";
import { s3StorageClassOf } from "./storage-class.js";

/** Azure pages one S3 page may read while entries are being skipped. */
export const MAX_ROUNDS = 5;

/** What the continuation token carries: Azure's marker, and the start key still to apply. */
interface Token {
  /** Azure's NextMarker. */
  m: string;
  /** start-after of the first page. */
  a?: string;
}

function encodeToken(token: Token): string {
  return toBase64(new TextEncoder().encode(JSON.stringify(token))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function decodeToken(text: string): Token {
  const bytes = fromBase64(text);
  try {
    const token = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes)) as Partial<Token>;
    if (typeof token.m === "string" && (token.a === undefined || typeof token.a === "string")) return token as Token;
  } catch {
    // Reported below.
  }
  throw new S3Error("InvalidArgument", { message: "The continuation token provided is incorrect", details: { ArgumentName: "continuation-token" } });
}

/** The `startFrom` for a start key: itself, or (delimited listings) its first level below the prefix. */
function startFromFor(prefix: string, delimiter: string | undefined, after: string): string {
  if (!delimiter || !after.startsWith(prefix)) return after;
  const index = after.indexOf(delimiter, prefix.length);
  return index === -1 ? after : after.slice(0, index);
}

function listedObject(blob: AzureListedBlob): ListedObject {
  const etag = toS3Etag(blob.etag, partCount(metadataValue(blob.metadata, PARTS_METADATA)));
  return { key: blob.name, lastModified: blob.lastModified, etag, size: blob.size, storageClass: s3StorageClassOf(blob.accessTier) ?? "STANDARD" };
}

/**
 * Whether a common prefix belongs after the start key. A start key equal to the prefix covers all of it (V1 paging
 * resumes from a NextMarker that is a common prefix); all its keys are below a start key that sorts after it and
 * does not lie inside it; when the start key lies inside it, one small listing tells whether a later key exists.
 */
async function prefixAfter(client: AzureClient, commonPrefix: string, after: string): Promise<boolean> {
  if (compareUtf8(commonPrefix, after) > 0) return true;
  if (after === commonPrefix || !after.startsWith(commonPrefix)) return false;
  const page = await call(() => client.listBlobs({ prefix: commonPrefix, startFrom: after, maxResults: 2 }));
  return page.blobs.some((blob) => compareUtf8(blob.name, after) > 0);
}

/** One page of keys. */
export async function listObjects(client: AzureClient, request: ListRequest): Promise<ListResult> {
  const { prefix, delimiter } = request;
  const token = request.continuationToken !== undefined ? decodeToken(request.continuationToken) : undefined;
  const after = token ? token.a : request.startAfter || undefined;
  let marker = token?.m;
  const objects: ListedObject[] = [];
  const commonPrefixes: string[] = [];
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const remaining = request.maxKeys - objects.length - commonPrefixes.length;
    if (remaining <= 0) break;
    const startFrom = marker === undefined && after !== undefined ? startFromFor(prefix, delimiter, after) : undefined;
    const page = await call(() =>
      client.listBlobs({ prefix, maxResults: remaining, ...(delimiter && { delimiter }), ...(marker !== undefined && { marker }), ...(startFrom !== undefined && { startFrom }) }),
    );
    for (const blob of page.blobs) {
      if (isReservedKey(blob.name) || (after !== undefined && compareUtf8(blob.name, after) <= 0)) continue;
      objects.push(listedObject(blob));
    }
    for (const common of page.prefixes) {
      if (common.startsWith(UPLOADS_PREFIX) || (after !== undefined && !(await prefixAfter(client, common, after)))) continue;
      commonPrefixes.push(common);
    }
    marker = page.nextMarker || undefined;
    if (marker === undefined) break;
  }
  // S3 lists in UTF-8 byte order; Azure's order may differ for characters outside the BMP.
  objects.sort((x, y) => compareUtf8(x.key, y.key));
  commonPrefixes.sort(compareUtf8);
  const result: ListResult = { objects, commonPrefixes, isTruncated: marker !== undefined };
  if (marker !== undefined) result.nextContinuationToken = encodeToken({ m: marker, ...(after !== undefined && { a: after }) });
  return result;
}
