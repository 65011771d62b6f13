/** PutObjectAcl's check: the ACL an object of the bucket has is taken, any other refused (501), a broken document 400. */
import { describe, expect, it } from "vitest";
import { checkObjectAcl, renderAcl } from "../src/operations/acl.js";
import type { BucketConfig } from "../src/types.js";

const owner = { id: "owner-id", displayName: "owner" };
const bucket = (anonymous: boolean): BucketConfig => ({ name: "b", backend_type: "fs", anonymous_access: anonymous, backend_options: {} });
const encoded = (text: string) => new TextEncoder().encode(text);
const check = (anonymous: boolean, headers: Record<string, string>, body = "") => () => checkObjectAcl(owner, bucket(anonymous), new Headers(headers), encoded(body));

describe("checkObjectAcl", () => {
  it("takes the policy GetObjectAcl answers, on private and anonymous buckets", () => {
    for (const anonymous of [false, true]) expect(check(anonymous, {}, renderAcl(owner, bucket(anonymous)).body as string)).not.toThrow();
  });

  it("takes canned ACLs that say the same, refuses the others and grant headers with 501", () => {
    expect(check(false, { "x-amz-acl": "private" })).not.toThrow();
    expect(check(false, { "x-amz-acl": "bucket-owner-full-control" })).not.toThrow();
    expect(check(true, { "x-amz-acl": "public-read" })).not.toThrow();
    expect(check(false, { "x-amz-acl": "public-read" })).toThrow(expect.objectContaining({ code: "NotImplemented", status: 501 }));
    expect(check(true, { "x-amz-acl": "private" })).toThrow(expect.objectContaining({ code: "NotImplemented" }));
    expect(check(false, { "x-amz-grant-read": 'uri="http://acs.amazonaws.com/groups/global/AllUsers"' })).toThrow(expect.objectContaining({ code: "NotImplemented" }));
  });

  it("refuses a policy granting more (or less) than the bucket's with 501, a broken one with MalformedACLError", () => {
    const anonymousPolicy = renderAcl(owner, bucket(true)).body as string;
    expect(check(false, {}, anonymousPolicy)).toThrow(expect.objectContaining({ code: "NotImplemented" }));
    expect(check(true, {}, renderAcl(owner, bucket(false)).body as string)).toThrow(expect.objectContaining({ code: "NotImplemented" }));
    expect(check(false, {}, "<AccessControlPolicy><AccessControlList>")).toThrow(expect.objectContaining({ code: "MalformedACLError", status: 400 }));
    expect(check(false, {}, "")).toThrow(expect.objectContaining({ code: "MalformedACLError" }));
  });
});
