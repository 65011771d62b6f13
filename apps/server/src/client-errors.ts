/**
 * Requests node:http refuses before the gateway sees them (a malformed request line or header, a header section
 * past its limit, headers that took too long, an HTTP/1.1 request without Host, an Expect other than 100-continue):
 * answered with an S3 error document, as every other refusal, where node:http would send a bare status line. The
 * connection is closed after it, as node:http does.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
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

/** Answers a parsed request the gateway must not see, and closes its connection. */
function refuse(response: ServerResponse, error: S3Error): void {
  const requestId = newRequestId();
  const body = error.toXml("/", requestId);
  response.shouldKeepAlive = false;
  response.writeHead(error.status, { "content-type": "application/xml", "content-length": Buffer.byteLength(body), "x-amz-request-id": requestId });
  response.end(body);
}

/**
 * The listener behind the check node:http makes when its `requireHostHeader` is on (turn that off): an HTTP/1.1
 * request without Host, or any request with several, is refused (RFC 9112, 3.2), as an S3 error document.
 */
export function requiringHost(listener: RequestListener): RequestListener {
  return (request: IncomingMessage, response: ServerResponse) => {
    const host = request.headers.host;
    if (host === undefined && request.httpVersionMajor === 1 && request.httpVersionMinor === 1) {
      refuse(response, new S3Error("InvalidRequest", { message: "An HTTP/1.1 request needs a Host header." }));
      return;
    }
    // Repeated Host headers are joined with a comma (see headerRecordOf), which no host name holds: which one would
    // name the bucket? Refused, as HTTP/1.1 asks (RFC 9112, section 3.2).
    if (host?.includes(",")) {
      refuse(response, new S3Error("InvalidRequest", { message: "A request must carry exactly one Host header." }));
      return;
    }
    listener(request, response);
  };
}

/** A `checkExpectation` listener: an Expect other than 100-continue is 417, as node:http answers it, as S3 XML. */
export function answerExpectationFailed(request: IncomingMessage, response: ServerResponse): void {
  refuse(response, new S3Error("ExpectationFailed", { status: 417, message: "Only Expect: 100-continue is supported.", details: { Expect: String(request.headers.expect ?? "") } }));
}
