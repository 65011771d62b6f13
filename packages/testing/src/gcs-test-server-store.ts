/**
 * The in-memory object store of the GCS test server, answering in the XML API's wire format: objects with their
 * content headers and `x-goog-meta-*`, generations, reads with Range and preconditions, `list-type=2` listings in
 * byte order, XML multipart uploads and copies. Errors are GCS XML documents (`<Error><Code>NoSuchKey</Code>`).
 */
import { createHash, randomBytes } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { gunzipSync } from "node:zlib";

/** An object as stored. */
export interface StoredObject {
  data: Buffer;
  etag: string;
  generation: number;
  lastModified: Date;
  /** Content headers (`content-type`, ...), `x-goog-meta-*` and `x-goog-storage-class`, lowercase names. */
  metadata: Record<string, string>;
  /** Base64 MD5; absent for multipart (composite) objects, as on GCS. */
  md5?: string;
  /** Base64 big-endian CRC32C. */
  crc32c: string;
}

/** A response: status, headers and an optional body (left out for HEAD by the server). */
export interface StoreResponse {
  status: number;
  headers: Record<string, string>;
  body?: Buffer | string;
}

/** Escapes text for XML content. */
export const escapeXml = (text: string) => text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c]!);
/** An element with escaped text, or nothing for an undefined value. */
export const element = (name: string, value: string | undefined) => (value === undefined ? "" : `<${name}>${escapeXml(value)}</${name}>`);
/** Orders names by their UTF-8 bytes, as GCS lists them. */
export const byteOrder = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
const XML_HEADERS = { "content-type": "application/xml; charset=UTF-8" };
const MIB = 1024 * 1024;

/** A GCS error document. */
export function gcsError(status: number, code: string, message: string, details?: string): StoreResponse {
  const detail = details === undefined ? "" : `<Details>${escapeXml(details)}</Details>`;
  return { status, headers: XML_HEADERS, body: `<?xml version='1.0' encoding='UTF-8'?><Error><Code>${code}</Code><Message>${escapeXml(message)}</Message>${detail}</Error>` };
}

/** An XML document response. */
export function xml(body: string, status = 200): StoreResponse {
  return { status, headers: XML_HEADERS, body: `<?xml version='1.0' encoding='UTF-8'?>${body}` };
}

const CRC32C_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** Base64 of the big-endian CRC32C of `data`. */
export function crc32c(data: Buffer): string {
  let c = 0xffffffff;
  for (const byte of data) c = CRC32C_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  const out = Buffer.alloc(4);
  out.writeUInt32BE((c ^ 0xffffffff) >>> 0);
  return out.toString("base64");
}

