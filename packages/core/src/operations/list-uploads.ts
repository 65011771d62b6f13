/**
 * ListMultipartUploads: the uploads in progress under a prefix, as the bucket's backend lists them. Clients see their
 * own keys and the gateway's upload ids (bound to bucket and key, see upload-ids.ts), never the backend's; keys roll up
 * into common prefixes at a delimiter; pages follow `key-marker` and `upload-id-marker`. A backend that cannot list
 * uploads lists none (it could not list their parts either, which is what a client that finds an upload does next).
 */
import { isS3Error, S3Error } from "../errors.js";
import { keyPrefixOf } from "../keys.js";
import { xmlDate, xmlResponse } from "../responses.js";
import { stripViewPrefix, type ListingView } from "../target-mapping.js";
import type { UploadIdCodec } from "../upload-ids.js";
import { childElements, childText, xmlElement, type XmlElement } from "../xml.js";
import { asNamed, storageClassIn, wholeNumber } from "./list-parts.js";
import { echoable, listingParameters, personXml, skipCommonPrefix, type Owner } from "./list.js";
import type { Backend, BucketConfig, ListedUpload, ListUploadsRequest, ListUploadsResult, PlainResponse } from "../types.js";

/** S3's largest (and default) page of uploads. */
export const MAX_UPLOADS_PER_PAGE = 1000;

/**
 * Backend pages one answer reads at most. Rolling up a prefix skips its uploads page by page; past this many pages the
 * answer ends early (truncated, markers at its last entry), as S3 allows, rather than making one request take long.
 */
const MAX_BACKEND_PAGES = 10;

/** Appended to a common prefix, sorts after every key that starts with it (the largest code point). */
const AFTER_EVERY_KEY = "\u{10FFFF}";

/** Which bucket ListMultipartUploads answers about, and the names the client uses. */
export interface ListUploadsTarget {
  /** The bucket configuration that serves the request (its backend prefix is taken off keys). */
  bucket: BucketConfig;
  /** The bucket name upload ids are bound to (the one CreateMultipartUpload was called with). */
  bucketName: string;
  /** How the listing is shown when a target mapping mapped the client's bucket and prefix onto this bucket. */
  view?: ListingView;
}

/** One entry of the answer: an upload, or a common prefix standing for every upload under it (backend keys). */
type Entry = { upload: ListedUpload } | { commonPrefix: string };

/** The backend id inside a client's `upload-id-marker`; S3 answers a marker it cannot read with InvalidArgument. */
async function backendMarker(uploadIds: UploadIdCodec, bucketName: string, key: string, marker: string): Promise<string> {
  try {
    return await uploadIds.unwrap(bucketName, key, marker);
  } catch (error) {
    if (!isS3Error(error) || error.code !== "NoSuchUpload") throw error;
    throw new S3Error("InvalidArgument", { message: "Invalid uploadId marker", details: { ArgumentName: "upload-id-marker", ArgumentValue: marker } });
  }
}

/**
 * Reads backend pages until `maxUploads` entries are found (and one more tells that the listing goes on), rolling keys
 * up at `delimiter`. Uploads of keys outside `prefix` are never listed, whatever the backend returns.
 */
async function collect(
  list: (request: ListUploadsRequest) => Promise<ListUploadsResult>,
  first: ListUploadsRequest,
  delimiter: string | undefined,
): Promise<{ entries: Entry[]; isTruncated: boolean }> {
  const { prefix, maxUploads } = first;
  const entries: Entry[] = [];
  let rolledUp: string | undefined;
  let request = first;
  for (let pages = 1; ; pages++) {
    const page = await list(request);
    for (const upload of page.uploads) {
      if (!upload.key.startsWith(prefix) || (rolledUp !== undefined && upload.key.startsWith(rolledUp))) continue;
      if (entries.length === maxUploads) return { entries, isTruncated: true };
      const cut = delimiter === undefined ? -1 : upload.key.indexOf(delimiter, prefix.length);
      if (cut === -1) {
        entries.push({ upload });
      } else {
        rolledUp = upload.key.slice(0, cut + delimiter!.length);
        entries.push({ commonPrefix: rolledUp });
      }
    }
    const last = page.uploads.at(-1);
    if (!page.isTruncated || last === undefined) return { entries, isTruncated: false };
    // Full, and ending with an upload: the store has more uploads under the prefix, and none of them can fall under a
    // prefix already rolled up (the keys under one are contiguous), so the answer goes on without asking for a page
    // only to learn that.
    if (entries.length === maxUploads && "upload" in entries[entries.length - 1]!) return { entries, isTruncated: true };
    if (pages === MAX_BACKEND_PAGES) return { entries, isTruncated: entries.length > 0 };
    // Inside a rolled-up prefix, the next page starts past all of it.
    request = rolledUp !== undefined && last.key.startsWith(rolledUp)
      ? { prefix, maxUploads, keyMarker: rolledUp + AFTER_EVERY_KEY }
      : { prefix, maxUploads, keyMarker: last.key, uploadIdMarker: last.uploadId };
  }
}

/**
 * ListMultipartUploads: `max-uploads` (default and cap 1000) entries after `key-marker` / `upload-id-marker`, under
 * `prefix`, rolled up at `delimiter`, keys URL-encoded with `encoding-type=url`. Authorization (a listing of the
 * prefix) happened at admission.
 */
