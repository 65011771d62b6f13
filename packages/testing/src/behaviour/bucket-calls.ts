/**
 * The bucket-level calls clients make around their object calls (rclone and s3cmd create the bucket before an
 * upload; SDKs ask for its location and versioning): answered with S3's shapes and codes, never a 501. Uploads in
 * progress are listed by list-uploads.ts.
 */
import { CreateBucketCommand, DeleteBucketCommand, GetBucketLocationCommand, GetBucketVersioningCommand, type S3Client } from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { errorCode, sdkClient, signedRawRequest } from "./clients.js";
import { BACKENDS, BUCKETS, type World } from "./setup.js";

const statusOf = (client: S3Client, command: object) =>
  client.send(command as never).then(
    () => 200,
    (error: { $metadata?: { httpStatusCode?: number }; name?: string }) => `${error.$metadata?.httpStatusCode} ${error.name}`,
  );

/** Registers bucket-level call tests. */
export function bucketCallBehaviour(world: () => World): void {
  describe("bucket-level calls", () => {
    it.each(BACKENDS)("CreateBucket on a configured %s bucket the caller may write succeeds as for its owner; location and versioning answer", async (_kind, bucket) => {
      const client = sdkClient(world(), world().admin);
      expect((await client.send(new CreateBucketCommand({ Bucket: bucket }))).Location).toBe(`/${bucket}`);
      // Clients outside us-east-1 send a CreateBucketConfiguration body: the answer is the same.
      expect(await statusOf(client, new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: "eu-west-1" } }))).toBe(200);
      expect((await client.send(new GetBucketLocationCommand({ Bucket: bucket }))).LocationConstraint ?? "").toBe("");
      expect((await client.send(new GetBucketVersioningCommand({ Bucket: bucket }))).Status).toBeUndefined();
    });

    it("refuses CreateBucket of a bucket that is not configured or not writable, and every DeleteBucket, with 403", async () => {
      const admin = sdkClient(world(), world().admin);
      const limited = sdkClient(world(), world().limited);
      const anonymous = sdkClient(world());
      expect(await statusOf(admin, new CreateBucketCommand({ Bucket: "not-configured-here" }))).toBe("403 AccessDenied");
      expect(await statusOf(limited, new CreateBucketCommand({ Bucket: BUCKETS.s3 }))).toBe(200);
      expect(await statusOf(limited, new CreateBucketCommand({ Bucket: BUCKETS.s3Other }))).toBe("403 AccessDenied");
      expect(await statusOf(anonymous, new CreateBucketCommand({ Bucket: BUCKETS.publicS3 }))).toBe("403 AccessDenied");
      expect(await statusOf(admin, new DeleteBucketCommand({ Bucket: BUCKETS.s3 }))).toBe("403 AccessDenied");
      expect(await statusOf(admin, new DeleteBucketCommand({ Bucket: "not-configured-here" }))).toBe("403 AccessDenied");
    });

    it("refuses a CreateBucket whose body is no CreateBucketConfiguration with 400 MalformedXML (never 200, data dropped)", async () => {
      const unsigned = { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" };
      const put = (body: string) => signedRawRequest(world().endpoint, world().admin, { method: "PUT", path: `/${BUCKETS.s3}`, headers: unsigned, body });
      for (const body of ["important data", "<NotAConfiguration/>"]) {
        const refused = await put(body);
        expect([body, refused.status, errorCode(refused.text)]).toEqual([body, 400, "MalformedXML"]);
      }
      expect((await put("<CreateBucketConfiguration><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>")).status).toBe(200);
    });

    it("answers GetBucketLocation to whoever may use the bucket", async () => {
      expect(await statusOf(sdkClient(world()), new GetBucketLocationCommand({ Bucket: BUCKETS.publicS3 }))).toBe(200);
      expect(await statusOf(sdkClient(world()), new GetBucketLocationCommand({ Bucket: BUCKETS.s3 }))).toBe("403 AccessDenied");
      expect(await statusOf(sdkClient(world(), world().limited), new GetBucketVersioningCommand({ Bucket: BUCKETS.s3Other }))).toBe("403 AccessDenied");
    });
  });
}
