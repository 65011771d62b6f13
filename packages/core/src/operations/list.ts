/** ListBuckets, ListObjects (V1) and ListObjectsV2, rendered from a backend page. */
import { keyPrefixOf } from "../keys.js";
import { canUseBucket, authorize } from "../authorize.js";
import { S3Error } from "../errors.js";
import { uriEncode } from "../encoding.js";
import { xmlResponse, xmlDate } from "../responses.js";
import { isXmlText, xmlElement } from "../xml.js";
import { parseWholeNumber } from "../query-numbers.js";
import type { Query } from "../s3-request.js";
import { stripViewPrefix, type ListingView } from "../target-mapping.js";
import type { Backend, BucketConfig, BucketRegistry, Identity, ListedObject, ListRequest, ListResult, PlainResponse } from "../types.js";

/** The owner shown in listings. */
export interface Owner {
  /** `owner_id`. */
  id: string;
  /** `owner_display_name`. */
  displayName: string;
}

/** Largest page S3 returns (and the default). */
export const MAX_KEYS = 1000;

/** An owner's `ID` and `DisplayName` elements (inside `<Owner>`, or ListMultipartUploads' `<Initiator>`). */
export function personXml(owner: Owner): string {
  return `${xmlElement("ID", owner.id)}${xmlElement("DisplayName", owner.displayName)}`;
}

function ownerXml(owner: Owner): string {
  return `<Owner>${personXml(owner)}</Owner>`;
}

/** ListBuckets: only the buckets the caller can use. */
export async function listBuckets(registry: BucketRegistry, identity: Identity, owner: Owner, createdAt: Date): Promise<PlainResponse<never>> {
  const buckets = (await registry.listBuckets()).filter((bucket) => canUseBucket(identity, bucket));
  const items = buckets
    .map((bucket) => `<Bucket>${xmlElement("Name", bucket.name)}${xmlElement("CreationDate", xmlDate(createdAt))}</Bucket>`)
    .join("");
  return xmlResponse("ListAllMyBucketsResult", `${ownerXml(owner)}<Buckets>${items}</Buckets>`);
}

/** Reads `max-keys`: any whole number (however long), capped at `MAX_KEYS`; absent gives `MAX_KEYS`. */
export function parseMaxKeys(value: string | undefined): number {
  return Math.min(parseWholeNumber(value, MAX_KEYS, { name: "max-keys", message: "max-keys must be a non-negative integer." }), MAX_KEYS);
}

/**
 * Moves a start key that names a common prefix past everything under it, so the next page does not repeat the
 * prefix (S3 behaves this way for NextMarker values that are common prefixes).
 */
export function skipCommonPrefix(startAfter: string, prefix: string, delimiter: string | undefined): string {
  if (!delimiter || !startAfter.startsWith(prefix) || !startAfter.endsWith(delimiter)) return startAfter;
  if (startAfter.indexOf(delimiter, prefix.length) !== startAfter.length - delimiter.length) return startAfter;
  return `${startAfter}\u{10FFFF}`;
}

/** What ListObjects, ListObjectVersions and ListMultipartUploads read alike from a listing's query (under a mapping's view). */
export interface ListingParameters {
  /** `prefix` as the client sent it. */
  clientPrefix: string;
  /** The prefix in the bucket (the view's prefix taken off). */
  prefix: string;
  /** What the view puts in front of keys shown to the client. */
  shown: string;
  /** `delimiter`, when not empty. */
  delimiter: string | undefined;
  /** `encoding-type` when given (only `url` is accepted). */
  encodingType: string | undefined;
  /** Encodes a shown key or prefix as `encoding-type` asks (`url`, or as it is). */
  encode(value: string): string;
}


/**
 * Refuses a parameter the listing echoes that its XML could not carry: the client's parser would refuse the whole
 * answer. With `encoding-type=url` it is echoed encoded, and fine.
 */
export function echoable(name: string, value: string): void {
  if (!isXmlText(value)) {
    throw new S3Error("InvalidArgument", { message: `${name} holds a character XML cannot carry; list with encoding-type=url.`, details: { ArgumentName: name } });
  }
}

