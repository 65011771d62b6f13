/**
 * Content-MD5 checked as a part streams to R2, whose `uploadPart` takes no digest: R2 would store the part first
 * (replacing a good part of that number), and only its ETag could tell afterwards. workerd's `DigestStream` hashes
 * the bytes natively; the last chunk is held back until the digest matches, so a part that does not match never
 * reaches its full length and R2 stores nothing.
 */
import { S3Error } from "@multistore/core";
import { toHex } from "@multistore/core/backend";

type DigestStreamClass = new (algorithm: string) => WritableStream<Uint8Array> & { readonly digest: Promise<ArrayBuffer> };

/** A body whose MD5 must be `expectedHex`; `failed()` tells whether it was not (the stream then errored). */
export interface Md5Checked {
  body: ReadableStream<Uint8Array>;
  failed(): boolean;
}

/** The body checked against `expectedHex` where the runtime has `DigestStream` (workerd); elsewhere undefined. */
export function md5Checked(body: ReadableStream<Uint8Array>, expectedHex: string): Md5Checked | undefined {
  const DigestStream = (crypto as { DigestStream?: DigestStreamClass }).DigestStream;
  if (DigestStream === undefined) return undefined;
  const digest = new DigestStream("MD5");
  const writer = digest.getWriter();
  let held: Uint8Array | undefined;
  let mismatch = false;
  const checked = body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      async transform(chunk, controller) {
        await writer.write(chunk);
        if (held !== undefined) controller.enqueue(held);
        held = chunk;
      },
      async flush(controller) {
        await writer.close();
        const hex = toHex(new Uint8Array(await digest.digest));
        if (hex !== expectedHex) {
          mismatch = true;
          throw new S3Error("BadDigest", { message: "The Content-MD5 you specified did not match what we received." });
        }
        if (held !== undefined) controller.enqueue(held);
      },
    }),
  );
  return { body: checked, failed: () => mismatch };
}
