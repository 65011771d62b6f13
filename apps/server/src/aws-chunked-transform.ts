/** A Node Transform around core's aws-chunked decoder: object bytes out, framing and signatures checked. */
import { Transform, type TransformCallback } from "node:stream";
import { AwsChunkedDecoder, type AwsChunkedEncoding } from "@multistore/core";

/** Decodes an aws-chunked body as it streams. The first decoding error is kept in `failure`. */
export class AwsChunkedTransform extends Transform {
  private readonly decoder: AwsChunkedDecoder;
  /** The error that stopped decoding (an S3Error for framing or signature problems). */
  failure: unknown;

  constructor(encoding: AwsChunkedEncoding) {
    super();
    this.decoder = new AwsChunkedDecoder(encoding);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.decoder.push(chunk).then(
      (parts) => {
        for (const part of parts) this.push(part);
        callback();
      },
      (error: unknown) => {
        this.failure = error;
        callback(error as Error);
      },
    );
  }

  override _flush(callback: TransformCallback): void {
    try {
      this.decoder.finish();
      callback();
    } catch (error) {
      this.failure = error;
      callback(error as Error);
    }
  }
}