const unquote = (etag: string) => etag.trim().replace(/^W\//, "").replace(/^"(.*)"$/, "$1");
const etagIn = (list: string, etag: string) => list.split(",").some((entry) => entry.trim() === "*" || unquote(entry) === unquote(etag));
const header = (headers: IncomingHttpHeaders, name: string) => (headers[name] === undefined ? undefined : String(headers[name]));
/** HTTP dates have whole seconds: compare modification times at that precision. */
const seconds = (date: Date) => Math.floor(date.getTime() / 1000);

/** The storage classes GCS documents (the older names too), as `x-goog-storage-class` names them. */
const STORAGE_CLASSES = new Set(["STANDARD", "NEARLINE", "COLDLINE", "ARCHIVE", "MULTI_REGIONAL", "REGIONAL", "DURABLE_REDUCED_AVAILABILITY"]);

/** A write's `x-goog-storage-class`, kept with the object's metadata (a write without one takes the bucket's default). */
export function storageClassOf(headers: IncomingHttpHeaders): Record<string, string> {
  const value = header(headers, "x-goog-storage-class");
  return value === undefined ? {} : { "x-goog-storage-class": value.toUpperCase() };
}

/** The 400 GCS answers a write naming a storage class it does not have. */
export function badStorageClass(headers: IncomingHttpHeaders): StoreResponse | undefined {
  const value = header(headers, "x-goog-storage-class");
  return value === undefined || STORAGE_CLASSES.has(value.toUpperCase()) ? undefined : gcsError(400, "InvalidArgument", `Invalid storage class: ${value}`);
}

/** Content headers, `x-goog-meta-*` and the storage class of a write request. */
export function metadataOf(headers: IncomingHttpHeaders): Record<string, string> {
  const metadata: Record<string, string> = { "content-type": header(headers, "content-type") ?? "application/octet-stream", ...storageClassOf(headers) };
  for (const name of ["content-encoding", "content-disposition", "content-language", "cache-control"]) {
    const value = header(headers, name);
    if (value !== undefined) metadata[name] = value;
  }
  for (const [name, value] of Object.entries(headers)) if (name.startsWith("x-goog-meta-")) metadata[name] = String(value);
  return metadata;
}

/** The headers GCS sends with an object (GET, HEAD). */
export function objectHeaders(object: StoredObject): Record<string, string> {
  return {
    ...object.metadata,
    etag: object.etag,
    "last-modified": object.lastModified.toUTCString(),
    "accept-ranges": "bytes",
    "x-goog-generation": String(object.generation),
    "x-goog-metageneration": "1",
    "x-goog-stored-content-length": String(object.data.length),
    "x-goog-stored-content-encoding": object.metadata["content-encoding"] ?? "identity",
    "x-goog-storage-class": object.metadata["x-goog-storage-class"] ?? "STANDARD",
    "x-goog-hash": object.md5 ? `crc32c=${object.crc32c},md5=${object.md5}` : `crc32c=${object.crc32c}`,
    "x-guploader-uploadid": randomBytes(12).toString("base64url"),
  };
}

/** Read preconditions in RFC 9110's order (If-Match over If-Unmodified-Since, If-None-Match over If-Modified-Since). */
export function readPreconditions(object: StoredObject, headers: IncomingHttpHeaders): StoreResponse | undefined {
  const ifMatch = header(headers, "if-match");
  const ifUnmodified = header(headers, "if-unmodified-since");
  const ifNoneMatch = header(headers, "if-none-match");
  const ifModified = header(headers, "if-modified-since");
  const failed = gcsError(412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold.");
  if (ifMatch !== undefined ? !etagIn(ifMatch, object.etag) : ifUnmodified !== undefined && seconds(object.lastModified) > Date.parse(ifUnmodified) / 1000) return failed;
  const generationMatch = header(headers, "x-goog-if-generation-match");
  if (generationMatch !== undefined && generationMatch !== String(object.generation)) return failed;
  const notModified = { status: 304, headers: { etag: object.etag, "last-modified": object.lastModified.toUTCString() } };
  if (ifNoneMatch !== undefined) return etagIn(ifNoneMatch, object.etag) ? notModified : undefined;
  if (ifModified !== undefined && seconds(object.lastModified) <= Date.parse(ifModified) / 1000) return notModified;
  return undefined;
}

/**
 * Decompressive transcoding, as GCS documents it: an object stored with `Content-Encoding: gzip` is served
 * decompressed, without that header and ignoring Range, to a request that does not accept gzip (unless the object's
 * Cache-Control says no-transform).
 */
function transcoded(object: StoredObject, headers: IncomingHttpHeaders): StoreResponse | undefined {
  if (object.metadata["content-encoding"] !== "gzip" || /\bno-transform\b/.test(object.metadata["cache-control"] ?? "")) return undefined;
  if (/\bgzip\b/.test(header(headers, "accept-encoding") ?? "")) return undefined;
  const body = gunzipSync(object.data);
  const { "content-encoding": _encoding, ...out } = objectHeaders(object);
  return { status: 200, headers: { ...out, "content-length": String(body.length), warning: "214 UncompressedContent" }, body };
}

/** GET / HEAD of an object: preconditions, then a single byte range (suffix ranges included). */
export function readObject(object: StoredObject, headers: IncomingHttpHeaders): StoreResponse {
  const refused = readPreconditions(object, headers);
  if (refused) return refused;
  const decompressed = transcoded(object, headers);
  if (decompressed) return decompressed;
  const size = object.data.length;
  const out = objectHeaders(object);
  const range = /^bytes=(\d*)-(\d*)$/.exec(header(headers, "range")?.trim() ?? "");
  if (range && (range[1] !== "" || range[2] !== "") && !(range[1] !== "" && range[2] !== "" && Number(range[2]) < Number(range[1]))) {
    let start: number;
    let end: number;
    if (range[1] === "") [start, end] = [Math.max(0, size - Number(range[2])), size - 1];
    else [start, end] = [Number(range[1]), range[2] === "" ? size - 1 : Math.min(Number(range[2]), size - 1)];
    if (start >= size || (range[1] === "" && Number(range[2]) === 0)) {
      const error = gcsError(416, "InvalidRange", "The requested range cannot be satisfied.");
      return { ...error, headers: { ...error.headers, "content-range": `bytes */${size}` } };
    }
    const body = object.data.subarray(start, end + 1);
    return { status: 206, headers: { ...out, "content-range": `bytes ${start}-${end}/${size}`, "content-length": String(body.length) }, body };
  }
  return { status: 200, headers: { ...out, "content-length": String(size) }, body: object.data };
}

/** Write preconditions (`x-goog-if-generation-match`, 0 meaning "must not exist"); the response when they fail. */
export function writePreconditions(current: StoredObject | undefined, headers: IncomingHttpHeaders): StoreResponse | undefined {
  const wanted = header(headers, "x-goog-if-generation-match");
  if (wanted === undefined || wanted === String(current?.generation ?? 0)) return undefined;
  return gcsError(412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold.");
}

/** The digests a write carries (`Content-MD5`, `x-goog-hash: crc32c=..,md5=..`); the response when one is wrong. */
export function checkDigests(data: Buffer, headers: IncomingHttpHeaders): StoreResponse | undefined {
  const md5 = createHash("md5").update(data).digest("base64");
  const claims = [["md5", header(headers, "content-md5")]];
  for (const part of (header(headers, "x-goog-hash") ?? "").split(",")) {
    const [name, value] = part.trim().split(/=(.*)/s);
    if (name && value) claims.push([name, value]);
  }
  for (const [name, value] of claims) {
    if (value !== undefined && value !== (name === "md5" ? md5 : name === "crc32c" ? crc32c(data) : value)) {
      return gcsError(400, "BadDigest", "The MD5 or CRC32C you specified did not match what we received.");
    }
  }
  return undefined;
}

/** Multipart limits of the XML API: parts 1..10000, every part but the last at least 5 MiB. */
export const PART_LIMITS = { maxPartNumber: 10_000, minPartSize: 5 * MIB };