export async function listMultipartUploads(
  backend: Backend<unknown>,
  target: ListUploadsTarget,
  query: { get(name: string): string | undefined },
  owner: Owner,
  uploadIds: UploadIdCodec,
): Promise<PlainResponse<never>> {
  const { bucket, bucketName, view } = target;
  const { clientPrefix, prefix, shown, delimiter, encodingType, encode } = listingParameters(query, view);
  const maxUploads = Math.min(wholeNumber(query.get("max-uploads"), "max-uploads", MAX_UPLOADS_PER_PAGE), MAX_UPLOADS_PER_PAGE);
  const clientKeyMarker = query.get("key-marker") ?? "";
  if (encodingType === undefined) echoable("key-marker", clientKeyMarker);
  const keyMarker = clientKeyMarker === "" ? "" : stripViewPrefix(view, clientKeyMarker);
  // As on S3: without a key-marker, an upload-id-marker is ignored (and not echoed).
  const uploadIdMarker = clientKeyMarker === "" ? "" : (query.get("upload-id-marker") ?? "");
  const backendIdMarker = uploadIdMarker === "" ? undefined : await backendMarker(uploadIds, bucketName, keyMarker, uploadIdMarker);

  const backendPrefix = keyPrefixOf(bucket);
  let listed: { entries: Entry[]; isTruncated: boolean } = { entries: [], isTruncated: false };
  if (maxUploads > 0 && backend.listMultipartUploads) {
    const first: ListUploadsRequest = { prefix: backendPrefix + prefix, maxUploads };
    if (keyMarker !== "") {
      // A key-marker naming a common prefix (a previous page's last entry) starts after everything under it.
      first.keyMarker = backendPrefix + (backendIdMarker === undefined ? skipCommonPrefix(keyMarker, prefix, delimiter) : keyMarker);
      if (backendIdMarker !== undefined) first.uploadIdMarker = backendIdMarker;
    }
    listed = await collect((request) => backend.listMultipartUploads!(request), first, delimiter);
  }

  const inBucket = (key: string) => key.slice(backendPrefix.length);
  const person = personXml(owner);
  let uploads = "";
  let commonPrefixes = "";
  let nextKeyMarker = "";
  let nextUploadIdMarker = "";
  for (const entry of listed.entries) {
    if ("commonPrefix" in entry) {
      nextKeyMarker = shown + inBucket(entry.commonPrefix);
      nextUploadIdMarker = "";
      commonPrefixes += `<CommonPrefixes>${xmlElement("Prefix", encode(nextKeyMarker))}</CommonPrefixes>`;
      continue;
    }
    const key = inBucket(entry.upload.key);
    nextKeyMarker = shown + key;
    nextUploadIdMarker = await uploadIds.wrap(bucketName, key, entry.upload.uploadId);
    uploads +=
      `<Upload>${xmlElement("Key", encode(nextKeyMarker))}${xmlElement("UploadId", nextUploadIdMarker)}<Initiator>${person}</Initiator>` +
      `<Owner>${person}</Owner>${xmlElement("StorageClass", entry.upload.storageClass ?? "STANDARD")}${xmlElement("Initiated", xmlDate(entry.upload.initiated))}</Upload>`;
  }
  return xmlResponse(
    "ListMultipartUploadsResult",
    xmlElement("Bucket", view?.name ?? bucket.name) +
      xmlElement("KeyMarker", encode(clientKeyMarker)) +
      xmlElement("UploadIdMarker", uploadIdMarker) +
      xmlElement("NextKeyMarker", encode(nextKeyMarker)) +
      xmlElement("Prefix", encode(clientPrefix)) +
      (delimiter === undefined ? "" : xmlElement("Delimiter", encode(delimiter))) +
      xmlElement("NextUploadIdMarker", nextUploadIdMarker) +
      xmlElement("MaxUploads", maxUploads) +
      xmlElement("IsTruncated", listed.isTruncated) +
      uploads +
      commonPrefixes +
      (encodingType === undefined ? "" : xmlElement("EncodingType", encodingType)),
  );
}

/**
 * Reads a ListMultipartUploadsResult document from a backend that speaks S3's XML API (S3 and its compatibles, GCS's
 * XML API), for backends' `listMultipartUploads`; keys are URL-decoded when the document says `EncodingType` url.
 * `storageClassOf` names an upload's class as S3 does (default: as the document names it).
 */
export function parseListMultipartUploadsResult(root: XmlElement, storageClassOf: (named: string) => string | undefined = asNamed): ListUploadsResult {
  const encoded = childText(root, "EncodingType") === "url";
  const decode = (value: string) => (encoded ? decodeURIComponent(value.replace(/\+/g, "%20")) : value);
  const uploads = childElements(root, "Upload").map((upload) => {
    const storageClass = storageClassIn(upload, storageClassOf);
    return {
      key: decode(childText(upload, "Key") ?? ""),
      uploadId: childText(upload, "UploadId") ?? "",
      initiated: new Date(childText(upload, "Initiated") ?? 0),
      ...(storageClass !== undefined && { storageClass }),
    };
  });
  return { uploads, isTruncated: childText(root, "IsTruncated") === "true" };
}
