/**
 * The S3 backend without a runtime: object data moves through presigned URLs the runtime executes with streaming;
 * lists, multipart control, batch delete and copy are small signed requests. The Node and worker builds inject
 * their signer and HTTP client.
 */
import {
  encodeKeyPath,
  escapeXml,
  isS3Error,
  S3Error,
  toBase64,
  type Backend,
  type CompletedPart,
  type CopyRequest,
  type ForwardDispatch,
  type ListRequest,
  type ObjectRequest,
} from "@multistore/core";
import { resolveS3Options, type ResolvedS3Options, type S3BackendOptions } from "./options.js";
import { checkBackendResponse, parseDeleteResult, parseListResult, requiredText } from "./s3-xml.js";
import { encodeQuery, type S3Credentials, type S3CredentialsProvider, type S3Runtime, type S3Signer, type SignableRequest } from "./transport.js";

const UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD";
const METHODS = { GetObject: "GET", HeadObject: "HEAD", PutObject: "PUT", DeleteObject: "DELETE", UploadPart: "PUT" } as const;

/** An S3 backend; `bucketName` is what copies between buckets of one endpoint need. */
export interface S3Backend extends Backend<unknown> {
  /** Backend bucket name. */
  readonly bucketName: string;
}

async function sha256Base64(bytes: Uint8Array): Promise<string> {
  return toBase64(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>)));
}

