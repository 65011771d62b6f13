/** parseS3Request and parseCopySource: operation mapping, bucket/key resolution and key validation. */
import { describe, expect, it } from "vitest";
import { Query } from "../src/index.js";
import { MAX_KEY_BYTES } from "../src/keys.js";
import { parseCopySource, parseS3Request } from "../src/s3-request.js";
import { thrown } from "./helpers/errors.js";

function parse(method: string, target: string, headers: Record<string, string> = {}, domain?: string) {
  return parseS3Request(method, target, new Headers({ host: "localhost:8080", ...headers }), domain);
}
describe("parseS3Request: service and bucket operations (path style)", () => {
  it("maps GET / to ListBuckets with no bucket", () => {
    const parsed = parse("GET", "/");
    expect(parsed.operation).toBe("ListBuckets");
    expect(parsed.bucket).toBeUndefined();
    expect(parsed.key).toBeUndefined();
    expect(parsed.resource).toBe("/");
  });

  it("refuses a path with an empty bucket segment (//key) instead of taking it for the service root", () => {
    for (const target of ["//pub/hello.txt", "//key", "//", "//?list-type=2"]) {
      for (const method of ["GET", "PUT", "DELETE"]) expect(thrown(() => parse(method, target)), `${method} ${target}`).toMatchObject({ code: "InvalidBucketName", status: 400 });
    }
    expect(parse("GET", "/?x-id=ListBuckets").operation).toBe("ListBuckets");
  });

  it("refuses other methods on the service with 405", () => {
    for (const method of ["PUT", "POST", "DELETE", "HEAD"]) {
      expect(thrown(() => parse(method, "/"))).toMatchObject({ code: "MethodNotAllowed", status: 405 });
    }
  });

  it.each([
    ["GET", "/photos", "ListObjects"],
    ["GET", "/photos/", "ListObjects"],
    ["GET", "/photos?prefix=a&delimiter=/", "ListObjects"],
    ["GET", "/photos?list-type=2", "ListObjectsV2"],
    ["GET", "/photos?list-type=1", "ListObjects"],
    ["HEAD", "/photos", "HeadBucket"],
    ["POST", "/photos?delete", "DeleteObjects"],
    ["POST", "/photos?delete=", "DeleteObjects"],
    ["PUT", "/photos", "CreateBucket"],
    ["DELETE", "/photos", "DeleteBucket"],
    ["GET", "/photos?location", "GetBucketLocation"],
    ["GET", "/photos?versioning", "GetBucketVersioning"],
    ["GET", "/photos?acl", "GetBucketAcl"],
    ["GET", "/photos?uploads", "ListMultipartUploads"],
    ["GET", "/photos?uploads&prefix=a/b", "ListMultipartUploads"],
    ["GET", "/photos?versions", "ListObjectVersions"],
    ["GET", "/photos?versions&prefix=a/&key-marker=a/b", "ListObjectVersions"],
  ])("%s %s is %s", (method, target, operation) => {
    const parsed = parse(method, target);
    expect(parsed.operation).toBe(operation);
    expect(parsed.bucket).toBe("photos");
    expect(parsed.key).toBeUndefined();
    expect(parsed.resource).toBe("/photos");
  });

  it.each([
    ["PUT", "/photos?versioning"],
    ["HEAD", "/photos?acl"],
    ["PUT", "/photos?acl"],
    ["PUT", "/photos?versions"],
    ["PUT", "/photos?policy"],
    ["DELETE", "/photos?cors"],
    ["GET", "/photos?inventory"],
    ["HEAD", "/photos?cors"],
    ["PUT", "/photos?lifecycle"],
    ["DELETE", "/photos?website"],
  ])("%s %s is 501 NotImplemented", (method, target) => {
    expect(thrown(() => parse(method, target))).toMatchObject({ code: "NotImplemented", status: 501 });
  });

  it("treats ?delete as DeleteObjects only on POST", () => {
    expect(parse("GET", "/photos?delete").operation).toBe("ListObjects");
    expect(parse("HEAD", "/photos?delete").operation).toBe("HeadBucket");
    // S3 ignores a query parameter that names no sub-resource of the method: this is DeleteBucket.
    expect(parse("DELETE", "/photos?delete").operation).toBe("DeleteBucket");
  });

  it("refuses POST on a bucket without ?delete", () => {
    expect(thrown(() => parse("POST", "/photos"))).toMatchObject({ code: "MethodNotAllowed" });
  });

  it("requires an absolute path", () => {
    expect(thrown(() => parse("GET", "photos/key"))).toMatchObject({ code: "InvalidRequest", status: 400 });
  });
});

