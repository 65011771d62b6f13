/**
 * GetObjectTagging (aws-cli reads a source's tags before it copies the object in parts): an S3 backend's stored
 * tags, an Azure blob's index tags, an fs object's sidecar tags; an empty tag set where a backend stores none (gcs,
 * r2), NoSuchKey for a missing key, and the read authorized as one. PutObjectTagging and DeleteObjectTagging: passed
 * on to S3, Azure and fs; elsewhere only the tags an object has (none) are taken; the document checked against S3's
 * limits; authorized as writes. Tags asked for at write time (`x-amz-tagging`): kept by S3, Azure and fs (with copies
 * and multipart uploads), refused elsewhere rather than dropped.
 */
import {
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  DeleteObjectTaggingCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { errorCode, sdkClient, signedRawRequest } from "./clients.js";
import { BACKEND_BUCKETS, BACKENDS, BUCKETS, type BackendKind, type World } from "./setup.js";

/** Registers the GetObjectTagging tests. */
export function objectTaggingBehaviour(world: () => World): void {
  describe.each(BACKENDS)("GetObjectTagging on the %s backend", (kind, bucket) => {
    const client = () => sdkClient(world(), world().admin);
    // Stores that keep tags besides S3 (whose stand-in, s3rver, keeps only some): Azure's blob index tags, and the
    // native store where the runtime's does (fs; R2 keeps none).
    const keeps = () => kind === "az" || (kind === "native" && world().exceptions.nativeKeepsNoTags === undefined);

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

    it("puts and deletes tags where the store keeps them, and takes only none where it keeps none", async () => {
      const key = "allowed/tagging/written.txt";
      await client().send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: "tagged" }));
      const put = (tags: { Key: string; Value: string }[], target = key) => client().send(new PutObjectTaggingCommand({ Bucket: bucket, Key: target, Tagging: { TagSet: tags } }));
      expect((await put([])).$metadata.httpStatusCode).toBe(200);
      const tagSet = async () => (await client().send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key }))).TagSet;
      if (kind === "s3") {
        await put([{ Key: "project", Value: "multistore & co" }, { Key: "tier", Value: "ünï" }]);
        expect(await tagSet()).toEqual([{ Key: "project", Value: "multistore & co" }, { Key: "tier", Value: "ünï" }]);
      } else if (keeps()) {
        // Blob index tags take fewer characters than S3's (no "&", "@" or letters past ASCII): refused, not mangled.
        if (kind === "az") await expect(put([{ Key: "project", Value: "multistore & co" }])).rejects.toMatchObject({ name: "InvalidTag", $metadata: { httpStatusCode: 400 } });
        const tags = kind === "az" ? [{ Key: "tier", Value: "hot data" }, { Key: "project", Value: "multistore/co:1" }] : [{ Key: "tier", Value: "ünï" }, { Key: "project", Value: "multistore & co@1" }];
        await put(tags);
        expect(sortedTags(await tagSet())).toEqual(sortedTags(tags));
      } else {
        await expect(put([{ Key: "project", Value: "x" }])).rejects.toMatchObject({ name: "NotImplemented", $metadata: { httpStatusCode: 501 } });
      }
      const deleted = client().send(new DeleteObjectTaggingCommand({ Bucket: bucket, Key: key }));
      // (s3rver does not implement DeleteObjectTagging: its 501 is passed on.)
      if (kind === "s3") await expect(deleted).rejects.toMatchObject({ $metadata: { httpStatusCode: 501 } });
      else expect((await deleted).$metadata.httpStatusCode).toBe(204);
      if (keeps()) expect(await tagSet()).toEqual([]);
      // A key that is not there is NoSuchKey, whatever the store keeps.
      await expect(put([], "allowed/tagging/missing.txt")).rejects.toMatchObject({ name: "NoSuchKey", $metadata: { httpStatusCode: 404 } });
      if (kind !== "s3") await expect(client().send(new DeleteObjectTaggingCommand({ Bucket: bucket, Key: "allowed/tagging/missing.txt" }))).rejects.toMatchObject({ name: "NoSuchKey" });
    });

    it("keeps the tags a write asks for (x-amz-tagging) where the store keeps tags, and refuses them where it keeps none", async () => {
      const key = "allowed/tagging/on-write.txt";
      const write = (tagging: string, target = key) => client().send(new PutObjectCommand({ Bucket: bucket, Key: target, Body: "tagged at write", Tagging: tagging }));
      const head = (target: string) => client().send(new HeadObjectCommand({ Bucket: bucket, Key: target })).then(() => "found", (error: { name?: string }) => error.name);
      // Tags past S3's limits: refused before anything is stored, on every store.
      await expect(write("a=1&a=2", "allowed/tagging/refused.txt")).rejects.toMatchObject({ name: "InvalidArgument", $metadata: { httpStatusCode: 400 } });
      await expect(write(`${"k".repeat(129)}=1`, "allowed/tagging/refused.txt")).rejects.toMatchObject({ name: "InvalidTag", $metadata: { httpStatusCode: 400 } });
      expect(await head("allowed/tagging/refused.txt")).toBe("NotFound");
      if (kind === "s3") {
        // Passed on with the object (s3rver takes the write but keeps no tags from it, as S3 would).
        expect((await write("project=alpha&team=geo%20data")).$metadata.httpStatusCode).toBe(200);
        expect(await head(key)).toBe("found");
      } else if (keeps()) {
        await tagsKeptOnWrite(kind, client, bucket, key, write);
      } else {
        // Dropping them would lose what the client asked to keep: refused, and nothing stored.
        await expect(write("project=alpha")).rejects.toMatchObject({ name: "NotImplemented", $metadata: { httpStatusCode: 501 } });
        expect(await head(key)).toBe("NotFound");
        await expect(client().send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, Tagging: "project=alpha" }))).rejects.toMatchObject({ name: "NotImplemented" });
        await expect(
          client().send(new CopyObjectCommand({ Bucket: bucket, Key: key, CopySource: `${bucket}/allowed/tagging/written.txt`, TaggingDirective: "REPLACE", Tagging: "project=alpha" })),
        ).rejects.toMatchObject({ name: "NotImplemented" });
        // A tagged object of an s3 bucket copied in: its tags are refused too, unless the copy replaces them (with none).
        await client().send(new PutObjectCommand({ Bucket: BUCKETS.s3, Key: "allowed/tagging/tagged-source.txt", Body: "tagged source" }));
        await client().send(new PutObjectTaggingCommand({ Bucket: BUCKETS.s3, Key: "allowed/tagging/tagged-source.txt", Tagging: { TagSet: [{ Key: "project", Value: "alpha" }] } }));
        const copyIn = (directive?: "REPLACE") => client().send(new CopyObjectCommand({ Bucket: bucket, Key: key, CopySource: `${BUCKETS.s3}/allowed/tagging/tagged-source.txt`, ...(directive && { TaggingDirective: directive }) }));
        await expect(copyIn()).rejects.toMatchObject({ name: "NotImplemented", $metadata: { httpStatusCode: 501 } });
        expect(await head(key)).toBe("NotFound");
        expect((await copyIn("REPLACE")).CopyObjectResult?.ETag).toBeDefined();
        expect(await head(key)).toBe("found");
      }
    });

    it("checks a tag set against S3's limits and authorizes tagging as writing", async () => {
      const key = "allowed/tagging/limits.txt";
      await client().send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: "x" }));
      const send = (body: string | Buffer, credentials = world().admin, target = key) =>
        signedRawRequest(world().endpoint, credentials, { method: "PUT", path: `/${bucket}/${target}`, query: { tagging: "" }, headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" }, body });
      const tag = (name: string, value = "v") => `<Tag><Key>${name}</Key><Value>${value}</Value></Tag>`;
      const refused: [string | Buffer, string][] = [
        // A misspelt Tag must not read as an empty tag set (which would remove every tag).
        [`<Tagging><TagSet><tag><Key>a</Key><Value>b</Value></tag></TagSet></Tagging>`, "MalformedXML"],
        [`<Tagging><TagSet>${tag("a")}<Other/></TagSet></Tagging>`, "MalformedXML"],
        ["<Tagging><TagSet><Tag><Key>a<b>x</b></Key><Value>v</Value></Tag></TagSet></Tagging>", "MalformedXML"],
        [`<Tagging><TagSet>${tag("a")}</TagSet><TagSet/></Tagging>`, "MalformedXML"],
        [Buffer.concat([Buffer.from("<Tagging><TagSet><Tag><Key>"), Buffer.from([0xff, 0xfe]), Buffer.from("</Key><Value>v</Value></Tag></TagSet></Tagging>")]), "MalformedXML"],
        [`<Tagging><TagSet>${Array.from({ length: 11 }, (_, index) => tag(`k${index}`)).join("")}</TagSet></Tagging>`, "InvalidTag"],
        [`<Tagging><TagSet>${tag("same")}${tag("same")}</TagSet></Tagging>`, "InvalidTag"],
        [`<Tagging><TagSet>${tag("k".repeat(129))}</TagSet></Tagging>`, "InvalidTag"],
        [`<Tagging><TagSet>${tag("k", "v".repeat(257))}</TagSet></Tagging>`, "InvalidTag"],
        ["<Tagging><TagSet><Tag><Key>k</Key></Tag></TagSet></Tagging>", "MalformedXML"],
        ["<Tagging/>", "MalformedXML"],
        ["not xml", "MalformedXML"],
      ];
      for (const [body, code] of refused) {
        const answer = await send(body);
        expect([answer.status, errorCode(answer.text)], body.toString().slice(0, 60)).toEqual([400, code]);
      }
      if (kind === "s3") {
        // Refused documents changed nothing: the tags set before are still there.
        await client().send(new PutObjectTaggingCommand({ Bucket: bucket, Key: key, Tagging: { TagSet: [{ Key: "kept", Value: "yes" }] } }));
        expect((await send(`<Tagging><TagSet><tag><Key>a</Key><Value>b</Value></tag></TagSet></Tagging>`)).status).toBe(400);
        expect((await client().send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key }))).TagSet).toEqual([{ Key: "kept", Value: "yes" }]);
      }
      // Writing tags is writing the object: refused outside the caller's prefixes, taken inside them.
      await client().send(new PutObjectCommand({ Bucket: bucket, Key: "secret/tagging.txt", Body: "x" }));
      const denied = await send("<Tagging><TagSet/></Tagging>", world().limited, "secret/tagging.txt");
      expect([denied.status, errorCode(denied.text)]).toEqual([403, "AccessDenied"]);
      expect((await send("<Tagging><TagSet/></Tagging>", world().limited)).status).toBe(200);
    });
  });
}

