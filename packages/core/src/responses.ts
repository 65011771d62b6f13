/** Building responses: S3 XML documents, error documents and the headers every response carries. */
import { isS3Error, S3Error, toS3Error } from "./errors.js";
import { HeaderMap } from "./header-map.js";
import { XML_DECLARATION } from "./xml.js";
import type { PlainResponse } from "./types.js";

/** S3's XML namespace. */
export const S3_NAMESPACE = "http://s3.amazonaws.com/doc/2006-03-01/";

/** A 200 response with an XML document (`root` is the root element's name, `inner` its escaped content). */
export function xmlResponse(root: string, inner: string, status = 200): PlainResponse<never> {
  return {
    status,
    headers: new HeaderMap({ "content-type": "application/xml" }),
    body: `${XML_DECLARATION}<${root} xmlns="${S3_NAMESPACE}">${inner}</${root}>`,
  };
}

/** `errorResponse` for the request of `context`, which then names the error's code (see `RequestContext.errorCode`). */
export function contextErrorResponse(error: unknown, method: string, resource: string, context: { requestId: string; errorCode?: string }): PlainResponse<never> {
  const s3Error = isS3Error(error) ? error : toS3Error(error);
  context.errorCode = s3Error.code;
  return errorResponse(s3Error, method, resource, context.requestId);
}

/** Renders any error as an S3 error response. 304 and HEAD responses carry no body, as S3 does. */
export function errorResponse(error: unknown, method: string, resource: string, requestId: string): PlainResponse<never> {
  const s3Error: S3Error = isS3Error(error) ? error : toS3Error(error);
  const headers = new HeaderMap(s3Error.headers);
  if (s3Error.status === 304 || method === "HEAD") {
    return { status: s3Error.status, headers, body: null };
  }
  headers.set("content-type", "application/xml");
  return { status: s3Error.status, headers, body: s3Error.toXml(resource, requestId) };
}

/** Adds `x-amz-request-id`, `extra` (CORS) and (when enabled) `server-timing` to a response's headers. */
export function stampHeaders(
  headers: Headers,
  requestId: string,
  timing?: { total: number; dispatch: number; backend?: number },
  extra?: Headers,
): void {
  headers.set("x-amz-request-id", requestId);
  extra?.forEach((value, name) => headers.set(name, value));
  if (timing) {
    const parts = [`total;dur=${timing.total.toFixed(1)}`, `dispatch;dur=${timing.dispatch.toFixed(1)}`];
    if (timing.backend !== undefined) parts.push(`backend;dur=${timing.backend.toFixed(1)}`);
    headers.set("server-timing", parts.join(", "));
  }
}

const HEX_DIGITS = new TextEncoder().encode("0123456789ABCDEF");
const ID_LENGTH = 16;
const IDS_PER_DRAW = 512;
let idPool = "";
let idOffset = 0;

/** A random request id: 16 uppercase hex characters, like S3's. */
export function newRequestId(): string {
  // One random draw serves 512 ids, as one flat string each id is a slice of (no copy): a getRandomValues call, or an
  // id concatenated character by character, per request shows in the hot path's profile.
  if (idOffset === idPool.length) {
    const random = crypto.getRandomValues(new Uint8Array((IDS_PER_DRAW * ID_LENGTH) / 2));
    const text = new Uint8Array(random.length * 2);
    for (let index = 0; index < random.length; index++) {
      text[2 * index] = HEX_DIGITS[random[index]! >> 4]!;
      text[2 * index + 1] = HEX_DIGITS[random[index]! & 15]!;
    }
    idPool = new TextDecoder().decode(text);
    idOffset = 0;
  }
  idOffset += ID_LENGTH;
  return idPool.slice(idOffset - ID_LENGTH, idOffset);
}


/** S3's timestamp format in XML (`2009-10-12T17:50:30.000Z`). */
export function xmlDate(date: Date): string {
  return date.toISOString();
}
