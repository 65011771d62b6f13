/**
 * Copies between stores that cannot copy between each other (buckets of different backend kinds or accounts): the
 * source is read with one GET and its body streamed into the destination's PUT (CopyObject) or part upload
 * (UploadPartCopy), through the runtime's transport, never buffered. The source's `x-amz-copy-source-if-*`
 * conditions and range are checked against that same GET's headers, so the bytes copied are those of the version the
 * conditions were checked on. A CopyObject into a store that keeps tags takes the source's (unless the client
 * replaces them), and the destination is given one of the source's whole-object checksums in an algorithm it keeps
 * (the one the client names, where the source has it) to verify and keep, as S3 keeps a copy's.
 */
import type { ChecksumAlgorithm } from "../checksums/algorithms.js";
import { copiedChecksums, fullObjectChecksums, oneChecksum } from "../checksums/copy-checksums.js";
import { checkCopySourceConditions } from "../conditions.js";
import { MAX_BACKEND_ERROR_BYTES } from "../dispatch.js";
import { isS3Error, S3Error } from "../errors.js";
import { HeaderMap } from "../header-map.js";
import { taggingHeader } from "../object-tags.js";
import { backendResponseHeaders, filterResponseHeaders, forwardedRequestHeaders } from "../headers.js";
import { keepsObjectSettings } from "../object-settings.js";
import type { Backend, CopyRange, ObjectDispatch, ObjectRequest, WriteResult } from "../types.js";
import type { BackendTransport, TransportOptions } from "../types/transport.js";
import { backendError, readErrorDocument } from "./backend-errors.js";
import { checkCopyRange } from "./copy-range.js";
import { checkUploadCap } from "./object.js";

/** Content headers a copy takes from its source unless the client replaces them (`x-amz-metadata-directive`). */
const CONTENT_HEADERS = new Set(["content-type", "content-encoding", "content-language", "content-disposition", "cache-control", "expires"]);

/**
 * Request headers that describe the client's request, not the object written. `If-Match` and `If-None-Match` stay:
 * they are the destination's write conditions, as within one store.
 */
const REQUEST_ONLY_HEADERS = new Set(["range", "if-modified-since", "if-unmodified-since", "content-length", "content-md5", "x-amz-content-sha256"]);

/** One side of a streamed copy. */
export interface CopyEnd<B> {
  /** The backend serving the bucket. */
  backend: Backend<B>;
  /** The bucket as the client named it (the transport's pool). */
  bucket: string;
  /** Full backend key. */
  key: string;
}

/** A copy between stores. */
export interface StreamedCopy<B> {
  /** Sends the backend requests of forward dispatches; without one, only native backends can be copied between. */
  transport: BackendTransport<B> | undefined;
  /** The source object (and its version, if named). */
  source: CopyEnd<B> & { versionId?: string };
  /** The destination: an object (CopyObject), or a part of an upload (UploadPartCopy). */
  destination: CopyEnd<B> & { part?: { uploadId: string; partNumber: number } };
  /** UploadPartCopy's source range. */
  range?: CopyRange;
  /** The client's request headers: conditions, directives, the new object's headers. */
  headers: Headers;
  /** CopyObject's `x-amz-checksum-algorithm`, checked. */
  checksumAlgorithm?: ChecksumAlgorithm | undefined;
  /** The client's request ending aborts the copy. */
  signal: AbortSignal;
  /** The gateway's cap on what one write may store (`maxUploadBytes`): the bytes of a copy pass through it. */
  maxUploadBytes?: number | undefined;
  /** Told the bytes streamed, just before the destination's write starts (see `RequestOutcome.bytesCopied`). */
  onStreamed?: ((bytes: number) => void) | undefined;
}

/** What a backend answered, in S3's terms: status, client-form headers and the body. */
interface Answer<B> {
  status: number;
  headers: Headers;
  body: B | null;
}

