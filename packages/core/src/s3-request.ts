/** Turns a raw HTTP request into an S3 operation with its bucket and key. */
import type { ListingView, NamespaceListing } from "./target-mapping.js";
import { S3Error } from "./errors.js";
import { setBounded } from "./bounded-map.js";
import { decodeKey, validateKey } from "./keys.js";
import { parseQuery } from "./sigv4/canonical-request.js";
import type { RequestContext } from "./middleware.js";
import type { S3Operation } from "./types.js";
import { bucketSettingOperation } from "./operations/bucket-settings.js";
import { textOfHeaderValue } from "./header-text.js";

/** A request as the core sees it. `B` is the runtime's body stream type. */
export interface GatewayRequest<B = unknown> {
  /** HTTP method, uppercase. */
  method: string;
  /** Path and query exactly as sent on the request line (`/bucket/key?x=y`), never normalized. */
  target: string;
  /** Request headers. */
  headers: Headers;
  /** The body stream (never read by the core), or null. */
  body: B | null;
  /** Reads the body up to `limit` bytes; throws `S3Error` (EntityTooLarge) beyond it. Used for small XML bodies only. */
  readBody(limit: number): Promise<Uint8Array>;
  /**
   * Reads the body's first bytes up to the end of its head and leaves the rest as the body: `end` is called with all
   * bytes read so far after each read, and answers the head's length once they hold it (-1: not yet). Resolves with
   * the head, or with every byte when the body ends first; rejects with what `end` throws. Afterwards the runtime
   * sends backends only the bytes after the head. For browser form uploads (their fields precede the file); without
   * it, form uploads are refused (501).
   */
  readBodyHead?(end: (bytes: Uint8Array) => number): Promise<Uint8Array>;
  /** Aborted when the client goes away. */
  signal?: AbortSignal;
  /**
   * The client's IP address as the runtime knows it (the socket's peer, or what a trusted proxy says; on Workers
   * `CF-Connecting-IP`), for middleware (`RequestContext.sourceIp`).
   */
  clientAddress?: string;
  /**
   * The scheme and host the client addressed (`https://s3.example.com`), as the runtime knows them: for answers that
   * name a URL (a form upload's `Location`). Absent: those name a path.
   */
  origin?: string;
  /**
   * The raw path the client signed, when the runtime took a prefix off `target` that names no bucket (an API Gateway
   * stage, `/prod/bucket/key`): signatures are verified over it, everything else reads `target`.
   */
  signedPath?: string;
  /**
   * Called once the request is admitted (authenticated and authorized), before middleware or any backend work: the
   * runtime's own admission (a cap on anonymous requests per address, say) for every request that does work, listings
   * and multipart calls included. Throwing refuses the request with that error (an `S3Error`'s own status); it is then
   * not admitted (`RequestContext.admitted` stays unset).
   */
  onAdmitted?: (context: RequestContext) => void;
}

/** Decoded query parameters (first value wins) plus the raw string for signing. */
export class Query {
  /** Decoded name/value pairs in order. */
  readonly pairs: readonly (readonly [string, string])[];
  private readonly values = new Map<string, string>();
  /** The first sub-resource in the query (in the order sent) that Multistore does not serve, if any. */
  readonly unsupportedSubresource: string | undefined;
  constructor(readonly raw: string) {
    try {
      this.pairs = parseQuery(raw);
    } catch {
      throw new S3Error("InvalidArgument", { message: "The query string contains a malformed percent-encoding." });
    }
    for (const [name, value] of this.pairs) {
      if (!this.values.has(name)) this.values.set(name, value);
      // Found once per Query: a reader repeating one presigned URL shares its Query (see `queryOf`).
      if (this.unsupportedSubresource === undefined && UNSUPPORTED_SUBRESOURCES.has(name)) this.unsupportedSubresource = name;
    }
  }
  /** The first sub-resource Multistore does not serve, `allowed` aside (GetObject reads `partNumber`). */
  unsupportedBesides(allowed: string): string | undefined {
    for (const [name] of this.pairs) if (name !== allowed && UNSUPPORTED_SUBRESOURCES.has(name)) return name;
    return undefined;
  }
  /** The decoded value of a parameter. */
  get(name: string): string | undefined {
    return this.values.get(name);
  }
  /** Whether a parameter is present (with or without a value). */
  has(name: string): boolean {
    return this.values.has(name);
  }
}

/** A request resolved to an S3 operation. */
export interface ParsedS3Request {
  /** The operation. */
  operation: S3Operation;
  /** Bucket name, absent for ListBuckets. */
  bucket?: string;
  /** Decoded, validated object key, for object operations. */
  key?: string;
  /** Raw path (for signing). */
  rawPath: string;
  /** Query parameters. */
  query: Query;
  /** Resource for error documents (`/bucket/key`). */
  resource: string;
  /** How a listing is shown, when a target mapping mapped the client's bucket and prefix onto this bucket. */
  listing?: ListingView;
  /** Set when a target mapping found a listing of a namespace above its buckets. */
  namespace?: NamespaceListing;
  /** For an object request a target mapping rewrote: the bucket and key prefix the client named (answers name them). */
  shown?: ListingView;
  /** A CopyObject's or UploadPartCopy's source as a target mapping rewrote it (else `x-amz-copy-source` as sent). */
  copySource?: string;
}

