/**
 * The reads of a bucket's settings that bucket browsers (s3cmd `info`, `mc stat`, Cyberduck) and audit scripts
 * make: the CORS rules the gateway applies, and for what it does not configure S3's answer for a setting never made
 * (its 404 code or the empty document), never a 501. Setting them stays 501.
 */
import {
  GetBucketCorsCommand,
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketOwnershipControlsCommand,
  GetBucketPolicyCommand,
  GetBucketPolicyStatusCommand,
  GetBucketReplicationCommand,
  GetBucketRequestPaymentCommand,
  GetBucketTaggingCommand,
  GetBucketWebsiteCommand,
  GetObjectLockConfigurationCommand,
  GetPublicAccessBlockCommand,
  PutBucketCorsCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { errorCode, rawRequest, sdkClient, signedRawRequest } from "./clients.js";
import { CORS_RULES, PUBLIC_BUCKET_CORS_RULES } from "./cors.js";
import { BACKENDS, BUCKETS, type World } from "./setup.js";

/** The status and error code an SDK call ends with ("200" when it succeeds). */
const outcome = (client: S3Client, command: object) =>
  client.send(command as never).then(
    () => "200",
    (error: { $metadata?: { httpStatusCode?: number }; Code?: string; name?: string }) => `${error.$metadata?.httpStatusCode} ${error.Code ?? error.name}`,
  );

/** The settings never made on a private s3 bucket, with S3's code for each. */
const NOT_SET: [string, (bucket: string) => object, string][] = [
  ["policy", (Bucket) => new GetBucketPolicyCommand({ Bucket }), "NoSuchBucketPolicy"],
  ["policy status", (Bucket) => new GetBucketPolicyStatusCommand({ Bucket }), "NoSuchBucketPolicy"],
  ["encryption", (Bucket) => new GetBucketEncryptionCommand({ Bucket }), "ServerSideEncryptionConfigurationNotFoundError"],
  ["lifecycle", (Bucket) => new GetBucketLifecycleConfigurationCommand({ Bucket }), "NoSuchLifecycleConfiguration"],
  ["tagging", (Bucket) => new GetBucketTaggingCommand({ Bucket }), "NoSuchTagSet"],
  ["website", (Bucket) => new GetBucketWebsiteCommand({ Bucket }), "NoSuchWebsiteConfiguration"],
  ["replication", (Bucket) => new GetBucketReplicationCommand({ Bucket }), "ReplicationConfigurationNotFoundError"],
  ["object lock", (Bucket) => new GetObjectLockConfigurationCommand({ Bucket }), "ObjectLockConfigurationNotFoundError"],
];

/** Registers the bucket setting reads. */
export function bucketSettingBehaviour(world: () => World): void {
  describe("bucket settings", () => {
    it.each(BACKENDS)("answers the CORS rules the gateway applies to a %s bucket (the global ones here)", async (_kind, bucket) => {
      const cors = await sdkClient(world(), world().admin).send(new GetBucketCorsCommand({ Bucket: bucket }));
      expect(cors.CORSRules).toEqual(
        CORS_RULES.map((rule) => ({ AllowedOrigins: rule.allowed_origins, AllowedMethods: rule.allowed_methods, AllowedHeaders: rule.allowed_headers, ExposeHeaders: rule.expose_headers, MaxAgeSeconds: rule.max_age_secs })),
      );
    });

    it("answers a bucket's own CORS rules to whoever may use it, and nothing of a bucket to whoever may not", async () => {
      const anonymous = sdkClient(world());
      const cors = await anonymous.send(new GetBucketCorsCommand({ Bucket: BUCKETS.publicS3 }));
      expect(cors.CORSRules).toEqual(PUBLIC_BUCKET_CORS_RULES.map((rule) => ({ AllowedOrigins: rule.allowed_origins, AllowedMethods: rule.allowed_methods })));
      expect(await outcome(anonymous, new GetBucketCorsCommand({ Bucket: BUCKETS.s3 }))).toBe("403 AccessDenied");
      expect(await outcome(anonymous, new GetBucketEncryptionCommand({ Bucket: BUCKETS.s3 }))).toBe("403 AccessDenied");
      // The limited key may use s3-private, not s3-other.
      const limited = sdkClient(world(), world().limited);
      expect(await outcome(limited, new GetBucketPolicyCommand({ Bucket: BUCKETS.s3 }))).toBe("404 NoSuchBucketPolicy");
      expect(await outcome(limited, new GetBucketPolicyCommand({ Bucket: BUCKETS.s3Other }))).toBe("403 AccessDenied");
    });

    it("answers what a new S3 bucket answers where the gateway means the same: owner-enforced, public access blocked on a private bucket, encryption by stores that always encrypt", async () => {
      const admin = sdkClient(world(), world().admin);
      expect((await admin.send(new GetBucketOwnershipControlsCommand({ Bucket: BUCKETS.native }))).OwnershipControls?.Rules).toEqual([{ ObjectOwnership: "BucketOwnerEnforced" }]);
      expect((await admin.send(new GetPublicAccessBlockCommand({ Bucket: BUCKETS.s3 }))).PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true });
      expect(await outcome(sdkClient(world()), new GetPublicAccessBlockCommand({ Bucket: BUCKETS.publicS3 }))).toBe("404 NoSuchPublicAccessBlockConfiguration");
      for (const bucket of [BUCKETS.az, BUCKETS.gcs]) {
        const encryption = await admin.send(new GetBucketEncryptionCommand({ Bucket: bucket }));
        expect(encryption.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm, bucket).toBe("AES256");
      }
    });

    it.each(NOT_SET)("answers the %s never set with S3's 404 code", async (_name, command, code) => {
      const refused = await outcome(sdkClient(world(), world().admin), command(BUCKETS.s3));
      expect(refused).toBe(`404 ${code}`);
    });

    it("answers the settings S3 shows as empty documents, and refuses to change any with 501", async () => {
      const admin = sdkClient(world(), world().admin);
      expect((await admin.send(new GetBucketRequestPaymentCommand({ Bucket: BUCKETS.gcs }))).Payer).toBe("BucketOwner");
      const documents: [string, string][] = [
        ["logging", '<BucketLoggingStatus xmlns="http://doc.s3.amazonaws.com/2006-03-01"></BucketLoggingStatus>'],
        ["accelerate", '<AccelerateConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></AccelerateConfiguration>'],
        ["notification", '<NotificationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></NotificationConfiguration>'],
      ];
      for (const [setting, document] of documents) {
        const read = await signedRawRequest(world().endpoint, world().admin, { method: "GET", path: `/${BUCKETS.az}`, query: { [setting]: "" }, headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" } });
        expect([setting, read.status, read.text.replace(/^<\?xml[^>]*>\n?/, "")]).toEqual([setting, 200, document]);
      }
      const put = new PutBucketCorsCommand({ Bucket: BUCKETS.s3, CORSConfiguration: { CORSRules: [{ AllowedMethods: ["GET"], AllowedOrigins: ["*"] }] } });
      expect(await outcome(admin, put)).toBe("501 NotImplemented");
      const missing = await rawRequest(world().endpoint, { method: "GET", path: `/${BUCKETS.publicNative}?policy` });
      expect([missing.status, errorCode(missing.text), /<BucketName>([^<]+)</.exec(missing.text)?.[1]]).toEqual([404, "NoSuchBucketPolicy", BUCKETS.publicNative]);
    });
  });
}
