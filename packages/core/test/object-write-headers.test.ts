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
