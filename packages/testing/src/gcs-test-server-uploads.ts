/**
 * Multipart upload listings of the GCS test server (`GET /bucket?uploads`), as GCS documents them: uploads ordered by
 * object name, an object's uploads by upload id; after `key-marker`, or, of that object, after `upload-id-marker`
 * (ignored without a key-marker); under `prefix`, rolled up at `delimiter`; at most `max-uploads` (and 1000) entries.
 */
import type { StoreResponse } from "./gcs-test-server-store.js";
import { byteOrder, element, gcsError, xml } from "./gcs-test-server-store.js";

/** An upload in progress, as the server keeps it. */
export interface UploadInProgress {
  /** The bucket it belongs to. */
  bucket: string;
  /** The object name. */
  key: string;
  /** When it was initiated. */
  initiated: Date;
  /** The metadata of the object it will write (`x-goog-storage-class` among it). */
  metadata: Record<string, string>;
}


/** Lists the uploads of `bucket` among `uploads` (by upload id). */
export function listUploads(bucket: string, uploads: Map<string, UploadInProgress>, query: Map<string, string>): StoreResponse {
  const prefix = query.get("prefix") ?? "";
  const delimiter = query.get("delimiter") || undefined;
  const keyMarker = query.get("key-marker") ?? "";
  const uploadIdMarker = keyMarker === "" ? undefined : query.get("upload-id-marker");
  // GCS refuses an empty upload-id-marker.
  if (uploadIdMarker === "") return gcsError(400, "InvalidArgument", "Invalid argument.");
  const encodingType = query.get("encoding-type");
  if (encodingType !== undefined && encodingType !== "url") return gcsError(400, "InvalidArgument", "Invalid encoding type.");
  const maxText = query.get("max-uploads") ?? "1000";
  if (!/^\d+$/.test(maxText)) return gcsError(400, "InvalidArgument", "max-uploads must be a non-negative integer.");
  const maxUploads = Math.min(1000, Number(maxText));
  const listed = [...uploads]
    .filter(([, upload]) => upload.bucket === bucket && upload.key.startsWith(prefix))
    .sort(([idA, a], [idB, b]) => byteOrder(a.key, b.key) || byteOrder(idA, idB))
    .filter(([id, upload]) => {
      const order = byteOrder(upload.key, keyMarker);
      return order > 0 || (order === 0 && uploadIdMarker !== undefined && byteOrder(id, uploadIdMarker) > 0);
    });
  const entries: { key: string; uploadId?: string; upload?: UploadInProgress }[] = [];
  let truncated = false;
  for (const [uploadId, upload] of listed) {
    const cut = delimiter === undefined ? -1 : upload.key.indexOf(delimiter, prefix.length);
    const common = cut === -1 ? undefined : upload.key.slice(0, cut + delimiter!.length);
    // A common prefix is listed once, and not again after a key-marker naming it (a previous page's last entry).
    if (common !== undefined && (entries.at(-1)?.key === common || common === keyMarker)) continue;
    if (entries.length >= maxUploads) {
      truncated = true;
      break;
    }
    entries.push(common === undefined ? { key: upload.key, uploadId, upload } : { key: common });
  }
  const encode = (value: string) => (encodingType === "url" ? encodeURIComponent(value).replace(/%2F/g, "/") : value);
  const last = entries.at(-1);
  const items = entries
    .filter((entry) => entry.upload)
    .map(({ key, uploadId, upload }) => `<Upload>${element("Key", encode(key))}${element("UploadId", uploadId)}${element("StorageClass", upload!.metadata["x-goog-storage-class"] ?? "STANDARD")}${element("Initiated", upload!.initiated.toISOString())}</Upload>`)
    .join("");
  const prefixes = entries.filter((entry) => !entry.upload).map(({ key }) => `<CommonPrefixes>${element("Prefix", encode(key))}</CommonPrefixes>`).join("");
  return xml(
    `<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${element("Bucket", bucket)}${element("KeyMarker", encode(keyMarker))}` +
      `${element("UploadIdMarker", uploadIdMarker ?? "")}${element("NextKeyMarker", last === undefined ? "" : encode(last.key))}${element("Prefix", encode(prefix))}` +
      `${element("Delimiter", delimiter === undefined ? undefined : encode(delimiter))}${element("NextUploadIdMarker", last?.uploadId ?? "")}<MaxUploads>${maxUploads}</MaxUploads>` +
      `<IsTruncated>${truncated}</IsTruncated>${items}${prefixes}${element("EncodingType", encodingType)}</ListMultipartUploadsResult>`,
  );
}
