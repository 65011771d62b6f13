/**
 * GetObject, HeadObject, PutObject, DeleteObject and UploadPart: each becomes one request to a short-lived SAS URL
 * that the runtime sends itself, streaming the body both ways; `mapResponse` turns Azure's answer into S3's.
 */
import { S3Error } from "@multistore/core";
import {
  applyResponseOverrides,
  checkReadConditions,
  invalidRange,
  parseRangeHeader,
  resolveRange,
  type ForwardDispatch,
  type ObjectRequest,
} from "@multistore/core/backend";
import { azureToS3Error, toS3Failure } from "./azure-errors.js";
import type { AzureBlobInfo, AzureClient } from "./client.js";
import { partCount, quoteEtag, toS3Etag } from "./etag.js";
import { azureWriteHeaders, blobPropertiesOf, conditionHeaders, metadataValue, PARTS_METADATA, s3ObjectHeaders } from "./header-mapping.js";
import { readMarker } from "./multipart.js";
import { destinationConditions } from "./write-conditions.js";
import { blockId, newPartTag, stagingTime } from "./block-ids.js";
import { checkKey, checkUploadId } from "./names.js";
import { API_VERSION } from "./sas.js";
import { tagsHeaderValue, tagsOfTaggingHeader } from "./tags.js";
import { accessTierOf, s3StorageClassOf } from "./storage-class.js";

/** What preparing an object operation needs from the backend. */
export interface ObjectContext {
  /** The backend's own requests. */
  client: AzureClient;
  /** A SAS URL of a blob granting `permissions`, with extra query parameters. */
  signedUrl(blob: string, permissions: string, query?: Record<string, string>): Promise<string>;
}

type MapResponse = NonNullable<ForwardDispatch["mapResponse"]>;

/** Azure's failure as the client's S3 error. */
function failure(status: number, headers: Headers): S3Error {
  return azureToS3Error(status, headers.get("x-ms-error-code") ?? undefined);
}

/**
 * GET and HEAD (`head`): metadata and ETag renamed, `response-*` overrides applied (Azure's own need signing; ours
 * don't), a GET's tag count given. A HEAD of a range (`selected`, of an object of `size` bytes) answers 206 with the range's length.
 */
function readResponse(head: boolean, overrides: Record<string, string> | undefined, selected?: { start: number; end: number; size: number }): MapResponse {
  return (status, headers) => {
    if (status >= 400) return failure(status, headers);
    // A range starting at or past the end is unsatisfiable. Azure answers 416 itself; Azurite 3.37 answers
    // `206 bytes 10-9/10` with no body, which would reach clients as an empty success.
    // (A zero-byte blob's is `bytes 0--1/0`.)
    const range = /^bytes (\d+)-(-?\d+)\/(\d+)$/.exec(headers.get("content-range") ?? "");
    if (status === 206 && range && Number(range[1]) > Number(range[2])) return invalidRange(Number(range[3]));
    const out = s3ObjectHeaders(headers);
    const storageClass = s3StorageClassOf(headers.get("x-ms-access-tier"));
    if (storageClass !== undefined) out.set("x-amz-storage-class", storageClass);
    // GetObject says how many tags the object has (HeadObject does not, on S3); Azure says so on both.
    const tagCount = head ? null : headers.get("x-ms-tag-count");
    if (tagCount !== null) out.set("x-amz-tagging-count", tagCount);
    if (status < 300) applyResponseOverrides(out, overrides);
    if (selected !== undefined && status === 200) {
      out.set("content-length", String(selected.end - selected.start + 1));
      out.set("content-range", `bytes ${selected.start}-${selected.end}/${selected.size}`);
      return { status: 206, headers: out };
    }
    return { status, headers: out };
  };
}

