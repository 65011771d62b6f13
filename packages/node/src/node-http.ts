/** Conversions between Node's HTTP types and the web-standard ones the core speaks. */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import { pipeline, Readable } from "node:stream";
import { HeaderMap, headerRecord, isKeepAliveBody, type KeepAliveBody, type PlainResponse } from "@multistore/core/runtime";
import { GatewayIncomingMessage, headerRecordOf } from "./incoming-message.js";

/**
 * Request headers as a HeaderMap, in one pass over `rawHeaders`: names lowercased, repeated names joined with
 * `", "` in arrival order (as `Headers` joins them). node:http's parser already refused what HTTP forbids. A
 * `GatewayIncomingMessage` hands over the record node:http's own checks already read.
 */
export function requestHeaders(request: IncomingMessage): HeaderMap {
  return HeaderMap.adopt(request instanceof GatewayIncomingMessage ? request.takeHeaderRecord() : headerRecordOf(request.rawHeaders));
}

function isReadable(body: unknown): body is Readable {
  return typeof body === "object" && body !== null && typeof (body as Readable).pipe === "function";
}

/**
 * Writes a response. Stream bodies are piped; a stream that fails after the headers went out destroys the
 * connection, so the client sees a broken response instead of a silently truncated one. Resolves with the body
 * bytes written.
 */
export function writeResponse(response: ServerResponse, plain: PlainResponse<Readable | KeepAliveBody>): Promise<number> {
  const headers: OutgoingHttpHeaders = headerRecord(plain.headers);
  const body = plain.body;
  if (isKeepAliveBody(body)) {
    // A long copy or completion's answer: sent as its chunks come (its length is known only at its end).
    delete headers["content-length"];
    response.writeHead(plain.status, headers);
    return pipeBody(Readable.from(body, { objectMode: false }), response);
  }
  if (body === null || typeof body === "string" || body instanceof Uint8Array) {
    const bytes = body === null ? undefined : typeof body === "string" ? Buffer.from(body) : body;
    if (bytes !== undefined || (headers["content-length"] === undefined && plain.status !== 204 && plain.status !== 304)) {
      headers["content-length"] = String(bytes?.length ?? 0);
    }
    response.writeHead(plain.status, headers);
    response.end(bytes);
    return Promise.resolve(bytes?.length ?? 0);
  }
  if (!isReadable(body)) throw new TypeError("unsupported response body");
  response.writeHead(plain.status, headers);
  return pipeBody(body, response);
}

/** Pipes a stream into the response, counting bytes; destroys the response on failure. */
export function pipeBody(body: Readable, response: ServerResponse): Promise<number> {
  let bytes = 0;
  body.on("data", (chunk: Buffer) => {
    bytes += chunk.length;
  });
  return new Promise((resolve) => {
    pipeline(body, response, (error) => {
      if (error) response.destroy(error);
      resolve(bytes);
    });
  });
}
