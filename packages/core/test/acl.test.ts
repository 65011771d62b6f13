/** PutObjectAcl's check: the ACL an object of the bucket has is taken, any other refused (501), a broken document 400. */
import { describe, expect, it } from "vitest";
import { checkObjectAcl, renderAcl } from "../src/operations/acl.js";
import type { BucketConfig } from "../src/types.js";
import { as, objectsGateway, response } from "./helpers/objects-gateway.js";

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
    // An email grantee that reads like the owner's id is not the owner; a grant without a permission is no grant.
    const email = "<AccessControlPolicy><AccessControlList><Grant><Grantee><EmailAddress>owner-id</EmailAddress></Grantee><Permission>FULL_CONTROL</Permission></Grant></AccessControlList></AccessControlPolicy>";
    expect(check(false, {}, email)).toThrow(expect.objectContaining({ code: "NotImplemented" }));
    expect(check(false, {}, "<AccessControlPolicy><AccessControlList><Grant><Grantee><ID>owner-id</ID></Grantee></Grant></AccessControlList></AccessControlPolicy>")).toThrow(expect.objectContaining({ code: "MalformedACLError" }));
    // Pretty-printed is the same document.
    const pretty = "<AccessControlPolicy>\n <AccessControlList>\n  <Grant>\n   <Grantee><ID> owner-id </ID></Grantee>\n   <Permission>FULL_CONTROL</Permission>\n  </Grant>\n </AccessControlList>\n</AccessControlPolicy>";
    expect(check(false, {}, pretty)).not.toThrow();
  });
});

describe("PutObjectAcl through the gateway", () => {
  it("needs put_object and head_object (its answer tells whether the object exists)", async () => {
    const { send } = objectsGateway();
    // The copier may write data/dst/ but not read or head it: no probing of keys through their ACL.
    const refused = response(await send({ method: "PUT", path: "/data/dst/existing", query: { acl: "" }, headers: { "x-amz-acl": "private" } }, as("AKIDCOPIER")));
    expect(refused.status).toBe(403);
  });
});