/** Drops an unread body: the transport's way, else a Node stream's `destroy` or a web stream's `cancel`. */
export function drop<B>(body: B | null, transport: BackendTransport<B> | undefined): void {
  if (body === null || typeof body !== "object") return;
  if (transport) {
    transport.discard(body);
    return;
  }
  const stream = body as { destroy?: () => void; on?: (event: string, listener: () => void) => void; cancel?: () => Promise<void>; locked?: boolean };
  if (typeof stream.destroy === "function") {
    // A Node stream may report being destroyed as an error: heard here, not left to end the process.
    stream.on?.("error", () => undefined);
    stream.destroy();
  } else if (typeof stream.cancel === "function" && !stream.locked) void stream.cancel().catch(() => undefined);
}

/** Runs a backend's dispatch with `body`; a failure is thrown as S3's error, a success answered in S3's terms. */
export async function run<B>(dispatch: ObjectDispatch<B>, body: B | null, transport: BackendTransport<B> | undefined, options: TransportOptions): Promise<Answer<B>> {
  if (dispatch.type === "native") {
    let response: Awaited<ReturnType<typeof dispatch.execute>>;
    try {
      response = await dispatch.execute(body, options.signal);
    } catch (error) {
      // A store that refused before reading (an aborted upload) left the source's answer paused: its connection is
      // held (no idle timeout runs on a paused body) until it is dropped.
      drop(body, transport);
      // With a body (the source's), a failure that is no answer of the store's own is the source failing, not the
      // client's request (which has no body of its own): the bytes came short (IncompleteBody) or their stream broke
      // (a runtime's error: the source's connection lost, silent past its bound). Clients retry a 503.
      if (body !== null && (!isS3Error(error) || error.code === "IncompleteBody")) {
        throw new S3Error("ServiceUnavailable", { message: "The copy source's store broke off the object's bytes.", cause: error });
      }
      throw error;
    }
    const headers = filterResponseHeaders(response.headers);
    if (response.status >= 300) {
      drop(response.body as B | null, transport);
      throw backendError(response.status, headers.get("x-amz-error-code") ?? undefined);
    }
    return { status: response.status, headers, body: response.body as B | null };
  }
  if (!transport) {
    drop(body, transport);
    throw new S3Error("NotImplemented", { message: "Copying between buckets on different storage endpoints is not supported by this runtime." });
  }
  let answer: Awaited<ReturnType<BackendTransport<B>["send"]>>;
  try {
    answer = await transport.send({ method: dispatch.method, url: dispatch.url, headers: dispatch.headers }, body, options);
  } catch (error) {
    drop(body, transport);
    if (isS3Error(error)) throw error;
    throw new S3Error("ServiceUnavailable", { message: "The storage backend is unreachable.", cause: error });
  }
  const mapped = dispatch.mapResponse ? dispatch.mapResponse(answer.status, answer.headers) : undefined;
  if (isS3Error(mapped)) {
    drop(answer.body, transport);
    throw mapped;
  }
  const status = mapped === undefined ? answer.status : mapped.status;
  const headers = mapped === undefined ? backendResponseHeaders(answer.headers) : filterResponseHeaders(mapped.headers);
  if (status < 300) return { status, headers, body: answer.body };
  const text = answer.body === null ? "" : await transport.text(answer.body, MAX_BACKEND_ERROR_BYTES).catch(() => "");
  if (status < 400) {
    // A redirect names the backend: a misconfigured or moving store, not the client's to follow.
    throw new S3Error("ServiceUnavailable", { message: "The storage backend redirected the request.", cause: new Error(`the storage backend answered ${status}`) });
  }
  const document = readErrorDocument(text);
  throw backendError(status, document.code ?? headers.get("x-amz-error-code") ?? undefined, document.message);
}

/** Reads the source: the whole object, or the range asked for. */
async function readSource<B>(copy: StreamedCopy<B>): Promise<Answer<B>> {
  const { source, range } = copy;
  const headers = new HeaderMap();
  if (range !== undefined) headers.set("range", `bytes=${range.first}-${range.last}`);
  // A whole object's checksums, for the destination to verify and keep (a part's are the upload's business).
  else if (copy.destination.part === undefined) headers.set("x-amz-checksum-mode", "ENABLED");
  const request: ObjectRequest = { operation: "GetObject", key: source.key, headers, ...(source.versionId !== undefined && { versionId: source.versionId }) };
  try {
    return await run(await source.backend.prepareObject(request), null, copy.transport, { bucket: source.bucket, signal: copy.signal });
  } catch (error) {
    // A range that starts past the object's end: S3 names the copy's header.
    if (range !== undefined && isS3Error(error) && error.code === "InvalidRange") {
      throw new S3Error("InvalidArgument", {
        message: "Range specified is not valid for the source object.",
        details: { ArgumentName: "x-amz-copy-source-range", ArgumentValue: `bytes=${range.first}-${range.last}` },
        cause: error,
      });
    }
    throw error;
  }
}