async function sha256HexOf(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/**
 * Builds an S3 backend from options and a runtime. With `credentials`, every request is signed with what the
 * provider returns at that moment (static keys in `rawOptions` are then not needed).
 */
export function createS3BackendWith(rawOptions: S3BackendOptions, runtime: S3Runtime, credentials?: S3CredentialsProvider): S3Backend {
  const options: ResolvedS3Options = resolveS3Options(rawOptions, { credentialsProvided: credentials !== undefined });
  const staticSigner: S3Signer | undefined = options.credentials && runtime.createSigner(options.credentials, options.region);
  let current: { credentials: S3Credentials; signer: S3Signer } | undefined;

  /** The signer for this request: the static one, or one for the provider's current credentials. */
  async function signerFor(): Promise<S3Signer | undefined> {
    if (!credentials) return staticSigner;
    let resolved: S3Credentials;
    try {
      resolved = await credentials();
    } catch (error) {
      if (isS3Error(error)) throw error;
      throw new S3Error("ServiceUnavailable", { message: "Credentials for the storage backend are unavailable.", cause: error });
    }
    if (current?.credentials !== resolved) {
      const { accessKeyId, secretAccessKey, sessionToken } = resolved;
      current = { credentials: resolved, signer: runtime.createSigner({ accessKeyId, secretAccessKey, ...(sessionToken && { sessionToken }) }, options.region) };
    }
    return current.signer;
  }

  /** URL of a key (or of the bucket when `key` is undefined), path encoded once. */
  function urlFor(key: string | undefined, query: Record<string, string> = {}): URL {
    // URL parsing would resolve `.` and `..` segments (even escaped ones) into another key, or out of the bucket.
    if (key?.split("/").some((segment) => segment === "." || segment === "..")) {
      throw new S3Error("InvalidArgument", { message: 'Object keys with a "." or ".." path segment are not allowed.' });
    }
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

  async function signedRequest(method: string, url: URL, headers: Record<string, string>, body?: Uint8Array) {
    const all = { ...baseHeaders(), ...headers };
    if (body) all["content-length"] = String(body.length);
    let sendHeaders = all;
    const signer = await signerFor();
    if (signer) {
      const payloadHash = body ? await sha256HexOf(body) : await sha256HexOf(new Uint8Array());
      sendHeaders = await signer.sign({ method, url, headers: all }, payloadHash);
    }
    let response;
    try {
      response = await runtime.send(method, url.toString(), sendHeaders, body);
    } catch (error) {
      throw new S3Error("ServiceUnavailable", { message: "The storage backend is unreachable.", cause: error });
    }
    return { ...response, root: checkBackendResponse(response.status, response.text) };
  }

  async function prepareObject(request: ObjectRequest): Promise<ForwardDispatch> {
    const method = METHODS[request.operation];
    const query: Record<string, string> = { ...request.responseOverrides };
    if (request.versionId !== undefined) query.versionId = request.versionId;
    if (request.operation === "UploadPart") {
      query.partNumber = String(request.partNumber);
      query.uploadId = request.uploadId!;
    }
    const url = urlFor(request.key, query);
    const headers: Record<string, string> = {};
    request.headers.forEach((value, name) => {
      headers[name] = value;
    });
    const sendHeaders = new Headers({ ...headers, ...baseHeaders() });
    const signer = await signerFor();
    if (!signer) return { type: "forward", method, url: url.toString(), headers: sendHeaders };
    // Every forwarded header is signed: S3 refuses presigned requests carrying unsigned x-amz-* headers. The length
    // is left out because the runtime's HTTP client owns it.
    const signed = { ...headers };
    delete signed["content-length"];
    if (!signed["x-amz-content-sha256"]) signed["x-amz-content-sha256"] = UNSIGNED_PAYLOAD;
    const presigned = await signer.presign({ method, url, headers: signed }, options.presignTtlSeconds);
    if (headers["x-amz-content-sha256"] === undefined) sendHeaders.delete("x-amz-content-sha256");
    return { type: "forward", method, url: presigned, headers: sendHeaders };
  }

  const backend: S3Backend = {
    kind: "s3",
    bucketName: options.bucketName,
    copyDomain: `s3:${options.endpoint.origin}${options.endpoint.pathname}:${options.credentials?.accessKeyId ?? (credentials ? `provider:${rawOptions.oidc_role_arn ?? ""}` : "anonymous")}`,
    prepareObject,

    async listObjects(request: ListRequest) {
      const query: Record<string, string> = { "list-type": "2", "max-keys": String(request.maxKeys), "encoding-type": "url" };
      if (request.prefix) query.prefix = request.prefix;
      if (request.delimiter) query.delimiter = request.delimiter;
      if (request.continuationToken) query["continuation-token"] = request.continuationToken;
      else if (request.startAfter) query["start-after"] = request.startAfter;
      const { root } = await signedRequest("GET", urlFor(undefined, query), {});
      if (!root) throw new S3Error("ServiceUnavailable", { cause: new Error("empty list response from the S3 backend") });
      return parseListResult(root);
    },

    async createMultipartUpload(key, headers) {
      const forwarded: Record<string, string> = {};
      headers.forEach((value, name) => {
        if (name !== "content-length" && name !== "content-md5" && name !== "x-amz-content-sha256") forwarded[name] = value;
      });
      const { root } = await signedRequest("POST", urlFor(key, { uploads: "" }), forwarded);
      return { uploadId: requiredText(root!, "UploadId") };
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
      const { root, headers: responseHeaders } = await signedRequest("POST", urlFor(key, { uploadId }), conditional, body);
      const extra = new Headers();
      const versionId = responseHeaders.get("x-amz-version-id");
      if (versionId) extra.set("x-amz-version-id", versionId);
      return { etag: requiredText(root!, "ETag"), headers: extra };
    },

    async abortMultipartUpload(key, uploadId) {
      await signedRequest("DELETE", urlFor(key, { uploadId }), {});
    },

    async deleteObjects(keys) {
      const objects = keys.map((key) => `<Object><Key>${escapeXml(key)}</Key></Object>`).join("");
      const body = new TextEncoder().encode(`<Delete><Quiet>false</Quiet>${objects}</Delete>`);
      const headers: Record<string, string> = {
        "content-type": "application/xml",
        "x-amz-checksum-sha256": await sha256Base64(body),
        "x-amz-sdk-checksum-algorithm": "SHA256",
      };
      if (runtime.md5Base64) headers["content-md5"] = runtime.md5Base64(body);
      const { root } = await signedRequest("POST", urlFor(undefined, { delete: "" }), headers, body);
      return parseDeleteResult(root!);
    },

    async copyObject(request: CopyRequest<unknown>) {
      const source = request.sourceBackend as S3Backend;
      if (source.copyDomain !== backend.copyDomain || typeof source.bucketName !== "string") {
        throw new S3Error("NotImplemented", { message: "Copying between buckets on different storage endpoints is not supported." });
      }
      let copySource = `/${source.bucketName}/${encodeKeyPath(request.sourceKey)}`;
      if (request.sourceVersionId !== undefined) copySource += `?versionId=${encodeURIComponent(request.sourceVersionId)}`;
      const headers: Record<string, string> = { "x-amz-copy-source": copySource };
      request.headers.forEach((value, name) => {
        if (name !== "content-length" && name !== "x-amz-content-sha256" && name !== "content-md5") headers[name] = value;
      });
      const { root, headers: responseHeaders } = await signedRequest("PUT", urlFor(request.key), headers);
      const lastModified = root ? root.children.find((child) => child.name === "LastModified")?.text : undefined;
      const extra = new Headers();
      const versionId = responseHeaders.get("x-amz-version-id");
      if (versionId) extra.set("x-amz-version-id", versionId);
      return {
        etag: requiredText(root!, "ETag"),
        ...(lastModified !== undefined && { lastModified: new Date(lastModified) }),
        headers: extra,
      };
    },
  };
  return backend;
}

export type { SignableRequest };
