/** A small in-memory Backend (native dispatch) and request builders for gateway tests. */
import { S3Error, type Backend, type BucketConfig, type GatewayRequest, type ObjectDispatch, type StoredCredential } from "../../src/index.js";
import {
  compareUtf8,
  type ChecksumAlgorithm,
  type CompletedPart,
  type CopyRequest,
  type DeleteObjectsResult,
  type ListRequest,
  type ListResult,
  type ObjectRequest,
  type PartCopyRequest,
  type WriteResult,
} from "../../src/backend.js";

export interface StoredObject {
  body: Uint8Array;
  etag: string;
  lastModified: Date;
  metadata: Record<string, string>;
}

export type Call = { method: string; args: unknown[] };

const encoder = new TextEncoder();

/** A Backend that keeps objects in a Map and records every call. */
export class MemoryBackend implements Backend<Uint8Array> {
  readonly kind = "memory";
  readonly objects = new Map<string, StoredObject>();
  readonly calls: Call[] = [];
  /** Replace to return something else from prepareObject (a forward dispatch, a failure). */
  prepareOverride?: (request: ObjectRequest) => Promise<ObjectDispatch<Uint8Array>>;
  /** The checksums its writes keep (see `Backend.keptChecksums`); undefined: all. */
  keptChecksums?: readonly ChecksumAlgorithm[];
  /** The checksums it computes on every write (see `Backend.computedChecksums`). */
  computedChecksums?: readonly ChecksumAlgorithm[];
  private uploads = 0;

  constructor(readonly copyDomain = "memory") {}

  put(key: string, body: string | Uint8Array, lastModified = new Date("2024-01-01T00:00:00Z")): void {
    const bytes = typeof body === "string" ? encoder.encode(body) : body;
    this.objects.set(key, { body: bytes, etag: `"etag-${bytes.length}"`, lastModified, metadata: {} });
  }

  callsTo(method: string): unknown[][] {
    return this.calls.filter((call) => call.method === method).map((call) => call.args);
  }

  async prepareObject(request: ObjectRequest): Promise<ObjectDispatch<Uint8Array>> {
    this.calls.push({ method: "prepareObject", args: [request] });
    if (this.prepareOverride) return this.prepareOverride(request);
    return {
      type: "native",
      execute: async (body) => {
        const stored = this.objects.get(request.key);
        switch (request.operation) {
          case "GetObject":
          case "HeadObject": {
            if (!stored) throw new S3Error("NoSuchKey");
            if (request.headers.get("if-none-match") === stored.etag) throw new S3Error("NotModified");
            const headers = new Headers({ etag: stored.etag, "content-length": String(stored.body.length), "set-cookie": "a=b" });
            for (const [name, value] of Object.entries(stored.metadata)) headers.set(`x-amz-meta-${name}`, value);
            return { status: 200, headers, body: request.operation === "GetObject" ? stored.body : null };
          }
          case "PutObject": {
            const bytes = body ?? new Uint8Array(0);
            this.put(request.key, bytes);
            return { status: 200, headers: new Headers({ etag: this.objects.get(request.key)!.etag }), body: null };
          }
          case "UploadPart": {
            // Parts are not kept: their ETag says how many bytes came.
            const bytes = body ?? new Uint8Array(0);
            return { status: 200, headers: new Headers({ etag: `"uploaded-part-${bytes.length}"` }), body: null };
          }
          case "DeleteObject":
            this.objects.delete(request.key);
            return { status: 204, headers: new Headers(), body: null };
          default:
            throw new S3Error("NotImplemented");
        }
      },
    };
  }

  async listObjects(request: ListRequest): Promise<ListResult> {
    this.calls.push({ method: "listObjects", args: [request] });
    const after = request.continuationToken ?? request.startAfter;
    const keys = [...this.objects.keys()]
      .filter((key) => key.startsWith(request.prefix) && (after === undefined || compareUtf8(key, after) > 0))
      .sort(compareUtf8);
    const result: ListResult = { objects: [], commonPrefixes: [], isTruncated: false };
    let last: string | undefined;
    for (const key of keys) {
      let prefix: string | undefined;
      if (request.delimiter) {
        const at = key.indexOf(request.delimiter, request.prefix.length);
        if (at !== -1) prefix = key.slice(0, at + request.delimiter.length);
      }
      if (prefix !== undefined && result.commonPrefixes.includes(prefix)) continue;
      if (result.objects.length + result.commonPrefixes.length === request.maxKeys) {
        result.isTruncated = true;
        result.nextContinuationToken = last;
        break;
      }
      if (prefix !== undefined) {
        result.commonPrefixes.push(prefix);
        last = `${prefix}\u{10FFFF}`;
      } else {
        const stored = this.objects.get(key)!;
        result.objects.push({ key, lastModified: stored.lastModified, etag: stored.etag, size: stored.body.length });
        last = key;
      }
    }
    return result;
  }

