/**
 * aws-chunked decoding of unsigned bodies (STREAMING-UNSIGNED-PAYLOAD-TRAILER): data, trailers, and the framing and
 * trailer-size errors a decoder must refuse.
 */
import { describe, expect, it } from "vitest";
import { AwsChunkedDecoder } from "../src/aws-chunked.js";
import { bytes, decode, decodeFailure, frame } from "./helpers/aws-chunked-example.js";

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

  it("refuses bytes past the decoded length as they arrive, before passing any of them on", async () => {
    // 12 bytes against a declared 5: the first chunk (6 bytes) already goes past it.
    const decoder = new AwsChunkedDecoder({ trailer: true, decodedLength: 5 });
    const passed: Uint8Array[] = [];
    const failure = await (async () => {
      for (let offset = 0; offset < body.length; offset += 4) passed.push(...(await decoder.push(body.subarray(offset, offset + 4))));
    })().catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: "IncompleteBody", status: 400 });
    expect(passed.reduce((total, part) => total + part.length, 0)).toBeLessThanOrEqual(5);
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
