/**
 * SigV4 claims: the parts a client repeats (credential scope, signed-header list, timestamp) are remembered between
 * requests, and a request whose parts differ is still parsed and refused on its own.
 */
import { describe, expect, it } from "vitest";
import { HeaderMap } from "../src/header-map.js";
import { forwardedRequestHeaders } from "../src/headers.js";
import { parseAuthorizationHeader } from "../src/sigv4.js";
import { isAmzDate } from "../src/sigv4/authorization.js";

const SIGNATURE = "0a789fa06a34e010da9d9468dfa70a3413f26387b4f6fbaf1e4a435bd10a8ddc";
const headers = (date = "20261205T105324Z") => new HeaderMap({ "x-amz-date": date, host: "h" });
const authorization = (credential = "AKID/20261205/us-east-1/s3/aws4_request", signed = "host;x-amz-date") =>
  `AWS4-HMAC-SHA256 Credential=${credential}, SignedHeaders=${signed}, Signature=${SIGNATURE}`;

describe("header claims", () => {
  it("parse repeated parts the same way every time", () => {
    const first = parseAuthorizationHeader(authorization(), headers());
    const second = parseAuthorizationHeader(authorization(), headers());
    expect(second).toEqual(first);
    expect(second).not.toBe(first);
    expect(first).toMatchObject({ kind: "header", accessKeyId: "AKID", date: "20261205", region: "us-east-1", service: "s3", signedHeaders: ["host", "x-amz-date"] });
    expect(Object.isFrozen(first.signedHeaders)).toBe(true);
    expect(first).not.toHaveProperty("sessionToken");
  });

  it("refuse a changed part right after a good one, and accept the good one again", () => {
    parseAuthorizationHeader(authorization(), headers());
    expect(() => parseAuthorizationHeader(authorization("AKID/2026120/us-east-1/s3/aws4_request"), headers())).toThrow(expect.objectContaining({ code: "AuthorizationHeaderMalformed" }));
    expect(() => parseAuthorizationHeader(authorization(undefined, "x-amz-date"), headers())).toThrow(/must include host/);
    expect(() => parseAuthorizationHeader(authorization(undefined, "host;x-amz-date;Host"), headers())).toThrow(expect.objectContaining({ code: "AuthorizationHeaderMalformed", message: "SignedHeaders names a header more than once." }));
    expect(() => parseAuthorizationHeader(authorization(), headers("20261205T245324Z"))).toThrow(expect.objectContaining({ code: "AccessDenied" }));
    expect(parseAuthorizationHeader(authorization(), headers()).accessKeyId).toBe("AKID");
  });

  it("take a header repeating the last one's fields with a new signature as a full parse would, and refuse a bad one", () => {
    const other = "f".repeat(64);
    const head = "AWS4-HMAC-SHA256 Credential=AKID/20261205/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=";
    parseAuthorizationHeader(head + SIGNATURE, headers());
    const repeated = parseAuthorizationHeader(head + other, headers());
    expect(repeated).toMatchObject({ accessKeyId: "AKID", signedHeaders: ["host", "x-amz-date"], signature: other });
    // The same text with a signature that is not 64 lowercase hex digits is parsed in full, and refused.
    expect(() => parseAuthorizationHeader(head + "F".repeat(64), headers())).toThrow(/64 lowercase hex/);
    expect(() => parseAuthorizationHeader(`${head}${"f".repeat(63)}`, headers())).toThrow(/64 lowercase hex/);
    // The date header is still read for each request.
    expect(() => parseAuthorizationHeader(head + other, headers("2026"))).toThrow(expect.objectContaining({ code: "AccessDenied" }));
  });

  it("remember a header only where the signature ends it", () => {
    const credential = "Credential=AKID/20261205/us-east-1/s3/aws4_request";
    // Signature first: the fields still come out right. Then a header refused for its date, followed by the same
    // fields with another signature and a good date: accepted, with its own fields.
    const first = `AWS4-HMAC-SHA256 Signature=${SIGNATURE}, ${credential}, SignedHeaders=host;x-amz-date`;
    expect(parseAuthorizationHeader(first, headers()).signature).toBe(SIGNATURE);
    const head = `AWS4-HMAC-SHA256 Credential=OTHER/20261205/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=`;
    expect(() => parseAuthorizationHeader(head + SIGNATURE, headers("x"))).toThrow(expect.objectContaining({ code: "AccessDenied" }));
    expect(parseAuthorizationHeader(head + "c".repeat(64), headers()).accessKeyId).toBe("OTHER");
    // A repeated Signature field: the last one counts, remembered or not.
    const twice = `AWS4-HMAC-SHA256 ${credential}, Signature=${"e".repeat(64)}, SignedHeaders=host;x-amz-date, Signature=`;
    expect(parseAuthorizationHeader(twice + SIGNATURE, headers()).signature).toBe(SIGNATURE);
    expect(parseAuthorizationHeader(twice + "d".repeat(64), headers()).signature).toBe("d".repeat(64));
  });

  it("never take an empty value for a remembered one", () => {
    expect(isAmzDate("")).toBe(false);
    expect(isAmzDate("20261205T105324Z")).toBe(true);
    expect(isAmzDate("")).toBe(false);
  });

  it("carry a session token only when one was sent", () => {
    const withToken = new HeaderMap({ "x-amz-date": "20261205T105324Z", "x-amz-security-token": "tok" });
    expect(parseAuthorizationHeader(authorization(), withToken).sessionToken).toBe("tok");
    expect(parseAuthorizationHeader(authorization(), headers())).not.toHaveProperty("sessionToken");
  });
});

describe("forwarded object request headers", () => {
  const client = new HeaderMap({ "content-length": "5", "x-amz-content-sha256": "UNSIGNED-PAYLOAD", range: "bytes=0-1", authorization: "x" });

  it("leave out a body length for requests without a body, and signing markers always", () => {
    expect(forwardedRequestHeaders(client, { object: { sendsBody: false } }).record).toEqual({ range: "bytes=0-1" });
    expect(forwardedRequestHeaders(client, { object: { sendsBody: true } }).record).toEqual({ "content-length": "5", range: "bytes=0-1" });
  });

  it("pass a real payload digest on, and everything forwardable outside object requests", () => {
    const digest = "a".repeat(64);
    expect(forwardedRequestHeaders(new HeaderMap({ "x-amz-content-sha256": digest }), { object: { sendsBody: true } }).record).toEqual({ "x-amz-content-sha256": digest });
    expect(forwardedRequestHeaders(client).record).toEqual({ "content-length": "5", "x-amz-content-sha256": "UNSIGNED-PAYLOAD", range: "bytes=0-1" });
  });
});
