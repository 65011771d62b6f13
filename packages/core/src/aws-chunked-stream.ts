/** aws-chunked decoding as a web TransformStream (Workers and other fetch runtimes). */
import { AwsChunkedDecoder, type AwsChunkedEncoding } from "./aws-chunked.js";

/** A decoding stream plus the first error it hit (an S3Error for framing or signature problems). */
export interface AwsChunkedStream {
  /** Pipe the client's body through it. */
  stream: TransformStream<Uint8Array, Uint8Array>;
  /** The error that stopped decoding, if any. */
  failure(): unknown;
}

/** Creates a decoding TransformStream for an aws-chunked body. */
export function createAwsChunkedStream(encoding: AwsChunkedEncoding): AwsChunkedStream {
  const decoder = new AwsChunkedDecoder(encoding);
  let failure: unknown;
  const stream = new TransformStream<Uint8Array, Uint8Array>({
    async transform(chunk, controller) {
      try {
        const parts = await decoder.push(chunk);
        for (const part of parts) controller.enqueue(part);
      } catch (error) {
        failure = error;
        throw error;
      }
    },
    flush() {
      try {
        decoder.finish();
      } catch (error) {
        failure = error;
        throw error;
      }
    },
  });
  return { stream, failure: () => failure };
}
