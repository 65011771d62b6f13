/**
 * The GCS backend without a runtime. Object data moves through V4 signed URLs of the XML API that the runtime
 * executes with streaming; listings (`list-type=2`), XML multipart control, copy (`x-goog-copy-source`) and deletes
 * are small signed requests. The Node and worker builds inject only the RSA signer and the HTTP client. In direct
 * resource access (`auth_type = "oidc"` without a service account) URLs are unsigned and every request carries the
 * federated access token as `Authorization: Bearer` instead.
 */
import { isS3Error, S3Error } from "@multistore/core";
import {
  encodeKeyPath,
  escapeXml,
  parseListMultipartUploadsResult,
  parseListPartsResult,
  type Backend,
  type CompletedPart,
  type CopyRequest,
  type DeleteObjectsResult,
  type DeleteVersionsResult,
  type ForwardDispatch,
  type ListRequest,
  type ObjectRequest,
  type PartCopyRequest,
} from "@multistore/core/backend";
import { bearerAuthorization, federatedIdentity } from "./direct-access.js";
import { gcsCopySourceConditions, gcsMetadataHeaders, gcsReadHeaders, gcsUploadHeaders, mapObjectResponse } from "./gcs-headers.js";
import { gcsStorageClassHeader, s3StorageClassOf } from "./storage-class.js";
import { selfCopyFailure, selfCopyHeaders } from "./self-copy.js";
import { checkGcsResponse, parseListResult, refusedCredentials, requiredText } from "./gcs-xml.js";
import { DELETE_CONCURRENCY, eachDeleted } from "./batch-delete.js";
export { DELETE_CONCURRENCY };
import { generationOf, quoted } from "./identifiers.js";
import { uploadPartCopy } from "./part-copy.js";
import { resolveGcsOptions, type GcsBackendOptions } from "./options.js";
import { checkWritePreconditionsNow, generationPrecondition, type ObjectLookup } from "./preconditions.js";
import type { GcsRuntime, SmallResponse } from "./transport.js";
import { signUrlV4, unsignedUrl, type GcsSigner } from "./v4-signing.js";

/** Lifetime of the signed URLs the backend makes: they are used at once, by the runtime or by us. */
export const PRESIGN_TTL_SECONDS = 300;

const METHODS = { GetObject: "GET", HeadObject: "HEAD", PutObject: "PUT", DeleteObject: "DELETE", UploadPart: "PUT" } as const;
type Query = [string, string][];

/** A GCS backend; `bucketName` is what copies between buckets of one endpoint and account need. */
export interface GcsBackend extends Backend<unknown> {
  /** Backend bucket name. */
  readonly bucketName: string;
}

