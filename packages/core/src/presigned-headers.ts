/**
 * Headers a presigner moved into a presigned URL's query string. The AWS SDKs' presigners move every `x-amz-*` header
 * but the server-side encryption ones into the query, where the signature covers them, and S3 takes them as the
 * request's headers: a presigned PutObject's metadata, storage class, tags and canned ACL, a presigned CopyObject's
 * source, directives and source conditions. The gateway takes them too (a header the request sends itself wins), so
 * a presigned upload keeps its metadata and a presigned copy copies, rather than storing an empty object.
 * Checksums are not taken: a presigner computes them before it has the body (the AWS SDK for JavaScript puts the
 * CRC32 of an empty body into every presigned PutObject URL), and the body is checked as it is sent.
 */
import { S3Error } from "./errors.js";
import { HeaderMap } from "./header-map.js";
import { hoistedHeaderValue, isHeaderName } from "./header-text.js";
import type { RequestContext } from "./middleware.js";
import { CUSTOMER_KEY_HEADERS, OBJECT_LOCK_HEADERS, OBJECT_SETTING_HEADERS } from "./object-settings.js";
import type { GatewayRequest, Query } from "./s3-request.js";

/** The hoisted headers taken, besides `x-amz-meta-*`: those the gateway checks or passes on for a write or copy. */
const TAKEN = new Set([
  "x-amz-acl",
  "x-amz-storage-class",
  "x-amz-tagging",
  "x-amz-copy-source",
  "x-amz-copy-source-range",
  "x-amz-copy-source-if-match",
  "x-amz-copy-source-if-none-match",
  "x-amz-copy-source-if-modified-since",
  "x-amz-copy-source-if-unmodified-since",
  "x-amz-metadata-directive",
  "x-amz-tagging-directive",
  // Object settings (a presigner may move them too), and Object Lock's and SSE-C's, taken to be refused rather than
  // left unseen.
  ...OBJECT_SETTING_HEADERS,
  ...OBJECT_LOCK_HEADERS,
  ...CUSTOMER_KEY_HEADERS,
]);

const NONE: readonly (readonly [string, string])[] = [];
/** Per parsed query (queries are shared between requests that send the same string): its hoisted headers. */
const hoistedOf = new WeakMap<Query, readonly (readonly [string, string])[]>();

function hoisted(query: Query): readonly (readonly [string, string])[] {
  let found = hoistedOf.get(query);
  if (found !== undefined) return found;
  const pairs: [string, string][] = [];
  for (const [name, value] of query.pairs) {
    const lower = name.toLowerCase();
    if (!(lower.startsWith("x-amz-meta-") || TAKEN.has(lower)) || pairs.some(([taken]) => taken === lower)) continue;
    // Never through an HTTP parser: held to what a header carries. Trimmed, as a parser trims a header, and as SigV2
    // signs the value: what is taken is what was signed.
    if (!isHeaderName(lower)) throw new S3Error("InvalidArgument", { message: `"${name}" is not a name a header can have.`, details: { ArgumentName: name } });
    pairs.push([lower, hoistedHeaderValue(value.trim(), name)]);
  }
  found = pairs.length === 0 ? NONE : pairs;
  hoistedOf.set(query, found);
  return found;
}

/**
 * The headers of a verified presigned request with those its query carries (see above); `headers` itself when it
 * carries none, else a copy. Only for a query-signed request, once its signature is verified.
 */
export function withPresignedHeaders(query: Query, headers: Headers): Headers {
  const pairs = hoisted(query);
  if (pairs === NONE) return headers;
  const merged = new HeaderMap(headers);
  for (const [name, value] of pairs) if (!merged.has(name)) merged.set(name, value);
  return merged;
}

/** What SigV2 signs of the content besides `x-amz-*`, and botocore's SigV2 presigner moves into the query too. */
const SIGV2_CONTENT = ["content-md5", "content-type"] as const;

/**
 * A verified SigV2 presigned request's headers with the Content-Type and Content-MD5 its query carries. The signature
 * covers the query's values (the first of each, trimmed), not the request's own headers then: the signed ones win, so
 * a URL presigned for `text/csv` stores `text/csv` whatever type the uploader sends (urllib sends a form type), and a
 * signed MD5 holds the body to it. `headers` itself when the query carries neither or the same.
 */
export function withSigV2ContentHeaders(query: Query, headers: Headers): Headers {
  let merged: Headers | undefined;
  for (const name of SIGV2_CONTENT) {
    const value = query.pairs.find(([key]) => key.toLowerCase() === name)?.[1].trim();
    if (value === undefined || value === headers.get(name)) continue;
    merged ??= new HeaderMap(headers);
    merged.set(name, hoistedHeaderValue(value, name));
  }
  return merged ?? headers;
}

/**
 * `request` with other headers, everything else (its body, methods) as it was; middleware sees them too (`context`),
 * as everything after authentication does.
 */
export function requestWithHeaders<B>(request: GatewayRequest<B>, headers: Headers, context: RequestContext): GatewayRequest<B> {
  context.headers = headers;
  return Object.create(request, { headers: { value: headers, enumerable: true } }) as GatewayRequest<B>;
}
