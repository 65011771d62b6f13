/**
 * The Lambda handlers' HTTP client for backend requests: `fetch`'s shape over node:http and node:https, answering
 * with the bytes the backend sent. The global `fetch` decodes a `Content-Encoding: gzip` or `br` body while keeping
 * the header and the compressed `Content-Length`: an object stored compressed reached its client decompressed under
 * headers that describe it compressed. S3 sends stored bytes as they are, and so must the gateway.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { Readable } from "node:stream";

/** The longest a backend may send nothing while it answers (headers or body), and an idle kept-alive socket lives. */
const SILENCE_MS = 30_000;
// Kept alive: a warm Lambda environment serves invocation after invocation to the same few backends.
const httpAgent = new HttpAgent({ keepAlive: true, timeout: SILENCE_MS });
const httpsAgent = new HttpsAgent({ keepAlive: true, timeout: SILENCE_MS });

/** Statuses whose response has no body (a `Response` refuses one). */
const BODILESS = new Set([101, 204, 205, 304]);

function headersOf(response: IncomingMessage): Headers {
  const headers = new Headers();
  const raw = response.rawHeaders;
  for (let index = 0; index < raw.length; index += 2) headers.append(raw[index]!, raw[index + 1]!);
  return headers;
}

/**
 * Sends one request and resolves with the backend's answer, its body undecoded. Takes what the handlers pass:
 * `method`, `headers`, a byte `body` and `signal`; redirects are never followed.
 */
export function rawFetch(url: string | URL | Request, init: RequestInit = {}): Promise<Response> {
  const target = new URL(typeof url === "string" || url instanceof URL ? url : url.url);
  const secure = target.protocol === "https:";
  const headers: Record<string, string> = {};
  new Headers(init.headers).forEach((value, name) => {
    headers[name] = value;
  });
  const body = init.body as Uint8Array | null | undefined;
  // The length fetch would send for bytes: without it node:http sends chunked, which S3 refuses for uploads.
  if (body != null && headers["content-length"] === undefined) headers["content-length"] = String(body.length);
  return new Promise((resolve, reject) => {
    const request = (secure ? httpsRequest : httpRequest)(target, { method: init.method ?? "GET", headers, agent: secure ? httpsAgent : httpAgent, ...(init.signal && { signal: init.signal }) }, (response) => {
      const status = response.statusCode ?? 0;
      // A Response takes 200 to 599 only (and this callback must not throw): anything else is no answer to serve.
      if (status < 200 || status > 599) {
        response.destroy();
        reject(new Error(`the backend answered with status ${status}`));
        return;
      }
      const empty = BODILESS.has(status) || init.method === "HEAD";
      if (empty) response.resume();
      try {
        resolve(new Response(empty ? null : (Readable.toWeb(response) as ReadableStream<Uint8Array>), { status, headers: headersOf(response) }));
      } catch (error) {
        response.destroy();
        reject(error);
      }
    });
    // A silent backend, before its headers or in the middle of its body, is cut: the body's stream then errors.
    request.setTimeout(SILENCE_MS, () => request.destroy(new Error(`the backend sent nothing for ${SILENCE_MS} ms`)));
    // Kept for the request's life: an error after the answer (the body cut off) reaches its stream, and must not
    // go unhandled here.
    request.on("error", reject);
    request.end(body ?? undefined);
  });
}
