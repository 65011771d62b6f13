/**
 * A Google Cloud Storage stand-in for tests: no complete GCS emulator runs offline, so this speaks the XML API's
 * documented wire format for exactly what Multistore's gcs backend uses (objects, Range, preconditions, listings,
 * XML multipart with its listings of uploads and parts, copy, GCS error documents), keeps objects in memory, and
 * verifies the V4 signature of every signed request with the service account's public key. With `acceptBearer` it
 * also serves OAuth bearer tokens, as GCS does for direct resource access of workload identity federation.
 */
import { createHash, randomBytes, type KeyObject } from "node:crypto";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { childElements, childText, parseXml } from "@multistore/core/backend";
import { authenticateRequest, testServiceAccount, type GcsAuthKind } from "./gcs-test-server-auth.js";
import { listObjects } from "./gcs-test-server-list.js";
import { listUploads, type UploadInProgress } from "./gcs-test-server-uploads.js";
import {
  checkDigests,
  crc32c,
  gcsError,
  badStorageClass,
  metadataOf,
  storageClassOf,
  PART_LIMITS,
  readObject,
  readPreconditions,
  writePreconditions,
  xml,
  type StoredObject,
  type StoreResponse,
} from "./gcs-test-server-store.js";

export type { GcsAuthKind } from "./gcs-test-server-auth.js";

/** Options of `startGcsTestServer`. */
export interface GcsTestServerOptions {
  /** The service account key (JSON) to trust; a throwaway RSA key is generated when absent. */
  serviceAccountKey?: string;
  /** Buckets that exist (default `["test-bucket"]`); others answer 404 NoSuchBucket. */
  buckets?: string[];
  /** Serve unsigned requests (a public bucket); by default they answer 403 AccessDenied. */
  allowAnonymous?: boolean;
  /**
   * Accept OAuth bearer tokens: an unsigned request with `Authorization: Bearer <token>` is authorized when this
   * returns true, and answered 401 AuthenticationRequired otherwise; a signed URL with an `Authorization` header is
   * refused (400 InvalidArgument). Absent (the default), bearer tokens are refused like anonymous requests (403).
   */
  acceptBearer?: (token: string) => boolean | Promise<boolean>;
}

/** One request the server answered, for assertions on what the backend sent. */
export interface GcsRecordedRequest {
  method: string;
  /** Raw (encoded) path. */
  path: string;
  /** Decoded query pairs. */
  query: [string, string][];
  headers: IncomingHttpHeaders;
  status: number;
  /** How the request authenticated (or tried to): a V4 signed URL, a bearer token, or neither. */
  auth: GcsAuthKind;
}

/** A running test server. */
export interface GcsTestServer {
  /** `http://127.0.0.1:<port>`: the backend's `endpoint` option. */
  endpoint: string;
  /** The trusted service account key file as JSON (the backend's `service_account_key`). */
  serviceAccountKey: string;
  /** Its `client_email`. */
  clientEmail: string;
  /** The buckets that exist. */
  buckets: string[];
  /** Every request answered so far, oldest first. */
  requests: GcsRecordedRequest[];
  /** Stops the server. */
  close(): Promise<void>;
}

interface Upload extends UploadInProgress {
  parts: Map<number, { data: Buffer; etag: string; lastModified: Date }>;
}

/** Query pairs, percent-decoded only (`+` stays a plus, as in the V4 canonical form). */
function parseQuery(search: string): [string, string][] {
  return search === "" ? [] : search.split("&").map((pair) => {
    const equals = pair.indexOf("=");
    const [name, value] = equals === -1 ? [pair, ""] : [pair.slice(0, equals), pair.slice(equals + 1)];
    return [decodeURIComponent(name), decodeURIComponent(value)];
  });
}

const md5Of = (data: Buffer) => createHash("md5").update(data);
const xmlEscape = (text: string) => text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c]!);
const unquote = (etag: string) => etag.trim().replace(/^"(.*)"$/, "$1");

