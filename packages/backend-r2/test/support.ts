/**
 * Test support: miniflare's local R2, reached from Node through `mf.getR2Bucket()` (a proxy of the binding), plus
 * the two Workers behaviours the proxy cannot carry across:
 *
 * - `FixedLengthStream` does not exist in Node. `installFixedLengthStream()` defines a stand-in that checks the byte
 *   count like the Workers one and tags its readable side with the declared length.
 * - The proxy streams a ReadableStream argument with no length, which workerd then refuses ("must have a known
 *   length"). `knownLengthBucket()` wraps the proxy like workerd behaves: a stream tagged with a length is buffered
 *   (checked against it) and sent as bytes; any other stream is refused with workerd's TypeError.
 */
import { Miniflare } from "miniflare";
import type { Backend, ObjectRequest } from "@multistore/core/backend";
import { ERROR_CODE_HEADER, errorResponse, executeDispatch, isS3ErrorLike, type ExecutedResponse } from "@multistore/testing";
import type { R2Bucket, R2MultipartUpload, R2PutValue } from "../src/index.js";

process.env.WRANGLER_SEND_METRICS = "false";

const KNOWN_LENGTH = Symbol("knownLength");

/** Node stand-in for the Workers `FixedLengthStream`. */
export class TestFixedLengthStream extends TransformStream<Uint8Array, Uint8Array> {
  /** Lengths of every instance made, in order (tests check the backend sized the stream right). */
  static made: number[] = [];

  constructor(length: number) {
    let seen = 0;
    super({
      transform(chunk, controller) {
        seen += chunk.byteLength;
        if (seen > length) throw new TypeError("Attempt to write too many bytes through a FixedLengthStream.");
        controller.enqueue(chunk);
      },
      flush() {
        if (seen < length) throw new TypeError("FixedLengthStream did not see all expected bytes before close().");
      },
    });
    TestFixedLengthStream.made.push(length);
    (this.readable as { [KNOWN_LENGTH]?: number })[KNOWN_LENGTH] = length;
  }
}

/** Defines `globalThis.FixedLengthStream` (or removes it with `false`). */
export function installFixedLengthStream(enabled = true): void {
  const target = globalThis as { FixedLengthStream?: unknown };
  if (enabled) target.FixedLengthStream = TestFixedLengthStream;
  else delete target.FixedLengthStream;
}

async function toBytes(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** What workerd does with a body: streams need a known length. */
async function knownLength<T extends R2PutValue>(value: T): Promise<T | Uint8Array> {
  if (!(value instanceof ReadableStream)) return value;
  if ((value as { [KNOWN_LENGTH]?: number })[KNOWN_LENGTH] === undefined) {
    throw new TypeError("Provided readable stream must have a known length (request/response body or readable half of FixedLengthStream)");
  }
  return toBytes(value);
}

function wrapUpload(upload: R2MultipartUpload): R2MultipartUpload {
  return {
    key: upload.key,
    uploadId: upload.uploadId,
    uploadPart: async (partNumber, value) => upload.uploadPart(partNumber, (await knownLength(value)) as Exclude<R2PutValue, null>),
    abort: () => upload.abort(),
    complete: (parts) => upload.complete(parts),
  };
}

/** The proxy binding, with workerd's known-length rule applied on the Node side (see the module comment). */
export function knownLengthBucket(proxy: R2Bucket): R2Bucket {
  return {
    head: (key) => proxy.head(key),
    get: (key, options) => proxy.get(key, options),
    put: async (key, value, options) => proxy.put(key, await knownLength(value), options),
    createMultipartUpload: async (key, options) => wrapUpload(await proxy.createMultipartUpload(key, options)),
    resumeMultipartUpload: (key, uploadId) => wrapUpload(proxy.resumeMultipartUpload(key, uploadId)),
    delete: (keys) => proxy.delete(keys),
    list: (options) => proxy.list(options),
  };
}

/** A Miniflare with one local R2 bucket (in memory, 127.0.0.1 only, no cf.json download). */
export async function startR2(): Promise<{ bucket: R2Bucket; proxy: R2Bucket; dispose: () => Promise<void> }> {
  const mf = new Miniflare({
    modules: true,
    script: "export default { fetch() { return new Response('') } }",
    r2Buckets: ["BUCKET"],
    compatibilityDate: "2025-06-01",
    cf: false,
    host: "127.0.0.1",
  });
  const proxy = (await mf.getR2Bucket("BUCKET")) as unknown as R2Bucket;
  return { bucket: knownLengthBucket(proxy), proxy, dispose: () => mf.dispose() };
}

/** Prepares and executes an object operation with web stream bodies; S3Errors become responses. */
export async function run(
  backend: Backend<ReadableStream>,
  request: Omit<ObjectRequest, "headers"> & { headers?: HeadersInit },
  body?: Uint8Array | string,
): Promise<ExecutedResponse> {
  try {
    return await executeDispatch(await backend.prepareObject({ ...request, headers: new Headers(request.headers) }), body, { nativeBody: "web" });
  } catch (error) {
    if (isS3ErrorLike(error)) return errorResponse(error);
    throw error;
  }
}

/** PutObject with a matching Content-Length. */
export function put(backend: Backend<ReadableStream>, key: string, body: string | Uint8Array, headers: Record<string, string> = {}) {
  const length = typeof body === "string" ? new TextEncoder().encode(body).length : body.length;
  return run(backend, { operation: "PutObject", key, headers: { "content-length": String(length), ...headers } }, body);
}

/** GetObject. */
export function get(backend: Backend<ReadableStream>, key: string, headers: Record<string, string> = {}) {
  return run(backend, { operation: "GetObject", key, headers });
}

/** The error code of a response. */
export function codeOf(response: ExecutedResponse): string | null {
  return response.headers.get(ERROR_CODE_HEADER);
}

/** UTF-8 text of bytes. */
export function text(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

let counter = 0;

/** A key prefix no other test uses. */
export function fresh(): string {
  return `t${counter++}-${Math.random().toString(36).slice(2, 8)}/`;
}
