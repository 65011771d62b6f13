/** Which requests carry an aws-chunked body (awsChunkedEncodingOf), and the Content-Encoding left once it is decoded. */
import { describe, expect, it } from "vitest";
import { S3Error } from "../src/index.js";
import { awsChunkedEncodingOf, contentEncodingWithoutAwsChunked } from "../src/aws-chunked.js";
import { exampleSignature } from "./helpers/aws-chunked-example.js";

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