  async createMultipartUpload(key: string, headers: Headers): Promise<{ uploadId: string }> {
    this.calls.push({ method: "createMultipartUpload", args: [key, headers] });
    return { uploadId: `upload-${++this.uploads}` };
  }

  async completeMultipartUpload(key: string, uploadId: string, parts: CompletedPart[], headers: Headers): Promise<WriteResult> {
    this.calls.push({ method: "completeMultipartUpload", args: [key, uploadId, parts, headers] });
    return { etag: `"multipart-${parts.length}"` };
  }

  async abortMultipartUpload(key: string, uploadId: string): Promise<void> {
    this.calls.push({ method: "abortMultipartUpload", args: [key, uploadId] });
  }

  /** Tags: unset (a store without them) unless a test sets them. */
  getObjectTagging?: Backend<Uint8Array>["getObjectTagging"];
  putObjectTagging?: Backend<Uint8Array>["putObjectTagging"];
  getBucketEncryption?: Backend<Uint8Array>["getBucketEncryption"];

  /** Versions: unset (a store without them) unless a test sets it. */
  deleteObjectVersions?: Backend<Uint8Array>["deleteObjectVersions"];

  async deleteObjects(keys: string[]): Promise<DeleteObjectsResult> {
    this.calls.push({ method: "deleteObjects", args: [keys] });
    const result: DeleteObjectsResult = { deleted: [], errors: [] };
    for (const key of keys) {
      if (key.endsWith("locked")) result.errors.push({ key, code: "AccessDenied", message: "locked by backend" });
      else {
        this.objects.delete(key);
        result.deleted.push(key);
      }
    }
    return result;
  }

  async copyObject(request: CopyRequest<Uint8Array>): Promise<WriteResult> {
    this.calls.push({ method: "copyObject", args: [request] });
    const source = (request.sourceBackend as MemoryBackend).objects.get(request.sourceKey);
    if (!source) throw new S3Error("NoSuchKey", { details: { Key: request.sourceKey } });
    this.objects.set(request.key, { ...source });
    return { etag: source.etag, lastModified: new Date("2024-02-02T00:00:00Z"), headers: new Headers({ "x-amz-version-id": "v9" }) };
  }

  /** Records the copy; answers the source range's length in the ETag. A test may unset it (a backend without it). */
  uploadPartCopy?: Backend<Uint8Array>["uploadPartCopy"] = async (request: PartCopyRequest<Uint8Array>): Promise<WriteResult> => {
    this.calls.push({ method: "uploadPartCopy", args: [request] });
    const source = (request.sourceBackend as MemoryBackend).objects.get(request.sourceKey);
    // As real backends do: named by the backend key.
    if (!source) throw new S3Error("NoSuchKey", { details: { Key: request.sourceKey } });
    const length = request.range ? request.range.last - request.range.first + 1 : source.body.length;
    return { etag: `"part-${length}"`, lastModified: new Date("2024-03-03T00:00:00Z") };
  };
}

/** A bucket config. */
export function bucket(name: string, extra: Partial<BucketConfig> = {}): BucketConfig {
  return { name, backend_type: "memory", anonymous_access: false, backend_options: {}, ...extra };
}

/** A credential with its secret derived from the id. */
export function credential(id: string, scopes: StoredCredential["allowed_scopes"], extra: Partial<StoredCredential> = {}): StoredCredential {
  return {
    access_key_id: id,
    secret_access_key: `${id}-secret`,
    principal_name: `${id}-owner`,
    created_at: "2023-01-01T00:00:00Z",
    enabled: true,
    allowed_scopes: scopes,
    ...extra,
  };
}

/** A GatewayRequest with an in-memory body. */
export function gatewayRequest(
  method: string,
  target: string,
  headers: Headers | Record<string, string> = {},
  body?: string | Uint8Array,
): GatewayRequest<Uint8Array> {
  const bytes = body === undefined ? undefined : typeof body === "string" ? encoder.encode(body) : body;
  const allHeaders = new Headers(headers);
  if (!allHeaders.has("host")) allHeaders.set("host", "localhost:8080");
  return {
    method,
    target,
    headers: allHeaders,
    body: bytes ?? null,
    async readBody(limit) {
      const all = bytes ?? new Uint8Array(0);
      if (all.length > limit) throw new S3Error("EntityTooLarge");
      return all;
    },
  };
}

/** The text of a response body (string or bytes). */
export function text(body: unknown): string {
  if (body === null || body === undefined) return "";
  return typeof body === "string" ? body : new TextDecoder().decode(body as Uint8Array);
}
