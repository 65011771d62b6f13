/**
 * The gateway's own backend requests on fetch runtimes (copies between stores: a source GET streamed into a
 * destination PUT). A body goes with its length (workerd's `FixedLengthStream`: stores refuse chunked PUTs), an
 * answer comes back as the store sent it (never decompressed), and the backend's headers are waited on for a bounded
 * time.
 */
import { withKnownLength, type BackendTransport } from "@multistore/core/runtime";
import { BACKEND_ANSWER_TIMEOUT_MS } from "./execute.js";
import { BACKEND_BYTES_AS_SENT } from "./streams.js";

type Body = ReadableStream<Uint8Array>;

/** Creates the transport, sending with `fetcher`; a backend silent for `answerTimeoutMs` before its headers is cut. */
export function createFetchTransport(fetcher: typeof fetch = fetch, answerTimeoutMs = BACKEND_ANSWER_TIMEOUT_MS): BackendTransport<Body> {
  return {
    async send(request, body, options) {
      const headers = new Headers(request.headers);
      const length = headers.get("content-length");
      const sent = body !== null && length !== null ? withKnownLength(body, Number(length), options.signal) : body;
      // workerd frames a body of known length itself (and refuses a Content-Length set by hand); elsewhere (Node's
      // fetch) the header is what keeps the body from going chunked, which stores refuse for a PUT.
      if (sent !== body) headers.delete("content-length");
      const deadline = new AbortController();
      const abort = () => deadline.abort(options.signal.reason);
      options.signal.addEventListener("abort", abort, { once: true });
      const timer = setTimeout(() => deadline.abort(new Error(`no backend answer within ${answerTimeoutMs} ms`)), answerTimeoutMs);
      try {
        const init = { method: request.method, headers, body: sent, signal: deadline.signal, ...(sent !== null && { duplex: "half" }), ...BACKEND_BYTES_AS_SENT };
        const response = await fetcher(request.url, init as RequestInit);
        return { status: response.status, headers: response.headers, body: response.body };
      } finally {
        clearTimeout(timer);
      }
    },
    async text(body, limit) {
      const reader = body.getReader();
      const decoder = new TextDecoder();
      let text = "";
      let size = 0;
      try {
        while (size < limit) {
          const { done, value } = await reader.read();
          if (done) break;
          text += decoder.decode(value, { stream: true });
          size += value.length;
        }
      } finally {
        void reader.cancel().catch(() => undefined);
      }
      return text.slice(0, limit);
    },
    discard(body) {
      if (!body.locked) void body.cancel().catch(() => undefined);
    },
  };
}