/** Reads a listing's prefix, delimiter and encoding; InvalidArgument for an encoding other than `url`. */
export function listingParameters(query: { get(name: string): string | undefined }, view: ListingView | undefined): ListingParameters {
  const clientPrefix = query.get("prefix") ?? "";
  const encodingType = query.get("encoding-type");
  if (encodingType !== undefined && encodingType !== "url") {
    throw new S3Error("InvalidArgument", { message: "Invalid Encoding Method specified in Request", details: { ArgumentName: "encoding-type" } });
  }
  const delimiter = query.get("delimiter") || undefined;
  if (encodingType === undefined) {
    echoable("prefix", clientPrefix);
    if (delimiter !== undefined) echoable("delimiter", delimiter);
  }
  return {
    clientPrefix,
    prefix: stripViewPrefix(view, clientPrefix),
    shown: view?.keyPrefix ?? "",
    delimiter,
    encodingType,
    encode: (value) => (encodingType === "url" ? uriEncode(value, true) : value),
  };
}

/** Backend pages a listing paged by markers reads at most to find an entry (see `markerPage`). */
const MAX_EMPTY_PAGES = 10;

/**
 * One page of a listing paged by markers (ListObjects V1, ListObjectVersions): the client's next page starts after
 * this page's last entry, so a page that is truncated must hold one. A backend may answer a truncated page without
 * any (the az backend skips its reserved blobs for a bounded number of Azure pages): its continuation is read, in
 * full pages, until entries come, then cut to `maxKeys` in key order. Past `MAX_EMPTY_PAGES` the listing is refused
 * (503), never answered truncated with nothing to continue from, which clients take for its end.
 */
export async function markerPage(backend: Backend<unknown>, request: ListRequest): Promise<ListResult> {
  let page = await backend.listObjects(request);
  for (let pages = 1; page.isTruncated && page.objects.length === 0 && page.commonPrefixes.length === 0; pages++) {
    if (page.nextContinuationToken === undefined || pages >= MAX_EMPTY_PAGES) {
      throw new S3Error("ServiceUnavailable", { message: "The listing found no entry to continue from; try again.", cause: new Error(`${pages} truncated backend pages without an entry`) });
    }
    page = await backend.listObjects({ ...request, maxKeys: MAX_KEYS, continuationToken: page.nextContinuationToken });
    const entries = page.objects.length + page.commonPrefixes.length;
    if (entries > request.maxKeys) page = cutPage(page, request.maxKeys);
  }
  return page;
}

/** The first `maxKeys` entries of a page (keys and common prefixes in key order), truncated. */
function cutPage(page: ListResult, maxKeys: number): ListResult {
  const entries = [...page.objects.map((object) => ({ key: object.key, object })), ...page.commonPrefixes.map((prefix) => ({ key: prefix, object: undefined }))];
  const kept = entries.sort((a, b) => compareUtf8(a.key, b.key)).slice(0, maxKeys);
  return {
    objects: kept.flatMap((entry) => (entry.object === undefined ? [] : [entry.object])),
    commonPrefixes: kept.flatMap((entry) => (entry.object === undefined ? [entry.key] : [])),
    isTruncated: true,
  };
}

