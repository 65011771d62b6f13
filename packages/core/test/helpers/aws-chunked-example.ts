/**
 * Shared by the aws-chunked tests: AWS's documented signed streaming example ("Signature Calculations for the
 * Authorization Header: Transferring Payload in Multiple Chunks"), a framer for aws-chunked bodies and a decoder
 * driver that feeds a body in pieces.
 */
import { expect } from "vitest";
import { S3Error } from "../../src/index.js";
import type { AwsChunkedEncoding } from "../../src/runtime.js";
import { concatBytes } from "../../src/runtime.js";
import type { VerifiedSignature } from "../../src/sigv4.js";
import { authenticate } from "../../src/authenticate.js";
import { AwsChunkedDecoder } from "../../src/aws-chunked.js";
import { parseS3Request } from "../../src/s3-request.js";

/** The example's secret access key. */
export const SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
/** The example's seed signature (of its Authorization header). */
export const SEED = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
/** The example's chunk signatures: two data chunks, then the final one. */
export const CHUNK_SIGNATURES = [
  "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
  "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
  "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
];
/** The example's signed headers. */
export const SIGNED_HEADERS = "content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class";

/** The example's request headers. */
export function exampleHeaders(): Headers {
  return new Headers({
    host: "s3.amazonaws.com",
    "x-amz-date": "20130524T000000Z",
    "x-amz-storage-class": "REDUCED_REDUNDANCY",
    authorization: `AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=${SIGNED_HEADERS},Signature=${SEED}`,
    "x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
    "content-encoding": "aws-chunked",
    "x-amz-decoded-content-length": "66560",
    "content-length": "66824",
  });
}

const encoder = new TextEncoder();
/** UTF-8 bytes of a text. */
export const bytes = (text: string) => encoder.encode(text);

/** Frames data chunks: `size[;chunk-signature=sig]\r\n data \r\n`, then the final chunk and optional trailer lines. */
export function frame(chunks: Uint8Array[], signatures?: string[], trailer: string[] = []): Uint8Array {
  const parts: Uint8Array[] = [];
  [...chunks, new Uint8Array(0)].forEach((chunk, index) => {
    const extension = signatures ? `;chunk-signature=${signatures[index]}` : "";
    parts.push(bytes(`${chunk.length.toString(16)}${extension}\r\n`));
    if (chunk.length > 0) parts.push(chunk, bytes("\r\n"));
  });
  parts.push(bytes(trailer.map((line) => `${line}\r\n`).join("") + "\r\n"));
  return concatBytes(parts);
}

/** The example's data: 66560 bytes of `a`. */
export const DATA = new Uint8Array(66560).fill(0x61);
/** The example's body, framed and signed as AWS documents it (a fresh copy each time). */
export const exampleBody = () => frame([DATA.subarray(0, 65536), DATA.subarray(65536)], CHUNK_SIGNATURES);

/** The example's seed signature, as core's authentication verifies it. */
export async function exampleSignature(): Promise<VerifiedSignature> {
  const headers = exampleHeaders();
  const parsed = parseS3Request("PUT", "/examplebucket/chunkObject.txt", headers);
  const auth = await authenticate(
    { method: "PUT", rawPath: parsed.rawPath, query: parsed.query, headers },
    {
      credentials: {
        getCredential: (id) =>
          id === "AKIAIOSFODNN7EXAMPLE"
            ? { access_key_id: id, secret_access_key: SECRET, principal_name: "example", created_at: "2013-01-01T00:00:00Z", enabled: true, allowed_scopes: [] }
            : undefined,
      },
      now: () => Date.UTC(2013, 4, 24, 0, 5, 0),
    },
  );
  expect(auth.payloadHash).toBe("STREAMING-AWS4-HMAC-SHA256-PAYLOAD");
  return auth.signature!;
}

/** Feeds `body` in pieces of `size` bytes (0: all at once) and returns the decoded bytes. */
export async function decode(decoder: AwsChunkedDecoder, body: Uint8Array, size = 0): Promise<Uint8Array> {
  const out: Uint8Array[] = [];
  const step = size === 0 ? body.length : size;
  for (let offset = 0; offset < body.length; offset += step) {
    const produced = await decoder.push(body.subarray(offset, offset + step));
    out.push(...produced.map((chunk) => chunk.slice()));
  }
  decoder.finish();
  return concatBytes(out);
}

/** The S3Error that decoding `body` (in pieces of `size` bytes) fails with; fails the test if it decodes. */
export async function decodeFailure(encoding: AwsChunkedEncoding, body: Uint8Array, size = 0): Promise<S3Error> {
  try {
    await decode(new AwsChunkedDecoder(encoding), body, size);
  } catch (error) {
    expect(error).toBeInstanceOf(S3Error);
    return error as S3Error;
  }
  throw new Error("expected decoding to fail");
}