/** Tags sorted by key (Azure answers them in an order of its own). */
function sortedTags(tags: { Key?: string; Value?: string }[] | undefined): { Key?: string; Value?: string }[] {
  return [...(tags ?? [])].sort((a, b) => ((a.Key ?? "") < (b.Key ?? "") ? -1 : 1));
}

/**
 * On a store that keeps tags (Azure's blob index tags, fs sidecars): tags asked for by PutObject,
 * CreateMultipartUpload and CopyObject are kept, copies take their source's (from an s3 bucket too), and GetObject
 * counts them.
 */
async function tagsKeptOnWrite(
  kind: BackendKind,
  client: () => ReturnType<typeof sdkClient>,
  bucket: string,
  key: string,
  write: (tagging: string, target?: string) => Promise<unknown>,
): Promise<void> {
  const tagsOf = async (target: string, inBucket = bucket) => sortedTags((await client().send(new GetObjectTaggingCommand({ Bucket: inBucket, Key: target }))).TagSet);
  await write("project=alpha&team=geo%20data");
  expect(await tagsOf(key)).toEqual([{ Key: "project", Value: "alpha" }, { Key: "team", Value: "geo data" }]);
  const got = await client().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  await got.Body?.transformToString();
  expect(got.TagCount).toBe(2);
  if (kind === "az") {
    // Characters Azure cannot keep: refused, and nothing stored.
    await expect(write("mail=a%40b", "allowed/tagging/refused-at.txt")).rejects.toMatchObject({ name: "InvalidTag", $metadata: { httpStatusCode: 400 } });
  } else {
    await write("mail=a%40b&note=%C3%BCber%20%26%20mehr", "allowed/tagging/any-text.txt");
    expect(await tagsOf("allowed/tagging/any-text.txt")).toEqual([{ Key: "mail", Value: "a@b" }, { Key: "note", Value: "über & mehr" }]);
  }
  const multipartKey = "allowed/tagging/multipart.txt";
  const { UploadId } = await client().send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: multipartKey, Tagging: "stage=raw" }));
  const part = await client().send(new UploadPartCommand({ Bucket: bucket, Key: multipartKey, UploadId, PartNumber: 1, Body: "one part" }));
  await client().send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: multipartKey, UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] } }));
  expect(await tagsOf(multipartKey)).toEqual([{ Key: "stage", Value: "raw" }]);
  // Copies take the source's tags (COPY, the default) or the request's (REPLACE), within the container and across.
  const other = BACKEND_BUCKETS.find(([candidate]) => candidate === kind)![2];
  await client().send(new CopyObjectCommand({ Bucket: other, Key: "allowed/tagging/copied.txt", CopySource: `${bucket}/${key}` }));
  expect(await tagsOf("allowed/tagging/copied.txt", other)).toEqual([{ Key: "project", Value: "alpha" }, { Key: "team", Value: "geo data" }]);
  await client().send(new CopyObjectCommand({ Bucket: bucket, Key: "allowed/tagging/replaced.txt", CopySource: `${bucket}/${key}`, TaggingDirective: "REPLACE", Tagging: "project=beta" }));
  expect(await tagsOf("allowed/tagging/replaced.txt")).toEqual([{ Key: "project", Value: "beta" }]);
  // From an s3 bucket (a copy streamed between stores): the source's tags come along.
  await client().send(new PutObjectCommand({ Bucket: BUCKETS.s3, Key: "allowed/tagging/tagged-source.txt", Body: "tagged source" }));
  await client().send(new PutObjectTaggingCommand({ Bucket: BUCKETS.s3, Key: "allowed/tagging/tagged-source.txt", Tagging: { TagSet: [{ Key: "origin", Value: "s3" }] } }));
  await client().send(new CopyObjectCommand({ Bucket: bucket, Key: "allowed/tagging/from-s3.txt", CopySource: `${BUCKETS.s3}/allowed/tagging/tagged-source.txt` }));
  expect(await tagsOf("allowed/tagging/from-s3.txt")).toEqual([{ Key: "origin", Value: "s3" }]);
}