const CONTENT_RANGE = /^bytes (\d+)-(\d+)\/(\d+)$/;

/** The number of bytes the source's answer carries, once its range (or size) was checked as S3 checks a copy's. */
function copiedLength(source: Answer<unknown>, range: CopyRange | undefined): number {
  const declared = source.headers.get("content-length");
  if (declared === null || !/^\d+$/.test(declared)) {
    throw new S3Error("NotImplemented", { message: "The copy source's length is not known: it cannot be copied to another store." });
  }
  const length = Number(declared);
  if (range === undefined) return checkCopyRange(undefined, length).length;
  if (source.status === 206) {
    const served = CONTENT_RANGE.exec(source.headers.get("content-range") ?? "");
    if (served === null) throw new S3Error("ServiceUnavailable", { message: "The storage backend answered a range without its Content-Range." });
    const { start, end } = checkCopyRange(range, Number(served[3]));
    if (Number(served[1]) !== start || Number(served[2]) !== end || end - start + 1 !== length) {
      throw new S3Error("ServiceUnavailable", { message: "The storage backend answered another range than the one asked for." });
    }
    return length;
  }
  // The whole object came back: a range that covers it all, or one the store ignored (never copied as the part).
  const { start, length: wanted } = checkCopyRange(range, length);
  if (start !== 0 || wanted !== length) throw new S3Error("ServiceUnavailable", { message: "The storage backend ignored the range asked for." });
  return length;
}

/**
 * The source's tags as `x-amz-tagging` carries them, when a CopyObject copies tags (`x-amz-tagging-directive` COPY, the
 * default) into a store that keeps them (`putObjectTagging`). A store that keeps none refuses a source that has some
 * (`501`, as S3 answers where a destination cannot hold tags): dropping them silently would lose them; the client
 * may copy with the REPLACE directive instead.
 */
async function copiedTags<B>(copy: StreamedCopy<B>): Promise<string | undefined> {
  const { source, destination } = copy;
  if (destination.part !== undefined || copy.headers.get("x-amz-tagging-directive")?.toUpperCase() === "REPLACE") return undefined;
  if (!source.backend.getObjectTagging) return undefined;
  const keeps = destination.backend.putObjectTagging !== undefined;
  // Into a store without tags, a source whose tags cannot be read (a store without the call, credentials without
  // the permission) is copied as before: only tags known to be there are refused.
  const read = source.backend.getObjectTagging(source.key, source.versionId);
  const tags = keeps ? (await read).tags : await read.then((answer) => answer.tags, () => []);
  if (tags.length === 0) return undefined;
  if (!keeps) {
    throw new S3Error("NotImplemented", {
      message: `The source object has tags, which objects of ${destination.backend.kind} buckets cannot keep: copy with x-amz-tagging-directive REPLACE to leave them.`,
    });
  }
  return taggingHeader(tags);
}

