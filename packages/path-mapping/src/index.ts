/**
 * `@multistore/path-mapping`: hierarchical namespaces. The first `bucketSegments` segments of a path-style request
 * name one configured bucket, joined with `separator`: `/{account}/{product}/{key}` is key `{key}` of bucket
 * `account:product`. A listing of the namespace with a prefix (`GET /account?prefix=product/x`, what `aws s3 ls
 * s3://account/product/x` sends) lists bucket `account:product` under prefix `x`, and its keys are shown as the
 * client named them (`product/x...`); a listing above any bucket shows the buckets under it as common prefixes.
 * Signatures are verified against the path the client signed, before mapping. Virtual-hosted requests and
 * ListBuckets are served as they are. Runtime-free.
 */
import { BUCKET_SETTING_SUBRESOURCES, S3Error, type MappedTarget, type Query, type TargetMapping } from "@multistore/core";
import { decodeKey } from "@multistore/core/backend";

/** Options of `createPathMapping` (the config file's `[path_mapping]`). */
export interface PathMappingOptions {
  /** How many leading path segments name the bucket (at least 2). */
  bucketSegments: number;
  /** What joins them into a configured bucket name (default `:`). */
  separator?: string;
}

/** Query parameters of a listing: a request with any other parameter is not a listing. */
const LISTING_PARAMETERS = new Set(["list-type", "prefix", "delimiter", "marker", "start-after", "continuation-token", "max-keys", "encoding-type", "fetch-owner", "x-id"]);

/** Query parameters of ListMultipartUploads (`uploads` itself among them). */
const UPLOAD_LISTING_PARAMETERS = new Set(["uploads", "prefix", "delimiter", "key-marker", "upload-id-marker", "max-uploads", "encoding-type", "x-id"]);

/** Query parameters of ListObjectVersions (`versions` itself among them). */
const VERSION_LISTING_PARAMETERS = new Set(["versions", "prefix", "delimiter", "key-marker", "version-id-marker", "max-keys", "encoding-type", "x-id"]);

/** The sub-resources whose GET reads a bucket's own settings (GetBucketLocation, GetBucketVersioning, GetBucketAcl, ...). */
const SETTING_PARAMETERS = new Set(["location", "versioning", "acl", ...BUCKET_SETTING_SUBRESOURCES]);

/** Parameters that name a bucket-level operation (a listing, a sub-resource of the bucket). */
const BUCKET_PARAMETERS = new Set([...LISTING_PARAMETERS, ...SETTING_PARAMETERS, "versions", "uploads", "delete"]);
BUCKET_PARAMETERS.delete("x-id");

/** Parameters that sign a request rather than name an operation (X-Amz-*, or AWSAccessKeyId/Signature/Expires for V2). */
const SIGNATURE_PARAMETER = /^(x-amz-|awsaccesskeyid$|signature$|expires$)/i;

/**
 * Whether a request is a listing of keys (ListObjects, V1 or V2), of uploads (ListMultipartUploads) or of versions
 * (ListObjectVersions).
 */
function isListing(method: string, query: Query): boolean {
  if (method !== "GET") return false;
  const parameters = query.has("uploads") ? UPLOAD_LISTING_PARAMETERS : query.has("versions") ? VERSION_LISTING_PARAMETERS : LISTING_PARAMETERS;
  // Presigned listings carry their signature in the query.
  for (const [name] of query.pairs) if (!parameters.has(name) && !SIGNATURE_PARAMETER.test(name)) return false;
  return true;
}

/** A DeleteObjects (`POST ?delete`): its keys name the namespace's buckets by their first segments. */
function isDeleteObjects(method: string, query: Query): boolean {
  if (method !== "POST") return false;
  const named = query.pairs.filter(([name]) => name !== "x-id" && !SIGNATURE_PARAMETER.test(name)).map(([name]) => name);
  return named.length === 1 && named[0] === "delete";
}

/**
 * A HEAD (HeadBucket), a GET `?location` (GetBucketLocation) or, on the namespace's path itself (`bucketLevel`: its
 * first segment alone, or with a trailing slash), a GET of another bucket setting (`?versioning`, `?acl`, ...), each
 * without another operation's parameter. Below the first segment without a trailing slash, `?acl` and `?tagging` are
 * an object's (GetObjectAcl of key `x` of bucket `acme` for `/acme/x?acl`), never the namespace's.
 */
function isNamespaceCall(method: string, query: Query, bucketLevel: boolean): boolean {
  const named = query.pairs.filter(([name]) => name !== "x-id" && !SIGNATURE_PARAMETER.test(name)).map(([name]) => name);
  if (method === "HEAD") return named.length === 0;
  return method === "GET" && named.length === 1 && (named[0] === "location" || (bucketLevel && SETTING_PARAMETERS.has(named[0]!)));
}

