/** Browser form uploads: the form's head (fields before the file) and the file cut out of the rest of the body. */
import { describe, expect, it } from "vitest";
import { S3Error } from "../src/index.js";
import { formBoundaryOf, FormHeadReader } from "../src/post-object/form-head.js";
import { FormFileDecoder, formTrailerLength } from "../src/post-object/form-file.js";
import { RequestBodyDecoder } from "../src/request-body.js";
import { BytePattern } from "../src/post-object/byte-pattern.js";
import { BOUNDARY, formBody } from "./helpers/form.js";

const LIMIT = 64 * 1024;
/** The head of `bytes` read at once by a fresh reader. */
const findFormHead = (bytes: Uint8Array, boundary: string, limit: number) => new FormHeadReader(boundary, limit).read(bytes);
const codeOf = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    return error instanceof S3Error ? error.code : String(error);
  }
  return "no error";
};

describe("formBoundaryOf", () => {
  it("reads the boundary, quoted or not, and refuses what is not multipart/form-data", () => {
    expect(formBoundaryOf(`multipart/form-data; boundary=${BOUNDARY}`)).toBe(BOUNDARY);
    expect(formBoundaryOf('Multipart/Form-Data;charset=utf-8; boundary="a b:c"')).toBe("a b:c");
    expect(formBoundaryOf("multipart/form-data")).toBeUndefined();
    expect(formBoundaryOf("multipart/mixed; boundary=x")).toBeUndefined();
    expect(formBoundaryOf(`multipart/form-data; boundary=${"x".repeat(71)}`)).toBeUndefined();
    expect(formBoundaryOf("multipart/form-data; boundary=a\u0000b")).toBeUndefined();
  });
});

