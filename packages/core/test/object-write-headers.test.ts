/** The write headers S3 checks before storing: storage class (left to S3-compatible backends), canned ACL, tags, directives. */
import { describe, expect, it } from "vitest";
import { checkObjectWriteHeaders } from "../src/object-write-headers.js";
import { thrown } from "./helpers/errors.js";

/** Backends as the check sees them: a store that keeps tags (S3's kind) and one that keeps none. */
const s3 = { kind: "s3", putObjectTagging: async () => ({}) };
const fs = { kind: "fs" };

describe("checkObjectWriteHeaders", () => {
  it("refuses a storage class S3 does not know, except on an S3-compatible backend (which has its own)", () => {
    const cold = new Headers({ "x-amz-storage-class": "COLD" });
    expect(thrown(() => checkObjectWriteHeaders(cold, false, fs))).toMatchObject({ code: "InvalidStorageClass", status: 400 });
    expect(() => checkObjectWriteHeaders(cold, false, s3)).not.toThrow();
    expect(() => checkObjectWriteHeaders(new Headers({ "x-amz-storage-class": "GLACIER_IR" }), false, fs)).not.toThrow();
  });

  it("refuses unknown canned ACLs everywhere, and copy directives only on copies", () => {
    expect(thrown(() => checkObjectWriteHeaders(new Headers({ "x-amz-acl": "public" }), false, s3))).toMatchObject({ code: "InvalidArgument", details: { ArgumentName: "x-amz-acl" } });
    const merge = new Headers({ "x-amz-metadata-directive": "MERGE" });
    expect(thrown(() => checkObjectWriteHeaders(merge, true, s3))).toMatchObject({ code: "InvalidArgument", details: { ArgumentName: "x-amz-metadata-directive" } });
    expect(() => checkObjectWriteHeaders(merge, false, s3)).not.toThrow();
    expect(() => checkObjectWriteHeaders(new Headers({ "x-amz-metadata-directive": "replace", "x-amz-acl": "bucket-owner-full-control" }), true, fs)).not.toThrow();
  });

  it("checks x-amz-tagging's tags as S3 does, and refuses tags a store cannot keep rather than dropping them", () => {
    const tagged = new Headers({ "x-amz-tagging": "project=alpha&owner=data%20team" });
    expect(() => checkObjectWriteHeaders(tagged, false, s3)).not.toThrow();
    expect(thrown(() => checkObjectWriteHeaders(tagged, false, fs))).toMatchObject({ code: "NotImplemented", status: 501 });
    // No tags (an empty header, as some SDKs send) is what every store keeps.
    expect(() => checkObjectWriteHeaders(new Headers({ "x-amz-tagging": "" }), false, fs)).not.toThrow();
    // A key named twice is the header's own error (a document's is InvalidTag).
    expect(thrown(() => checkObjectWriteHeaders(new Headers({ "x-amz-tagging": "a=1&a=2" }), false, s3))).toMatchObject({ code: "InvalidArgument", details: { ArgumentName: "x-amz-tagging" } });
    const refused = [
      "=value",
      `${"k".repeat(129)}=v`,
      `k=${"v".repeat(257)}`,
      Array.from({ length: 11 }, (_, index) => `k${index}=v`).join("&"),
    ];
    for (const value of refused) expect(thrown(() => checkObjectWriteHeaders(new Headers({ "x-amz-tagging": value }), false, s3)), value).toMatchObject({ code: "InvalidTag", status: 400 });
    // Characters, not UTF-16 units: 128 emoji make a valid key.
    expect(() => checkObjectWriteHeaders(new Headers({ "x-amz-tagging": `${encodeURIComponent("🏷".repeat(128))}=v` }), false, s3)).not.toThrow();
  });

  it("takes a copy's x-amz-tagging only with the REPLACE directive, as S3 does", () => {
    const copied = new Headers({ "x-amz-tagging": "a=1" });
    expect(() => checkObjectWriteHeaders(copied, true, fs)).not.toThrow();
    expect(() => checkObjectWriteHeaders(new Headers({ "x-amz-tagging": "a=1", "x-amz-tagging-directive": "COPY" }), true, fs)).not.toThrow();
    expect(thrown(() => checkObjectWriteHeaders(new Headers({ "x-amz-tagging": "a=1", "x-amz-tagging-directive": "replace" }), true, fs))).toMatchObject({ code: "NotImplemented" });
    expect(thrown(() => checkObjectWriteHeaders(new Headers({ "x-amz-tagging": `${"k".repeat(129)}=1`, "x-amz-tagging-directive": "REPLACE" }), true, s3))).toMatchObject({ code: "InvalidTag" });
    expect(thrown(() => checkObjectWriteHeaders(new Headers({ "x-amz-tagging-directive": "KEEP" }), true, s3))).toMatchObject({ code: "InvalidArgument", details: { ArgumentName: "x-amz-tagging-directive" } });
  });
});

