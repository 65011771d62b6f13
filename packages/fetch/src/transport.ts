/**
 * The gateway's own backend requests on fetch runtimes (copies between stores: a source GET streamed into a
 * destination PUT). A body goes with its length (workerd's `FixedLengthStream`: stores refuse chunked PUTs), an
 * answer comes back as the store sent it (never decompressed), and no wait outlasts a bound on silence.
 */
import { withKnownLength, type BackendTransport } from "@multistore/core/runtime";
import { BACKEND_ANSWER_TIMEOUT_MS } from "./execute.js";
import { BACKEND_BYTES_AS_SENT } from "./streams.js";

type Body = ReadableStream<Uint8Array>;

/** `body`, calling `progressed` each time a chunk passes (what the transport's idle bound watches). */
function progressing(body: Body, progressed: () => void): Body {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await reader.read();
      progressed();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel: (reason) => reader.cancel(reason),
  });
}

/**
 * An answer's body that fails once a read of it waits `silenceMs` for the store: whoever reads it (a native store
 * writing the copy, which has no bound of its own) is not kept waiting on a store gone silent.
 */
function bounded(body: Body, silenceMs: number): Body {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const silent = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`the storage backend sent nothing for ${silenceMs} ms`)), silenceMs)));
      try {
        const { done, value } = await Promise.race([reader.read(), silent]);
        if (done) controller.close();
        else controller.enqueue(value);
      } catch (error) {
        void reader.cancel(error).catch(() => undefined);
        throw error;
      } finally {
        clearTimeout(timer);
      }
    },
    cancel: (reason) => reader.cancel(reason),
  });
}

/**
 * Creates the transport, sending with `fetcher`. Every wait is bounded by `answerTimeoutMs` of no progress: no byte of
 * the body taken (a silent source, or a store that stops reading), no answer once the body was sent, or no byte of
 * an answer's body when one is read.
 */
export function createFetchTransport(fetcher: typeof fetch = fetch, answerTimeoutMs = BACKEND_ANSWER_TIMEOUT_MS): BackendTransport<Body> {
  return {
    async send(request, body, options) {
      const deadline = new AbortController();
      const abort = () => deadline.abort(options.signal.reason);
      let timer: ReturnType<typeof setTimeout> | undefined;
      try {
        if (options.signal.aborted) abort();
        else options.signal.addEventListener("abort", abort, { once: true });
        let last = Date.now();
        const watch = () => {
          const idle = Date.now() - last;
          if (idle >= answerTimeoutMs) deadline.abort(new Error(`no progress from the backend within ${answerTimeoutMs} ms`));
          else timer = setTimeout(watch, answerTimeoutMs - idle);
        };
        timer = setTimeout(watch, answerTimeoutMs);
        const headers = new Headers(request.headers);
        const length = headers.get("content-length");
        const watched = body === null ? null : progressing(body, () => (last = Date.now()));
        const sent = watched !== null && length !== null ? withKnownLength(watched, Number(length), deadline.signal) : watched;
        // workerd frames a body of known length itself (and refuses a Content-Length set by hand); elsewhere (Node's
        // fetch) the header is what keeps the body from going chunked, which stores refuse for a PUT.
        if (sent !== watched) headers.delete("content-length");
        const init = {
          method: request.method,
          headers,
          body: sent,
          signal: deadline.signal,
          // Runtimes other than workerd (Node's fetch) need this for a stream body; workerd ignores it.
          ...(sent !== null && { duplex: "half" }),
          // A read answered by the store itself, never the platform's cache (workerd sends `Cache-Control: no-cache`
          // for it, which a write would store as the object's); a redirect is the store's to explain.
          ...(request.method === "GET" && { cache: "no-store" }),
          redirect: "manual",
          ...BACKEND_BYTES_AS_SENT,
        };
        const response = await fetcher(request.url, init as RequestInit);
        return { status: response.status, headers: response.headers, body: response.body && bounded(response.body, answerTimeoutMs) };
      } finally {
        clearTimeout(timer);
        options.signal.removeEventListener("abort", abort);
      }
    },
    async text(body, limit) {
      const reader = body.getReader();
      const decoder = new TextDecoder();
      let text = "";
      let size = 0;
      let timer: ReturnType<typeof setTimeout> | undefined;
      // An error document is read for a bounded time: a store that stops sending it is not waited on.
      const timedOut = new Promise<{ done: true; value: undefined }>((resolve) => (timer = setTimeout(() => resolve({ done: true, value: undefined }), answerTimeoutMs)));
      try {
        while (size < limit) {
          const { done, value } = await Promise.race([reader.read(), timedOut]);
          if (done) break;
          text += decoder.decode(value, { stream: true });
          size += value.length;
        }
      } finally {
        clearTimeout(timer);
        void reader.cancel().catch(() => undefined);
      }
      return text.slice(0, limit);
    },
    discard(body) {
      if (!body.locked) void body.cancel().catch(() => undefined);
    },
  };
}