describe("parseS3Request: object operations", () => {
  it.each([
    ["GET", "/b/k", {}, "GetObject"],
    ["GET", "/b/k?versionId=3", {}, "GetObject"],
    ["GET", "/b/k?response-content-type=text/plain", {}, "GetObject"],
    ["HEAD", "/b/k", {}, "HeadObject"],
    ["PUT", "/b/k", {}, "PutObject"],
    ["PUT", "/b/k", { "x-amz-copy-source": "/src/x" }, "CopyObject"],
    ["PUT", "/b/k?partNumber=1&uploadId=abc", {}, "UploadPart"],
    ["DELETE", "/b/k", {}, "DeleteObject"],
    ["DELETE", "/b/k?versionId=3", {}, "DeleteObject"],
    ["DELETE", "/b/k?uploadId=abc", {}, "AbortMultipartUpload"],
    ["POST", "/b/k?uploads", {}, "CreateMultipartUpload"],
    ["POST", "/b/k?uploads=", {}, "CreateMultipartUpload"],
    ["POST", "/b/k?uploadId=abc", {}, "CompleteMultipartUpload"],
    ["GET", "/b/k?uploadId=abc", {}, "ListParts"],
    ["GET", "/b/k?attributes", { "x-amz-object-attributes": "ETag" }, "GetObjectAttributes"],
    ["GET", "/b/k?tagging", {}, "GetObjectTagging"],
    ["GET", "/b/k?acl", {}, "GetObjectAcl"],
    ["PUT", "/b/k?acl", {}, "PutObjectAcl"],
    ["GET", "/b/k?tagging&versionId=3", {}, "GetObjectTagging"],
    ["PUT", "/b/k?tagging", {}, "PutObjectTagging"],
    ["DELETE", "/b/k?tagging&versionId=3", {}, "DeleteObjectTagging"],
    ["GET", "/b/k?partNumber=2", {}, "GetObject"],
    ["HEAD", "/b/k?partNumber=2", {}, "HeadObject"],
    ["PUT", "/b/k?partNumber=1&uploadId=abc", { "x-amz-copy-source": "/src/x" }, "UploadPartCopy"],
    ["GET", "/b/k?uploadId=abc&max-parts=2&part-number-marker=1", {}, "ListParts"],
  ] as const)("%s %s %j is %s", (method, target, headers, operation) => {
    const parsed = parse(method, target, headers);
    expect(parsed.operation).toBe(operation);
    expect(parsed.bucket).toBe("b");
    expect(parsed.key).toBe("k");
    expect(parsed.resource).toBe("/b/k");
  });

  it.each([
    ["HEAD", "/b/k?tagging"],
    ["HEAD", "/b/k?acl"],
    ["HEAD", "/b/k?uploadId=abc"],
    ["HEAD", "/b/k?attributes"],
    ["HEAD", "/b/k?retention"],
    ["DELETE", "/b/k?acl"],
    ["POST", "/b/k"],
    ["POST", "/b/k?restore"],
    ["POST", "/b/k?select&select-type=2"],
  ])("%s %s is 501 NotImplemented", (method, target) => {
    expect(thrown(() => parse(method, target))).toMatchObject({ code: "NotImplemented", status: 501 });
  });

  it("names the first unsupported sub-resource sent, for a query shared between requests too", () => {
    for (let round = 0; round < 2; round++) {
      expect(thrown(() => parse("GET", "/b/k?x-id=1&torrent&retention")).message).toContain('"torrent"');
      expect(thrown(() => parse("PUT", "/b?prefix=a&website&cors")).message).toContain('"website"');
    }
    expect(parse("GET", "/b/k?x-id=1&response-content-type=a").operation).toBe("GetObject");
  });

  it("needs both uploadId and partNumber for UploadPartCopy", () => {
    for (const target of ["/b/k?uploadId=abc", "/b/k?partNumber=1", "/b/k?partNumber=1&uploadId="]) {
      const error = thrown(() => parse("PUT", target, { "x-amz-copy-source": "/src/x" }));
      expect(error).toMatchObject({ code: "InvalidRequest", status: 400 });
      expect(error.message).toContain("UploadPartCopy");
    }
  });

  it("needs both uploadId and partNumber for UploadPart", () => {
    for (const target of ["/b/k?uploadId=abc", "/b/k?partNumber=1", "/b/k?partNumber=1&uploadId=", "/b/k?partNumber=&uploadId=x"]) {
      expect(thrown(() => parse("PUT", target))).toMatchObject({ code: "InvalidRequest", status: 400 });
    }
  });

  it("refuses unknown methods with 405", () => {
    expect(thrown(() => parse("PATCH", "/b/k"))).toMatchObject({ code: "MethodNotAllowed", status: 405 });
  });

  it("keeps the raw path and the raw query for signing", () => {
    const parsed = parse("GET", "/b/a%20b?x=%2B&y");
    expect(parsed.rawPath).toBe("/b/a%20b");
    expect(parsed.query.raw).toBe("x=%2B&y");
    expect(parsed.query.get("x")).toBe("+");
    expect(parsed.query.has("y")).toBe(true);
    expect(parsed.query.get("y")).toBe("");
  });

  it("refuses a malformed query escape with 400", () => {
    expect(thrown(() => parse("GET", "/b/k?x=%zz"))).toMatchObject({ code: "InvalidArgument", status: 400 });
  });
});

