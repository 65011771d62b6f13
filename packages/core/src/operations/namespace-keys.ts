/**
 * A namespace listed without a delimiter (`aws s3 ls --recursive s3://account/`, `aws s3 sync s3://account/ dir`):
 * S3 lists every key below the prefix and no common prefix, so the keys of every mapped bucket the caller may list
 * are listed, each under its bucket's path (`product/key`), in key order across buckets. Pages continue after the
 * last key shown (V1 marker, V2 continuation token, start-after), whichever bucket it is in.
 */
import { isAllowed } from "../authorize.js";
import { S3Error } from "../errors.js";
import { fromBase64, toBase64 } from "../encoding.js";
import { keyPrefixOf } from "../keys.js";
import { xmlResponse } from "../responses.js";
import { xmlElement } from "../xml.js";
import { compareUtf8, contentsXml, echoable, listingParameters, parseMaxKeys, type Owner } from "./list.js";
import type { NamespaceListing } from "../target-mapping.js";
import type { Query } from "../s3-request.js";
import type { Backend, BucketConfig, Identity, ListedObject, PlainResponse } from "../types.js";

/** What listing a namespace's keys needs besides the request. */
export interface NamespaceKeysContext {
  /** The caller (each bucket's keys are listed only where it may list them). */
  identity: Identity;
  /** Owner shown in V1 listings and with `fetch-owner`. */
  owner: Owner;
  /** The backend serving a bucket configuration. */
  backendFor(bucket: BucketConfig): Backend<unknown>;
}

/**
 * A bucket's path under the namespace, as the client reaches it (`product/`); undefined for a bucket the mapping
 * cannot reach (fewer segments than it needs). With `segments` known, only the first separators are levels: the last
 * segment keeps any separator it holds, as the mapping joins the client's segments.
 */
export function namespacePath(namespace: NamespaceListing, bucket: BucketConfig): string | undefined {
  const rest = bucket.name.slice(namespace.bucketPrefix.length);
  const { separator, segments } = namespace;
  if (segments === undefined) return `${rest.split(separator).join("/")}/`;
  const parts: string[] = [];
  let remaining = rest;
  while (parts.length < segments - 1) {
    const at = remaining.indexOf(separator);
    if (at === -1) return undefined;
    parts.push(remaining.slice(0, at));
    remaining = remaining.slice(at + separator.length);
  }
  parts.push(remaining);
  return parts.some((part) => part === "") ? undefined : `${parts.join("/")}/`;
}

/** The first key to list after `start` in a bucket at `path`: undefined for all of it, null for none of it. */
function startIn(path: string, start: string | undefined): string | undefined | null {
  if (start === undefined || compareUtf8(start, path) < 0) return undefined;
  if (start.startsWith(path)) return start.slice(path.length);
  // `start` sorts after `path` and does not begin with it: it sorts after every key of the bucket.
  return null;
}

/**
 * Where a namespace listing's page starts: after the V2 continuation token (the last name of the previous page,
 * base64; an empty or undecodable one is InvalidArgument), else after the V1 marker or V2 start-after.
 */
export function namespaceStart(version: 1 | 2, query: Query, encodingType: string | undefined): { token: string | undefined; clientStart: string | undefined; start: string | undefined } {
  const token = version === 2 ? query.get("continuation-token") : undefined;
  const decoded = token === undefined ? undefined : fromBase64(token);
  if (token !== undefined && (token === "" || decoded === undefined)) throw new S3Error("InvalidArgument", { message: "The continuation token provided is incorrect" });
  const clientStart = version === 1 ? query.get("marker") : query.get("start-after");
  if (clientStart !== undefined && encodingType === undefined) echoable(version === 1 ? "marker" : "start-after", clientStart);
  return { token, clientStart, start: decoded !== undefined ? new TextDecoder().decode(decoded) : clientStart };
}

/** A page of a namespace listing, as its document's head tells it. */
export interface NamespacePage {
  /** The client's prefix. */
  prefix: string;
  /** The page's start, as `namespaceStart` read it. */
  start: { token: string | undefined; clientStart: string | undefined };
  /** Keys and prefixes listed. */
  count: number;
  /** The last of them (where the next page starts). */
  last: string | undefined;
  /** Whether more follows. */
  truncated: boolean;
  /** The page's size. */
  maxKeys: number;
}

/**
 * The `ListBucketResult` elements before the entries, for V1 or V2: markers and tokens, encoding, delimiter (V1's
 * `NextMarker` only with one, as S3 sends it).
 */