/** The destination's request: its key, length and headers (the source's or the client's, per the directives). */
function destinationRequest<B>(copy: StreamedCopy<B>, sourceHeaders: Headers, length: number, tags: string | undefined): ObjectRequest {
  const headers = new HeaderMap();
  const { destination } = copy;
  if (destination.part === undefined) {
    const replace = copy.headers.get("x-amz-metadata-directive")?.toUpperCase() === "REPLACE";
    const replaceTags = copy.headers.get("x-amz-tagging-directive")?.toUpperCase() === "REPLACE";
    forwardedRequestHeaders(copy.headers, { settings: keepsObjectSettings(destination.backend) }).forEach((value, name) => {
      if (REQUEST_ONLY_HEADERS.has(name) || name.startsWith("x-amz-checksum-")) return;
      if (!replace && (CONTENT_HEADERS.has(name) || name.startsWith("x-amz-meta-"))) return;
      if (name === "x-amz-tagging" && !replaceTags) return;
      headers.set(name, value);
    });
    if (!replace) {
      sourceHeaders.forEach((value, name) => {
        if (CONTENT_HEADERS.has(name) || name.startsWith("x-amz-meta-")) headers.set(name, value);
      });
    }
    // Sent as a client's header checksum (one: S3 refuses several), in an algorithm the destination keeps: it
    // verifies the bytes against it. A store that keeps none is sent none.
    const given = oneChecksum(copiedChecksums(fullObjectChecksums(sourceHeaders), copy.checksumAlgorithm), destination.backend.keptChecksums);
    const named = copy.checksumAlgorithm;
    // A copy naming an algorithm keeps that checksum: the source's, or one the destination computes itself. Nothing
    // between the stores computes one (S3 would, copying within itself).
    if (named !== undefined && given === undefined && !destination.backend.computedChecksums?.includes(named)) {
      throw new S3Error("NotImplemented", { message: `The copy source has no ${named.toUpperCase()} checksum to give its copy in another store.` });
    }
    for (const [name, value] of Object.entries(given ?? {})) headers.set(name, value);
  }
  if (tags !== undefined) headers.set("x-amz-tagging", tags);
  headers.set("content-length", String(length));
  const part = destination.part;
  return { operation: part === undefined ? "PutObject" : "UploadPart", key: destination.key, headers, ...(part !== undefined && { uploadId: part.uploadId, partNumber: part.partNumber }) };
}

/** Runs a copy between stores (see the module's comment); answers the written object's (or part's) ETag. */
export async function streamedCopy<B>(copy: StreamedCopy<B>): Promise<WriteResult> {
  // The tags first: the source's body is not held open while they are asked for.
  const tags = await copiedTags(copy);
  const source = await readSource(copy);
  let length: number;
  let dispatch: ObjectDispatch<B>;
  try {
    const lastModified = source.headers.get("last-modified");
    checkCopySourceConditions(copy.headers, source.headers.get("etag") ?? "", new Date(lastModified ?? 0));
    length = copiedLength(source, copy.range);
    checkUploadCap(length, copy.maxUploadBytes);
    dispatch = await copy.destination.backend.prepareObject(destinationRequest(copy, source.headers, length, tags));
  } catch (error) {
    drop(source.body, copy.transport);
    throw error;
  }
  if (copy.signal.aborted) {
    // The client left while the source was read: nothing is written for it (nor moved).
    drop(source.body, copy.transport);
    throw new S3Error("ServiceUnavailable", { message: "The client left before the copy was written.", cause: copy.signal.reason });
  }
  // Reported before the write, whatever its answer: the gateway does not count a copy's bytes as they pass, and a
  // write refused once it read them (a destination's condition checked at its end) moved them all the same. Before,
  // too, for a long copy's answer that its client leaves mid-write: that request's outcome is reported at once.
  copy.onStreamed?.(length);
  const written = await run(dispatch, source.body, copy.transport, { bucket: copy.destination.bucket, signal: copy.signal });
  drop(written.body, copy.transport);
  const etag = written.headers.get("etag");
  if (etag === null) throw new S3Error("ServiceUnavailable", { message: "The storage backend stored the copy without an ETag." });
  const lastModified = new Date(written.headers.get("last-modified") ?? Number.NaN);
  // The versions S3 names in a copy's answer: the one written (a versioned store's), and the source's copied.
  const headers = new HeaderMap();
  const writtenVersion = written.headers.get("x-amz-version-id");
  const sourceVersion = source.headers.get("x-amz-version-id");
  if (writtenVersion !== null) headers.set("x-amz-version-id", writtenVersion);
  if (sourceVersion !== null) headers.set("x-amz-copy-source-version-id", sourceVersion);
  // The checksums the destination says it kept (S3 echoes those it verified).
  const checksums = fullObjectChecksums(written.headers);
  return { etag, lastModified: Number.isNaN(lastModified.getTime()) ? new Date() : lastModified, headers, ...(checksums !== undefined && { checksums }) };
}