/** ListObjects V1 or V2 for one bucket: authorizes the prefix, asks the backend for a page (see `markerPage`), renders it. */
export async function listObjects(
  version: 1 | 2,
  bucket: BucketConfig,
  backend: Backend<unknown>,
  query: Query,
  identity: Identity,
  owner: Owner,
  /** How the listing is shown when the client's bucket and prefix were mapped onto this bucket. */
  view?: ListingView,
): Promise<PlainResponse<never>> {
  const { clientPrefix, prefix, shown, delimiter, encodingType, encode } = listingParameters(query, view);
  authorize(identity, "list_bucket", bucket, { listPrefix: prefix });
  const maxKeys = parseMaxKeys(query.get("max-keys"));
  const backendPrefix = keyPrefixOf(bucket);
  const clientStartKey = version === 1 ? query.get("marker") : query.get("start-after");
  if (clientStartKey !== undefined && encodingType === undefined) echoable(version === 1 ? "marker" : "start-after", clientStartKey);
  const startKey = clientStartKey === undefined ? undefined : stripViewPrefix(view, clientStartKey);
  const continuationToken = version === 2 ? query.get("continuation-token") : undefined;
  if (continuationToken === "") throw new S3Error("InvalidArgument", { message: "The continuation token provided is incorrect" });

  let page: ListResult = { objects: [], commonPrefixes: [], isTruncated: false };
  if (maxKeys > 0) {
    const request: ListRequest = {
      prefix: backendPrefix + prefix,
      maxKeys,
      ...(delimiter !== undefined && { delimiter }),
      ...(startKey && { startAfter: backendPrefix + skipCommonPrefix(startKey, prefix, delimiter) }),
      ...(continuationToken !== undefined && { continuationToken }),
    };
    // V2 hands the backend's continuation to the client; V1 pages by its last entry, which a truncated page must have.
    page = version === 2 ? await backend.listObjects(request) : await markerPage(backend, request);
  }
  const strip = (key: string) => shown + (key.startsWith(backendPrefix) ? key.slice(backendPrefix.length) : key);
  const fetchOwner = version === 1 || query.get("fetch-owner") === "true";
  const contents = page.objects.map((object) => contentsXml(encode(strip(object.key)), object, fetchOwner ? owner : undefined)).join("");
  const prefixes = page.commonPrefixes.map((common) => `<CommonPrefixes>${xmlElement("Prefix", encode(strip(common)))}</CommonPrefixes>`).join("");
  let head = xmlElement("Name", view?.name ?? bucket.name) + xmlElement("Prefix", encode(clientPrefix));
  if (version === 1) {
    head += xmlElement("Marker", encode(clientStartKey ?? ""));
    const last = [...page.objects.map((object) => object.key), ...page.commonPrefixes].sort(compareUtf8).pop();
    if (page.isTruncated && delimiter !== undefined && last !== undefined) head += xmlElement("NextMarker", encode(strip(last)));
  } else {
    head += xmlElement("KeyCount", page.objects.length + page.commonPrefixes.length);
    if (continuationToken !== undefined) head += xmlElement("ContinuationToken", continuationToken);
    if (page.isTruncated && page.nextContinuationToken) head += xmlElement("NextContinuationToken", page.nextContinuationToken);
    if (clientStartKey !== undefined) head += xmlElement("StartAfter", encode(clientStartKey));
  }
  head += xmlElement("MaxKeys", maxKeys);
  if (delimiter !== undefined) head += xmlElement("Delimiter", encode(delimiter));
  if (encodingType) head += xmlElement("EncodingType", encodingType);
  head += xmlElement("IsTruncated", page.isTruncated);
  return xmlResponse("ListBucketResult", head + contents + prefixes);
}

/** One listed object as a listing's `<Contents>` (`key` as shown, encoded), with its owner when asked for. */
export function contentsXml(key: string, object: ListedObject, owner: Owner | undefined): string {
  return (
    `<Contents>${xmlElement("Key", key)}${xmlElement("LastModified", xmlDate(object.lastModified))}${xmlElement("ETag", object.etag)}` +
    `${xmlElement("Size", object.size)}${owner ? ownerXml(owner) : ""}${xmlElement("StorageClass", object.storageClass ?? "STANDARD")}</Contents>`
  );
}

const encoder = new TextEncoder();

/** Orders strings by their UTF-8 bytes, as S3 orders keys. */
export function compareUtf8(a: string, b: string): number {
  const left = encoder.encode(a);
  const right = encoder.encode(b);
  const length = Math.min(left.length, right.length);
  for (let index = 0; index < length; index++) if (left[index] !== right[index]) return left[index]! - right[index]!;
  return left.length - right.length;
}