/**
 * A plain object request (no parameter naming an operation) on exactly a bucket's segments: to the client, key
 * `product` of bucket `account`, which cannot exist, since it names a bucket of the namespace. Answered as such, never
 * as the bucket-level request the same path is on a mapped bucket (a listing served as the object's body, a PUT that
 * answers 200 as CreateBucket and stores nothing).
 */
function refuseKeyNamingBucket(method: string, query: Query, path: string): void {
  // Only a parameter that names a bucket operation makes it one: an object request may carry others (the AWS SDK
  // for JavaScript adds `x-id=GetObject`; `versionId`, `response-*`).
  if (query.pairs.some(([name]) => BUCKET_PARAMETERS.has(name))) return;
  // A CORS preflight is answered with the bucket's rules (the request it announces is refused in its turn).
  if (method === "OPTIONS") return;
  if (method === "GET" || method === "HEAD") throw new S3Error("NoSuchKey");
  throw new S3Error("InvalidRequest", { message: `${path} names a bucket of the namespace; a key needs a path segment more.` });
}

/** Creates the mapping; options are checked here. */
export function createPathMapping(options: PathMappingOptions): TargetMapping {
  const count = options.bucketSegments;
  const separator = options.separator ?? ":";
  if (!Number.isSafeInteger(count) || count < 2 || count > 8) throw new Error("path_mapping.bucket_segments must be an integer from 2 to 8");
  if (!/^[:._-]{1,4}$/.test(separator)) throw new Error('path_mapping.separator must be 1 to 4 of ":", ".", "_" and "-"');

  return {
    map(method, rawPath, query): MappedTarget | undefined {
      const raw = rawPath.slice(1).split("/");
      if (raw[0] === "") return undefined;
      const names = raw.map(decodeKey);
      // Segments that name the bucket: every non-empty one up to `count` (a trailing slash ends them).
      let named = 0;
      while (named < count && named < raw.length && raw[named] !== "") named++;
      if (named === count) {
        // (No trailing slash: `/account/product/` is the bucket itself.)
        if (raw.length === count) refuseKeyNamingBucket(method, query, `/${names.join("/")}`);
        const bucket = names.slice(0, count).join(separator);
        const rest = raw.slice(count).join("/");
        const rawPath = `/${encodeURIComponent(bucket)}${rest === "" ? "" : `/${rest}`}`;
        const resource = `/${names.join("/")}`.replace(/\/$/, "");
        // `/account/product/` is the bucket itself, under its own name; a key is the client's key of bucket `account`.
        if (rest === "") return { rawPath, resource };
        return { rawPath, resource, shown: { name: names[0]!, keyPrefix: names.slice(1, count).map((segment) => `${segment}/`).join("") } };
      }
      // Fewer segments than a bucket needs. Without a trailing slash, `/account/x` is key `x` of bucket `account` to
      // the client, which cannot exist (an object request, never the namespace's listing as the object's body).
      if (named >= 2 && raw.length === named) refuseKeyNamingBucket(method, query, `/${names.join("/")}`);
      if (raw.slice(named).some((segment) => segment !== "")) return undefined;
      const client = names[0]!;
      const namespace = { name: client, bucketPrefix: names.slice(0, named).join(separator) + separator, separator, segments: count - named };
      // HeadBucket and GetBucketLocation of the namespace: clients check a bucket before they write to it (rclone);
      // bucket browsers (Cyberduck) read its settings when they open it.
      // DeleteObjects of keys across the namespace's buckets (`aws s3 rm --recursive s3://account/product/`).
      if (isNamespaceCall(method, query, named === 1 || raw.length > named) || isDeleteObjects(method, query)) return { rawPath: `/${encodeURIComponent(client)}`, resource: `/${client}`, namespace };
      if (!isListing(method, query)) return undefined;
      // The listing's prefix supplies the rest (`product/` of `product/x`).
      const prefix = query.get("prefix") ?? "";
      const fromPrefix = prefix.split("/");
      const needed = count - named;
      const pathPart = names.slice(1, named).map((segment) => `${segment}/`).join("");
      if (fromPrefix.length > needed && fromPrefix.slice(0, needed).every((segment) => segment !== "")) {
        const bucket = [...names.slice(0, named), ...fromPrefix.slice(0, needed)].join(separator);
        return {
          rawPath: `/${encodeURIComponent(bucket)}`,
          resource: `/${client}`,
          listing: { name: client, keyPrefix: pathPart + fromPrefix.slice(0, needed).map((segment) => `${segment}/`).join("") },
        };
      }
      return { rawPath: `/${encodeURIComponent(client)}`, resource: `/${client}`, namespace };
    },
  };
}