export function namespaceListingHead(version: 1 | 2, namespace: NamespaceListing, query: Query, page: NamespacePage): string {
  const { delimiter, encodingType, encode } = listingParameters(query, undefined);
  const { token, clientStart } = page.start;
  let head = xmlElement("Name", namespace.name) + xmlElement("Prefix", encode(page.prefix));
  if (version === 1) {
    head += xmlElement("Marker", encode(clientStart ?? ""));
    if (delimiter !== undefined && page.truncated && page.last !== undefined) head += xmlElement("NextMarker", encode(page.last));
  } else {
    head += xmlElement("KeyCount", page.count);
    if (token !== undefined) head += xmlElement("ContinuationToken", token);
    if (page.truncated && page.last !== undefined) head += xmlElement("NextContinuationToken", toBase64(new TextEncoder().encode(page.last)));
    if (clientStart !== undefined) head += xmlElement("StartAfter", encode(clientStart));
  }
  head += xmlElement("MaxKeys", page.maxKeys);
  if (delimiter !== undefined) head += xmlElement("Delimiter", encode(delimiter));
  if (encodingType) head += xmlElement("EncodingType", encodingType);
  return head + xmlElement("IsTruncated", page.truncated);
}

/** ListObjects V1 or V2 of a namespace without a delimiter, over the buckets the caller may use. */
export async function listNamespaceKeys(version: 1 | 2, namespace: NamespaceListing, query: Query, usable: readonly BucketConfig[], context: NamespaceKeysContext): Promise<PlainResponse<never>> {
  const { clientPrefix, encodingType, encode } = listingParameters(query, undefined);
  const maxKeys = parseMaxKeys(query.get("max-keys"));
  const { token, clientStart, start } = namespaceStart(version, query, encodingType);
  const buckets = usable
    .map((bucket) => ({ bucket, path: namespacePath(namespace, bucket) }))
    .filter((entry): entry is { bucket: BucketConfig; path: string } => entry.path !== undefined && (entry.path.startsWith(clientPrefix) || clientPrefix.startsWith(entry.path)))
    .sort((left, right) => compareUtf8(left.path, right.path));
  const listed: { key: string; object: ListedObject }[] = [];
  let truncated = false;
  // max-keys=0 lists nothing and says nothing follows, as a bucket's listing does.
  for (const { bucket, path } of maxKeys === 0 ? [] : buckets) {
    const inner = startIn(path, start);
    if (inner === null) continue;
    const prefix = clientPrefix.startsWith(path) ? clientPrefix.slice(path.length) : "";
    // A bucket whose keys the caller may not list is left out, as the namespace's own listing leaves it out.
    if (!isAllowed(context.identity, "list_bucket", bucket, { listPrefix: prefix })) continue;
    if (listed.length === maxKeys) {
      // The page is full: whether anything follows is told by the next bucket that has a key.
      const next = await context.backendFor(bucket).listObjects({ prefix: keyPrefixOf(bucket) + prefix, maxKeys: 1, ...(inner && { startAfter: keyPrefixOf(bucket) + inner }) });
      if (next.objects.length > 0) {
        truncated = true;
        break;
      }
      continue;
    }
    const backend = context.backendFor(bucket);
    const backendPrefix = keyPrefixOf(bucket);
    let continuationToken: string | undefined;
    for (;;) {
      const page = await backend.listObjects({
        prefix: backendPrefix + prefix,
        maxKeys: maxKeys - listed.length,
        ...(continuationToken === undefined && inner && { startAfter: backendPrefix + inner }),
        ...(continuationToken !== undefined && { continuationToken }),
      });
      for (const object of page.objects) listed.push({ key: path + object.key.slice(backendPrefix.length), object });
      if (!page.isTruncated || !page.nextContinuationToken) break;
      if (listed.length >= maxKeys) {
        truncated = true;
        break;
      }
      continuationToken = page.nextContinuationToken;
    }
    if (truncated) break;
  }
  const last = listed.at(-1)?.key;
  const fetchOwner = version === 1 || query.get("fetch-owner") === "true";
  const contents = listed.map(({ key, object }) => contentsXml(encode(key), object, fetchOwner ? context.owner : undefined)).join("");
  const head = namespaceListingHead(version, namespace, query, { prefix: clientPrefix, start: { token, clientStart }, count: listed.length, last, truncated, maxKeys });
  return xmlResponse("ListBucketResult", head + contents);
}