/** Sub-resources we know but do not serve; they get a clear 501 instead of being mistaken for object reads. */
const UNSUPPORTED_SUBRESOURCES = new Set([
  "accelerate", "acl", "analytics", "attributes", "cors", "encryption", "intelligent-tiering", "inventory",
  "legal-hold", "lifecycle", "logging", "metrics", "notification", "object-lock", "ownershipControls", "policy",
  "policyStatus", "publicAccessBlock", "replication", "requestPayment", "restore", "retention", "select", "tagging",
  "torrent", "versioning", "versions", "website", "uploads", "uploadId", "partNumber", "location",
]);

function notImplemented(what: string): S3Error {
  return new S3Error("NotImplemented", { message: `${what} is not implemented by Multistore.` });
}

const EMPTY_QUERY = new Query("");
/**
 * Parsed queries by raw string. A reader going through one presigned URL (a GIS tool fetching tiles, a Parquet
 * reader fetching ranges) sends the same long query with every request; parsing and percent-decoding it was a tenth
 * of such a request's own CPU. A Query is never changed once built, so one can serve every request that sent its
 * string. Bounded; the oldest entry goes first. Strings over 8 KiB are parsed each time rather than kept.
 */
const parsedQueries = new Map<string, Query>();
const MAX_PARSED_QUERIES = 1024;
// Presigned URLs with a session token run to a few KiB.
const MAX_KEPT_QUERY_LENGTH = 8192;

/** The last query looked up: a reader repeating one URL finds it by comparing, without hashing a long string. */
let lastQuery: Query = EMPTY_QUERY;

/** The parsed query of a raw query string (without `?`), shared between requests that sent the same string. */
export function queryOf(raw: string): Query {
  if (raw === "") return EMPTY_QUERY;
  if (raw === lastQuery.raw) return lastQuery;
  let query = parsedQueries.get(raw);
  if (query !== undefined) {
    lastQuery = query;
    return query;
  }
  query = new Query(raw);
  if (raw.length <= MAX_KEPT_QUERY_LENGTH) {
    setBounded(parsedQueries, raw, query, MAX_PARSED_QUERIES);
    lastQuery = query;
  }
  return query;
}

/** A request target's raw path and query. */
export interface SplitTarget {
  /** The path as sent (still percent-encoded). */
  rawPath: string;
  /** The parsed query (shared between requests that sent the same one: see `queryOf`). */
  query: Query;
}

/** Splits a request target into its raw path and its query (what a signature covers). */
export function splitTarget(target: string): SplitTarget {
  const questionMark = target.indexOf("?");
  const rawPath = questionMark === -1 ? target : target.slice(0, questionMark);
  const query = queryOf(questionMark === -1 ? "" : target.slice(questionMark + 1));
  if (!rawPath.startsWith("/")) throw new S3Error("InvalidRequest", { message: "The request path must start with /." });
  return { rawPath, query };
}

/** Whether a request names its bucket in the host (`bucket.domain`), virtual-hosted style. */
export function isVirtualHosted(headers: Headers, domain: string | undefined): boolean {
  if (!domain) return false;
  return (headers.get("host") ?? "").replace(/:\d+$/, "").toLowerCase().endsWith(`.${domain.toLowerCase()}`);
}

/**
 * Splits `target` into path and query, and finds bucket and key (virtual-hosted when `domain` matches the host).
 * `split` is `splitTarget(target)` when the caller already has it: the query is parsed once per request.
 */
export function parseS3Request(
  method: string,
  target: string,
  headers: Headers,
  domain?: string,
  split: { rawPath: string; query: Query } = splitTarget(target),
): ParsedS3Request {
  const { rawPath, query } = split;

  let bucket: string | undefined;
  let rawKey: string;
  if (domain && isVirtualHosted(headers, domain)) {
    const host = (headers.get("host") ?? "").replace(/:\d+$/, "").toLowerCase();
    bucket = host.slice(0, -(domain.length + 1));
    rawKey = rawPath.slice(1);
  } else {
    const slash = rawPath.indexOf("/", 1);
    bucket = decodeKey(slash === -1 ? rawPath.slice(1) : rawPath.slice(1, slash)) || undefined;
    rawKey = slash === -1 ? "" : rawPath.slice(slash + 1);
  }
  const key = rawKey === "" ? undefined : decodeKey(rawKey);
  // Plain literals, not spreads of a shared base: this runs for every request.
  if (bucket === undefined) {
    // `//key` names no bucket: not the service root (which would answer another operation, ListBuckets).
    if (rawPath.length > 1) throw new S3Error("InvalidBucketName", { message: "The request path names an empty bucket." });
    if (method === "GET") return { rawPath, query, resource: "/", operation: "ListBuckets" };
    throw new S3Error("MethodNotAllowed");
  }
  if (key === undefined) return { rawPath, query, resource: `/${bucket}`, bucket, operation: bucketOperation(method, query) };
  validateKey(key);
  return { rawPath, query, resource: `/${bucket}/${key}`, bucket, key, operation: objectOperation(method, query, headers) };
}