describe("parseS3Request: virtual-hosted style", () => {
  const domain = "s3.example.com";
  it("takes the bucket from the host and the whole path as the key", () => {
    const parsed = parse("GET", "/a/b.txt", { host: "photos.s3.example.com:9000" }, domain);
    expect(parsed).toMatchObject({ operation: "GetObject", bucket: "photos", key: "a/b.txt", resource: "/photos/a/b.txt", rawPath: "/a/b.txt" });
  });

  it("maps / on a bucket host to a bucket operation", () => {
    expect(parse("GET", "/?list-type=2", { host: "photos.s3.example.com" }, domain)).toMatchObject({ operation: "ListObjectsV2", bucket: "photos" });
    expect(parse("HEAD", "/", { host: "photos.s3.example.com" }, domain)).toMatchObject({ operation: "HeadBucket", bucket: "photos" });
  });

  it("matches the host case-insensitively and keeps dots in bucket names", () => {
    expect(parse("GET", "/k", { host: "My.Bucket.S3.Example.COM" }, "S3.example.com")).toMatchObject({ bucket: "my.bucket", key: "k" });
  });

  it("falls back to path style on the bare domain or a foreign host", () => {
    expect(parse("GET", "/", { host: "s3.example.com" }, domain).operation).toBe("ListBuckets");
    expect(parse("GET", "/photos/k", { host: "s3.example.com" }, domain)).toMatchObject({ bucket: "photos", key: "k" });
    expect(parse("GET", "/photos/k", { host: "photos.other.com" }, domain)).toMatchObject({ bucket: "photos", key: "k" });
    expect(parse("GET", "/photos/k", { host: "evils3.example.com" }, domain)).toMatchObject({ bucket: "photos", key: "k" });
  });

  it("uses path style when no domain is configured", () => {
    expect(parse("GET", "/photos/k", { host: "photos.s3.example.com" })).toMatchObject({ bucket: "photos", key: "k" });
  });
});

