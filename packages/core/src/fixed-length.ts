/** Streams of known length on runtimes that have `FixedLengthStream` (Cloudflare Workers). */

type FixedLengthStreamClass = new (length: number) => TransformStream<Uint8Array, Uint8Array>;

/**
 * The stream, carrying its length: fetch then sends Content-Length (S3 refuses chunked PUTs) and R2 accepts it. The
 * bytes are pumped by hand because workerd cannot `pipeTo` between a JavaScript-defined stream or another
 * TransformStream and its native FixedLengthStream. A source shorter or longer than `length` errors the result.
 * Without `FixedLengthStream` (Node) the stream is returned as is.
 */
export function withKnownLength(stream: ReadableStream<Uint8Array>, length: number, signal?: AbortSignal): ReadableStream<Uint8Array> {
  const FixedLength = (globalThis as { FixedLengthStream?: FixedLengthStreamClass }).FixedLengthStream;
  if (!FixedLength) return stream;
  const { readable, writable } = new FixedLength(length);
  void (async () => {
    const reader = stream.getReader();
    const writer = writable.getWriter();
    const onAbort = () => void reader.cancel(signal?.reason).catch(() => undefined);
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        await writer.write(value);
      }
      await writer.close();
    } catch (error) {
      await writer.abort(error).catch(() => undefined);
      await reader.cancel(error).catch(() => undefined);
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
  })();
  return readable;
}
