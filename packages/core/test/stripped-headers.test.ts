/** The backend response headers clients never see, name by name, and ones of the same lengths that pass. */
import { describe, expect, it } from "vitest";
import { isStrippedResponseHeader } from "../src/runtime.js";

const STRIPPED = [
  "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection", "te", "trailer",
  "transfer-encoding", "upgrade", "set-cookie", "set-cookie2", "www-authenticate", "forwarded", "via",
  "x-amz-server-side-encryption-customer-key-md5", "x-amz-server-side-encryption-aws-kms-key-id", "x-amz-id-2",
  "x-amz-request-id", "server", "date", "alt-svc", "strict-transport-security",
  // Any proxy-* or x-forwarded-* header, whatever its length.
  "proxy-x", "proxy-abcd", "proxy-whatever-else", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-forwarded-",
];

const PASSED = [
  "etag", "content-type", "content-length", "content-range", "last-modified", "accept-ranges", "cache-control",
  "expires", "x-amz-version-id", "x-amz-meta-a", "x-amz-meta-server", "x-amz-server-side-encryption",
  "x-amz-checksum-crc32c", "location", "x-amz-delete-marker",
  // The same lengths as stripped names, other text.
  "tx", "vib", "data", "served", "trailed", "forwarder", "connectiom", "x-amz-id-3", "set-cookie3", "x-amz-request-ix",
  "transfer-encodinf", "strict-transport-securitx", "proxy", "x-forwarded",
];

describe("isStrippedResponseHeader", () => {
  it("strips exactly the hop-by-hop, cookie, proxy, request-id and SSE key headers", () => {
    expect(STRIPPED.filter((name) => !isStrippedResponseHeader(name))).toEqual([]);
    expect(PASSED.filter((name) => isStrippedResponseHeader(name))).toEqual([]);
  });
});
