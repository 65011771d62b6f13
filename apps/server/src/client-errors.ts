/**
 * Requests node:http refuses before the gateway sees them (a malformed request line or header, a header section
 * past its limit, headers that took too long): answered with an S3 error document, as every other refusal, where
 * node:http would send a bare status line. The connection is closed after it, as node:http does.
 */
import type { Socket } from "node:net";
import { newRequestId, S3Error } from "@multistore/core";

/** The S3 error for a node:http client error code. */
function errorFor(code: string | undefined): S3Error {
  if (code === "HPE_HEADER_OVERFLOW") {
    return new S3Error("RequestHeaderSectionTooLarge", { status: 400, message: "Your request header section exceeds the maximum allowed size." });
  }
  if (code === "ERR_HTTP_REQUEST_TIMEOUT") return new S3Error("RequestTimeout");
  return new S3Error("InvalidRequest", { message: "The request is not valid HTTP/1.1." });
}

/** A `clientError` listener for node:http / node:https servers. */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  const response = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  // Nothing can be answered on a connection gone, or one whose response has started.
  if (error.code === "ECONNRESET" || !socket.writable || response?.headersSent) {
    socket.destroy();
    return;
  }
  const requestId = newRequestId();
  const s3Error = errorFor(error.code);
  const body = s3Error.toXml("/", requestId);
  // Destroyed once written, as node:http's own answer is: a client keeping its side open must not hold the socket.
  socket.end(
    `HTTP/1.1 ${s3Error.status} Bad Request\r\n` +
      `Content-Type: application/xml\r\nContent-Length: ${Buffer.byteLength(body)}\r\nx-amz-request-id: ${requestId}\r\nConnection: close\r\n\r\n${body}`,
    () => socket.destroy(),
  );
}
