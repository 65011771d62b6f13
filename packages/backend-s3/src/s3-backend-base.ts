/**
 * The S3 backend without a runtime: object data moves through presigned URLs the runtime executes with streaming;
 * lists, multipart control, batch delete and copy are small signed requests. The Node and worker builds inject
 * their signer and HTTP client.
 */
import { isS3Error, S3Error } from "@multistore/core";
import {
  DOT_SEGMENT,
  encodeKeyPath,
  escapeXml,
  parseListMultipartUploadsResult,
  parseListPartsResult,
  type Backend,
  type CompletedPart,
  type CopyRequest,
  type PartCopyRequest,
  type ForwardDispatch,
  type ListRequest,
  type ObjectRequest,
  type XmlElement,
} from "@multistore/core/backend";
import { HeaderMap } from "@multistore/core/runtime";
import { createPresigner, type Presigner } from "@multistore/core/sigv4";
import { resolveS3Options, type ResolvedS3Options, type S3BackendOptions } from "./options.js";
import { checkBackendResponse, parseDeleteResult, parseDeleteVersionsResult, parseListResult, requiredDocument, requiredText } from "./s3-xml.js";
import { copyResultOf, copySourceHeaders } from "./copy-source.js";
import { taggingMethods } from "./tagging.js";
import { readBucketEncryption } from "./bucket-encryption.js";
import { xmlBodyHeaders, sha256HexOf } from "./digests.js";
import { encodeQuery, type S3Credentials, type S3CredentialsProvider, type S3Runtime, type S3Signer, type SignableRequest } from "./transport.js";

/** Presigned URLs kept for reuse per set of credentials. */
const MAX_REUSED_URLS = 1024;
const METHODS = { GetObject: "GET", HeadObject: "HEAD", PutObject: "PUT", DeleteObject: "DELETE", UploadPart: "PUT" } as const;

/** URL parsing would resolve `.` and `..` segments (even escaped ones) into another key, or out of the bucket. */
function refuseDotSegments(key: string): void {
  if (DOT_SEGMENT.test(key)) {
    throw new S3Error("InvalidArgument", { message: 'Object keys with a "." or ".." path segment are not allowed.' });
  }
}

/** An S3 backend; `bucketName` is what copies between buckets of one endpoint need. */
export interface S3Backend extends Backend<unknown> {
  /** Backend bucket name. */
  readonly bucketName: string;
}

/**
 * Builds an S3 backend from options and a runtime. With `credentials`, every request is signed with what the
 * provider returns at that moment (static keys in `rawOptions` are then not needed).
 */