/** Starts the test server on a random loopback port. */
export async function startGcsTestServer(options: GcsTestServerOptions = {}): Promise<GcsTestServer> {
  const account = testServiceAccount(options.serviceAccountKey);
  const accounts = new Map<string, KeyObject>([[account.clientEmail, account.publicKey]]);
  const policy = { accounts, ...(options.allowAnonymous && { allowAnonymous: true }), ...(options.acceptBearer && { acceptBearer: options.acceptBearer }) };
  const bucketNames = options.buckets ?? ["test-bucket"];
  const buckets = new Map(bucketNames.map((name) => [name, new Map<string, StoredObject>()]));
  const uploads = new Map<string, Upload>();
  const requests: GcsRecordedRequest[] = [];
  let lastGeneration = Date.now() * 1000;

  function store(objects: Map<string, StoredObject>, key: string, object: Omit<StoredObject, "generation" | "lastModified">): StoredObject {
    const stored = { ...object, generation: ++lastGeneration, lastModified: new Date() };
    objects.set(key, stored);
    return stored;
  }

  function putObject(objects: Map<string, StoredObject>, key: string, headers: IncomingHttpHeaders, body: Buffer): StoreResponse {
    const refused = writePreconditions(objects.get(key), headers) ?? badStorageClass(headers) ?? checkDigests(body, headers);
    if (refused) return refused;
    const md5 = md5Of(body);
    const object = store(objects, key, { data: body, etag: `"${md5.copy().digest("hex")}"`, md5: md5.digest("base64"), crc32c: crc32c(body), metadata: metadataOf(headers) });
    return { status: 200, headers: { etag: object.etag, "x-goog-generation": String(object.generation), "x-goog-hash": `crc32c=${object.crc32c},md5=${object.md5}`, "content-length": "0" } };
  }

  function copyObject(objects: Map<string, StoredObject>, key: string, headers: IncomingHttpHeaders): StoreResponse {
    const [sourceBucket, ...rest] = String(headers["x-goog-copy-source"]).replace(/^\//, "").split("/");
    const sourceObjects = buckets.get(decodeURIComponent(sourceBucket ?? ""));
    if (!sourceObjects) return gcsError(404, "NoSuchBucket", "The specified bucket does not exist.");
    const source = sourceObjects.get(decodeURIComponent(rest.join("/")));
    const generation = headers["x-goog-copy-source-generation"];
    if (!source || (generation !== undefined && String(generation) !== String(source.generation))) return gcsError(404, "NoSuchKey", "The specified key does not exist.");
    const conditions: IncomingHttpHeaders = {};
    for (const name of ["if-match", "if-none-match", "if-modified-since", "if-unmodified-since"]) conditions[name] = headers[`x-goog-copy-source-${name}`];
    for (const name of Object.keys(conditions)) if (conditions[name] === undefined) delete conditions[name];
    // A copy never answers 304: every failing source condition is 412.
    if (readPreconditions(source, conditions)) return gcsError(412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold.");
    const refused = writePreconditions(objects.get(key), headers) ?? badStorageClass(headers);
    if (refused) return refused;
    const replace = String(headers["x-goog-metadata-directive"] ?? "COPY").toUpperCase() === "REPLACE";
    // Documented: copying an object onto itself needs REPLACE (and the new metadata).
    if (source === objects.get(key) && !replace) return gcsError(400, "InvalidArgument", "Copying an object to itself requires x-goog-metadata-directive: REPLACE.");
    const { data, etag, md5, crc32c: crc } = source;
    // The copy's storage class is the one asked for, else the bucket's default: never the source's.
    const { "x-goog-storage-class": _sourceClass, ...kept } = source.metadata;
    const copied = store(objects, key, { data, etag, ...(md5 && { md5 }), crc32c: crc, metadata: replace ? metadataOf(headers) : { ...kept, ...storageClassOf(headers) } });
    return xml(`<CopyObjectResult><LastModified>${copied.lastModified.toISOString()}</LastModified><ETag>${xmlEscape(copied.etag)}</ETag></CopyObjectResult>`);
  }

  function multipart(method: string, bucket: string, key: string, params: Map<string, string>, headers: IncomingHttpHeaders, body: Buffer): StoreResponse {
    const objects = buckets.get(bucket)!;
    if (method === "POST" && params.has("uploads")) {
      const refused = badStorageClass(headers);
      if (refused) return refused;
      const uploadId = randomBytes(24).toString("base64url");
      uploads.set(uploadId, { bucket, key, initiated: new Date(), metadata: metadataOf(headers), parts: new Map() });
      return xml(`<InitiateMultipartUploadResult><Bucket>${bucket}</Bucket><Key>${xmlEscape(key)}</Key><UploadId>${uploadId}</UploadId></InitiateMultipartUploadResult>`);
    }
    const uploadId = params.get("uploadId")!;
    const upload = uploads.get(uploadId);
    if (!upload || upload.bucket !== bucket || upload.key !== key) return gcsError(404, "NoSuchUpload", "The requested upload was not found.");
    if (method === "DELETE") {
      uploads.delete(uploadId);
      return { status: 204, headers: {} };
    }
    if (method === "PUT") {
      const partNumber = Number(params.get("partNumber"));
      if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > PART_LIMITS.maxPartNumber) return gcsError(400, "InvalidArgument", "Invalid part number.");
      const refused = checkDigests(body, headers);
      if (refused) return refused;
      const etag = `"${md5Of(body).digest("hex")}"`;
      upload.parts.set(partNumber, { data: body, etag, lastModified: new Date() });
      return { status: 200, headers: { etag, "content-length": "0" } };
    }
    if (method === "GET") {
      // Documented: ListPartsResult, `max-parts` per page (default 1000) after `part-number-marker`.
      const marker = Number(params.get("part-number-marker") ?? 0);
      const max = Math.min(1000, Number(params.get("max-parts") ?? 1000));
      const numbers = [...upload.parts.keys()].filter((number) => number > marker).sort((a, b) => a - b);
      const page = numbers.slice(0, max).map((number) => [number, upload.parts.get(number)!] as const);
      const items = page.map(([number, part]) => `<Part><PartNumber>${number}</PartNumber><LastModified>${part.lastModified.toISOString()}</LastModified><ETag>${xmlEscape(part.etag)}</ETag><Size>${part.data.length}</Size></Part>`);
      return xml(
        `<ListPartsResult><Bucket>${bucket}</Bucket><Key>${xmlEscape(key)}</Key><UploadId>${uploadId}</UploadId><PartNumberMarker>${marker}</PartNumberMarker>` +
          `<NextPartNumberMarker>${page.at(-1)?.[0] ?? marker}</NextPartNumberMarker><MaxParts>${max}</MaxParts><IsTruncated>${numbers.length > page.length}</IsTruncated>` +
          `<StorageClass>${upload.metadata["x-goog-storage-class"] ?? "STANDARD"}</StorageClass>${items.join("")}</ListPartsResult>`,
      );
    }
    if (method !== "POST") return gcsError(405, "MethodNotAllowed", "The specified method is not allowed against this resource.");
    let listed: { partNumber: number; etag: string }[];
    try {
      listed = childElements(parseXml(body.toString("utf8")), "Part").map((part) => ({ partNumber: Number(childText(part, "PartNumber")), etag: childText(part, "ETag") ?? "" }));
    } catch {
      return gcsError(400, "MalformedXML", "The XML you provided was not well-formed.");
    }
    if (listed.length === 0) return gcsError(400, "MalformedXML", "The XML you provided was not well-formed.");
    if (listed.some((part, index) => index > 0 && part.partNumber <= listed[index - 1]!.partNumber)) {
      return gcsError(400, "InvalidPartOrder", "The list of parts was not in ascending order.");
    }
    const parts = listed.map((part) => upload.parts.get(part.partNumber));
    if (parts.some((part, index) => !part || unquote(part.etag) !== unquote(listed[index]!.etag))) {
      return gcsError(400, "InvalidPart", "One or more of the specified parts could not be found.");
    }
    if (parts.some((part, index) => index < parts.length - 1 && part!.data.length < PART_LIMITS.minPartSize)) {
      return gcsError(400, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed object size.");
    }
    const data = Buffer.concat(parts.map((part) => part!.data));
    // Not an MD5 of the data (GCS documents that for multipart objects): S3's "md5 of part md5s - count" shape.
    const etag = `"${createHash("md5").update(Buffer.concat(parts.map((part) => Buffer.from(unquote(part!.etag), "hex")))).digest("hex")}-${parts.length}"`;
    store(objects, key, { data, etag, crc32c: crc32c(data), metadata: upload.metadata });
    uploads.delete(uploadId);
    return xml(
      `<CompleteMultipartUploadResult><Location>${xmlEscape(`${endpoint}/${bucket}/${encodeURIComponent(key)}`)}</Location>` +
        `<Bucket>${bucket}</Bucket><Key>${xmlEscape(key)}</Key><ETag>${xmlEscape(etag)}</ETag></CompleteMultipartUploadResult>`,
    );
  }

  /** Answers an authenticated request. */
  function route(method: string, rawPath: string, query: [string, string][], headers: IncomingHttpHeaders, body: Buffer): StoreResponse {
    const match = /^\/([^/]+)(?:\/(.*))?$/s.exec(rawPath);
    if (!match) return gcsError(400, "InvalidArgument", "Only path-style requests to a bucket are supported.");
    const bucket = decodeURIComponent(match[1]!);
    const objects = buckets.get(bucket);
    if (!objects) return gcsError(404, "NoSuchBucket", "The specified bucket does not exist.");
    const params = new Map(query);
    if (match[2] === undefined || match[2] === "") {
      if (method !== "GET") return gcsError(405, "MethodNotAllowed", "Only listing is supported on buckets.");
      return params.has("uploads") ? listUploads(bucket, uploads, params) : listObjects(bucket, objects, params);
    }
    const key = decodeURIComponent(match[2]);
    if (params.has("uploads") || params.has("uploadId")) return multipart(method, bucket, key, params, headers, body);
    const current = objects.get(key);
    const generation = params.get("generation");
    const found = current && (generation === undefined || generation === String(current.generation)) ? current : undefined;
    switch (method) {
      case "GET":
      case "HEAD":
        return found ? readObject(found, headers) : gcsError(404, "NoSuchKey", "The specified key does not exist.", `No such object: ${bucket}/${key}`);
      case "PUT":
        return headers["x-goog-copy-source"] !== undefined ? copyObject(objects, key, headers) : putObject(objects, key, headers, body);
      case "DELETE":
        if (!found) return gcsError(404, "NoSuchKey", "The specified key does not exist.", `No such object: ${bucket}/${key}`);
        objects.delete(key);
        return { status: 204, headers: {} };
      default:
        return gcsError(405, "MethodNotAllowed", "The specified method is not allowed against this resource.");
    }
  }

  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of request) chunks.push(chunk as Buffer);
    } catch {
      // The client left mid-body (a gateway refusing a bad upload resets it): nothing to store, no one to answer.
      response.destroy();
      return;
    }
    const target = request.url ?? "/";
    const queryAt = target.indexOf("?");
    const rawPath = queryAt === -1 ? target : target.slice(0, queryAt);
    const method = request.method ?? "GET";
    let query: [string, string][] = [];
    let answer: StoreResponse;
    let auth: GcsAuthKind = "anonymous";
    try {
      query = parseQuery(queryAt === -1 ? "" : target.slice(queryAt + 1));
      const outcome = await authenticateRequest({ method, rawPath, query, headers: request.headers }, policy, new Date());
      auth = outcome.kind;
      const { failure } = outcome;
      answer = failure ? gcsError(failure.status, failure.code, failure.message) : route(method, rawPath, query, request.headers, Buffer.concat(chunks));
    } catch (error) {
      answer = error instanceof URIError ? gcsError(400, "InvalidArgument", "Malformed percent-encoding.") : gcsError(500, "InternalError", String(error));
    }
    requests.push({ method, path: rawPath, query, headers: request.headers, status: answer.status, auth });
    const body = answer.body === undefined ? undefined : Buffer.from(answer.body);
    response.writeHead(answer.status, { ...(body && !answer.headers["content-length"] && { "content-length": String(body.length) }), ...answer.headers });
    response.end(method === "HEAD" ? undefined : body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint,
    serviceAccountKey: account.keyJson,
    clientEmail: account.clientEmail,
    buckets: bucketNames,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