function bucketOperation(method: string, query: Query): S3Operation {
  if (method === "POST" && query.has("delete")) return "DeleteObjects";
  if (method === "GET" && query.has("location")) return "GetBucketLocation";
  if (method === "GET" && query.has("versioning")) return "GetBucketVersioning";
  if (method === "GET" && query.has("acl")) return "GetBucketAcl";
  if (method === "GET" && query.has("uploads")) return "ListMultipartUploads";
  if (method === "GET" && query.has("versions")) return "ListObjectVersions";
  const unsupported = query.unsupportedSubresource;
  const setting = method === "GET" ? bucketSettingOperation(unsupported) : undefined;
  if (setting && query.unsupportedBesides(unsupported!) === undefined) return setting; // (no other sub-resource)
  if (unsupported) throw notImplemented(`The bucket sub-resource "${unsupported}"`);
  if (method === "GET") return query.get("list-type") === "2" ? "ListObjectsV2" : "ListObjects";
  if (method === "HEAD") return "HeadBucket";
  if (method === "PUT") return "CreateBucket";
  if (method === "DELETE") return "DeleteBucket";
  throw new S3Error("MethodNotAllowed");
}

function objectOperation(method: string, query: Query, headers: Headers): S3Operation {
  switch (method) {
    case "GET":
    case "HEAD": {
      if (method === "GET" && query.has("uploadId")) return "ListParts";
      if (method === "GET" && query.has("attributes")) return "GetObjectAttributes";
      if (method === "GET" && query.has("tagging")) return "GetObjectTagging";
      if (method === "GET" && query.has("acl")) return "GetObjectAcl";
      // `partNumber` reads one part of the object (see `preparePartRead`).
      const unsupported = query.unsupportedSubresource === "partNumber" ? query.unsupportedBesides("partNumber") : query.unsupportedSubresource;
      if (unsupported) throw notImplemented(`The object sub-resource "${unsupported}"`);
      return method === "GET" ? "GetObject" : "HeadObject";
    }
    case "PUT": {
      if (query.has("acl")) return "PutObjectAcl";
      if (query.has("tagging")) return "PutObjectTagging";
      if (query.has("uploadId") || query.has("partNumber")) {
        const copy = headers.has("x-amz-copy-source");
        if (!query.get("uploadId") || !query.get("partNumber")) {
          throw new S3Error("InvalidRequest", { message: `${copy ? "UploadPartCopy" : "UploadPart"} needs both uploadId and partNumber.` });
        }
        return copy ? "UploadPartCopy" : "UploadPart";
      }
      const unsupported = query.unsupportedSubresource;
      if (unsupported) throw notImplemented(`The object sub-resource "${unsupported}"`);
      return headers.has("x-amz-copy-source") ? "CopyObject" : "PutObject";
    }
    case "DELETE": {
      if (query.has("tagging")) return "DeleteObjectTagging";
      if (query.has("uploadId")) return "AbortMultipartUpload";
      const unsupported = query.unsupportedSubresource;
      if (unsupported) throw notImplemented(`The object sub-resource "${unsupported}"`);
      return "DeleteObject";
    }
    case "POST": {
      if (query.has("uploads")) return "CreateMultipartUpload";
      if (query.has("uploadId")) return "CompleteMultipartUpload";
      throw notImplemented("This POST operation");
    }
    default:
      throw new S3Error("MethodNotAllowed");
  }
}

/**
 * Parses `x-amz-copy-source` (`bucket/key` or `/bucket/key`, URL-encoded, optional `?versionId=`; a key sent as raw
 * UTF-8 is read as the text it is).
 */
export function parseCopySource(header: string): { bucket: string; key: string; versionId?: string } {
  const value = textOfHeaderValue(header);
  const questionMark = value.indexOf("?");
  const path = (questionMark === -1 ? value : value.slice(0, questionMark)).replace(/^\//, "");
  const versionId = questionMark === -1 ? undefined : new Query(value.slice(questionMark + 1)).get("versionId");
  const slash = path.indexOf("/");
  if (slash <= 0 || slash === path.length - 1) {
    throw new S3Error("InvalidArgument", { message: "x-amz-copy-source must be of the form bucket/key." });
  }
  const bucket = decodeKey(path.slice(0, slash));
  const key = decodeKey(path.slice(slash + 1));
  validateKey(key);
  return { bucket, key, ...(versionId !== undefined && { versionId }) };
}
