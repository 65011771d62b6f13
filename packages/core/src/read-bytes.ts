/** Reading a small body whole, never more than a limit: what runtimes do with XML bodies and short answers. */
import { concatBytes } from "./encoding.js";

/**
 * Reads `stream` to its end, or stops (cancelling it) once more than `limit` bytes came: undefined then, so the
 * caller answers with the error its context needs.
 */
export async function readAtMost(stream: ReadableStream<Uint8Array>, limit: number): Promise<Uint8Array | undefined> {
  const reader = stream.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > limit) {
      await reader.cancel();
      return undefined;
    }
    parts.push(value);
  }
  return parts.length === 0 ? new Uint8Array() : concatBytes(parts);
}

/**
 * Bytes read so far, appended chunk by chunk into a buffer that doubles when full: reading a body's head in many
 * small chunks (a slow or hostile client's) copies each byte a bounded number of times, where concatenating the
 * whole on every chunk would copy quadratically.
 */
export class GrowingBytes {
  private buffer = new Uint8Array(0);
  private size = 0;

  /** Appends a chunk; returns every byte so far (a view, valid until the next append). */
  append(chunk: Uint8Array): Uint8Array {
    if (this.size + chunk.length > this.buffer.length) {
      const grown = new Uint8Array(Math.max(this.buffer.length * 2, this.size + chunk.length, 16 * 1024));
      grown.set(this.buffer.subarray(0, this.size));
      this.buffer = grown;
    }
    this.buffer.set(chunk, this.size);
    this.size += chunk.length;
    return this.buffer.subarray(0, this.size);
  }

  /** Every byte so far. */
  get bytes(): Uint8Array {
    return this.buffer.subarray(0, this.size);
  }
}
