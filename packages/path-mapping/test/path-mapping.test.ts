/** How path-style requests of a hierarchical namespace are mapped onto configured buckets. */
import { describe, expect, it } from "vitest";
import { Query } from "@multistore/core";
import { createPathMapping } from "../src/index.js";

const mapping = createPathMapping({ bucketSegments: 2 });
const map = (method: string, rawPath: string, query = "") => mapping.map(method, rawPath, new Query(query));

describe("createPathMapping", () => {
  it("maps the leading segments of an object request onto one bucket, keeping the key's encoding", () => {
    expect(map("GET", "/noaa/goes16/ABI-L2/2024/file%20one.nc")).toEqual({
      rawPath: "/noaa%3Agoes16/ABI-L2/2024/file%20one.nc",
      resource: "/noaa/goes16/ABI-L2/2024/file one.nc",
      // Multipart answers name the bucket and key as the client did.
      shown: { name: "noaa", keyPrefix: "goes16/" },
    });
    expect(map("PUT", "/noaa/goes16/k")).toMatchObject({ rawPath: "/noaa%3Agoes16/k" });
    expect(createPathMapping({ bucketSegments: 3, separator: "--" }).map("GET", "/a/b/c/k", new Query(""))).toMatchObject({ rawPath: "/a--b--c/k" });
  });

  it("maps a request on exactly the bucket's segments to the bucket itself", () => {
    expect(map("GET", "/noaa/goes16", "list-type=2")).toEqual({ rawPath: "/noaa%3Agoes16", resource: "/noaa/goes16" });
    expect(map("HEAD", "/noaa/goes16/")).toEqual({ rawPath: "/noaa%3Agoes16", resource: "/noaa/goes16" });
    // The reads of its settings (s3cmd info, mc stat).
    for (const setting of ["cors", "policy", "policyStatus", "encryption", "publicAccessBlock", "ownershipControls", "object-lock", "requestPayment", "accelerate"]) {
      expect(map("GET", "/noaa/goes16", setting), setting).toEqual({ rawPath: "/noaa%3Agoes16", resource: "/noaa/goes16" });
    }
  });

  it("answers a plain object request on exactly a bucket's segments as the key it is to the client, which cannot exist", () => {
    // `aws s3 cp f s3://noaa/goes16` and `aws s3 cp s3://noaa/goes16 .`: key `goes16` of bucket `noaa`.
    const thrown = (method: string, query = "") => {
      try {
        map(method, "/noaa/goes16", query);
      } catch (error) {
        return error;
      }
      return undefined;
    };
    expect(thrown("GET")).toMatchObject({ code: "NoSuchKey", status: 404 });
    expect(thrown("HEAD", "X-Amz-Signature=abc&X-Amz-Credential=x")).toMatchObject({ code: "NoSuchKey" });
    expect(thrown("PUT")).toMatchObject({ code: "InvalidRequest", status: 400 });
    expect(thrown("DELETE")).toMatchObject({ code: "InvalidRequest" });
    // Parameters an object request carries do not make it a bucket's (the AWS SDK for JavaScript adds x-id).
    expect(thrown("PUT", "x-id=PutObject")).toMatchObject({ code: "InvalidRequest" });
    expect(thrown("GET", "x-id=GetObject&response-content-disposition=inline&versionId=null")).toMatchObject({ code: "NoSuchKey" });
    // A bucket operation's parameter does.
    expect(thrown("GET", "location")).toBeUndefined();
    expect(thrown("POST", "delete")).toBeUndefined();
    expect(thrown("OPTIONS")).toBeUndefined();
  });

  it("maps a listing of the namespace onto the bucket its prefix names, and says how to show the keys", () => {
    expect(map("GET", "/noaa", "list-type=2&prefix=goes16/ABI&delimiter=/")).toEqual({
      rawPath: "/noaa%3Agoes16",
      resource: "/noaa",
      listing: { name: "noaa", keyPrefix: "goes16/" },
    });
    // Presigned listings keep their signature parameters.
    expect(map("GET", "/noaa/", "prefix=goes16/&X-Amz-Signature=abc&X-Amz-Credential=x")).toMatchObject({ rawPath: "/noaa%3Agoes16" });
  });

  it("lists the namespace itself when the prefix names no bucket yet", () => {
    const namespace = { rawPath: "/noaa", resource: "/noaa", namespace: { name: "noaa", bucketPrefix: "noaa:", separator: ":", segments: 1 } };
    expect(map("GET", "/noaa", "list-type=2&delimiter=/")).toEqual(namespace);
    expect(map("GET", "/noaa", "prefix=goe")).toEqual(namespace);
    expect(map("GET", "/noaa", "prefix=goes16")).toEqual(namespace);
  });

  it("maps HeadBucket and GetBucketLocation of the namespace onto it (rclone checks a bucket before writing)", () => {
    const namespace = { rawPath: "/noaa", resource: "/noaa", namespace: { name: "noaa", bucketPrefix: "noaa:", separator: ":", segments: 1 } };
    expect(map("HEAD", "/noaa")).toEqual(namespace);
    expect(map("GET", "/noaa", "location")).toEqual(namespace);
    expect(map("HEAD", "/noaa", "X-Amz-Signature=abc&x-id=HeadBucket")).toEqual(namespace);
  });

  it("maps the reads of a bucket's settings of the namespace onto it (bucket browsers read them when opening one)", () => {
    const namespace = { rawPath: "/noaa", resource: "/noaa", namespace: { name: "noaa", bucketPrefix: "noaa:", separator: ":", segments: 1 } };
    for (const setting of ["versioning", "acl", "cors", "policy", "policyStatus", "tagging", "lifecycle", "website", "logging", "notification", "replication", "encryption", "ownershipControls", "publicAccessBlock", "object-lock", "requestPayment", "accelerate"]) {
      expect(map("GET", "/noaa", setting), setting).toEqual(namespace);
      expect(map("GET", "/noaa", `${setting}&x-id=GetBucket`), setting).toEqual(namespace);
      // Changing one is no read of the namespace.
      expect(map("PUT", "/noaa", setting), setting).toBeUndefined();
    }
    // Below the first segment, only with a trailing slash: `/acme/x?acl` is GetObjectAcl of key `x` of bucket `acme`.
    const deep = createPathMapping({ bucketSegments: 3 });
    const deeper = { rawPath: "/acme", resource: "/acme", namespace: { name: "acme", bucketPrefix: "acme:x:", separator: ":", segments: 1 } };
    for (const setting of ["acl", "tagging", "versioning"]) {
      expect(deep.map("GET", "/acme/x", new Query(setting)), setting).toBeUndefined();
      expect(deep.map("GET", "/acme/x/", new Query(setting)), setting).toEqual(deeper);
    }
    expect(deep.map("GET", "/acme/x", new Query("location"))).toEqual(deeper);
  });

  it("leaves alone what is not a request on the namespace: ListBuckets, other methods and sub-resources above a bucket", () => {
    expect(map("GET", "/")).toBeUndefined();
    expect(map("GET", "/noaa", "location&acl")).toBeUndefined();
    expect(map("PUT", "/noaa")).toBeUndefined();
    expect(map("POST", "/noaa", "delete&acl")).toBeUndefined();
    expect(map("POST", "/noaa")).toBeUndefined();
  });

  it("maps DeleteObjects of the namespace onto it: its keys name their buckets", () => {
    const namespace = { rawPath: "/noaa", resource: "/noaa", namespace: { name: "noaa", bucketPrefix: "noaa:", separator: ":", segments: 1 } };
    expect(map("POST", "/noaa", "delete")).toEqual(namespace);
    expect(map("POST", "/noaa/", "delete&x-id=DeleteObjects")).toEqual(namespace);
    // On a bucket's own path, its own DeleteObjects.
    expect(map("POST", "/noaa/goes16/", "delete")).toEqual({ rawPath: "/noaa%3Agoes16", resource: "/noaa/goes16" });
  });

  it("maps a listing of uploads onto the bucket its prefix names, and above any bucket onto the namespace", () => {
    expect(map("GET", "/noaa", "uploads&prefix=goes16/ABI&key-marker=goes16/a&upload-id-marker=x&max-uploads=5&delimiter=/")).toEqual({
      rawPath: "/noaa%3Agoes16",
      resource: "/noaa",
      listing: { name: "noaa", keyPrefix: "goes16/" },
    });
    expect(map("GET", "/noaa", "uploads")).toMatchObject({ namespace: { bucketPrefix: "noaa:" } });
    // A key listing's parameters are no uploads listing's.
    expect(map("GET", "/noaa", "uploads&list-type=2&prefix=goes16/")).toBeUndefined();
  });

  it("maps a listing of versions onto the bucket its prefix names, and above any bucket onto the namespace", () => {
    expect(map("GET", "/noaa", "versions&prefix=goes16/ABI&key-marker=goes16/a&version-id-marker=null&max-keys=5&delimiter=/")).toEqual({
      rawPath: "/noaa%3Agoes16",
      resource: "/noaa",
      listing: { name: "noaa", keyPrefix: "goes16/" },
    });
    expect(map("GET", "/noaa", "versions")).toMatchObject({ namespace: { bucketPrefix: "noaa:" } });
    expect(map("GET", "/noaa", "versions&list-type=2&prefix=goes16/")).toBeUndefined();
  });

  it("answers an object request on fewer segments than a bucket's as the key it is, never as the namespace's listing", () => {
    const deep = createPathMapping({ bucketSegments: 3 });
    const thrown = (method: string, rawPath: string, query = "") => {
      try {
        deep.map(method, rawPath, new Query(query));
      } catch (error) {
        return (error as { code?: string }).code;
      }
      return "mapped";
    };
    // `get_object(Bucket="acme", Key="x")`: key `x` of bucket `acme`, which cannot exist.
    expect(thrown("GET", "/acme/x")).toBe("NoSuchKey");
    expect(thrown("HEAD", "/acme/x")).toBe("NoSuchKey");
    expect(thrown("PUT", "/acme/x")).toBe("InvalidRequest");
    // A listing's parameters, or a trailing slash, still address the namespace below `acme/x`.
    expect(deep.map("GET", "/acme/x", new Query("list-type=2"))).toMatchObject({ namespace: { bucketPrefix: "acme:x:" } });
    expect(deep.map("GET", "/acme/x/", new Query(""))).toMatchObject({ namespace: { bucketPrefix: "acme:x:" } });
  });

  it("checks its options", () => {
    expect(() => createPathMapping({ bucketSegments: 1 })).toThrow("path_mapping.bucket_segments must be an integer from 2 to 8");
    expect(() => createPathMapping({ bucketSegments: 2, separator: "/" })).toThrow("path_mapping.separator");
  });
});
