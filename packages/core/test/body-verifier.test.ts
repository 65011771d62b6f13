/**
 * Body checks: the algorithms against known vectors, the hold-back rule (a failing check errors before the body's
 * last bytes are released), aws-chunked trailers, and the up-front validation of what a request announces.
 */
import { createHash } from "node:crypto";
import { crc32 as zlibCrc32 } from "node:zlib";
import { describe, expect, it } from "vitest";
import { S3Error } from "../src/index.js";
import { toBase64 } from "../src/backend.js";
import { DEFAULT_CHECKSUM_FACTORIES, RequestBodyDecoder, type BodyChecks, type ChecksumAlgorithm } from "../src/runtime.js";
import { bodyChecksFor, verifyEmptyBody } from "../src/checksums/body-checks.js";
import { BodyVerifier } from "../src/checksums/body-verifier.js";
import { createRequestBodyStream } from "../src/request-body.js";

const bytes = (text: string) => new TextEncoder().encode(text);
const hex = (data: Uint8Array) => Buffer.from(data).toString("hex");
const digest = async (algorithm: ChecksumAlgorithm, data: Uint8Array) => {
  const hash = DEFAULT_CHECKSUM_FACTORIES[algorithm]();
  await hash.update(data.subarray(0, 3));
  await hash.update(data.subarray(3));
  return hash.digest();
};

async function thrown(promise: Promise<unknown>): Promise<S3Error> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(S3Error);
    return error as S3Error;
  }
  throw new Error("expected a failure");
}

const checks = (extra: Partial<BodyChecks>): BodyChecks => ({ headerChecksums: [], trailerChecksums: [], verified: {}, ...extra });
const crc32Of = (data: Uint8Array) => {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(zlibCrc32(data));
  return out.toString("base64");
};

describe("checksum algorithms", () => {
  const check = bytes("123456789");
  it.each([
    ["crc32", "cbf43926"],
    ["crc32c", "e3069283"],
    ["crc64nvme", "ae8b14860a799888"],
    ["sha1", createHash("sha1").update(check).digest("hex")],
    ["sha256", createHash("sha256").update(check).digest("hex")],
  ] as const)("%s of the check string is %s, fed in pieces", async (algorithm, expected) => {
    expect(hex(await digest(algorithm, check))).toBe(expected);
  });
});

describe("BodyVerifier hold-back", () => {
  const body = [bytes("first "), bytes("second "), bytes("last")];
  const whole = bytes("first second last");

  async function feed(verifier: BodyVerifier) {
    const released: string[] = [];
    for (const chunk of [...body.slice(0, 1), new Uint8Array(0), ...body.slice(1)]) {
      for (const part of await verifier.push(chunk)) released.push(new TextDecoder().decode(part));
    }
    return released;
  }

  it("releases every chunk but the last while streaming, and the last once the checks pass", async () => {
    const sha256Hex = createHash("sha256").update(whole).digest("hex");
    const passing = checks({ sha256Hex, headerChecksums: [{ algorithm: "crc32", expected: crc32Of(whole) }] });
    const verifier = new BodyVerifier(passing);
    expect(await feed(verifier)).toEqual(["first ", "second "]);
    expect((await verifier.finish()).map((part) => new TextDecoder().decode(part))).toEqual(["last"]);
    expect(passing.verified).toEqual({ "x-amz-checksum-crc32": crc32Of(whole) });
  });

  it("errors at the end, before the last chunk is released, when x-amz-content-sha256 differs", async () => {
    const verifier = new BodyVerifier(checks({ sha256Hex: "0".repeat(64) }));
    expect(await feed(verifier)).toEqual(["first ", "second "]);
    const error = await thrown(verifier.finish());
    expect(error).toMatchObject({ code: "XAmzContentSHA256Mismatch", status: 400 });
    expect(error.details.S3ComputedContentSHA256).toBe(createHash("sha256").update(whole).digest("hex"));
  });

  it.each(["crc32", "crc32c", "crc64nvme", "sha1", "sha256"] as const)("answers BadDigest for a wrong %s header checksum", async (algorithm) => {
    const wrong = toBase64(new Uint8Array((await digest(algorithm, whole)).length));
    const verifier = new BodyVerifier(checks({ headerChecksums: [{ algorithm, expected: wrong }] }));
    expect(await feed(verifier)).toEqual(["first ", "second "]);
    expect(await thrown(verifier.finish())).toMatchObject({ code: "BadDigest", status: 400 });
  });
});

/** An unsigned aws-chunked body with trailing headers. */
function framed(chunks: string[], trailers: string[]): Uint8Array {
  const text = chunks.map((chunk) => `${chunk.length.toString(16)}\r\n${chunk}\r\n`).join("") + "0\r\n" + trailers.map((line) => `${line}\r\n`).join("") + "\r\n";
  return bytes(text);
}