describe("parseS3Request: keys", () => {
  it("decodes exactly once", () => {
    expect(parse("GET", "/b/a%25b").key).toBe("a%b");
    expect(parse("GET", "/b/a%2525b").key).toBe("a%25b");
    expect(parse("GET", "/b/a%25b").resource).toBe("/b/a%b");
  });

  it("refuses a malformed escape (raw `%b`) with 400", () => {
    expect(thrown(() => parse("GET", "/b/a%b"))).toMatchObject({ code: "InvalidArgument", status: 400 });
    expect(thrown(() => parse("GET", "/b/a%"))).toMatchObject({ code: "InvalidArgument" });
    expect(thrown(() => parse("GET", "/b/%FF"))).toMatchObject({ code: "InvalidArgument" });
  });

  it("keeps + as a plus (paths are not form-encoded)", () => {
    expect(parse("GET", "/b/a+b").key).toBe("a+b");
    expect(parse("GET", "/b/a%2Bb").key).toBe("a+b");
    expect(parse("GET", "/b/a%20b").key).toBe("a b");
  });

  it("decodes UTF-8 keys, escaped or raw", () => {
    expect(parse("GET", "/b/%E2%82%AC/%F0%9F%98%80.txt").key).toBe("€/😀.txt");
    expect(parse("GET", "/b/caf%C3%A9").key).toBe("café");
    expect(parse("GET", "/b/日本").key).toBe("日本");
  });

  it("keeps slashes, including encoded and repeated ones", () => {
    expect(parse("GET", "/b/a%2Fb").key).toBe("a/b");
    expect(parse("GET", "/b/a//b/").key).toBe("a//b/");
  });

  it.each(["/b/..", "/b/.", "/b/../x", "/b/a/./b", "/b/a/..", "/b/%2e%2e", "/b/%2E%2E/x", "/b/a/%2e/b", "/b/a%2F..%2Fb"])(
    "refuses the dot segment in %s",
    (target) => {
      expect(thrown(() => parse("GET", target))).toMatchObject({ code: "InvalidArgument", status: 400 });
    },
  );

  it("accepts dots that are not whole segments", () => {
    for (const key of ["..a", "a..", "...", ".hidden", "a/.b/c", "a./b"]) expect(parse("GET", `/b/${key}`).key).toBe(key);
  });

  it("refuses NUL in a key", () => {
    expect(thrown(() => parse("PUT", "/b/a%00b"))).toMatchObject({ code: "InvalidArgument" });
  });

  it("limits keys to 1024 UTF-8 bytes", () => {
    expect(MAX_KEY_BYTES).toBe(1024);
    expect(parse("GET", `/b/${"a".repeat(1024)}`).key).toHaveLength(1024);
    expect(thrown(() => parse("GET", `/b/${"a".repeat(1025)}`))).toMatchObject({ code: "KeyTooLongError", status: 400 });
    expect(parse("GET", `/b/${"%E2%82%AC".repeat(341)}`).key).toBe("€".repeat(341));
    expect(thrown(() => parse("GET", `/b/${"%E2%82%AC".repeat(342)}`))).toMatchObject({ code: "KeyTooLongError" });
  });
});

describe("Query", () => {
  it("decodes pairs in order, first value wins, + stays", () => {
    const query = new Query("a=1&b=x+y&a=2&c&d=%26");
    expect(query.pairs).toEqual([["a", "1"], ["b", "x+y"], ["a", "2"], ["c", ""], ["d", "&"]]);
    expect(query.get("a")).toBe("1");
    expect(query.get("b")).toBe("x+y");
    expect(query.has("c")).toBe(true);
    expect(query.has("z")).toBe(false);
    expect(query.get("z")).toBeUndefined();
  });
});

describe("parseCopySource", () => {
  it("reads bucket/key with or without a leading slash", () => {
    expect(parseCopySource("src/a/b.txt")).toEqual({ bucket: "src", key: "a/b.txt" });
    expect(parseCopySource("/src/a/b.txt")).toEqual({ bucket: "src", key: "a/b.txt" });
  });

  it("decodes the key once", () => {
    expect(parseCopySource("/src/a%20b%25c%2Bd+e")).toEqual({ bucket: "src", key: "a b%c+d+e" });
    expect(parseCopySource("src/%E2%82%AC")).toEqual({ bucket: "src", key: "€" });
  });

  it("reads ?versionId=", () => {
    expect(parseCopySource("/src/k?versionId=v%2B1")).toEqual({ bucket: "src", key: "k", versionId: "v+1" });
    expect(parseCopySource("src/k%3FversionId%3Dx")).toEqual({ bucket: "src", key: "k?versionId=x" });
  });

  it.each(["", "/", "src", "src/", "/src/", "/src", "/key-only", "/src/../x", "src/%2e%2e", "src/a%zz", "src/a%00"])(
    "refuses %j with 400",
    (value) => {
      const error = thrown(() => parseCopySource(value));
      expect(error.status).toBe(400);
      expect(error.code).toBe("InvalidArgument");
    },
  );

  it("applies the key length limit", () => {
    expect(thrown(() => parseCopySource(`src/${"k".repeat(1025)}`))).toMatchObject({ code: "KeyTooLongError" });
  });
});
