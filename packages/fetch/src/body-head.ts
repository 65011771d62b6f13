/**
 * Reading a request body's head (a browser form upload's fields) and keeping the rest as a stream: the file that
 * follows is streamed to the backend from where the head ended.
 */
import { GrowingBytes } from "@multistore/core/runtime";
import { S3Error } from "@multistore/core";

/** A body's head, and the rest of the body (what follows the head). */
export interface BodyHead {
  /** The head (every byte, when the body ended first). */
  head: Uint8Array;
  /** What follows the head, unread. */
  rest: ReadableStream<Uint8Array>;
  /** What `end` threw, if it did (the rest is then still to be read and dropped). */
  failure?: unknown;
}

/** Reads `body` until `end` answers the head's length (-1: not yet). */
export async function readBodyHead(body: ReadableStream<Uint8Array>, end: (bytes: Uint8Array) => number): Promise<BodyHead> {
  const reader = body.getReader();
  const read = new GrowingBytes();
  const restAfter = (leftover: Uint8Array) =>
    new ReadableStream<Uint8Array>({
      start(controller) {
        if (leftover.length > 0) controller.enqueue(leftover);
      },
      async pull(controller) {
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      cancel: (reason) => reader.cancel(reason),
    });
  for (;;) {
    let chunk: ReadableStreamReadResult<Uint8Array>;
    try {
      chunk = await reader.read();
    } catch (error) {
      throw new S3Error("IncompleteBody", { message: "The request body ended before its end.", cause: error });
    }
    if (chunk.done) return { head: read.bytes, rest: restAfter(new Uint8Array(0)) };
    const buffered = read.append(chunk.value);
    let length: number;
    try {
      length = end(buffered);
    } catch (failure) {
      return { head: buffered, rest: restAfter(new Uint8Array(0)), failure };
    }
    if (length >= 0) return { head: buffered.subarray(0, length), rest: restAfter(buffered.subarray(length)) };
  }
}

/** The request with another body (the rest of its own, once its head was read); its method, headers and signal kept. */
export function withBody(request: Request, body: ReadableStream<Uint8Array>): Request {
  return new Request(request.url, { method: request.method, headers: request.headers, body, signal: request.signal, duplex: "half" } as RequestInit);
}
