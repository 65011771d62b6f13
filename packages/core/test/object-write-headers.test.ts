/** The write headers S3 checks before storing: storage class (left to S3-compatible backends), canned ACL, directives. */
import { describe, expect, it } from "vitest";
import { checkObjectWriteHeaders } from "../src/object-write-headers.js";
import { thrown } from "./helpers/errors.js";

describe("checkObjectWriteHeaders", () => {
  it("refuses a storage class S3 does not know, except on an S3-compatible backend (which has its own)", () => {
    const cold = new Headers({ "x-amz-storage-class": "COLD" });
    expect(thrown(() => checkObjectWriteHeaders(cold, false, "fs"))).toMatchObject({ code: "InvalidStorageClass", status: 400 });
    expect(() => checkObjectWriteHeaders(cold, false, "s3")).not.toThrow();
    expect(() => checkObjectWriteHeaders(new Headers({ "x-amz-storage-class": "GLACIER_IR" }), false, "fs")).not.toThrow();
  });

  it("refuses unknown canned ACLs everywhere, and copy directives only on copies", () => {
    expect(thrown(() => checkObjectWriteHeaders(new Headers({ "x-amz-acl": "public" }), false, "s3"))).toMatchObject({ code: "InvalidArgument", details: { ArgumentName: "x-amz-acl" } });
    const merge = new Headers({ "x-amz-metadata-directive": "MERGE" });
    expect(thrown(() => checkObjectWriteHeaders(merge, true, "s3"))).toMatchObject({ code: "InvalidArgument", details: { ArgumentName: "x-amz-metadata-directive" } });
    expect(() => checkObjectWriteHeaders(merge, false, "s3")).not.toThrow();
    expect(() => checkObjectWriteHeaders(new Headers({ "x-amz-metadata-directive": "replace", "x-amz-acl": "bucket-owner-full-control" }), true, "fs")).not.toThrow();
  });
});
