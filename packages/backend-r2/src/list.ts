/**
 * ListObjects on R2's list. An S3 page holds at most max-keys entries counting keys and common prefixes together,
 * whereas R2's `limit` bounds the objects of a page only (its `delimitedPrefixes` come on top) and a truncated R2
 * page may hold fewer objects than asked. So an S3 page is assembled from as many R2 pages as it takes to see one
 * entry more than max-keys (which proves truncation), merged in UTF-8 byte order, deduplicated (R2 repeats a common
 * prefix that straddles its pages) and cut at max-keys. The continuation token is the last entry returned: the next
 * page resumes after it, and a common prefix as marker also skips every key under it.
 */
import { S3Error } from "@multistore/core";
import type { ListedObject, ListRequest, ListResult } from "@multistore/core/backend";
import { r2Call } from "./r2-errors.js";
import type { R2Bucket, R2Object } from "./r2-types.js";
import { s3StorageClassOf } from "./storage-class.js";

/** A key (with its object) or a common prefix (without). */
interface Entry {
  key: string;
  object?: R2Object;
}

/** R2's largest `limit`. */
const R2_MAX_LIMIT = 1000;

/** Compares strings in UTF-8 byte order, which is code point order (JS `<` compares UTF-16 code units). */
export function compareUtf8(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(j)!;
    if (x !== y) return x < y ? -1 : 1;
    i += x > 0xffff ? 2 : 1;
    j += y > 0xffff ? 2 : 1;
  }
  if (i < a.length) return 1;
  return j < b.length ? -1 : 0;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** Continuation tokens are the last key or common prefix of the page, versioned and base64url encoded. */
export function encodeToken(key: string): string {
  const binary = Array.from(encoder.encode(key), (byte) => String.fromCharCode(byte)).join("");
  return `1.${btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "")}`;
}

/** The key a token carries; InvalidArgument for anything this backend did not issue. */
export function decodeToken(token: string): string {
  try {
    if (!token.startsWith("1.")) throw new Error("unknown version");
    const binary = atob(token.slice(2).replaceAll("-", "+").replaceAll("_", "/"));
    const key = decoder.decode(Uint8Array.from(binary, (char) => char.charCodeAt(0)));
    if (key === "" || encodeToken(key) !== token) throw new Error("not canonical");
    return key;
  } catch {
    throw new S3Error("InvalidArgument", { message: "The continuation token provided is incorrect", details: { ArgumentName: "continuation-token" } });
  }
}

/** S3's name of an R2 storage class. */
function storageClassOf(object: R2Object): string {
  return s3StorageClassOf(object.storageClass) ?? "STANDARD";
}

/** One page of a listing (see the module comment). */
export async function listObjects(bucket: R2Bucket, request: ListRequest): Promise<ListResult> {
  const prefix = request.prefix ?? "";
  const delimiter = request.delimiter || undefined;
  const marker = request.continuationToken !== undefined ? decodeToken(request.continuationToken) : request.startAfter || undefined;
  const result: ListResult = { objects: [], commonPrefixes: [], isTruncated: false };
  if (request.maxKeys <= 0) return result;
  const rollUp = (key: string): string | undefined => {
    if (delimiter === undefined || !key.startsWith(prefix)) return undefined;
    const at = key.indexOf(delimiter, prefix.length);
    return at < 0 ? undefined : key.slice(0, at + delimiter.length);
  };
  let last = marker;
  // A marker that is itself a common prefix (the last entry of the previous page) covers every key under it.
  let covered = marker !== undefined && rollUp(marker) === marker ? marker : undefined;
  const want = request.maxKeys + 1;
  const entries: Entry[] = [];
  let cursor: string | undefined;
  while (entries.length < want) {
    const options = {
      prefix,
      limit: Math.min(R2_MAX_LIMIT, want - entries.length),
      ...(delimiter !== undefined && { delimiter }),
      // R2's cursor carries the position once the first call is made; start-after only places that first call.
      ...(cursor !== undefined ? { cursor } : marker !== undefined && { startAfter: marker }),
    };
    const page = await r2Call(() => bucket.list(options));
    const batch: Entry[] = [...page.objects.map((object) => ({ key: object.key, object })), ...page.delimitedPrefixes.map((key) => ({ key }))];
    batch.sort((a, b) => compareUtf8(a.key, b.key));
    for (const found of batch) {
      // R2 rolls keys up itself; doing it again keeps a key under a covered prefix from slipping through.
      const rolled = found.object === undefined ? undefined : rollUp(found.key);
      const entry = rolled === undefined ? found : { key: rolled };
      // Past the start point: an object after it (rolled up or not), or a prefix after it or holding it (`d1/` holds
      // the start point `d1/a`, and is listed for the keys under it that follow).
      const holdsStart = found.object === undefined && last !== undefined && last.startsWith(entry.key) && last !== entry.key;
      if (last !== undefined && compareUtf8(found.key, last) <= 0 && !holdsStart) continue;
      if (covered !== undefined && entry.key.startsWith(covered)) continue;
      entries.push(entry);
      last = entry.key;
      if (entry.object === undefined) covered = entry.key;
      if (entries.length === want) break;
    }
    if (!page.truncated || page.cursor === undefined) break;
    cursor = page.cursor;
  }
  const page = entries.slice(0, request.maxKeys);
  for (const entry of page) {
    if (entry.object === undefined) {
      result.commonPrefixes.push(entry.key);
    } else {
      const { object } = entry;
      const listed: ListedObject = { key: object.key, lastModified: new Date(object.uploaded), etag: object.httpEtag, size: object.size, storageClass: storageClassOf(object) };
      result.objects.push(listed);
    }
  }
  if (entries.length > request.maxKeys) {
    result.isTruncated = true;
    result.nextContinuationToken = encodeToken(page[page.length - 1]!.key);
  }
  return result;
}
