/**
 * GetObjectTagging (aws-cli reads a source's tags before it copies the object in parts): an S3 backend's stored
 * tags, an empty tag set where a backend stores none, NoSuchKey for a missing key, and the read authorized as one.
 */
import { GetObjectTaggingCommand, PutObjectCommand, PutObjectTaggingCommand } from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { sdkClient } from "./clients.js";
import { BACKENDS, BUCKETS, type World } from "./setup.js";

/** Registers the GetObjectTagging tests. */
export function objectTaggingBehaviour(world: () => World): void {
  describe.each(BACKENDS)("GetObjectTagging on the %s backend", (kind, bucket) => {
    const client = () => sdkClient(world(), world().admin);

    it("answers the object's tag set (empty where the backend stores no tags), NoSuchKey for a missing key", async () => {
      await client().send(new PutObjectCommand({ Bucket: bucket, Key: "tagging/object.txt", Body: "tagged" }));
      const tagging = await client().send(new GetObjectTaggingCommand({ Bucket: bucket, Key: "tagging/object.txt" }));
      expect(tagging.$metadata.httpStatusCode).toBe(200);
      expect(tagging.TagSet).toEqual([]);
      await expect(client().send(new GetObjectTaggingCommand({ Bucket: bucket, Key: "tagging/missing.txt" }))).rejects.toMatchObject({ name: "NoSuchKey", $metadata: { httpStatusCode: 404 } });
      if (kind === "s3") {
        // Tags set on the backend object (under the bucket's backend_prefix) come through.
        const backend = sdkClient(world().s3.endpoint, world().s3, { region: world().s3.region, forcePathStyle: true });
        await backend.send(new PutObjectTaggingCommand({ Bucket: "data", Key: "tenant/tagging/object.txt", Tagging: { TagSet: [{ Key: "project", Value: "multistore & co" }] } }));
        const stored = await client().send(new GetObjectTaggingCommand({ Bucket: BUCKETS.s3, Key: "tagging/object.txt" }));
        expect(stored.TagSet).toEqual([{ Key: "project", Value: "multistore & co" }]);
      }
    });

    it("authorizes reading tags as reading the object", async () => {
      const limited = sdkClient(world(), world().limited);
      await client().send(new PutObjectCommand({ Bucket: bucket, Key: "secret/tagged.txt", Body: "x" }));
      await client().send(new PutObjectCommand({ Bucket: bucket, Key: "allowed/tagged.txt", Body: "x" }));
      await expect(limited.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: "secret/tagged.txt" }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 403 } });
      expect((await limited.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: "allowed/tagged.txt" }))).TagSet).toEqual([]);
    });
  });
}
