/** ListObjects V1 and V2 (and ListObjectVersions): more than 1000 keys, pagination, delimiter, backend_prefix, ListBuckets. */
import { DeleteObjectsCommand, ListBucketsCommand, ListObjectsCommand, ListObjectsV2Command, ListObjectVersionsCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { beforeAll, describe, expect, it } from "vitest";
import { sdkClient } from "./clients.js";
import { BACKENDS, BUCKETS, etagIsMd5, type World } from "./setup.js";

// s3rver lists in on-disk file name order, not key order: keys are zero-padded and use no characters below "/".
const MANY = 1105;
const manyKeys = Array.from({ length: MANY }, (_, index) => `many/item-${String(index).padStart(5, "0")}`);

async function putAll(world: World, bucket: string, keys: string[]) {
  const client = sdkClient(world, world.admin, { requestChecksumCalculation: "WHEN_REQUIRED" });
  for (let index = 0; index < keys.length; index += 50) {
    await Promise.all(keys.slice(index, index + 50).map((key) => client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: "x" }))));
  }
}

/** Registers listing tests. */
export function listingBehaviour(world: () => World): void {
  describe.each(BACKENDS)("listing on the %s backend", (kind, bucket) => {
    beforeAll(async () => {
      await putAll(world(), bucket, [...manyKeys, "tree/a/one.txt", "tree/a/two.txt", "tree/b/three.txt", "tree/top.txt"]);
    }, 120_000);
    const client = () => sdkClient(world(), world().admin);

    it("pages through more than 1000 keys with ListObjectsV2", async () => {
      const first = await client().send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "many/" }));
      expect(first.KeyCount).toBe(1000);
      expect(first.IsTruncated).toBe(true);
      expect(first.NextContinuationToken).toBeTruthy();
      const second = await client().send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "many/", ContinuationToken: first.NextContinuationToken }));
      expect(second.IsTruncated).toBe(false);
      const keys = [...first.Contents!, ...second.Contents!].map((object) => object.Key);
      expect(keys).toEqual(manyKeys);
      expect(first.Contents![0]!.Size).toBe(1);
      expect(first.Contents![0]!.ETag).toMatch(etagIsMd5(kind) ? /^"[0-9a-f]{32}"$/ : /^".+"$/);
    });

    it("pages with max-keys and start-after (V2) and marker (V1)", async () => {
      const page = await client().send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "many/", MaxKeys: 3, StartAfter: manyKeys[10] }));
      expect(page.Contents!.map((object) => object.Key)).toEqual(manyKeys.slice(11, 14));
      const v1 = await client().send(new ListObjectsCommand({ Bucket: bucket, Prefix: "many/" }));
      expect(v1.Contents!.length).toBe(1000);
      expect(v1.IsTruncated).toBe(true);
      const rest = await client().send(new ListObjectsCommand({ Bucket: bucket, Prefix: "many/", Marker: v1.Contents![999]!.Key }));
      expect(rest.Contents!.map((object) => object.Key)).toEqual(manyKeys.slice(1000));
      expect(rest.IsTruncated).toBe(false);
    });

    it("rolls keys up into common prefixes at the delimiter", async () => {
      const listing = await client().send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "tree/", Delimiter: "/" }));
      expect(listing.Contents!.map((object) => object.Key)).toEqual(["tree/top.txt"]);
      expect(listing.CommonPrefixes!.map((common) => common.Prefix)).toEqual(["tree/a/", "tree/b/"]);
      // s3rver counts only keys against max-keys, so its pages never end on a common prefix: fs proves NextMarker.
      if (kind === "s3") return;
      const v1 = await client().send(new ListObjectsCommand({ Bucket: bucket, Prefix: "tree/", Delimiter: "/", MaxKeys: 2 }));
      expect(v1.IsTruncated).toBe(true);
      expect(v1.NextMarker).toBe("tree/b/");
      const next = await client().send(new ListObjectsCommand({ Bucket: bucket, Prefix: "tree/", Delimiter: "/", Marker: v1.NextMarker }));
      expect(next.Contents!.map((object) => object.Key)).toEqual(["tree/top.txt"]);
      expect(next.CommonPrefixes ?? []).toEqual([]);
    });

    it("lists each object as its only version (null, latest) with ListObjectVersions, paged by its markers", async () => {
      const versions: [string | undefined, string | undefined, boolean | undefined][] = [];
      let markers: { KeyMarker?: string; VersionIdMarker?: string } = {};
      for (let pages = 0; pages < 5; pages++) {
        const page = await client().send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: "tree/", MaxKeys: 3, ...markers }));
        for (const version of page.Versions ?? []) versions.push([version.Key, version.VersionId, version.IsLatest]);
        if (!page.IsTruncated) break;
        markers = { KeyMarker: page.NextKeyMarker!, VersionIdMarker: page.NextVersionIdMarker! };
      }
      expect(versions).toEqual(["tree/a/one.txt", "tree/a/two.txt", "tree/b/three.txt", "tree/top.txt"].map((key) => [key, "null", true]));
      const rolled = await client().send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: "tree/", Delimiter: "/" }));
      expect([rolled.Versions?.map((version) => version.Key), rolled.CommonPrefixes?.map((common) => common.Prefix), rolled.DeleteMarkers]).toEqual([["tree/top.txt"], ["tree/a/", "tree/b/"], undefined]);
    });

    it("url-encodes listings when asked", async () => {
      await client().send(new PutObjectCommand({ Bucket: bucket, Key: "enc/a b+c", Body: "x" }));
      const listing = await client().send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "enc/", EncodingType: "url" }));
      // The JS SDK hands url-encoded keys over as they are; botocore decodes them with unquote_plus.
      expect(listing.EncodingType).toBe("url");
      expect(listing.Contents!.map((object) => object.Key)).toEqual(["enc/a%20b%2Bc"]);
      expect(listing.Prefix).toBe("enc/");
    });

    it("lists for a prefix-scoped key only inside its prefix", async () => {
      const limited = sdkClient(world(), world().limited);
      await client().send(new PutObjectCommand({ Bucket: bucket, Key: "allowed/list-me.txt", Body: "x" }));
      const listing = await limited.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "allowed/" }));
      expect(listing.Contents!.map((object) => object.Key)).toContain("allowed/list-me.txt");
      await expect(limited.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "" }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 403 } });
      await expect(limited.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "allowed" }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 403 } });
    });
  });

  describe("backend_prefix", () => {
    it("stores keys under the prefix on the backend and strips it from listings", async () => {
      const client = sdkClient(world(), world().admin);
      await client.send(new PutObjectCommand({ Bucket: BUCKETS.s3, Key: "prefixed/file.txt", Body: "x" }));
      const direct = sdkClient(world().s3.endpoint, { accessKeyId: world().s3.accessKeyId, secretAccessKey: world().s3.secretAccessKey }, { requestChecksumCalculation: "WHEN_REQUIRED" });
      direct.middlewareStack.add((next) => async (args) => {
        const request = args.request as { path?: string };
        // s3rver canonicalizes bucket-level paths without a trailing slash.
        if (request.path && /^\/[^/]+\/$/.test(request.path)) request.path = request.path.slice(0, -1);
        return next(args);
      }, { step: "build" });
      const backendListing = await direct.send(new ListObjectsV2Command({ Bucket: "data", Prefix: "tenant/prefixed/" }));
      expect(backendListing.Contents!.map((object) => object.Key)).toEqual(["tenant/prefixed/file.txt"]);
      const listing = await client.send(new ListObjectsV2Command({ Bucket: BUCKETS.s3, Prefix: "prefixed/" }));
      expect(listing.Contents!.map((object) => object.Key)).toEqual(["prefixed/file.txt"]);
      await client.send(new DeleteObjectsCommand({ Bucket: BUCKETS.s3, Delete: { Objects: [{ Key: "prefixed/file.txt" }] } }));
    });
  });

  describe("ListBuckets", () => {
    it("shows each caller only the buckets it can use", async () => {
      const names = async (client: ReturnType<typeof sdkClient>) => ((await client.send(new ListBucketsCommand({}))).Buckets ?? []).map((bucket) => bucket.Name).sort();
      expect(await names(sdkClient(world(), world().admin))).toEqual(Object.values(BUCKETS).sort());
      expect(await names(sdkClient(world(), world().limited))).toEqual([BUCKETS.native, BUCKETS.publicNative, BUCKETS.publicS3, BUCKETS.s3, BUCKETS.gcs, BUCKETS.az].sort());
      expect(await names(sdkClient(world()))).toEqual([BUCKETS.publicNative, BUCKETS.publicS3].sort());
    });
  });
}
