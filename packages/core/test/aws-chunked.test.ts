/**
 * aws-chunked decoding. The signed case is AWS's documented example ("Signature Calculations for the Authorization
 * Header: Transferring Payload in Multiple Chunks"): its seed and chunk signatures must verify byte for byte.
 */
import { createHash, createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { S3Error } from "../src/index.js";
import type { AwsChunkedEncoding } from "../src/runtime.js";
import { concatBytes } from "../src/runtime.js";
import { parseAuthorizationHeader, verifySigV4, type VerifiedSignature } from "../src/sigv4.js";
import { authenticate } from "../src/authenticate.js";
import { AwsChunkedDecoder, awsChunkedEncodingOf, contentEncodingWithoutAwsChunked } from "../src/aws-chunked.js";
import { parseS3Request } from "../src/s3-request.js";
import { canonicalRequestFor } from "../src/sigv4/verify.js";

const SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const SEED = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
const CHUNK_SIGNATURES = [
  "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
  "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
  "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
];
const SIGNED_HEADERS = "content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class";

function exampleHeaders(): Headers {
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

const EXPECTED_CANONICAL = [
  "PUT",
  "/examplebucket/chunkObject.txt",
  "",
  "content-encoding:aws-chunked",
  "content-length:66824",
  "host:s3.amazonaws.com",
  "x-amz-content-sha256:STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
  "x-amz-date:20130524T000000Z",
  "x-amz-decoded-content-length:66560",
  "x-amz-storage-class:REDUCED_REDUNDANCY",
  "",
  SIGNED_HEADERS,
  "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
].join("\n");

const encoder = new TextEncoder();
const bytes = (text: string) => encoder.encode(text);

/** Frames data chunks: `size[;chunk-signature=sig]\r\n data \r\n`, then the final chunk and optional trailer lines. */
function frame(chunks: Uint8Array[], signatures?: string[], trailer: string[] = []): Uint8Array {
  const parts: Uint8Array[] = [];
  [...chunks, new Uint8Array(0)].forEach((chunk, index) => {
    const extension = signatures ? `;chunk-signature=${signatures[index]}` : "";
    parts.push(bytes(`${chunk.length.toString(16)}${extension}\r\n`));
    if (chunk.length > 0) parts.push(chunk, bytes("\r\n"));
  });
  parts.push(bytes(trailer.map((line) => `${line}\r\n`).join("") + "\r\n"));
  return concatBytes(parts);
}

const DATA = new Uint8Array(66560).fill(0x61);
const exampleBody = () => frame([DATA.subarray(0, 65536), DATA.subarray(65536)], CHUNK_SIGNATURES);

async function exampleSignature(): Promise<VerifiedSignature> {
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
async function decode(decoder: AwsChunkedDecoder, body: Uint8Array, size = 0): Promise<Uint8Array> {
  const out: Uint8Array[] = [];
  const step = size === 0 ? body.length : size;
  for (let offset = 0; offset < body.length; offset += step) {
    const produced = await decoder.push(body.subarray(offset, offset + step));
    out.push(...produced.map((chunk) => chunk.slice()));
  }
  decoder.finish();
  return concatBytes(out);
}

async function decodeFailure(encoding: AwsChunkedEncoding, body: Uint8Array, size = 0): Promise<S3Error> {
  try {
    await decode(new AwsChunkedDecoder(encoding), body, size);
  } catch (error) {
    expect(error).toBeInstanceOf(S3Error);
    return error as S3Error;
  }
  throw new Error("expected decoding to fail");
}

describe("AWS's signed streaming example", () => {
  it("has the documented framing: 66824 bytes", () => {
    expect(exampleBody().length).toBe(66824);
  });

  it("verifies the seed signature over the documented canonical request", async () => {
    const headers = exampleHeaders();
    const claim = parseAuthorizationHeader(headers.get("authorization")!, headers);
    const parts = { method: "PUT", rawPath: "/examplebucket/chunkObject.txt", rawQuery: "", headers, payloadHash: "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" };
    expect(canonicalRequestFor(claim, parts)).toBe(EXPECTED_CANONICAL);
    await expect(verifySigV4(claim, parts, SECRET)).resolves.toMatchObject({ signature: SEED, scope: "20130524/us-east-1/s3/aws4_request" });
    await expect(verifySigV4(claim, { ...parts, payloadHash: "UNSIGNED-PAYLOAD" }, SECRET)).rejects.toMatchObject({ code: "SignatureDoesNotMatch" });
  });

  it.each([0, 1, 7, 4096, 65537])("decodes the body fed in %i-byte pieces (0: whole)", async (size) => {
    const signed = await exampleSignature();
    const encoding = awsChunkedEncodingOf(exampleHeaders(), "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", signed)!;
    expect(encoding).toMatchObject({ trailer: false, decodedLength: 66560, signed });
    const decoder = new AwsChunkedDecoder(encoding);
    const decoded = await decode(decoder, exampleBody(), size);
    expect(decoded).toEqual(DATA);
    expect(decoder.decodedBytes).toBe(66560);
    expect(decoder.trailers.size).toBe(0);
  });

  it("releases no byte of a chunk before its signature is checked", async () => {
    const decoder = new AwsChunkedDecoder({ signed: await exampleSignature(), trailer: false, decodedLength: 66560 });
    const body = exampleBody();
    const header = 88;
    expect(await decoder.push(body.subarray(0, header + 65536))).toEqual([]);
    const released = await decoder.push(body.subarray(header + 65536, header + 65538));
    expect(released.reduce((sum, chunk) => sum + chunk.length, 0)).toBe(65536);
  });

  it.each(CHUNK_SIGNATURES.map((signature, index) => [index, signature] as const))("rejects a flipped signature of chunk %i", async (_, signature) => {
    const flipped = signature.slice(0, 10) + (signature[10] === "0" ? "1" : "0") + signature.slice(11);
    const body = frame([DATA.subarray(0, 65536), DATA.subarray(65536)], CHUNK_SIGNATURES.map((s) => (s === signature ? flipped : s)));
    const error = await decodeFailure({ signed: await exampleSignature(), trailer: false, decodedLength: 66560 }, body, 1000);
    expect(error).toMatchObject({ code: "SignatureDoesNotMatch", status: 403 });
  });

  it("rejects a changed data byte", async () => {
    const signed = await exampleSignature();
    for (const position of [88, 88 + 40000, 88 + 65538 + 86 + 5]) {
      const body = exampleBody();
      body[position] = 0x62;
      expect(await decodeFailure({ signed, trailer: false, decodedLength: 66560 }, body)).toMatchObject({ code: "SignatureDoesNotMatch" });
    }
  });

  it("rejects chunks signed with another seed", async () => {
    const signed = await exampleSignature();
    const error = await decodeFailure({ signed: { ...signed, signature: CHUNK_SIGNATURES[0]! }, trailer: false }, exampleBody());
    expect(error.code).toBe("SignatureDoesNotMatch");
  });

  it("rejects a truncated body with IncompleteBody", async () => {
    const signed = await exampleSignature();
    const body = exampleBody();
    for (const length of [0, 50, 88 + 100, 88 + 65538, body.length - 3, body.length - 2, body.length - 1]) {
      const error = await decodeFailure({ signed, trailer: false, decodedLength: 66560 }, body.subarray(0, length));
      expect(error).toMatchObject({ code: "IncompleteBody", status: 400 });
    }
  });

  it("rejects a wrong decoded length with IncompleteBody", async () => {
    const signed = await exampleSignature();
    for (const decodedLength of [66559, 66561, 0]) {
      expect(await decodeFailure({ signed, trailer: false, decodedLength }, exampleBody())).toMatchObject({ code: "IncompleteBody" });
    }
  });

  it("rejects unsigned chunks and bytes after the final chunk", async () => {
    const signed = await exampleSignature();
    const unsigned = frame([DATA.subarray(0, 65536), DATA.subarray(65536)]);
    expect(await decodeFailure({ signed, trailer: false }, unsigned)).toMatchObject({ code: "IncompleteBody" });
    const extra = concatBytes([exampleBody(), bytes("0\r\n\r\n")]);
    expect(await decodeFailure({ signed, trailer: false }, extra)).toMatchObject({ code: "IncompleteBody" });
  });
});

/** Trailer signature as AWS documents it, computed with node:crypto (independent of core). */
function trailerSignature(secret: string, amzDate: string, scope: string, previous: string, trailer: string): string {
  const [date, region, service] = scope.split("/") as [string, string, string];
  let key: Buffer = createHmac("sha256", `AWS4${secret}`).update(date).digest();
  for (const part of [region, service, "aws4_request"]) key = createHmac("sha256", key).update(part).digest();
  const hash = createHash("sha256").update(trailer).digest("hex");
  return createHmac("sha256", key).update(["AWS4-HMAC-SHA256-TRAILER", amzDate, scope, previous, hash].join("\n")).digest("hex");
}

describe("signed trailers", () => {
  it("verifies the trailer signature chained from the final chunk", async () => {
    const signed = await exampleSignature();
    const line = "x-amz-checksum-crc32:sOO8/Q==";
    const good = trailerSignature(SECRET, signed.amzDate, signed.scope, CHUNK_SIGNATURES[2]!, `${line}\n`);
    const body = (signature: string) => frame([DATA.subarray(0, 65536), DATA.subarray(65536)], CHUNK_SIGNATURES, [line, `x-amz-trailer-signature:${signature}`]);
    const decoder = new AwsChunkedDecoder({ signed, trailer: true, decodedLength: 66560 });
    expect(await decode(decoder, body(good), 333)).toEqual(DATA);
    expect(decoder.trailers.get("x-amz-checksum-crc32")).toBe("sOO8/Q==");
    expect(decoder.trailers.has("x-amz-trailer-signature")).toBe(false);
    const bad = good.replace(/^./, good[0] === "a" ? "b" : "a");
    expect(await decodeFailure({ signed, trailer: true }, body(bad))).toMatchObject({ code: "SignatureDoesNotMatch" });
    const noSignature = frame([DATA.subarray(0, 65536), DATA.subarray(65536)], CHUNK_SIGNATURES, [line]);
    expect(await decodeFailure({ signed, trailer: true }, noSignature)).toMatchObject({ code: "SignatureDoesNotMatch" });
  });
});

describe("unsigned aws-chunked bodies (STREAMING-UNSIGNED-PAYLOAD-TRAILER)", () => {
  const hello = bytes("hello ");
  const world = bytes("world!");
  const body = frame([hello, world], undefined, ["x-amz-checksum-crc32: nffTnA=="]);

  it.each([0, 1, 7])("decodes the data and fills the trailers map (%i-byte pieces)", async (size) => {
    const decoder = new AwsChunkedDecoder({ trailer: true, decodedLength: 12 });
    expect(new TextDecoder().decode(await decode(decoder, body, size))).toBe("hello world!");
    expect(decoder.decodedBytes).toBe(12);
    expect([...decoder.trailers]).toEqual([["x-amz-checksum-crc32", "nffTnA=="]]);
  });

  it("decodes a body without trailers and an empty body", async () => {
    expect(new TextDecoder().decode(await decode(new AwsChunkedDecoder({ trailer: false, decodedLength: 12 }), frame([hello, world])))).toBe("hello world!");
    expect((await decode(new AwsChunkedDecoder({ trailer: true, decodedLength: 0 }), frame([], undefined, ["x-amz-checksum-crc32:AAAAAA=="])))).toHaveLength(0);
  });

  it("refuses a wrong decoded length and a truncated body", async () => {
    expect(await decodeFailure({ trailer: true, decodedLength: 11 }, body)).toMatchObject({ code: "IncompleteBody" });
    expect(await decodeFailure({ trailer: true, decodedLength: 12 }, body.subarray(0, body.length - 2))).toMatchObject({ code: "IncompleteBody" });
    expect(await decodeFailure({ trailer: true }, body.subarray(0, 10))).toMatchObject({ code: "IncompleteBody" });
  });

  it.each([
    ["a chunk longer than declared", "5\r\nhello!\r\n0\r\n\r\n"],
    ["a chunk header that is not hex", "zz\r\nhello\r\n0\r\n\r\n"],
    ["a bare LF", "5\nhello\r\n0\r\n\r\n"],
    ["a bad trailer line", "5\r\nhello\r\n0\r\nno-colon\r\n\r\n"],
    ["an overlong line", `${"0".repeat(5000)}\r\n`],
  ])("refuses %s", async (_, text) => {
    expect(await decodeFailure({ trailer: true }, bytes(text))).toMatchObject({ code: "IncompleteBody", status: 400 });
  });

  it("bounds the trailer section: a flood of lines or bytes is refused while it arrives, never read to its end", async () => {
    const lines = Array.from({ length: 5000 }, () => "x-a:b\r\n").join("");
    // No final empty line: a decoder that reads trailers without bound would only fail at the truncated end.
    const flood = bytes(`3\r\nabc\r\n0\r\n${lines}`);
    const decoder = new AwsChunkedDecoder({ trailer: true, decodedLength: 3 });
    let fed = 0;
    const failure = await (async () => {
      for (; fed < flood.length; fed += 64) await decoder.push(flood.subarray(fed, fed + 64));
    })().catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: "MalformedTrailerError", status: 400 });
    expect(fed).toBeLessThan(4096 + 64);
    const wide = bytes(`3\r\nabc\r\n0\r\nx-a:${"b".repeat(1500)}\r\nx-b:${"b".repeat(1500)}\r\nx-c:${"b".repeat(1500)}\r\n\r\n`);
    expect(await decodeFailure({ trailer: true, decodedLength: 3 }, wide)).toMatchObject({ code: "MalformedTrailerError" });
    // What S3 sends stays well inside: a checksum and a trailer signature.
    const signedLike = bytes(`3\r\nabc\r\n0\r\nx-amz-checksum-crc32:NSRBwg==\r\nx-amz-trailer-signature:${"0".repeat(64)}\r\n\r\n`);
    expect(new TextDecoder().decode(await decode(new AwsChunkedDecoder({ trailer: true, decodedLength: 3 }), signedLike))).toBe("abc");
  });
});

describe("awsChunkedEncodingOf / contentEncodingWithoutAwsChunked", () => {
  const headers = (values: Record<string, string>) => new Headers(values);

  it("is undefined for plain bodies", () => {
    expect(awsChunkedEncodingOf(headers({}), "UNSIGNED-PAYLOAD")).toBeUndefined();
    expect(awsChunkedEncodingOf(headers({ "content-encoding": "gzip" }), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")).toBeUndefined();
    expect(awsChunkedEncodingOf(headers({}), undefined)).toBeUndefined();
  });

  it("reads unsigned trailer streaming", () => {
    const encoding = awsChunkedEncodingOf(headers({ "x-amz-decoded-content-length": "12", "x-amz-trailer": "x-amz-checksum-crc32" }), "STREAMING-UNSIGNED-PAYLOAD-TRAILER");
    expect(encoding).toEqual({ trailer: true, decodedLength: 12 });
  });

  it("recognises content-encoding aws-chunked among others", () => {
    expect(awsChunkedEncodingOf(headers({ "content-encoding": "gzip, AWS-Chunked" }), undefined)).toEqual({ trailer: false });
    expect(awsChunkedEncodingOf(headers({ "content-encoding": "aws-chunked", "x-amz-decoded-content-length": "x" }), undefined)).toEqual({ trailer: false });
  });

  it("needs a verified signature for signed streaming", async () => {
    expect(() => awsChunkedEncodingOf(headers({}), "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")).toThrow(S3Error);
    const signed = await exampleSignature();
    expect(awsChunkedEncodingOf(headers({ "x-amz-decoded-content-length": "5" }), "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER", signed)).toEqual({ trailer: true, signed, decodedLength: 5 });
    expect(awsChunkedEncodingOf(headers({}), "STREAMING-UNSIGNED-PAYLOAD-TRAILER", signed)).toEqual({ trailer: true });
  });

  it("removes aws-chunked from Content-Encoding", () => {
    expect(contentEncodingWithoutAwsChunked(null)).toBeUndefined();
    expect(contentEncodingWithoutAwsChunked("aws-chunked")).toBeUndefined();
    expect(contentEncodingWithoutAwsChunked(" AWS-Chunked ,")).toBeUndefined();
    expect(contentEncodingWithoutAwsChunked("aws-chunked,gzip")).toBe("gzip");
    expect(contentEncodingWithoutAwsChunked("gzip, aws-chunked, br")).toBe("gzip, br");
    expect(contentEncodingWithoutAwsChunked("gzip")).toBe("gzip");
  });
});