describe("RequestBodyDecoder with trailer checksums", () => {
  const plan = (algorithm: ChecksumAlgorithm = "crc32") => ({
    bodyEncoding: { trailer: true, decodedLength: 12 },
    bodyChecks: checks({ trailerChecksums: [algorithm] }),
  });

  async function run(body: Uint8Array, bodyPlan = plan()) {
    const decoder = new RequestBodyDecoder(bodyPlan);
    const released: string[] = [];
    const keep = (parts: Uint8Array[]) => released.push(...parts.map((part) => new TextDecoder().decode(part)));
    for (let offset = 0; offset < body.length; offset += 7) keep(await decoder.push(body.subarray(offset, offset + 7)));
    try {
      keep(await decoder.finish());
      return { released };
    } catch (error) {
      return { released, error: error as S3Error };
    }
  }

  it("decodes and verifies a correct trailer, recording the verified checksum", async () => {
    const bodyPlan = plan();
    const { released, error } = await run(framed(["hello ", "world!"], [`x-amz-checksum-crc32:${crc32Of(bytes("hello world!"))}`]), bodyPlan);
    expect(error).toBeUndefined();
    expect(released.join("")).toBe("hello world!");
    expect(bodyPlan.bodyChecks.verified).toEqual({ "x-amz-checksum-crc32": crc32Of(bytes("hello world!")) });
  });

  it("refuses a tampered trailer with BadDigest without releasing the last bytes", async () => {
    const { released, error } = await run(framed(["hello ", "world!"], ["x-amz-checksum-crc32:AAAAAA=="]));
    expect(error).toMatchObject({ code: "BadDigest" });
    expect(released.join("")).toBe("hello ");
  });

  it("refuses a missing or an undeclared checksum trailer", async () => {
    expect((await run(framed(["hello world!"], []))).error).toMatchObject({ code: "MalformedTrailerError", status: 400 });
    const undeclared = await run(framed(["hello world!"], [`x-amz-checksum-crc32:${crc32Of(bytes("hello world!"))}`, "x-amz-checksum-sha1:AAAA"]));
    expect(undeclared.error).toMatchObject({ code: "MalformedTrailerError" });
  });

  it("holds back the last bytes of an aws-chunked body even without checks, until framing and length are complete", async () => {
    const decoder = new RequestBodyDecoder({ bodyEncoding: { trailer: false, decodedLength: 20 } });
    const released = await decoder.push(framed(["hello ", "world!"], []));
    expect(released.map((part) => new TextDecoder().decode(part))).toEqual(["hello "]);
    expect(await thrown(decoder.finish())).toMatchObject({ code: "IncompleteBody" });
  });

  it("errors the web TransformStream before its last chunk", async () => {
    const { stream, failure } = createRequestBodyStream(plan());
    const writer = stream.writable.getWriter();
    const reader = stream.readable.getReader();
    void writer.write(framed(["hello ", "world!"], ["x-amz-checksum-crc32:AAAAAA=="])).catch(() => undefined);
    void writer.close().catch(() => undefined);
    const seen: string[] = [];
    await expect(
      (async () => {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          seen.push(new TextDecoder().decode(value));
        }
      })(),
    ).rejects.toMatchObject({ code: "BadDigest" });
    expect(seen).toEqual(["hello "]);
    expect(failure()).toMatchObject({ code: "BadDigest" });
  });
});

describe("bodyChecksFor", () => {
  const headers = (entries: Record<string, string>) => new Headers(entries);
  it("reads a hex payload hash, one checksum header and declared trailers", () => {
    const sha = "a".repeat(64);
    expect(bodyChecksFor(headers({}), sha, false)).toMatchObject({ sha256Hex: sha });
    expect(bodyChecksFor(headers({}), "UNSIGNED-PAYLOAD", false)).toBeUndefined();
    expect(bodyChecksFor(headers({ "x-amz-checksum-crc32": "AAAAAA==", "x-amz-checksum-mode": "ENABLED", "x-amz-checksum-type": "FULL_OBJECT" }), undefined, false))
      .toMatchObject({ headerChecksums: [{ algorithm: "crc32", expected: "AAAAAA==" }] });
    expect(bodyChecksFor(headers({ "x-amz-trailer": "x-amz-checksum-crc64nvme" }), "STREAMING-UNSIGNED-PAYLOAD-TRAILER", true))
      .toMatchObject({ trailerChecksums: ["crc64nvme"] });
  });

  it.each([
    [{ "x-amz-checksum-crc32": "AAAAAA==", "x-amz-checksum-sha1": "2jmj7l5rSw0yVb/vlWAYkK/YBwk=" }, false],
    [{ "x-amz-checksum-crc32": "not base64!" }, false],
    [{ "x-amz-checksum-crc32": "AAAAAAAA" }, false],
    [{ "x-amz-checksum-md4": "AAAAAA==" }, false],
    [{ "x-amz-trailer": "x-amz-checksum-crc32" }, false],
    [{ "x-amz-trailer": "x-amz-meta-x" }, true],
  ])("refuses %o up front with InvalidRequest", (entries, chunked) => {
    expect(() => bodyChecksFor(headers(entries), undefined, chunked)).toThrow(expect.objectContaining({ code: "InvalidRequest", status: 400 }));
  });

  it("settles the checks of an empty body at once", async () => {
    await verifyEmptyBody(bodyChecksFor(headers({ "x-amz-checksum-crc32": "AAAAAA==" }), createHash("sha256").digest("hex"), false)!);
    expect(await thrown(verifyEmptyBody(bodyChecksFor(headers({ "x-amz-checksum-crc32": "AAAAAB==" }), undefined, false)!))).toMatchObject({ code: "BadDigest" });
  });
});
