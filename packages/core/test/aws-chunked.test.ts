/**
 * aws-chunked decoding of signed bodies. The signed case is AWS's documented example ("Signature Calculations for the
 * Authorization Header: Transferring Payload in Multiple Chunks"): its seed and chunk signatures must verify byte for
 * byte.
 */
import { createHash, createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { concatBytes } from "../src/runtime.js";
import { parseAuthorizationHeader, verifySigV4 } from "../src/sigv4.js";
import { AwsChunkedDecoder, awsChunkedEncodingOf } from "../src/aws-chunked.js";
import { canonicalRequestFor } from "../src/sigv4/verify.js";
import { bytes, CHUNK_SIGNATURES, DATA, decode, decodeFailure, exampleBody, exampleHeaders, exampleSignature, frame, SECRET, SEED, SIGNED_HEADERS } from "./helpers/aws-chunked-example.js";

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
