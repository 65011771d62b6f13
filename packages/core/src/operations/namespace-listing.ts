/**
 * A listing above the mapped buckets of a namespace (`GET /account?delimiter=/` when `account:product` and
 * `account:archive` are configured): each bucket the caller may use is shown as a common prefix (`product/`), so
 * `aws s3 ls s3://account/` browses the namespace like a directory tree.
 */
import { canUseBucket } from "../authorize.js";
import { S3Error } from "../errors.js";
import { xmlResponse } from "../responses.js";
import { xmlElement } from "../xml.js";
import { compareUtf8, MAX_KEYS } from "./list.js";
import type { NamespaceListing } from "../target-mapping.js";
import type { Query } from "../s3-request.js";
import type { BucketConfig, BucketRegistry, Identity, PlainResponse } from "../types.js";

/** The buckets under a namespace the caller may use: NoSuchBucket when none is configured, AccessDenied when none is usable. */
export async function usableNamespaceBuckets(namespace: NamespaceListing, registry: BucketRegistry, identity: Identity): Promise<BucketConfig[]> {
  const under = (await registry.listBuckets()).filter((bucket) => bucket.name.startsWith(namespace.bucketPrefix));
  if (under.length === 0) throw new S3Error("NoSuchBucket", { details: { BucketName: namespace.name } });
  const usable = under.filter((bucket) => canUseBucket(identity, bucket));
  if (usable.length === 0) throw new S3Error("AccessDenied");
  return usable;
}

/** ListObjects V1 or V2 of a namespace, over the buckets `usableNamespaceBuckets` found. */
export function listNamespace(version: 1 | 2, namespace: NamespaceListing, query: Query, usable: readonly BucketConfig[]): Promise<PlainResponse<never>> {
  const prefix = query.get("prefix") ?? "";
  const delimiter = query.get("delimiter") || undefined;
  const shown = new Set<string>();
  for (const bucket of usable) {
    const path = `${bucket.name.slice(namespace.bucketPrefix.length).split(namespace.separator).join("/")}/`;
    if (!path.startsWith(prefix)) continue;
    // With a delimiter, a deeper bucket shows as its first level below the prefix, as S3 rolls keys up.
    const cut = delimiter === undefined ? -1 : path.indexOf(delimiter, prefix.length);
    shown.add(cut === -1 ? path : path.slice(0, cut + delimiter!.length));
  }
  const prefixes = [...shown].sort(compareUtf8).slice(0, MAX_KEYS);
  let head = xmlElement("Name", namespace.name) + xmlElement("Prefix", prefix);
  head += version === 1 ? xmlElement("Marker", query.get("marker") ?? "") : xmlElement("KeyCount", prefixes.length);
  head += xmlElement("MaxKeys", MAX_KEYS);
  if (delimiter !== undefined) head += xmlElement("Delimiter", delimiter);
  head += xmlElement("IsTruncated", false);
  return Promise.resolve(xmlResponse("ListBucketResult", head + prefixes.map((common) => `<CommonPrefixes>${xmlElement("Prefix", common)}</CommonPrefixes>`).join("")));
}
