/**
 * ListObjectVersions of a bucket whose versioning was never enabled, as GetBucketVersioning says of every bucket here:
 * each object is its only version, `null`, and the latest; no delete markers. Tools that list versions (rclone's
 * `--s3-versions`, s3fs's version-aware mode, `aws s3api list-object-versions`, backup tools) see what S3 shows for
 * such a bucket. Pages follow `key-marker` (and `version-id-marker`, which can only be `null`).
 */
import { authorize } from "../authorize.js";
import { S3Error } from "../errors.js";
import { keyPrefixOf } from "../keys.js";
import { xmlDate, xmlResponse } from "../responses.js";
import { stripViewPrefix, type ListingView } from "../target-mapping.js";
import { xmlElement } from "../xml.js";
import { compareUtf8, echoable, listingParameters, markerPage, parseMaxKeys, personXml, skipCommonPrefix, type Owner } from "./list.js";
import type { Query } from "../s3-request.js";
import type { Backend, BucketConfig, Identity, ListResult, PlainResponse } from "../types.js";

/** The only version of an object in a bucket never versioned. */
const NULL_VERSION = "null";

/** ListObjectVersions for one bucket: authorizes the prefix, asks the backend for a page of keys (see `markerPage`), renders them. */
export async function listObjectVersions(bucket: BucketConfig, backend: Backend<unknown>, query: Query, identity: Identity, owner: Owner, view?: ListingView): Promise<PlainResponse<never>> {
  const { clientPrefix, prefix, shown, delimiter, encodingType, encode } = listingParameters(query, view);
  authorize(identity, "list_bucket", bucket, { listPrefix: prefix });
  const maxKeys = parseMaxKeys(query.get("max-keys"));
  const keyMarker = query.get("key-marker");
  const versionIdMarker = query.get("version-id-marker");
  if (versionIdMarker !== undefined && versionIdMarker !== "") {
    if (keyMarker === undefined || keyMarker === "") {
      throw new S3Error("InvalidArgument", { message: "A version-id marker cannot be specified without a key marker.", details: { ArgumentName: "version-id-marker", ArgumentValue: versionIdMarker } });
    }
    if (versionIdMarker !== NULL_VERSION) throw new S3Error("InvalidArgument", { message: "Invalid version id specified", details: { ArgumentName: "version-id-marker", ArgumentValue: versionIdMarker } });
  }
  if (keyMarker !== undefined && encodingType === undefined) echoable("key-marker", keyMarker);
  const backendPrefix = keyPrefixOf(bucket);
  // Each key has one version: the page after (key, its version) starts after the key.
  const startKey = keyMarker ? stripViewPrefix(view, keyMarker) : undefined;
  let page: ListResult = { objects: [], commonPrefixes: [], isTruncated: false };
  if (maxKeys > 0) {
    page = await markerPage(backend, {
      prefix: backendPrefix + prefix,
      maxKeys,
      ...(delimiter !== undefined && { delimiter }),
      ...(startKey && { startAfter: backendPrefix + skipCommonPrefix(startKey, prefix, delimiter) }),
    });
  }
  const strip = (key: string) => shown + (key.startsWith(backendPrefix) ? key.slice(backendPrefix.length) : key);
  const ownerXml = `<Owner>${personXml(owner)}</Owner>`;
  const versions = page.objects
    .map(
      (object) =>
        `<Version>${xmlElement("Key", encode(strip(object.key)))}${xmlElement("VersionId", NULL_VERSION)}${xmlElement("IsLatest", true)}` +
        `${xmlElement("LastModified", xmlDate(object.lastModified))}${xmlElement("ETag", object.etag)}${xmlElement("Size", object.size)}` +
        `${ownerXml}${xmlElement("StorageClass", object.storageClass ?? "STANDARD")}</Version>`,
    )
    .join("");
  const prefixes = page.commonPrefixes.map((common) => `<CommonPrefixes>${xmlElement("Prefix", encode(strip(common)))}</CommonPrefixes>`).join("");
  let head = xmlElement("Name", view?.name ?? bucket.name) + xmlElement("Prefix", encode(clientPrefix));
  head += xmlElement("KeyMarker", encode(keyMarker ?? "")) + xmlElement("VersionIdMarker", versionIdMarker ?? "");
  if (page.isTruncated) {
    // The page's last entry, a key or a common prefix: the next page starts after it.
    const lastKey = page.objects.at(-1)?.key;
    const lastPrefix = page.commonPrefixes.at(-1);
    const last = lastKey === undefined || (lastPrefix !== undefined && compareUtf8(lastPrefix, lastKey) > 0) ? lastPrefix : lastKey;
    if (last !== undefined) {
      head += xmlElement("NextKeyMarker", encode(strip(last)));
      if (last === lastKey) head += xmlElement("NextVersionIdMarker", NULL_VERSION);
    }
  }
  head += xmlElement("MaxKeys", maxKeys);
  if (delimiter !== undefined) head += xmlElement("Delimiter", encode(delimiter));
  if (encodingType) head += xmlElement("EncodingType", encodingType);
  head += xmlElement("IsTruncated", page.isTruncated);
  return xmlResponse("ListVersionsResult", head + versions + prefixes);
}