describe("the object settings a write asks for (website redirect, encryption, Object Lock)", () => {
  const az = { kind: "az" };
  const r2 = { kind: "r2" };
  const check = (headers: Record<string, string>, backend: { kind: string; encryptsAtRest?: boolean }, copy = false) => () => checkObjectWriteHeaders(new Headers(headers), copy, backend);

  it("takes a website redirect S3 takes on an S3 backend only, and refuses one S3 refuses everywhere", () => {
    for (const location of ["/index.html", "http://example.com/", "https://example.com/a?b=c"]) {
      expect(check({ "x-amz-website-redirect-location": location }, s3), location).not.toThrow();
      expect(thrown(check({ "x-amz-website-redirect-location": location }, fs)), location).toMatchObject({ code: "NotImplemented", status: 501 });
      expect(thrown(check({ "x-amz-website-redirect-location": location }, az, true)), location).toMatchObject({ code: "NotImplemented" });
    }
    for (const location of ["index.html", "ftp://example.com/", "HTTP://example.com/", "http:/example.com", `/${"a".repeat(2048)}`]) {
      for (const backend of [s3, fs]) {
        expect(thrown(check({ "x-amz-website-redirect-location": location }, backend)), location).toMatchObject({ code: "InvalidRedirectLocation", status: 400 });
      }
    }
    // 2 KB is taken; no value asks for no redirect.
    expect(check({ "x-amz-website-redirect-location": `/${"a".repeat(2047)}` }, s3)).not.toThrow();
    expect(check({ "x-amz-website-redirect-location": "" }, fs)).not.toThrow();
  });

  it("takes SSE-S3 where the store encrypts at rest, KMS on an S3 backend only, and refuses what S3 refuses", () => {
    for (const backend of [s3, az, r2, { kind: "gcs" }]) expect(check({ "x-amz-server-side-encryption": "AES256" }, backend), backend.kind).not.toThrow();
    expect(thrown(check({ "x-amz-server-side-encryption": "AES256" }, fs))).toMatchObject({ code: "NotImplemented", status: 501 });
    const kms = { "x-amz-server-side-encryption": "aws:kms", "x-amz-server-side-encryption-aws-kms-key-id": "arn:aws:kms:us-east-1:1:key/k", "x-amz-server-side-encryption-bucket-key-enabled": "true" };
    expect(check(kms, s3)).not.toThrow();
    expect(check({ "x-amz-server-side-encryption": "aws:kms:dsse" }, s3, true)).not.toThrow();
    for (const backend of [az, r2, fs]) expect(thrown(check(kms, backend)), backend.kind).toMatchObject({ code: "NotImplemented" });
    for (const value of ["aes256", "AES128", "kms"]) {
      expect(thrown(check({ "x-amz-server-side-encryption": value }, s3)), value).toMatchObject({ code: "InvalidArgument", status: 400, details: { ArgumentName: "x-amz-server-side-encryption" } });
    }
    for (const headers of [{ "x-amz-server-side-encryption-aws-kms-key-id": "k" }, { "x-amz-server-side-encryption": "AES256", "x-amz-server-side-encryption-context": "e30=" }] as Record<string, string>[]) {
      expect(thrown(check(headers, s3)), JSON.stringify(headers)).toMatchObject({ code: "InvalidArgument", status: 400 });
    }
  });

  it("refuses keys the client provides (SSE-C) on every store, never naming the key", () => {
    const key = "c2VjcmV0LWtleS1vZi0zMi1ieXRlcy1sb25nLi4uLi4=";
    for (const backend of [s3, az, fs]) {
      const error = thrown(check({ "x-amz-server-side-encryption-customer-algorithm": "AES256", "x-amz-server-side-encryption-customer-key": key }, backend));
      expect(error, backend.kind).toMatchObject({ code: "NotImplemented", status: 501 });
      expect(error.toXml("/b/k", "r")).not.toContain(key);
    }
    expect(thrown(check({ "x-amz-server-side-encryption-customer-key-md5": "bWQ1" }, s3, true))).toMatchObject({ code: "NotImplemented" });
  });

  it("answers a bucket without Object Lock for retention asked of any store, an S3 backend's too", () => {
    const retention = { "x-amz-object-lock-mode": "GOVERNANCE", "x-amz-object-lock-retain-until-date": "2030-01-01T00:00:00Z" };
    for (const headers of [retention, { "x-amz-object-lock-legal-hold": "ON" }]) {
      for (const backend of [s3, fs, az]) expect(thrown(check(headers, backend)), backend.kind).toMatchObject({ code: "InvalidRequest", status: 400, message: "Bucket is missing Object Lock Configuration" });
    }
  });

  it("takes empty values as asking for nothing, and SSE-S3 on an fs root that says it is encrypted", () => {
    const empty = { "x-amz-server-side-encryption": "", "x-amz-object-lock-legal-hold": "", "x-amz-website-redirect-location": "", "x-amz-server-side-encryption-customer-key": "" };
    for (const backend of [s3, fs]) expect(check(empty, backend), backend.kind).not.toThrow();
    expect(check({ "x-amz-server-side-encryption": "AES256" }, { kind: "fs", encryptsAtRest: true })).not.toThrow();
    expect(thrown(check({ "x-amz-server-side-encryption": "aws:kms" }, { kind: "fs", encryptsAtRest: true }))).toMatchObject({ code: "NotImplemented" });
  });

  it("refuses a copy source's customer key (SSE-C) too", () => {
    expect(thrown(check({ "x-amz-copy-source-server-side-encryption-customer-algorithm": "AES256" }, s3, true))).toMatchObject({ code: "NotImplemented", status: 501 });
  });
});