/** The bytes a HEAD's range selects (undefined: the whole object); InvalidRange when it starts past the end. */
async function headRange(header: string | null, blob: () => Promise<AzureBlobInfo>): Promise<{ start: number; end: number; size: number } | undefined> {
  const range = parseRangeHeader(header);
  if (range === undefined) return undefined;
  const size = (await blob()).size;
  const selected = resolveRange(range, size);
  return selected && { ...selected, size };
}

/** PUT and Put Block: Azure's 201 is S3's 200, with the ETag S3 clients expect. */
function writeResponse(etag?: string): MapResponse {
  return (status, headers) => {
    if (status >= 300) return failure(status, headers);
    const out = new Headers();
    const value = etag ?? headers.get("etag");
    if (value !== null) out.set("etag", value);
    return { status: 200, headers: out };
  };
}

/**
 * DELETE: S3 answers 204, also for keys that did not exist; a conditional delete (`If-Match`) of a key with no
 * object is NoSuchKey.
 */
function deleteResponse(conditional: boolean): MapResponse {
  return (status, headers) => {
    const missing = status === 404 && headers.get("x-ms-error-code") === "BlobNotFound";
    if (missing && conditional) return new S3Error("NoSuchKey");
    if (status < 300 || missing) return { status: 204, headers: new Headers() };
    return failure(status, headers);
  };
}

/**
 * The Range header to send. Azure serves `bytes=a-` and `bytes=a-b` only, so a suffix range (`bytes=-n`) is resolved
 * against the blob's size first (one extra request; an overwrite in between could shift it). Invalid and multiple
 * ranges are dropped (S3 serves the whole object then).
 */
async function azureRange(header: string | null, blob: () => Promise<AzureBlobInfo>): Promise<string | undefined> {
  const range = parseRangeHeader(header);
  if (range === undefined) return undefined;
  if (range !== "unsatisfiable" && "offset" in range) {
    return `bytes=${range.offset}-${range.length === undefined ? "" : range.offset + range.length - 1}`;
  }
  const resolved = resolveRange(range, (await blob()).size);
  return resolved && `bytes=${resolved.start}-${resolved.end}`;
}

/** The blob's properties, asked once however many steps need them (NoSuchKey when there is no blob). */
function blobOnce(context: ObjectContext, key: string): () => Promise<AzureBlobInfo> {
  let asked: Promise<AzureBlobInfo> | undefined;
  return () =>
    (asked ??= context.client.properties(key).then(
      (info) => {
        if (info === undefined) throw new S3Error("NoSuchKey");
        return info;
      },
      (error: unknown) => {
        throw toS3Failure(error);
      },
    ));
}

/**
 * A read's conditions, evaluated here as S3 evaluates them: Azure differs (it refuses `If-None-Match: *` on reads,
 * takes one ETag where S3 takes a list, and compares dates S3 ignores as invalid). One properties request, made only
 * when the client sent a condition; 304 and 412 are thrown. A read that asked for one version (If-Match,
 * If-Unmodified-Since) is then pinned to the ETag checked, so an overwrite in between is 412, never another object.
 */
async function readConditions(s3Headers: Headers, blob: () => Promise<AzureBlobInfo>): Promise<string | undefined> {
  const pinned = s3Headers.has("if-match") || s3Headers.has("if-unmodified-since");
  if (!pinned && !s3Headers.has("if-none-match") && !s3Headers.has("if-modified-since")) return undefined;
  const info = await blob();
  checkReadConditions(s3Headers, toS3Etag(info.etag, partCount(metadataValue(info.metadata, PARTS_METADATA))), info.lastModified);
  return pinned ? quoteEtag(info.etag) : undefined;
}