describe("findFormHead", () => {
  const body = formBody([["key", "uploads/${filename}"], ["x-amz-meta-note", "héllo"]], { filename: "a b.txt", type: "text/plain", content: "file bytes" });

  it("reads the fields and the file part's headers, and the head's length", () => {
    const head = findFormHead(body, BOUNDARY, LIMIT)!;
    expect([...head.fields.values()]).toEqual([{ name: "key", value: "uploads/${filename}" }, { name: "x-amz-meta-note", value: "héllo" }]);
    expect(head.filename).toBe("a b.txt");
    expect(new TextDecoder().decode(body.subarray(head.length))).toBe(`file bytes\r\n--${BOUNDARY}--\r\n`);
  });

  it("needs more bytes until the file part's headers are complete, at any cut", () => {
    const head = findFormHead(body, BOUNDARY, LIMIT)!;
    for (let cut = 0; cut < head.length; cut++) expect(findFormHead(body.subarray(0, cut), BOUNDARY, LIMIT)).toBeUndefined();
    expect(findFormHead(body.subarray(0, head.length), BOUNDARY, LIMIT)?.length).toBe(head.length);
  });

  it("reads as the bytes grow, resuming where it stopped, in any chunking", () => {
    const whole = findFormHead(body, BOUNDARY, LIMIT)!;
    for (const step of [1, 2, 7, 64]) {
      const reader = new FormHeadReader(BOUNDARY, LIMIT);
      let head: ReturnType<FormHeadReader["read"]>;
      for (let length = step; head === undefined; length += step) head = reader.read(body.subarray(0, Math.min(length, body.length)));
      expect(head).toEqual(whole);
    }
  });

  it("skips a preamble and takes field names without regard to case", () => {
    const withPreamble = new Uint8Array([...new TextEncoder().encode("ignored preamble\r\n"), ...formBody([["Content-Type", "image/png"]], { name: "File", content: "x" })]);
    const head = findFormHead(withPreamble, BOUNDARY, LIMIT)!;
    expect(head.fields.get("content-type")).toEqual({ name: "Content-Type", value: "image/png" });
    expect(head.filename).toBeUndefined();
  });

  it("refuses a form without a file, a field sent twice, broken framing, and too many bytes before the file", () => {
    const noFile = new TextEncoder().encode(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="key"\r\n\r\nk\r\n--${BOUNDARY}--\r\n`);
    expect(codeOf(() => findFormHead(noFile, BOUNDARY, LIMIT))).toBe("IncorrectNumberOfFilesInPostRequest");
    expect(codeOf(() => findFormHead(formBody([["key", "a"], ["KEY", "b"]], { content: "x" }), BOUNDARY, LIMIT))).toBe("InvalidArgument");
    const noDisposition = new TextEncoder().encode(`--${BOUNDARY}\r\nContent-Type: text/plain\r\n\r\nk\r\n--${BOUNDARY}--\r\n`);
    expect(codeOf(() => findFormHead(noDisposition, BOUNDARY, LIMIT))).toBe("MalformedPOSTRequest");
    const badLine = new TextEncoder().encode(`--${BOUNDARY}junk\r\n`);
    expect(codeOf(() => findFormHead(badLine, BOUNDARY, LIMIT))).toBe("MalformedPOSTRequest");
    const long = formBody([["x-amz-meta-big", "x".repeat(LIMIT)]], { content: "x" });
    expect(codeOf(() => findFormHead(long, BOUNDARY, LIMIT))).toBe("MaxPostPreDataLengthExceeded");
    expect(codeOf(() => findFormHead(new Uint8Array(LIMIT + 1), BOUNDARY, LIMIT))).toBe("MaxPostPreDataLengthExceeded");
    // Past the limit, the same refusal whether the bytes came at once (Lambda) or in chunks (what follows the limit
    // is never looked at): a form without a file, or with a field sent twice, after a long field.
    const longField = `--${BOUNDARY}\r\nContent-Disposition: form-data; name="x-amz-meta-big"\r\n\r\n${"x".repeat(LIMIT)}\r\n`;
    for (const rest of [`--${BOUNDARY}--\r\n`, `--${BOUNDARY}\r\nContent-Disposition: form-data; name="X-Amz-Meta-Big"\r\n\r\nv\r\n`]) {
      expect(codeOf(() => findFormHead(new TextEncoder().encode(longField + rest), BOUNDARY, LIMIT))).toBe("MaxPostPreDataLengthExceeded");
    }
  });
});

describe("FormFileDecoder", () => {
  const rest = (file: string, trailer = `\r\n--${BOUNDARY}--\r\n`) => new TextEncoder().encode(file + trailer);
  const decode = (bytes: Uint8Array, length: number, chunk = 3) => {
    const decoder = new FormFileDecoder({ length, boundary: BOUNDARY });
    const out: number[] = [];
    for (let at = 0; at < bytes.length; at += chunk) for (const part of decoder.push(bytes.subarray(at, at + chunk))) out.push(...part);
    for (const part of decoder.finish()) out.push(...part);
    return new TextDecoder().decode(new Uint8Array(out));
  };

  it("passes the file and drops the closing boundary, in any chunking", () => {
    const file = "0123456789abcdef";
    for (const chunk of [1, 2, 5, 16, 17, 1000]) expect(decode(rest(file), file.length, chunk)).toBe(file);
    expect(decode(rest(""), 0)).toBe("");
    expect(formTrailerLength(BOUNDARY)).toBe(`\r\n--${BOUNDARY}--\r\n`.length);
  });

  it("holds the file's last byte back until the form's end is checked", () => {
    const decoder = new FormFileDecoder({ length: 4, boundary: BOUNDARY });
    expect(decoder.push(new TextEncoder().encode("abcd")).map((part) => new TextDecoder().decode(part))).toEqual(["abc"]);
    expect(() => decoder.finish()).toThrow(S3Error);
  });

  it("refuses a form whose file is not its last part, or that ends early", () => {
    const after = `\r\n--${BOUNDARY}\r\nContent-Disposition: form-data; name="late"\r\n\r\nv\r\n--${BOUNDARY}--\r\n`;
    // The length the gateway computed assumes the closing line right after the file.
    const bytes = rest("file", after);
    const computed = bytes.length - formTrailerLength(BOUNDARY);
    expect(codeOf(() => decode(bytes, computed))).toBe("MalformedPOSTRequest");
    expect(codeOf(() => decode(rest("file", `\r\n--${BOUNDARY}--`), 6))).toBe("MalformedPOSTRequest");
    expect(codeOf(() => decode(new TextEncoder().encode("fi"), 4))).toBe("IncompleteBody");
  });

  it("runs inside the request body decoder with the body's checks after it", async () => {
    const decoder = new RequestBodyDecoder({ formFile: { length: 4, boundary: BOUNDARY }, bodyChecks: { headerChecksums: [], trailerChecksums: [], verified: {}, sha256Hex: "0".repeat(64) } });
    await decoder.push(rest("file"));
    await expect(decoder.finish()).rejects.toMatchObject({ code: "XAmzContentSHA256Mismatch" });
  });
});

describe("BytePattern", () => {
  it("finds a pattern at or after an offset, in data that repeats its bytes", () => {
    const pattern = new BytePattern("\r\n--b");
    const bytes = (text: string) => new TextEncoder().encode(text);
    expect(pattern.indexIn(bytes("\r\r\n\r\n-\r\n--b"))).toBe(6);
    expect(pattern.indexIn(bytes("\r\n--b..\r\n--b"), 1)).toBe(7);
    expect(pattern.indexIn(bytes("\r".repeat(10_000)))).toBe(-1);
    expect(pattern.indexIn(bytes("\r\n--"))).toBe(-1);
    expect([pattern.isAt(bytes("x\r\n--b"), 1), pattern.isAt(bytes("x\r\n--"), 1)]).toEqual([true, false]);
  });
});
