/**
 * A tiny runtime for the backend contract suite: executes an `ObjectDispatch` the way the Node server would
 * (native: in process with a Node stream; forward: with fetch) and normalizes the outcome, errors included, into
 * status + headers + bytes, with the S3 error code in `x-multistore-error-code`.
 */
import { Readable } from "node:stream";
import type { ObjectDispatch } from "@multistore/core/backend";

/** An executed object operation. */
export interface ExecutedResponse {
  /** HTTP status (an error's status for failures). */
  status: number;
  /** Response headers; `x-multistore-error-code` carries the S3 error code of a failure when known. */
  headers: Headers;
  /** The whole body. */
  body: Uint8Array;
}

/** Header that carries the S3 error code of a failed operation. */
export const ERROR_CODE_HEADER = "x-multistore-error-code";

interface S3ErrorLike {
  code: string;
  status: number;
  headers?: Record<string, string>;
}

/** Whether `value` looks like core's `S3Error` (duck-typed, so this file has no runtime dependency on core). */
export function isS3ErrorLike(value: unknown): value is S3ErrorLike {
  return value instanceof Error && typeof (value as Partial<S3ErrorLike>).code === "string" && typeof (value as Partial<S3ErrorLike>).status === "number";
}

/** The response an S3Error renders to, as far as the contract cares. */
export function errorResponse(error: S3ErrorLike): ExecutedResponse {
  const headers = new Headers(error.headers ?? {});
  headers.set(ERROR_CODE_HEADER, error.code);
  return { status: error.status, headers, body: new Uint8Array() };
}

/** Reads a native body (a string, bytes, a Node or web stream, or nothing) into bytes. */
export async function readBody(body: unknown): Promise<Uint8Array> {
  if (body === null || body === undefined) return new Uint8Array();
  if (typeof body === "string") return new TextEncoder().encode(body);
  if (body instanceof Uint8Array) return body;
  if (typeof (body as AsyncIterable<unknown>)[Symbol.asyncIterator] === "function") {
    const chunks: Buffer[] = [];
    for await (const chunk of body as AsyncIterable<unknown>) {
      chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array));
    }
    return new Uint8Array(Buffer.concat(chunks));
  }
  throw new TypeError("unsupported response body type");
}

function toBytes(body: Uint8Array | string): Uint8Array {
  return typeof body === "string" ? new TextEncoder().encode(body) : body;
}

/** Options of `executeDispatch`. */
export interface ExecuteDispatchOptions {
  /**
   * The stream type native dispatches get bodies as: `node` (default) a Node Readable, as the Node server passes;
   * `web` a web ReadableStream, as the Workers runtime passes (for Workers-only backends such as r2).
   */
  nativeBody?: "node" | "web";
}

/** A web ReadableStream of `bytes`. */
function webStream(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      if (bytes.length > 0) controller.enqueue(bytes);
      controller.close();
    },
  });
}

/**
 * Executes `dispatch` with an optional request body. Native dispatches get a Node Readable of the body (a web
 * ReadableStream with `nativeBody: "web"`; GET-like requests without one get null); forward dispatches are sent
 * with fetch. Failures are returned, not thrown: thrown S3Errors and `mapResponse` errors carry their code in
 * `x-multistore-error-code`, and a forwarded error's code is read from the `<Code>` of its XML body.
 */
export async function executeDispatch(dispatch: ObjectDispatch<unknown>, body?: Uint8Array | string, options: ExecuteDispatchOptions = {}): Promise<ExecutedResponse> {
  const bytes = body === undefined ? undefined : toBytes(body);
  if (dispatch.type === "native") {
    const controller = new AbortController();
    try {
      const stream = bytes === undefined ? null : options.nativeBody === "web" ? webStream(bytes) : Readable.from([Buffer.from(bytes)]);
      const response = await dispatch.execute(stream, controller.signal);
      return { status: response.status, headers: new Headers(response.headers), body: await readBody(response.body) };
    } catch (error) {
      if (isS3ErrorLike(error)) return errorResponse(error);
      throw error;
    }
  }
  const headers = new Headers(dispatch.headers);
  // fetch frames the body itself; a stale or duplicated Content-Length would break the request.
  headers.delete("content-length");
  const init: RequestInit & { duplex?: "half" } = { method: dispatch.method, headers };
  if (bytes !== undefined && dispatch.method !== "GET" && dispatch.method !== "HEAD") {
    init.body = bytes as Uint8Array<ArrayBuffer>;
    init.duplex = "half";
  }
  const response = await fetch(dispatch.url, init);
  const payload = new Uint8Array(await response.arrayBuffer());
  const mapped = dispatch.mapResponse ? dispatch.mapResponse(response.status, response.headers) : { status: response.status, headers: response.headers };
  if (isS3ErrorLike(mapped)) return errorResponse(mapped);
  const result: ExecutedResponse = { status: mapped.status, headers: new Headers(mapped.headers), body: payload };
  if (mapped.status >= 300 && !result.headers.has(ERROR_CODE_HEADER)) {
    const code = /<Code>([^<]*)<\/Code>/.exec(new TextDecoder().decode(payload))?.[1] ?? response.headers.get("x-amz-error-code");
    if (code) result.headers.set(ERROR_CODE_HEADER, code);
  }
  return result;
}
