/**
 * GetObjectAcl and GetBucketAcl (s3cmd reads a source's ACL before it copies an object): Multistore has no ACLs, and
 * answers what its configuration means in S3's terms: the owner has FULL_CONTROL, and AllUsers may READ a bucket with
 * anonymous access. An object's ACL needs the object (NoSuchKey otherwise) and is read like the object. Setting it
 * (s3cmd sets the source's on the destination of a copy) takes that same ACL, and refuses any other as not
 * implemented.
 */
import { GetBucketAclCommand, GetObjectAclCommand, PutObjectAclCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { sdkClient } from "./clients.js";
import { BACKENDS, BUCKETS, type World } from "./setup.js";

const ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers";

/** Registers the ACL tests. */
export function aclBehaviour(world: () => World): void {
  describe.each(BACKENDS)("ACLs on the %s backend", (_kind, bucket) => {
    const client = () => sdkClient(world(), world().admin);

    it("answers an object's and a bucket's ACL: the owner's FULL_CONTROL; NoSuchKey for a missing key", async () => {
      await client().send(new PutObjectCommand({ Bucket: bucket, Key: "acl/object.txt", Body: "x" }));
      const acl = await client().send(new GetObjectAclCommand({ Bucket: bucket, Key: "acl/object.txt" }));
      expect(acl.Owner?.ID).toBeTruthy();
      expect(acl.Grants).toEqual([{ Grantee: { Type: "CanonicalUser", ID: acl.Owner!.ID, DisplayName: acl.Owner!.DisplayName }, Permission: "FULL_CONTROL" }]);
      await expect(client().send(new GetObjectAclCommand({ Bucket: bucket, Key: "acl/missing.txt" }))).rejects.toMatchObject({ name: "NoSuchKey" });
      const bucketAcl = await client().send(new GetBucketAclCommand({ Bucket: bucket }));
      expect(bucketAcl.Grants).toEqual(acl.Grants);
    });

    it("takes the ACL an object has (a policy, or the canned ACL saying the same), refusing any other with 501", async () => {
      await client().send(new PutObjectCommand({ Bucket: bucket, Key: "acl/set.txt", Body: "x" }));
      const current = await client().send(new GetObjectAclCommand({ Bucket: bucket, Key: "acl/set.txt" }));
      const policy = { Owner: current.Owner, Grants: current.Grants };
      expect((await client().send(new PutObjectAclCommand({ Bucket: bucket, Key: "acl/set.txt", AccessControlPolicy: policy }))).$metadata.httpStatusCode).toBe(200);
      expect((await client().send(new PutObjectAclCommand({ Bucket: bucket, Key: "acl/set.txt", ACL: "private" }))).$metadata.httpStatusCode).toBe(200);
      await expect(client().send(new PutObjectAclCommand({ Bucket: bucket, Key: "acl/set.txt", ACL: "public-read" }))).rejects.toMatchObject({ name: "NotImplemented", $metadata: { httpStatusCode: 501 } });
      const widened = { ...policy, Grants: [...(policy.Grants ?? []), { Grantee: { Type: "Group" as const, URI: ALL_USERS }, Permission: "READ" as const }] };
      await expect(client().send(new PutObjectAclCommand({ Bucket: bucket, Key: "acl/set.txt", AccessControlPolicy: widened }))).rejects.toMatchObject({ name: "NotImplemented" });
      await expect(client().send(new PutObjectAclCommand({ Bucket: bucket, Key: "acl/nothing.txt", ACL: "private" }))).rejects.toMatchObject({ name: "NoSuchKey" });
    });

    it("authorizes reading an object's ACL like reading it, setting it like writing it", async () => {
      await client().send(new PutObjectCommand({ Bucket: bucket, Key: "secret/acl.txt", Body: "x" }));
      await expect(sdkClient(world(), world().limited).send(new GetObjectAclCommand({ Bucket: bucket, Key: "secret/acl.txt" }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 403 } });
      await expect(sdkClient(world(), world().limited).send(new PutObjectAclCommand({ Bucket: bucket, Key: "secret/acl.txt", ACL: "private" }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 403 } });
    });
  });

  it("grants AllUsers READ on a bucket with anonymous access", async () => {
    const acl = await sdkClient(world(), world().admin).send(new GetBucketAclCommand({ Bucket: BUCKETS.publicS3 }));
    expect(acl.Grants).toContainEqual({ Grantee: { Type: "Group", URI: ALL_USERS }, Permission: "READ" });
    expect(acl.Grants).toContainEqual(expect.objectContaining({ Permission: "FULL_CONTROL" }));
  });
}
