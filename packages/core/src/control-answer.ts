/**
 * A backend's answer to a control request (a listing, a multipart call, a batch delete), read with bounds: backends'
 * own timeouts measure silence, so an answer trickled a byte at a time, or one without end, must be cut here.
 */

/** The longest a control request may take, its answer's body included (runtimes abort it with a signal). */
export const CONTROL_TIMEOUT_MS = 30_000;

/**
 * The longest a copy or a multipart completion may take: S3 answers those 200 at once and sends whitespace until its
 * result is ready, which can take minutes for large objects (a silence between bytes is bounded apart from this).
 */
export const LONG_CONTROL_TIMEOUT_MS = 60 * 60_000;

/** The most a control answer may hold (a full listing page is well under 2 MiB): more is no storage answer. */
export const MAX_CONTROL_ANSWER_BYTES = 16 * 1024 * 1024;

/** An answer longer than its reader allows. */
export class AnswerTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`answer over ${limit} bytes`);
    this.name = "AnswerTooLargeError";
  }
}

/** Reads an answer's body as UTF-8 text, refusing one past `limit` bytes (`cancel` then stops its stream). */
export async function controlAnswerText(body: AsyncIterable<Uint8Array>, cancel: () => void, limit = MAX_CONTROL_ANSWER_BYTES): Promise<string> {
  const decoder = new TextDecoder();
  let text = "";
  let size = 0;
  for await (const chunk of body) {
    size += chunk.byteLength;
    if (size > limit) {
      cancel();
      throw new AnswerTooLargeError(limit);
    }
    text += decoder.decode(chunk, { stream: true });
  }
  return text + decoder.decode();
}

/** The chunks of a web stream, read through a reader (so that `reader.cancel()` can stop it). */
export async function* streamChunks(reader: ReadableStreamDefaultReader<Uint8Array>): AsyncGenerator<Uint8Array> {
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    yield value;
  }
}

/** A fetch `Response`'s body as text, at most `limit` bytes (an empty string when it has none). */
export function responseText(response: Response, limit = MAX_CONTROL_ANSWER_BYTES): Promise<string> {
  const reader = response.body?.getReader();
  if (reader === undefined) return Promise.resolve("");
  return controlAnswerText(streamChunks(reader), () => void reader.cancel().catch(() => undefined), limit);
}
