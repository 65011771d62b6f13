/**
 * The settings S3 keeps with an object (a website redirect, server-side encryption): kept by an S3 backend, taken
 * where a store does the same anyway (SSE-S3 on stores that encrypt at rest), refused where a store would drop them,
 * and checked as S3 checks them on every store. Object Lock, which no bucket has through the gateway, is refused.
 */
import { CopyObjectCommand, GetBucketEncryptionCommand, HeadObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { errorCode, sdkClient, signedRawRequest } from "./clients.js";
import { BACKEND_BUCKETS, type World } from "./setup.js";

/** Registers the object-setting tests. */
export function objectSettingBehaviour(world: () => World): void {
  describe.each(BACKEND_BUCKETS)("object settings on the %s backend", (kind, bucket) => {
    const client = () => sdkClient(world(), world().admin);
    const unsigned = { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" };
    const put = (key: string, headers: Record<string, string>) => signedRawRequest(world().endpoint, world().admin, { method: "PUT", path: `/${bucket}/${key}`, headers: { ...unsigned, ...headers }, body: "y" });
    const create = (key: string, headers: Record<string, string>) => signedRawRequest(world().endpoint, world().admin, { method: "POST", path: `/${bucket}/${key}`, query: { uploads: "" }, headers: { ...unsigned, ...headers } });
    const outcome = (answer: { status: number; text: string }) => `${answer.status}${answer.status >= 300 ? ` ${errorCode(answer.text)}` : ""}`;
    const absent = async (key: string) => {
      await expect(client().send(new HeadObjectCommand({ Bucket: bucket, Key: key })), key).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
    };

    it("refuses what S3 refuses on every store, storing nothing", async () => {
      for (const headers of [
        { "x-amz-website-redirect-location": "moved.html" },
        { "x-amz-website-redirect-location": "ftp://example.com/" },
        { "x-amz-server-side-encryption": "aes256" },
        { "x-amz-server-side-encryption-aws-kms-key-id": "key" },
      ] as Record<string, string>[]) {
        const refused = await put("settings/refused.txt", headers);
        expect(outcome(refused), JSON.stringify(headers)).toBe(headers["x-amz-website-redirect-location"] === undefined ? "400 InvalidArgument" : "400 InvalidRedirectLocation");
      }
      // Keys the client holds (SSE-C) would have to come with every read: no store takes them.
      const key = Buffer.alloc(32, 7).toString("base64");
      const customerKey = await put("settings/refused.txt", { "x-amz-server-side-encryption-customer-algorithm": "AES256", "x-amz-server-side-encryption-customer-key": key });
      expect(outcome(customerKey)).toBe("501 NotImplemented");
      expect(customerKey.text).not.toContain(key);
      await absent("settings/refused.txt");
      // On a read too: the store would need the key.
      await client().send(new PutObjectCommand({ Bucket: bucket, Key: "settings/plain.txt", Body: "plain" }));
      const read = await signedRawRequest(world().endpoint, world().admin, { method: "GET", path: `/${bucket}/settings/plain.txt`, headers: { ...unsigned, "x-amz-server-side-encryption-customer-algorithm": "AES256", "x-amz-server-side-encryption-customer-key": key } });
      expect(outcome(read)).toBe("501 NotImplemented");
      // A delete reads and writes nothing: S3 takes it with them, and so does the gateway.
      const deleted = await signedRawRequest(world().endpoint, world().admin, { method: "DELETE", path: `/${bucket}/settings/plain.txt`, headers: { ...unsigned, "x-amz-server-side-encryption-customer-algorithm": "AES256", "x-amz-server-side-encryption-customer-key": key } });
      expect(outcome(deleted)).toBe("204");
      await absent("settings/plain.txt");
    });

    it("keeps a website redirect on an S3 backend, and refuses one elsewhere rather than dropping it", async () => {
      const location = "https://example.com/new-home.html";
      if (kind === "s3") {
        await client().send(new PutObjectCommand({ Bucket: bucket, Key: "settings/moved.html", Body: "old", WebsiteRedirectLocation: location }));
        expect((await client().send(new HeadObjectCommand({ Bucket: bucket, Key: "settings/moved.html" }))).WebsiteRedirectLocation).toBe(location);
        await client().send(new CopyObjectCommand({ Bucket: bucket, Key: "settings/copied.html", CopySource: `${bucket}/settings/moved.html`, MetadataDirective: "REPLACE", WebsiteRedirectLocation: "/elsewhere.html" }));
        expect((await client().send(new HeadObjectCommand({ Bucket: bucket, Key: "settings/copied.html" }))).WebsiteRedirectLocation).toBe("/elsewhere.html");
        return;
      }
      expect(outcome(await put("settings/moved.html", { "x-amz-website-redirect-location": location }))).toBe("501 NotImplemented");
      expect(outcome(await create("settings/moved.html", { "x-amz-website-redirect-location": location }))).toBe("501 NotImplemented");
      await absent("settings/moved.html");
    });

    it("takes SSE-S3 exactly where GetBucketEncryption answers it, AWS KMS on an S3 backend only, and Object Lock nowhere", async () => {
      const kms = { "x-amz-server-side-encryption": "aws:kms", "x-amz-server-side-encryption-aws-kms-key-id": "alias/data" };
      for (const headers of [{ "x-amz-object-lock-legal-hold": "ON" }, { "x-amz-object-lock-mode": "GOVERNANCE", "x-amz-object-lock-retain-until-date": "2030-01-01T00:00:00Z" }] as Record<string, string>[]) {
        const refused = await put("settings/locked.txt", headers);
        expect(outcome(refused), JSON.stringify(headers)).toBe("400 InvalidRequest");
        expect(refused.text).toContain("Bucket is missing Object Lock Configuration");
      }
      await absent("settings/locked.txt");
      if (kind === "s3") {
        // Sent on for S3 to keep (s3rver, which stands for it, takes and ignores them).
        expect(outcome(await put("settings/kms.txt", kms))).toBe("200");
        return;
      }
      expect(outcome(await put("settings/kms.txt", kms))).toBe("501 NotImplemented");
      await absent("settings/kms.txt");
      const encryption = await client().send(new GetBucketEncryptionCommand({ Bucket: bucket })).then(
        (answer) => answer.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm,
        (error: { name?: string }) => error.name,
      );
      // Azure Storage and Cloud Storage always encrypt; the native store as it says (R2 does, an fs root may).
      if (kind !== "native") expect(encryption).toBe("AES256");
      const expected = encryption === "AES256" ? "200" : "501 NotImplemented";
      expect(outcome(await put("settings/sse-s3.txt", { "x-amz-server-side-encryption": "AES256" }))).toBe(expected);
      expect(outcome(await create("settings/sse-s3.txt", { "x-amz-server-side-encryption": "AES256" }))).toBe(expected);
      // Onto itself, to encrypt in place (`aws s3 cp s3://b/k s3://b/k --sse AES256`): a change S3 takes.
      await client().send(new PutObjectCommand({ Bucket: bucket, Key: "settings/in-place.txt", Body: "in place", Metadata: { kept: "yes" } }));
      const copy = await signedRawRequest(world().endpoint, world().admin, { method: "PUT", path: `/${bucket}/settings/in-place.txt`, headers: { ...unsigned, "x-amz-copy-source": `/${bucket}/settings/in-place.txt`, "x-amz-server-side-encryption": "AES256" } });
      expect(outcome(copy)).toBe(expected);
      if (expected === "200") expect((await client().send(new HeadObjectCommand({ Bucket: bucket, Key: "settings/in-place.txt" }))).Metadata).toEqual({ kept: "yes" });
    });
  });
}
