/**
 * Request bodies for R2: R2 stores a stream only when its length is known up front (a request body, or the readable
 * side of a `FixedLengthStream`), so a stream of unknown length is piped through a `FixedLengthStream` sized by the
 * request's declared length.
 */
import { S3Error } from "@multistore/core";
import { withKnownLength } from "@multistore/core/runtime";
import type { R2PutValue } from "./r2-types.js";

/** The length the client announced: the decoded length of an aws-chunked body, else Content-Length. */
export function expectedLength(headers: Headers): number | undefined {
  const value = headers.get("x-amz-decoded-content-length") ?? headers.get("content-length");
  if (value === null || !/^\d+$/.test(value.trim())) return undefined;
  return Number(value);
}

/** Content-MD5 as the hex string R2's `md5` option wants; InvalidDigest unless it is the base64 of 16 bytes. */
export function contentMd5Hex(headers: Headers): string | undefined {
  const value = headers.get("content-md5");
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (!/^[A-Za-z0-9+/]{22}==$/.test(trimmed)) throw new S3Error("InvalidDigest");
  return Array.from(atob(trimmed), (char) => char.charCodeAt(0).toString(16).padStart(2, "0")).join("");
}

function isReadableStream(value: unknown): value is ReadableStream<Uint8Array> {
  return typeof (value as ReadableStream | null)?.getReader === "function";
}

/**
 * The client's body in a form R2 accepts. Bytes and strings pass unchanged. A stream needs the declared length
 * (MissingContentLength otherwise, as S3 answers) and goes through a `FixedLengthStream` when the runtime has one,
 * which also fails the write when the client sends fewer or more bytes than declared; elsewhere (Node tests with
 * miniflare's proxy) it is passed as is. `signal` aborts the transfer when the client goes away.
 */
export function knownLengthBody(body: unknown, headers: Headers, signal?: AbortSignal): R2PutValue {
  const length = expectedLength(headers);
  if (body === null || body === undefined) {
    if (length !== undefined && length > 0) throw new S3Error("IncompleteBody");
    return null;
  }
  if (typeof body === "string" || body instanceof ArrayBuffer || ArrayBuffer.isView(body)) return body;
  if (!isReadableStream(body)) throw new TypeError("unsupported body type for the r2 backend");
  if (length === undefined) {
    void body.cancel().catch(() => undefined);
    throw new S3Error("MissingContentLength");
  }
  return withKnownLength(body, length, signal);
}

/** The stream of a stored object sized for a write, as `knownLengthBody` does for client bodies; `signal` cancels its read. */
export function sizedStream(stream: ReadableStream<Uint8Array>, size: number, signal?: AbortSignal): ReadableStream<Uint8Array> {
  return withKnownLength(stream, size, signal);
}
