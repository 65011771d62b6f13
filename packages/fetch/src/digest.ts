/**
 * SHA-256 and SHA-1 through workerd's native `crypto.DigestStream`: incremental like core's pure-JS defaults but
 * far cheaper in CPU time, which Workers bill and limit. Written chunks are not detached, so the same bytes go on
 * to the backend. Elsewhere (no DigestStream) core's defaults apply.
 */
import type { ChecksumFactories, IncrementalChecksum } from "@multistore/core/runtime";

type DigestStreamClass = new (algorithm: string) => WritableStream<Uint8Array> & { readonly digest: Promise<ArrayBuffer> };

function digestStream(DigestStream: DigestStreamClass, algorithm: string): () => IncrementalChecksum {
  return () => {
    const stream = new DigestStream(algorithm);
    const writer = stream.getWriter();
    return {
      // Awaiting each write keeps the stream's queue at one chunk.
      update: (bytes) => writer.write(bytes),
      digest: async () => {
        await writer.close();
        return new Uint8Array(await stream.digest);
      },
    };
  };
}

/** The native checksum implementations this runtime has. */
export function nativeChecksumFactories(): Partial<ChecksumFactories> {
  const DigestStream = (crypto as unknown as { DigestStream?: DigestStreamClass }).DigestStream;
  if (!DigestStream) return {};
  return { sha256: digestStream(DigestStream, "SHA-256"), sha1: digestStream(DigestStream, "SHA-1") };
}
