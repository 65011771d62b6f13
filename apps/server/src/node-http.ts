/** Conversions between Node's HTTP types and the web-standard ones the core speaks. */
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import { pipeline, type Readable } from "node:stream";
import type { PlainResponse } from "@multistore/core";

/** Request headers as `Headers`, repeated names joined in arrival order. */
export function requestHeaders(request: IncomingMessage): Headers {
  const headers = new Headers();
  const raw = request.rawHeaders;
  for (let index = 0; index < raw.length; index += 2) {
    try {
      headers.append(raw[index]!, raw[index + 1]!);
    } catch {
      // A header the fetch standard refuses (Node accepted it) cannot be signed or forwarded anyway.
    }
  }
  return headers;
}

/** undici's response headers as `Headers`. */
export function fromNodeHeaders(headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>): Headers {
  const out = new Headers();
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const item of value) out.append(name, item);
    else out.set(name, value);
  }
  return out;
}

/** `Headers` as a plain object for `writeHead` or undici. */
export function toNodeHeaders(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, name) => {
    out[name] = value;
  });
  return out;
}

function isReadable(body: unknown): body is Readable {
  return typeof body === "object" && body !== null && typeof (body as Readable).pipe === "function";
}

/**
 * Writes a response. Stream bodies are piped; a stream that fails after the headers went out destroys the
 * connection, so the client sees a broken response instead of a silently truncated one. Resolves with the body
 * bytes written.
 */
export function writeResponse(response: ServerResponse, plain: PlainResponse<Readable>): Promise<number> {
  const headers: OutgoingHttpHeaders = toNodeHeaders(plain.headers);
  const body = plain.body;
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