/** Builds a GCS backend from options and a runtime. Throws when options are invalid, naming the option. */
export function createGcsBackendWith(rawOptions: GcsBackendOptions, runtime: GcsRuntime): GcsBackend {
  const options = resolveGcsOptions(rawOptions);
  if (options.federatedEmail && !runtime.remoteSigner) {
    throw new Error(
      'auth_type = "oidc" needs federated credentials for backend_type = gcs: set OIDC_PROVIDER_KEY and OIDC_PROVIDER_ISSUER so the proxy signs through IAM signBlob',
    );
  }
  const tokenProvider = options.federatedDirect ? runtime.accessToken : undefined;
  if (options.federatedDirect && !tokenProvider) {
    throw new Error(
      'auth_type = "oidc" needs federated credentials for backend_type = gcs: set OIDC_PROVIDER_KEY and OIDC_PROVIDER_ISSUER so the proxy sends the federated access token directly (no service_account_email: direct resource access)',
    );
  }
  // Direct access signs nothing: a signBlob extra passed along for every oidc bucket is not used.
  const signer: GcsSigner | undefined = options.federatedDirect
    ? undefined
    : (runtime.remoteSigner ?? (options.serviceAccount && runtime.createSigner(options.serviceAccount)));
  /** `Authorization` of direct access, asked per request (the provider caches); none when requests are signed. */
  const authorization = async (): Promise<Record<string, string>> => (tokenProvider ? { authorization: await bearerAuthorization(tokenProvider) } : {});
  const now = runtime.now ?? (() => new Date());
  const origin = `${options.endpoint.protocol}//${options.endpoint.host}`;
  // `new URL("http://h")` has the path "/": a base path never ends with a slash here.
  const basePath = options.endpoint.pathname.replace(/\/+$/, "");

  /** Path of a key (or of the bucket), encoded once: exactly what is signed and sent. */
  function pathFor(key: string | undefined): string {
    // URL parsing in the runtime's HTTP client would resolve `.` and `..` segments (even escaped) into another key.
    if (key?.split("/").some((segment) => segment === "." || segment === "..")) {
      throw new S3Error("InvalidArgument", { message: 'Object keys with a "." or ".." path segment are not allowed.' });
    }
    return `${basePath}/${options.bucketName}${key === undefined ? "" : `/${encodeKeyPath(key)}`}`;
  }

  /** A signed URL (unsigned with skip_signature or direct access) whose signature covers `headers` and `query`. */
  async function urlFor(method: string, key: string | undefined, query: Query, headers: Record<string, string>): Promise<string> {
    const path = pathFor(key);
    if (!signer) return unsignedUrl(origin, path, query);
    try {
      return (await signUrlV4({ method, origin, path, query, headers, timestamp: now(), expiresInSeconds: PRESIGN_TTL_SECONDS }, signer)).url;
    } catch (error) {
      // Federated signing fails with an actionable 503 already (naming the bucket and the failing step).
      if (isS3Error(error)) throw error;
      throw new S3Error("ServiceUnavailable", { message: "Signing the backend request failed.", cause: error });
    }
  }

  async function send(method: string, url: string, headers: Record<string, string>, body?: Uint8Array, long = false): Promise<SmallResponse> {
    // Outside the try below: a token failure is not an unreachable backend, and keeps its own 503.
    const sendHeaders = { ...headers, ...(await authorization()) };
    try {
      return await runtime.send(method, url, sendHeaders, body, long);
    } catch (error) {
      throw new S3Error("ServiceUnavailable", { message: "The storage backend is unreachable.", cause: error });
    }
  }

  /** A small signed request whose failures become S3 errors (`long`: a copy or a completion, see `SendRequest`). */
  async function call(method: string, key: string | undefined, query: Query, headers: Record<string, string>, body?: Uint8Array, long = false) {
    const response = await send(method, await urlFor(method, key, query, headers), headers, body, long);
    return { ...response, root: checkGcsResponse(response.status, response.text) };
  }

  /** A signed HEAD of a key, with headers sent but not signed. */
  const head = async (key: string, headers: Record<string, string> = {}) => send("HEAD", await urlFor("HEAD", key, [], {}), headers);

  /** The current ETag and generation of a key (a HEAD), for conditional writes. */
  function lookup(key: string): ObjectLookup {
    return async () => {
      const response = await head(key);
      if (response.status === 404) return undefined;
      checkGcsResponse(response.status, "");
      const etag = response.headers.get("etag");
      const generation = response.headers.get("x-goog-generation");
      if (!etag || !generation) throw new S3Error("ServiceUnavailable", { cause: new Error("GCS HEAD response without ETag or x-goog-generation") });
      return { etag, generation };
    };
  }

  async function prepareObject(request: ObjectRequest): Promise<ForwardDispatch> {
    const { operation, key } = request;
    const method = METHODS[operation];
    const query: Query = [];
    let headers: Record<string, string> = {};
    if (operation === "GetObject" || operation === "HeadObject") headers = gcsReadHeaders(request.headers);
    else if (operation === "PutObject") {
      headers = { ...gcsUploadHeaders(request.headers, true), ...gcsStorageClassHeader(request.headers), ...(await generationPrecondition(request.headers, key, lookup(key))) };
    } else if (operation === "UploadPart") {
      headers = gcsUploadHeaders(request.headers, false);
      query.push(["partNumber", String(request.partNumber)], ["uploadId", request.uploadId ?? ""]);
    }
    // S3's conditional delete (If-Match): the generation it names, or NoSuchKey / 412 before anything is sent.
    else if (operation === "DeleteObject" && request.headers.has("if-match")) {
      headers = await generationPrecondition(new Headers({ "if-match": request.headers.get("if-match")! }), key, lookup(key));
    }
    const generation = request.versionId === undefined || operation === "PutObject" || operation === "UploadPart" ? undefined : generationOf(request.versionId);
    if (generation !== undefined) query.push(["generation", generation]);
    const url = await urlFor(method, key, query, headers);
    const sendHeaders = new Headers({ ...headers, ...(await authorization()) });
    // GCS serves an object stored gzipped decompressed to a request that does not accept gzip (decompressive
    // transcoding); S3 serves stored bytes as they are. Sent, not signed: runtimes may set it themselves.
    if (method === "GET" || method === "HEAD") sendHeaders.set("accept-encoding", "gzip");
    // The length is the runtime's business (it frames the body); it is sent, never signed.
    const length = request.headers.get("content-length");
    if (length !== null && method === "PUT") sendHeaders.set("content-length", length);
    const context = {
      operation,
      requestHeaders: request.headers,
      ...(request.responseOverrides && { responseOverrides: request.responseOverrides }),
      ...(request.verifiedChecksums && { verifiedChecksums: request.verifiedChecksums }),
    };
    return {
      type: "forward",
      method,
      url,
      headers: sendHeaders,
      mapResponse: (status, responseHeaders) => {
        if (status === 401) return refusedCredentials(status);
        // GCS answers a generation the key does not have (a version) as a missing key; S3 says which is missing.
        if (status === 404 && generation !== undefined && method !== "DELETE") return new S3Error("NoSuchVersion", { details: { VersionId: request.versionId! } });
        return mapObjectResponse(status, responseHeaders, context);
      },
    };
  }

  /** One key of a DeleteObjects batch: missing keys count as deleted, as in S3. */
  async function deleteOne(key: string, generation?: string): Promise<void> {
    const response = await send("DELETE", await urlFor("DELETE", key, generation === undefined ? [] : [["generation", generation]], {}), {});
    if (response.status === 404 && !response.text.includes("<Code>NoSuchBucket</Code>")) return;
    checkGcsResponse(response.status, response.text);
  }

  const backend: GcsBackend = {
    kind: "gcs",
    bucketName: options.bucketName,
    copyDomain: `gcs:${origin}${basePath}:${options.federatedDirect ? federatedIdentity(rawOptions) : (signer?.clientEmail ?? "anonymous")}`,
    // A write's CRC32C goes to GCS (`x-goog-hash`), which verifies and keeps it; GCS keeps no other checksum.
    keptChecksums: ["crc32c"],
    computedChecksums: ["crc32c"],
    prepareObject,

    async listObjects(request: ListRequest) {
      const query: Query = [["list-type", "2"], ["max-keys", String(request.maxKeys)]];
      if (request.prefix) query.push(["prefix", request.prefix]);
      if (request.delimiter) query.push(["delimiter", request.delimiter]);
      if (request.continuationToken) query.push(["continuation-token", request.continuationToken]);
      else if (request.startAfter) query.push(["start-after", request.startAfter]);
      const { root } = await call("GET", undefined, query, {});
      if (!root) throw new S3Error("ServiceUnavailable", { cause: new Error("empty list response from the GCS backend") });
      return parseListResult(root, request.continuationToken ? undefined : request.startAfter);
    },

    async createMultipartUpload(key, headers) {
      const { root } = await call("POST", key, [["uploads", ""]], { ...gcsMetadataHeaders(headers), ...gcsStorageClassHeader(headers) });
      return { uploadId: requiredText(root, "UploadId") };
    },

    async completeMultipartUpload(key, uploadId, parts: CompletedPart[], headers) {
      await checkWritePreconditionsNow(headers, key, lookup(key));
      const partsXml = parts.map((part) => `<Part><PartNumber>${part.partNumber}</PartNumber><ETag>${escapeXml(quoted(part.etag))}</ETag></Part>`).join("");
      const body = new TextEncoder().encode(`<CompleteMultipartUpload>${partsXml}</CompleteMultipartUpload>`);
      const { root } = await call("POST", key, [["uploadId", uploadId]], { "content-type": "application/xml" }, body, true);
      return { etag: requiredText(root, "ETag") };
    },

    async abortMultipartUpload(key, uploadId) {
      await call("DELETE", key, [["uploadId", uploadId]], {});
    },

    async listParts(key, uploadId, request) {
      const query: [string, string][] = [["uploadId", uploadId], ["max-parts", String(request.maxParts)]];
      if (request.partNumberMarker > 0) query.push(["part-number-marker", String(request.partNumberMarker)]);
      const { root } = await call("GET", key, query, {});
      if (!root) throw new S3Error("ServiceUnavailable", { cause: new Error("empty ListParts response from the GCS backend") });
      return parseListPartsResult(root, s3StorageClassOf);
    },

    async listMultipartUploads(request) {
      // Markers only when set: GCS refuses an empty upload-id-marker (InvalidArgument).
      const query: Query = [["uploads", ""], ["max-uploads", String(request.maxUploads)]];
      if (request.prefix) query.push(["prefix", request.prefix]);
      if (request.keyMarker) query.push(["key-marker", request.keyMarker]);
      if (request.keyMarker && request.uploadIdMarker) query.push(["upload-id-marker", request.uploadIdMarker]);
      const { root } = await call("GET", undefined, query, {});
      if (!root) throw new S3Error("ServiceUnavailable", { cause: new Error("empty ListMultipartUploads response from the GCS backend") });
      return parseListMultipartUploadsResult(root, s3StorageClassOf);
    },

    async deleteObjects(keys): Promise<DeleteObjectsResult> {
      const outcomes = await eachDeleted(keys, (key) => deleteOne(key));
      const result: DeleteObjectsResult = { deleted: [], errors: [] };
      keys.forEach((key, index) => {
        const error = outcomes[index];
        if (error) result.errors.push({ key, code: error.code, message: error.message });
        else result.deleted.push(key);
      });
      return result;
    },

    async deleteObjectVersions(versions): Promise<DeleteVersionsResult> {
      // A version is a generation; `null` is the live object (see generationOf).
      const outcomes = await eachDeleted(versions, (version) => deleteOne(version.key, generationOf(version.versionId)));
      const result: DeleteVersionsResult = { deleted: [], errors: [] };
      versions.forEach((version, index) => {
        const error = outcomes[index];
        if (error) result.errors.push({ ...version, code: error.code, message: error.message });
        else result.deleted.push(version);
      });
      return result;
    },

    async copyObject(request: CopyRequest<unknown>) {
      const source = request.sourceBackend as Partial<GcsBackend>;
      if (source.copyDomain !== backend.copyDomain || typeof source.bucketName !== "string") {
        throw new S3Error("NotImplemented", { message: "Copying between buckets on different storage endpoints or accounts is not supported." });
      }
      pathFor(request.sourceKey);
      const directive = (request.headers.get("x-amz-metadata-directive") ?? "COPY").toUpperCase();
      if (directive !== "COPY" && directive !== "REPLACE") {
        throw new S3Error("InvalidArgument", { message: "Unknown metadata directive.", details: { ArgumentName: "x-amz-metadata-directive" } });
      }
      // Checked before any request: a class GCS has no counterpart of is refused without a HEAD or a lookup.
      const storageClass = gcsStorageClassHeader(request.headers);
      const sourceGeneration = request.sourceVersionId === undefined ? undefined : generationOf(request.sourceVersionId);
      // A copy onto itself keeping its metadata: written again with its own (see self-copy.ts).
      const ontoItself = source.bucketName === backend.bucketName && request.sourceKey === request.key && directive === "COPY" && sourceGeneration === undefined;
      const headers: Record<string, string> = {
        "x-goog-copy-source": `${source.bucketName}/${encodeKeyPath(request.sourceKey)}`,
        "x-goog-metadata-directive": directive,
        ...(sourceGeneration !== undefined && { "x-goog-copy-source-generation": sourceGeneration }),
        ...gcsCopySourceConditions(request.headers),
        // With COPY, GCS keeps the source's metadata; new content headers would only be ignored.
        ...(directive === "REPLACE" && gcsMetadataHeaders(request.headers)),
        // (Accept-Encoding keeps GCS from describing a gzip object as served decompressed.)
        ...(ontoItself ? await selfCopyHeaders(request, (key) => head(key, { "accept-encoding": "gzip" })) : await generationPrecondition(request.headers, request.key, lookup(request.key))),
      };
      // The class asked for, whatever the directive (none: the bucket's default); a self-copy keeps its own otherwise.
      if (request.headers.has("x-amz-storage-class")) {
        delete headers["x-goog-storage-class"];
        Object.assign(headers, storageClass);
      }
      const copied = call("PUT", request.key, [], headers, undefined, true);
      const { root } = await (ontoItself ? copied.catch((error: unknown) => Promise.reject(selfCopyFailure(error, request.headers))) : copied);
      const lastModified = root?.children.find((child) => child.name === "LastModified")?.text;
      return { etag: requiredText(root, "ETag"), ...(lastModified !== undefined && { lastModified: new Date(lastModified) }) };
    },
    ...(runtime.stream && { uploadPartCopy: (request: PartCopyRequest<unknown>) => uploadPartCopy(backend, request, runtime.stream!) }),
  };
  return backend;
}