/** Prepares one object operation as a forward to a SAS URL. */
export async function prepareObject(context: ObjectContext, request: ObjectRequest): Promise<ForwardDispatch> {
  const { key, headers: s3Headers } = request;
  checkKey(key);
  // S3 names the only version of an unversioned object "null"; Azure blob versions are not mapped.
  if (request.versionId !== undefined && request.versionId !== "null") {
    throw new S3Error("NotImplemented", { message: "Object versions are not supported by the az backend." });
  }
  const headers = new Headers({ "x-ms-version": API_VERSION });
  const contentLength = s3Headers.get("content-length");
  const contentMd5 = s3Headers.get("content-md5");
  switch (request.operation) {
    case "GetObject":
    case "HeadObject": {
      const blob = blobOnce(context, key);
      const pin = await readConditions(s3Headers, blob);
      if (pin !== undefined) headers.set("if-match", pin);
      if (request.operation === "HeadObject") {
        // Get Blob Properties ignores Range; S3's HeadObject answers for the range (206 and its length, or 416).
        const selected = await headRange(s3Headers.get("range"), blob);
        return { type: "forward", method: "HEAD", url: await context.signedUrl(key, "r"), headers, mapResponse: readResponse(true, request.responseOverrides, selected) };
      }
      const range = await azureRange(s3Headers.get("range"), blob);
      if (range !== undefined) headers.set("range", range);
      return { type: "forward", method: "GET", url: await context.signedUrl(key, "r"), headers, mapResponse: readResponse(false, request.responseOverrides) };
    }
    case "PutObject": {
      // Tags asked for at write time are set with the blob (and need the SAS's tag permission); checked first.
      const tags = tagsHeaderValue(tagsOfTaggingHeader(s3Headers.get("x-amz-tagging")));
      const tier = accessTierOf(s3Headers);
      headers.set("x-ms-blob-type", "BlockBlob");
      if (tier !== undefined) headers.set("x-ms-access-tier", tier);
      if (contentLength !== null) headers.set("content-length", contentLength);
      // Azure checks a Content-MD5 against the body and stores it.
      if (contentMd5 !== null) headers.set("content-md5", contentMd5);
      for (const [name, value] of Object.entries(azureWriteHeaders(blobPropertiesOf(s3Headers)))) headers.set(name, value);
      for (const [name, value] of Object.entries(conditionHeaders((await destinationConditions(context.client, key, s3Headers)) ?? {}))) headers.set(name, value);
      if (tags !== undefined) headers.set("x-ms-tags", tags);
      return { type: "forward", method: "PUT", url: await context.signedUrl(key, tags === undefined ? "cw" : "cwt"), headers, mapResponse: writeResponse() };
    }
    case "DeleteObject": {
      // Without it Azure refuses to delete a blob that has snapshots.
      headers.set("x-ms-delete-snapshots", "include");
      // S3's conditional delete: Delete Blob evaluates If-Match itself (412 ConditionNotMet); a key with no object is
      // NoSuchKey (one properties request first, as for a conditional write).
      const ifMatch = s3Headers.get("if-match");
      const conditions = ifMatch === null ? undefined : await destinationConditions(context.client, key, new Headers({ "if-match": ifMatch }));
      for (const [name, value] of Object.entries(conditionHeaders(conditions ?? {}))) headers.set(name, value);
      return { type: "forward", method: "DELETE", url: await context.signedUrl(key, "d"), headers, mapResponse: deleteResponse(ifMatch !== null) };
    }
    case "UploadPart": {
      const uploadId = request.uploadId ?? "";
      checkUploadId(uploadId);
      // The marker proves the upload exists (and was not aborted) and belongs to this key.
      await readMarker(context.client, key, uploadId);
      const part = newPartTag(contentMd5);
      if (contentLength !== null) headers.set("content-length", contentLength);
      if (contentMd5 !== null) headers.set("content-md5", contentMd5);
      const id = blockId(uploadId, request.partNumber ?? 0, part, stagingTime());
      const url = await context.signedUrl(key, "w", { comp: "block", blockid: id });
      return { type: "forward", method: "PUT", url, headers, mapResponse: writeResponse(part.etag) };
    }
    default:
      throw new S3Error("NotImplemented");
  }
}
