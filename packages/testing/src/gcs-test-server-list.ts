/** Object listings of the GCS test server: `GET /bucket?list-type=2` (and V1 `marker`), in UTF-8 byte order. */
import type { StoredObject, StoreResponse } from "./gcs-test-server-store.js";
import { byteOrder, element, gcsError, xml } from "./gcs-test-server-store.js";


/**
 * Lists `objects` with S3's semantics, which the XML API shares: `max-keys` counts keys and common prefixes, a
 * common prefix the start point names (`start-after`, `marker` or the continuation token) is not listed again,
 * and the continuation token encodes the last name returned.
 */
export function listObjects(bucket: string, objects: Map<string, StoredObject>, query: Map<string, string>): StoreResponse {
  const v2 = query.get("list-type") === "2";
  const prefix = query.get("prefix") ?? "";
  const delimiter = query.get("delimiter") || undefined;
  const maxKeysText = query.get("max-keys") ?? "1000";
  if (!/^\d+$/.test(maxKeysText)) return gcsError(400, "InvalidArgument", "max-keys must be a non-negative integer.");
  const maxKeys = Math.min(1000, Number(maxKeysText));
  const token = v2 ? query.get("continuation-token") : undefined;
  let after = (v2 ? query.get("start-after") : query.get("marker")) ?? "";
  if (token !== undefined) {
    const decoded = Buffer.from(token, "base64url").toString("utf8");
    if (!decoded.startsWith("v1:")) return gcsError(400, "InvalidArgument", "Invalid continuation token.");
    after = decoded.slice(3);
  }
  const entries: { name: string; object?: StoredObject }[] = [];
  let truncated = false;
  const keys = [...objects.keys()].filter((key) => key.startsWith(prefix)).sort(byteOrder);
  for (const key of keys) {
    if (byteOrder(key, after) <= 0) continue;
    const cut = delimiter === undefined ? -1 : key.indexOf(delimiter, prefix.length);
    if (cut !== -1) {
      const common = key.slice(0, cut + delimiter!.length);
      // (A key after the start point whose common prefix sorts before it: the start point lies inside the prefix, as
      // `dir/a` in `dir/`, and the prefix is listed; only the prefix the start point names is not listed again.)
      if (common === after || entries.at(-1)?.name === common) continue;
      if (entries.length >= maxKeys) {
        truncated = true;
        break;
      }
      entries.push({ name: common });
      continue;
    }
    if (entries.length >= maxKeys) {
      truncated = true;
      break;
    }
    entries.push({ name: key, object: objects.get(key)! });
  }
  const last = entries.at(-1)?.name;
  const contents = entries
    .filter((entry) => entry.object)
    .map(({ name, object }) =>
      `<Contents>${element("Key", name)}${element("Generation", String(object!.generation))}<MetaGeneration>1</MetaGeneration>` +
      `${element("LastModified", object!.lastModified.toISOString())}${element("ETag", object!.etag)}${element("Size", String(object!.data.length))}</Contents>`,
    )
    .join("");
  const prefixes = entries.filter((entry) => !entry.object).map(({ name }) => `<CommonPrefixes>${element("Prefix", name)}</CommonPrefixes>`).join("");
  const paging = v2
    ? `<KeyCount>${entries.length}</KeyCount>${element("ContinuationToken", token)}${element("StartAfter", query.get("start-after"))}` +
      (truncated && last !== undefined ? element("NextContinuationToken", Buffer.from(`v1:${last}`).toString("base64url")) : "")
    : `${element("Marker", query.get("marker") ?? "")}${truncated ? element("NextMarker", last) : ""}`;
  return xml(
    `<ListBucketResult xmlns="http://doc.s3.amazonaws.com/2006-03-01">${element("Name", bucket)}${element("Prefix", prefix)}` +
      `<MaxKeys>${maxKeys}</MaxKeys>${element("Delimiter", delimiter)}<IsTruncated>${truncated}</IsTruncated>${paging}${contents}${prefixes}</ListBucketResult>`,
  );
}
