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
