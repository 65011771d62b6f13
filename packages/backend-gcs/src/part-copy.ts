/**
 * UploadPartCopy on GCS. The XML API has no part copy, so the source (or its range) is read through the source
 * backend's signed GET and streamed, sized, into the part's signed PUT: the bytes pass through the gateway once,
 * never buffered. The whole copy is bounded (`LONG_CONTROL_TIMEOUT_MS`).
 */
import { S3Error } from "@multistore/core";
import { checkCopyRange, LONG_CONTROL_TIMEOUT_MS, responseText, type Backend, type ForwardDispatch, type PartCopyRequest, type WriteResult } from "@multistore/core/backend";
import { checkGcsResponse } from "./gcs-xml.js";

/** Sends one request with a streamed body (or none) and answers its streamed response. */
export type StreamRequest = (method: string, url: string, headers: Headers, body: ReadableStream<Uint8Array> | null, signal: AbortSignal) => Promise<Response>;

/** A `StreamRequest` over a fetch implementation. */
export function fetchStreamer(fetchImpl?: typeof fetch): StreamRequest {
  const send = fetchImpl ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  return (method, url, headers, body, signal) =>
    // A read never from a platform cache (workerd's fetch has one): the copy takes what the store holds now. Only a
    // read: workerd sends `Cache-Control: no-cache` for it, which a write could keep.
    send(url, { method, headers, body, signal, redirect: "manual", ...(method === "GET" && { cache: "no-store" }), ...(body && { duplex: "half" }) } as RequestInit);
}

/** The copy-source conditions as the source GET's own conditions: any failure (412 or 304) is S3's 412. */
function sourceReadHeaders(request: PartCopyRequest<unknown>): Headers {
  const headers = new Headers();
  for (const condition of ["if-match", "if-none-match", "if-modified-since", "if-unmodified-since"]) {
    const value = request.headers.get(`x-amz-copy-source-${condition}`);
    if (value !== null) headers.set(condition, value);
  }
  if (request.range) headers.set("range", `bytes=${request.range.first}-${request.range.last}`);
  return headers;
}

/** The object's full size from `Content-Range` (after its last slash, in both its forms). */
function totalSize(contentRange: string | null): number {
  const total = Number(contentRange?.slice(contentRange.lastIndexOf("/") + 1));
  if (!Number.isSafeInteger(total)) throw new S3Error("ServiceUnavailable", { cause: new Error(`GCS answered a range without its size: ${contentRange}`) });
  return total;
}

async function forwardOf(dispatch: ReturnType<Backend<unknown>["prepareObject"]>): Promise<ForwardDispatch> {
  const resolved = await dispatch;
  if (resolved.type !== "forward") throw new S3Error("NotImplemented", { message: "Copying between these buckets is not supported." });
  return resolved;
}

/** Sends, with an unreachable backend as S3's 503. */
async function sent(stream: StreamRequest, dispatch: ForwardDispatch, headers: Headers, body: ReadableStream<Uint8Array> | null, signal: AbortSignal): Promise<Response> {
  try {
    return await stream(dispatch.method, dispatch.url, headers, body, signal);
  } catch (error) {
    throw new S3Error("ServiceUnavailable", { message: "The storage backend is unreachable or did not finish the copy.", cause: error });
  }
}

/** Copies the source range into part `partNumber` of the upload on `self` (see `Backend.uploadPartCopy`). */
export async function uploadPartCopy(self: Backend<unknown>, request: PartCopyRequest<unknown>, stream: StreamRequest): Promise<WriteResult> {
  // Bounded as a whole; a copy that fails (the part refused early, say) aborts the source read with it, which would
  // otherwise stay open, unread, until the bound.
  const copying = new AbortController();
  const signal = AbortSignal.any([copying.signal, AbortSignal.timeout(LONG_CONTROL_TIMEOUT_MS)]);
  try {
    return await copyPart(self, request, stream, signal);
  } finally {
    copying.abort();
  }
}

async function copyPart(self: Backend<unknown>, request: PartCopyRequest<unknown>, stream: StreamRequest, signal: AbortSignal): Promise<WriteResult> {
  const read = await forwardOf(
    request.sourceBackend.prepareObject({
      operation: "GetObject",
      key: request.sourceKey,
      headers: sourceReadHeaders(request),
      ...(request.sourceVersionId !== undefined && { versionId: request.sourceVersionId }),
    }),
  );
  const source = await sent(stream, read, read.headers, null, signal);
  const drop = () => void source.body?.cancel().catch(() => undefined);
  if (source.status === 304 || source.status === 412) {
    drop();
    throw new S3Error("PreconditionFailed", { details: { Condition: "x-amz-copy-source-if-*" } });
  }
  if (source.status === 416) {
    drop();
    checkCopyRange(request.range, totalSize(source.headers.get("content-range")));
  }
  if (source.status !== 200 && source.status !== 206) checkGcsResponse(source.status, await responseText(source));
  // fetch decodes a stored Content-Encoding where the runtime cannot be told not to (Node): the bytes would not be the
  // stored ones, nor their length the declared one. (GCS also ignores ranges of such objects: answered first.)
  const encoding = source.headers.get("content-encoding");
  if (encoding !== null && encoding !== "identity") {
    drop();
    throw new S3Error("NotImplemented", { message: "UploadPartCopy of an object stored with a Content-Encoding is not supported by the gcs backend." });
  }
  if (request.range && source.status !== 206) {
    // A range ignored: the body would start at byte 0.
    drop();
    throw new S3Error("ServiceUnavailable", { cause: new Error(`GCS answered ${source.status} to a ranged read`) });
  }
  let length: number;
  try {
    // GCS serves a range running past the end up to the end: S3 refuses it, so the size decides.
    const declared = source.headers.get("content-length");
    const size = source.status === 206 ? totalSize(source.headers.get("content-range")) : declared === null ? Number.NaN : Number(declared);
    if (!Number.isSafeInteger(size)) throw new S3Error("ServiceUnavailable", { cause: new Error("GCS answered an object without its length") });
    length = checkCopyRange(request.range, size).length;
  } catch (error) {
    drop();
    throw error;
  }
  let write: ForwardDispatch;
  try {
    write = await forwardOf(self.prepareObject({ operation: "UploadPart", key: request.key, uploadId: request.uploadId, partNumber: request.partNumber, headers: new Headers({ "content-length": String(length) }) }));
  } catch (error) {
    drop();
    throw error;
  }
  const headers = new Headers(write.headers);
  headers.set("content-length", String(length));
  if (length === 0) drop();
  const part = await sent(stream, write, headers, length === 0 ? null : source.body, signal);
  if (part.status !== 200) checkGcsResponse(part.status, await responseText(part));
  else void part.body?.cancel().catch(() => undefined);
  const etag = part.headers.get("etag");
  if (!etag) throw new S3Error("ServiceUnavailable", { cause: new Error("GCS answered a part without its ETag") });
  return { etag, lastModified: new Date() };
}