export function createS3BackendWith(rawOptions: S3BackendOptions, runtime: S3Runtime, credentials?: S3CredentialsProvider): S3Backend {
  const options: ResolvedS3Options = resolveS3Options(rawOptions, { credentialsProvided: credentials !== undefined });
  interface Signers {
    signer: S3Signer;
    presign: Presigner;
    /** Presigned object URLs by what they sign, reused for half their lifetime (see `presigned`). */
    urls: Map<string, { url: string; reuseUntil: number }>;
  }
  const signersOf = (resolved: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }): Signers => {
    const { accessKeyId, secretAccessKey, sessionToken } = resolved;
    const plain = { accessKeyId, secretAccessKey, ...(sessionToken && { sessionToken }) };
    return { signer: runtime.createSigner(plain, options.region), presign: createPresigner(plain, options.region), urls: new Map() };
  };
  const reuseMs = options.presignTtlSeconds * 500;
  const staticSigners: Signers | undefined = options.credentials && signersOf(options.credentials);
  let current: { credentials: S3Credentials; signers: Signers } | undefined;

  /** The signers for this request: the static ones, or ones for the provider's current credentials. */
  async function signersFor(): Promise<Signers | undefined> {
    if (!credentials) return staticSigners;
    let resolved: S3Credentials;
    try {
      resolved = await credentials();
    } catch (error) {
      if (isS3Error(error)) throw error;
      throw new S3Error("ServiceUnavailable", { message: "Credentials for the storage backend are unavailable.", cause: error });
    }
    if (current?.credentials !== resolved) current = { credentials: resolved, signers: signersOf(resolved) };
    return current.signers;
  }

  // Object URLs are built from a template made once: origin, signed host and the path up to the key.
  const objectOrigin = options.pathStyle
    ? `${options.endpoint.protocol}//${options.endpoint.host}`
    : `${options.endpoint.protocol}//${options.bucketName}.${options.endpoint.host}`;
  const objectHost = options.pathStyle ? options.endpoint.host : `${options.bucketName}.${options.endpoint.host}`;
  const endpointPath = options.endpoint.pathname.replace(/\/+$/, "");
  const objectPathPrefix = options.pathStyle ? `${endpointPath}/${encodeURIComponent(options.bucketName)}/` : `${endpointPath}/`;

  /** URL of a key (or of the bucket when `key` is undefined), path encoded once. */
  function urlFor(key: string | undefined, query: Record<string, string> = {}): URL {
    if (key !== undefined) refuseDotSegments(key);
    const base = options.endpoint;
    const basePath = base.pathname.replace(/\/+$/, "");
    const keyPath = key === undefined ? "" : `/${encodeKeyPath(key)}`;
    let url: URL;
    if (options.pathStyle) {
      // Bucket-level requests carry no trailing slash: some S3-compatibles canonicalize `/bucket` only.
      url = new URL(`${base.protocol}//${base.host}${basePath}/${encodeURIComponent(options.bucketName)}${keyPath}`);
    } else {
      url = new URL(`${base.protocol}//${options.bucketName}.${base.host}${basePath}${keyPath || "/"}`);
    }
    url.search = encodeQuery(Object.entries(query));
    return url;
  }

  function baseHeaders(): Record<string, string> {
    return { "user-agent": options.userAgent };
  }

  async function signedRequest(method: string, url: URL, headers: Record<string, string>, body?: Uint8Array, long = false) {
    const all = { ...baseHeaders(), ...headers };
    if (body) all["content-length"] = String(body.length);
    let sendHeaders = all;
    const signers = await signersFor();
    if (signers) {
      const payloadHash = body ? await sha256HexOf(body) : await sha256HexOf(new Uint8Array());
      sendHeaders = await signers.signer.sign({ method, url, headers: all }, payloadHash);
    }
    let response;
    try {
      response = await runtime.send(method, url.toString(), sendHeaders, body, long);
    } catch (error) {
      throw new S3Error("ServiceUnavailable", { message: "The storage backend is unreachable.", cause: error });
    }
    return { ...response, root: checkBackendResponse(response.status, response.text) };
  }

  /**
   * The backend request of an object operation: a presigned URL. With static keys it is answered now whenever the
   * URL is one still held (see `presigned`), so a reader's repeated GETs of one object take no promise turn here.
   */
  function prepareObject(request: ObjectRequest): ForwardDispatch | Promise<ForwardDispatch> {
    const method = METHODS[request.operation];
    const query: [string, string][] = [];
    if (request.responseOverrides) for (const name in request.responseOverrides) query.push([name, request.responseOverrides[name]!]);
    if (request.versionId !== undefined) query.push(["versionId", request.versionId]);
    if (request.operation === "UploadPart") query.push(["partNumber", String(request.partNumber)], ["uploadId", request.uploadId!]);
    else if (request.partNumber !== undefined) query.push(["partNumber", String(request.partNumber)]);
    refuseDotSegments(request.key);
    const path = objectPathPrefix + encodeKeyPath(request.key);
    // Core builds the forwarded headers for this request alone: they are ours to extend.
    const sendHeaders = request.headers instanceof HeaderMap ? request.headers : new HeaderMap(request.headers);
    sendHeaders.record["user-agent"] = options.userAgent;
    if (!credentials) return presigned(staticSigners, method, path, query, sendHeaders);
    return signersFor().then((signers) => presigned(signers, method, path, query, sendHeaders));
  }

  function presigned(signers: Signers | undefined, method: string, path: string, query: [string, string][], sendHeaders: HeaderMap): ForwardDispatch | Promise<ForwardDispatch> {
    if (!signers) {
      const search = query.length === 0 ? "" : `?${encodeQuery(query)}`;
      return { type: "forward", method, url: `${objectOrigin}${path}${search}`, headers: sendHeaders };
    }
    // Signed: the host and every x-amz-* header (S3 refuses presigned requests carrying unsigned x-amz-* headers).
    // Range, conditions and content headers travel unsigned, as S3 allows: the URL never leaves the gateway, and one
    // URL then serves every range a client reads of an object.
    const signed: Record<string, string> = {};
    let signedText = "";
    sendHeaders.forEach((value, name) => {
      if (name.startsWith("x-amz-")) {
        signed[name] = value;
        signedText += `\n${name}:${value}`;
      }
    });
    // A client's hex payload digest is signed as what the backend must verify; otherwise the payload is unsigned.
    const digest = signed["x-amz-content-sha256"];
    // A URL presigned for the same method, path, query and signed headers is reused for half its lifetime: it
    // still has at least that long to run when the backend receives it, and reads of one object (tiles, ranges of
    // a Parquet file) skip the signing.
    const cacheKey = `${method} ${path}?${query.length === 0 ? "" : encodeQuery(query)}${signedText}`;
    const now = Date.now();
    const cached = signers.urls.get(cacheKey);
    if (cached !== undefined && cached.reuseUntil > now) return { type: "forward", method, url: cached.url, headers: sendHeaders };
    return signers
      .presign({
        method,
        origin: objectOrigin,
        host: objectHost,
        path,
        query,
        headers: signed,
        ...(digest !== undefined && { payloadHash: digest }),
        expiresIn: options.presignTtlSeconds,
      })
      .then((url) => {
        if (cached === undefined && signers.urls.size >= MAX_REUSED_URLS) signers.urls.delete(signers.urls.keys().next().value!);
        signers.urls.set(cacheKey, { url, reuseUntil: now + reuseMs });
        return { type: "forward", method, url, headers: sendHeaders };
      });
  }

  /** POST ?delete with `<Object>` entries; the backend's DeleteResult. */
  async function deleteRequest(objects: string): Promise<XmlElement> {
    const body = new TextEncoder().encode(`<Delete><Quiet>false</Quiet>${objects}</Delete>`);
    const { root } = await signedRequest("POST", urlFor(undefined, { delete: "" }), await xmlBodyHeaders(body, runtime.md5Base64), body);
    return requiredDocument(root, "DeleteResult");
  }

  const backend: S3Backend = {
    kind: "s3",
    bucketName: options.bucketName,
    // S3 knows where each part of a multipart object starts.
    readsParts: true,
    copyDomain: `s3:${options.endpoint.origin}${options.endpoint.pathname}:${options.credentials?.accessKeyId ?? (credentials ? `provider:${rawOptions.oidc_role_arn ?? ""}` : "anonymous")}`,
    prepareObject,

    async listObjects(request: ListRequest) {
      const query: Record<string, string> = { "list-type": "2", "max-keys": String(request.maxKeys), "encoding-type": "url" };
      if (request.prefix) query.prefix = request.prefix;
      if (request.delimiter) query.delimiter = request.delimiter;
      if (request.continuationToken) query["continuation-token"] = request.continuationToken;
      else if (request.startAfter) query["start-after"] = request.startAfter;
      const { root } = await signedRequest("GET", urlFor(undefined, query), {});
      return parseListResult(requiredDocument(root, "ListBucketResult"));
    },

    async createMultipartUpload(key, headers) {
      const forwarded: Record<string, string> = {};
      headers.forEach((value, name) => {
        if (name !== "content-length" && name !== "content-md5" && name !== "x-amz-content-sha256") forwarded[name] = value;
      });
      const { root } = await signedRequest("POST", urlFor(key, { uploads: "" }), forwarded);
      return { uploadId: requiredText(root, "UploadId") };
    },

    async completeMultipartUpload(key, uploadId, parts: CompletedPart[], headers) {
      const partsXml = parts
        .map((part) => {
          const checksums = Object.entries(part.checksums ?? {}).map(([name, value]) => `<${name}>${escapeXml(value)}</${name}>`).join("");
          return `<Part><PartNumber>${part.partNumber}</PartNumber><ETag>${escapeXml(part.etag)}</ETag>${checksums}</Part>`;
        })
        .join("");
      const body = new TextEncoder().encode(`<CompleteMultipartUpload>${partsXml}</CompleteMultipartUpload>`);
      const conditional: Record<string, string> = { "content-type": "application/xml" };
      for (const name of ["if-match", "if-none-match"]) {
        const value = headers.get(name);
        if (value !== null) conditional[name] = value;
      }
      const { root, headers: responseHeaders } = await signedRequest("POST", urlFor(key, { uploadId }), conditional, body, true);
      const extra = new Headers();
      const versionId = responseHeaders.get("x-amz-version-id");
      if (versionId) extra.set("x-amz-version-id", versionId);
      return { etag: requiredText(root, "ETag"), headers: extra };
    },

    async abortMultipartUpload(key, uploadId) {
      await signedRequest("DELETE", urlFor(key, { uploadId }), {});
    },

    async listParts(key, uploadId, request) {
      const query = { uploadId, "max-parts": String(request.maxParts), ...(request.partNumberMarker > 0 && { "part-number-marker": String(request.partNumberMarker) }) };
      const { root } = await signedRequest("GET", urlFor(key, query), {});
      if (!root) throw new S3Error("ServiceUnavailable", { cause: new Error("empty ListParts response from the S3 backend") });
      return parseListPartsResult(root);
    },

    async listMultipartUploads(request) {
      const query: Record<string, string> = { uploads: "", "max-uploads": String(request.maxUploads), "encoding-type": "url" };
      if (request.prefix) query.prefix = request.prefix;
      if (request.keyMarker) query["key-marker"] = request.keyMarker;
      if (request.keyMarker && request.uploadIdMarker) query["upload-id-marker"] = request.uploadIdMarker;
      const { root } = await signedRequest("GET", urlFor(undefined, query), {});
      if (!root) throw new S3Error("ServiceUnavailable", { cause: new Error("empty ListMultipartUploads response from the S3 backend") });
      return parseListMultipartUploadsResult(root);
    },

    async deleteObjects(keys) {
      const objects = keys.map((key) => `<Object><Key>${escapeXml(key)}</Key></Object>`).join("");
      return parseDeleteResult(await deleteRequest(objects));
    },

    async deleteObjectVersions(versions) {
      const objects = versions.map((version) => `<Object><Key>${escapeXml(version.key)}</Key><VersionId>${escapeXml(version.versionId)}</VersionId></Object>`).join("");
      return parseDeleteVersionsResult(await deleteRequest(objects));
    },

    async copyObject(request: CopyRequest<unknown>) {
      const headers = copySourceHeaders(request, backend);
      for (const [name, value] of request.headers) if (name !== "content-length" && name !== "x-amz-content-sha256" && name !== "content-md5") headers[name] = value;
      const { root, headers: responseHeaders } = await signedRequest("PUT", urlFor(request.key), headers, undefined, true);
      return copyResultOf(root, responseHeaders, "x-amz-version-id");
    },

    ...taggingMethods({ signedRequest, urlFor, md5Base64: runtime.md5Base64 }),
    getBucketEncryption: () => readBucketEncryption(() => signedRequest("GET", urlFor(undefined, { encryption: "" }), {})),

    async uploadPartCopy(request: PartCopyRequest<unknown>) {
      const headers = copySourceHeaders(request, backend);
      if (request.range) headers["x-amz-copy-source-range"] = `bytes=${request.range.first}-${request.range.last}`;
      const { root, headers: responseHeaders } = await signedRequest("PUT", urlFor(request.key, { partNumber: String(request.partNumber), uploadId: request.uploadId }), headers, undefined, true);
      return copyResultOf(root, responseHeaders, "x-amz-copy-source-version-id");
    },
  };
  return backend;
}

export type { SignableRequest };
