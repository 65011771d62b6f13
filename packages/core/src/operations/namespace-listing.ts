/**
 * A listing above the mapped buckets of a namespace (`GET /account?delimiter=/` when `account:product` and
 * `account:archive` are configured): each bucket the caller may use is shown as a common prefix (`product/`), so
 * `aws s3 ls s3://account/` browses the namespace like a directory tree.
 */
import { canUseBucket } from "../authorize.js";
import { S3Error } from "../errors.js";
import { xmlResponse } from "../responses.js";
import { xmlElement } from "../xml.js";
import { compareUtf8, listingParameters, parseMaxKeys } from "./list.js";
import { namespaceListingHead, namespacePath, namespaceStart } from "./namespace-keys.js";
import type { NamespaceListing } from "../target-mapping.js";
import type { Query } from "../s3-request.js";
import type { BucketConfig, BucketRegistry, Identity, PlainResponse } from "../types.js";

/**
 * The buckets under a namespace the caller may use: NoSuchBucket when none is configured, AccessDenied when none is
 * usable. A bucket no path of the namespace reaches (too few segments in its name) is not under it.
 */
export async function usableNamespaceBuckets(namespace: NamespaceListing, registry: BucketRegistry, identity: Identity): Promise<BucketConfig[]> {
  const under = (await registry.listBuckets()).filter((bucket) => bucket.name.startsWith(namespace.bucketPrefix) && namespacePath(namespace, bucket) !== undefined);
  if (under.length === 0) throw new S3Error("NoSuchBucket", { details: { BucketName: namespace.name } });
  const usable = under.filter((bucket) => canUseBucket(identity, bucket));
  if (usable.length === 0) throw new S3Error("AccessDenied");
  return usable;
}

/** ListObjects V1 or V2 of a namespace with a delimiter, over the buckets `usableNamespaceBuckets` found. */
export function listNamespace(version: 1 | 2, namespace: NamespaceListing, query: Query, usable: readonly BucketConfig[]): Promise<PlainResponse<never>> {
  // Parameters are checked as a bucket's listing checks them (encoding-type, what XML cannot carry).
  const { clientPrefix: prefix, delimiter, encodingType, encode } = listingParameters(query, undefined);
  const shown = new Set<string>();
  for (const bucket of usable) {
    const path = namespacePath(namespace, bucket);
    if (path === undefined || !path.startsWith(prefix)) continue;
    // With a delimiter, a deeper bucket shows as its first level below the prefix, as S3 rolls keys up.
    const cut = delimiter === undefined ? -1 : path.indexOf(delimiter, prefix.length);
    shown.add(cut === -1 ? path : path.slice(0, cut + delimiter!.length));
  }
  const maxKeys = parseMaxKeys(query.get("max-keys"));
  // Pages continue after a marker (V1), a continuation token (V2: the last prefix of the previous page, base64) or a
  // start-after key, as a listing of keys does.
  const { token, clientStart, start } = namespaceStart(version, query, encodingType);
  const after = [...shown].sort(compareUtf8).filter((common) => start === undefined || compareUtf8(common, start) > 0);
  const prefixes = after.slice(0, maxKeys);
  // max-keys=0 lists nothing and says nothing follows, as a bucket's listing does.
  const truncated = maxKeys > 0 && after.length > prefixes.length;
  const last = prefixes.at(-1);
  const head = namespaceListingHead(version, namespace, query, { prefix, start: { token, clientStart }, count: prefixes.length, last, truncated, maxKeys });
  return Promise.resolve(xmlResponse("ListBucketResult", head + prefixes.map((common) => `<CommonPrefixes>${xmlElement("Prefix", encode(common))}</CommonPrefixes>`).join("")));
}
