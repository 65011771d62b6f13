/**
 * The S3 backend's control requests (multipart, batch delete, listing) and its handling of backend failures, checked
 * without a server: a fake runtime records what the backend sends and answers with canned XML.
 */
import { createHash } from "node:crypto";
import { S3Error } from "@multistore/core";
import type { CompletedPart } from "@multistore/core/backend";
import { describe, expect, it } from "vitest";
import { errorDocument, fakeBackend, sha256Hex, XML } from "./helpers/fake-runtime.js";

const completeResult = `${XML}<CompleteMultipartUploadResult><Bucket>data</Bucket><Key>k</Key><ETag>"abc-2"</ETag></CompleteMultipartUploadResult>`;

describe("multipart control requests", () => {
  it("completes with the parts in order, their checksums and the client's write conditions", async () => {
    const { backend, sent } = fakeBackend(() => ({ text: completeResult, headers: { "x-amz-version-id": "v1" } }));
    const parts: CompletedPart[] = [
      { partNumber: 1, etag: '"e1"', checksums: { ChecksumSHA256: "c2hhMQ==" } },
      { partNumber: 2, etag: "e2&<x>", checksums: { ChecksumCRC32: "AAAAAA==" } },
      { partNumber: 5, etag: '"e5"' },
    ];
    const result = await backend.completeMultipartUpload("dir/my key", "up/1+2", parts, new Headers({ "if-none-match": "*", "x-amz-meta-x": "no" }));
    expect(result.etag).toBe('"abc-2"');
    expect(result.headers?.get("x-amz-version-id")).toBe("v1");
    const [request] = sent;
    expect(request!.method).toBe("POST");
    expect(request!.url.pathname).toBe("/dir/my%20key");
    expect(request!.url.searchParams.get("uploadId")).toBe("up/1+2");
    expect(request!.headers["if-none-match"]).toBe("*");
    expect(request!.headers["x-amz-meta-x"]).toBeUndefined();
    expect(request!.headers["x-amz-content-sha256"]).toBe(sha256Hex(request!.body!));
    expect(request!.body).toBe(
      "<CompleteMultipartUpload>" +
        "<Part><PartNumber>1</PartNumber><ETag>&quot;e1&quot;</ETag><ChecksumSHA256>c2hhMQ==</ChecksumSHA256></Part>" +
        "<Part><PartNumber>2</PartNumber><ETag>e2&amp;&lt;x&gt;</ETag><ChecksumCRC32>AAAAAA==</ChecksumCRC32></Part>" +
        "<Part><PartNumber>5</PartNumber><ETag>&quot;e5&quot;</ETag></Part>" +
        "</CompleteMultipartUpload>",
    );
    await backend.completeMultipartUpload("k", "u", parts, new Headers({ "if-match": '"old"' }));
    expect(sent[1]!.headers["if-match"]).toBe('"old"');
    expect(sent[1]!.headers["if-none-match"]).toBeUndefined();
  });

  it("answers 503, not a crash, for a 200 with an empty body where a document was due", async () => {
    const { backend } = fakeBackend(() => ({ status: 200, text: "" }));
    const calls: [string, () => Promise<unknown>][] = [
      ["CreateMultipartUpload", () => backend.createMultipartUpload("k", new Headers())],
      ["CompleteMultipartUpload", () => backend.completeMultipartUpload("k", "u", [{ partNumber: 1, etag: '"e"' }], new Headers())],
      ["CopyObject", () => backend.copyObject({ sourceBackend: backend, sourceKey: "a", key: "b", headers: new Headers() })],
      ["DeleteObjects", () => backend.deleteObjects(["a"])],
      ["ListObjectsV2", () => backend.listObjects({ maxKeys: 10 } as never)],
    ];
    for (const [name, call] of calls) await expect(call(), name).rejects.toMatchObject({ code: "ServiceUnavailable", status: 503 });
  });

  it("treats a 200 whose body is an <Error> document as a failure", async () => {
    const { backend } = fakeBackend(() => ({ status: 200, text: errorDocument("InternalError") }));
    await expect(backend.completeMultipartUpload("k", "u", [{ partNumber: 1, etag: '"e"' }], new Headers())).rejects.toMatchObject({
      code: "ServiceUnavailable",
      status: 503,
    });
  });

  it("passes the backend's InvalidPart and PreconditionFailed through", async () => {
    for (const [status, code] of [[400, "InvalidPart"], [412, "PreconditionFailed"], [404, "NoSuchUpload"]] as const) {
      const { backend } = fakeBackend(() => ({ status, text: errorDocument(code) }));
      await expect(backend.completeMultipartUpload("k", "u", [], new Headers())).rejects.toMatchObject({ code, status });
    }
  });

  it("aborts with DELETE ?uploadId=", async () => {
    const { backend, sent } = fakeBackend(() => ({ status: 204 }));
    await backend.abortMultipartUpload("a/b c", "id=1&x");
    expect(sent).toHaveLength(1);
    expect(sent[0]!.method).toBe("DELETE");
    expect(sent[0]!.url.pathname).toBe("/a/b%20c");
    expect([...sent[0]!.url.searchParams]).toEqual([["uploadId", "id=1&x"]]);
    expect(sent[0]!.body).toBeUndefined();
  });

  it("starts an upload with the content headers but without body-describing ones", async () => {
    const text = `${XML}<InitiateMultipartUploadResult><UploadId>u-1</UploadId></InitiateMultipartUploadResult>`;
    const { backend, sent } = fakeBackend(() => ({ text }));
    const headers = new Headers({ "content-type": "text/plain", "x-amz-meta-a": "1", "content-length": "0", "content-md5": "x" });
    expect(await backend.createMultipartUpload("k", headers)).toEqual({ uploadId: "u-1" });
    expect(sent[0]!.method).toBe("POST");
    expect(sent[0]!.url.searchParams.has("uploads")).toBe(true);
    expect(sent[0]!.headers).toMatchObject({ "content-type": "text/plain", "x-amz-meta-a": "1" });
    expect(sent[0]!.headers["content-md5"]).toBeUndefined();
  });
});

describe("batch delete", () => {
  const deleteResult = `${XML}<DeleteResult><Deleted><Key>a&amp;b</Key></Deleted><Error><Key>x</Key><Code>AccessDenied</Code><Message>no</Message></Error></DeleteResult>`;

  it("sends a Delete document with escaped keys, a SHA-256 checksum and Content-MD5", async () => {
    const { backend, sent } = fakeBackend(() => ({ text: deleteResult }));
    const result = await backend.deleteObjects(["a&b", "<x>", "it's \"q\""]);
    expect(result).toEqual({ deleted: ["a&b"], errors: [{ key: "x", code: "AccessDenied", message: "no" }] });
    const [request] = sent;
    expect(request!.method).toBe("POST");
    expect(request!.url.pathname).toBe("/");
    expect(request!.url.searchParams.has("delete")).toBe(true);
    expect(request!.body).toBe(
      "<Delete><Quiet>false</Quiet><Object><Key>a&amp;b</Key></Object><Object><Key>&lt;x&gt;</Key></Object>" +
        "<Object><Key>it&apos;s &quot;q&quot;</Key></Object></Delete>",
    );
    const body = Buffer.from(request!.body!);
    expect(request!.headers["x-amz-checksum-sha256"]).toBe(createHash("sha256").update(body).digest("base64"));
    expect(request!.headers["content-md5"]).toBe(createHash("md5").update(body).digest("base64"));
    expect(request!.headers["content-type"]).toBe("application/xml");
  });

  it("deletes named versions with their VersionId, and reads back which version each entry was and delete markers", async () => {
    const versionsResult =
      `${XML}<DeleteResult><Deleted><Key>a</Key><VersionId>v1</VersionId><DeleteMarker>true</DeleteMarker><DeleteMarkerVersionId>v1</DeleteMarkerVersionId></Deleted>` +
      "<Deleted><Key>a</Key><VersionId>null</VersionId></Deleted><Error><Key>b</Key><VersionId>v&amp;2</VersionId><Code>AccessDenied</Code><Message>no</Message></Error></DeleteResult>";
    const { backend, sent } = fakeBackend(() => ({ text: versionsResult }));
    const result = await backend.deleteObjectVersions!([
      { key: "a", versionId: "v1" },
      { key: "a", versionId: "null" },
      { key: "b", versionId: "v&2" },
    ]);
    expect(result).toEqual({
      deleted: [{ key: "a", versionId: "v1", deleteMarker: true, deleteMarkerVersionId: "v1" }, { key: "a", versionId: "null" }],
      errors: [{ key: "b", versionId: "v&2", code: "AccessDenied", message: "no" }],
    });
    expect(sent[0]!.url.searchParams.has("delete")).toBe(true);
    expect(sent[0]!.body).toBe(
      "<Delete><Quiet>false</Quiet><Object><Key>a</Key><VersionId>v1</VersionId></Object><Object><Key>a</Key><VersionId>null</VersionId></Object>" +
        "<Object><Key>b</Key><VersionId>v&amp;2</VersionId></Object></Delete>",
    );
    expect(sent[0]!.headers["content-md5"]).toBe(createHash("md5").update(Buffer.from(sent[0]!.body!)).digest("base64"));
  });

  it("leaves out Content-MD5 when the runtime has no MD5", async () => {
    const { backend, sent } = fakeBackend(() => ({ text: deleteResult }), {}, false);
    await backend.deleteObjects(["k"]);
    expect(sent[0]!.headers["content-md5"]).toBeUndefined();
    expect(sent[0]!.headers["x-amz-checksum-sha256"]).toMatch(/^[A-Za-z0-9+/]{43}=$/);
  });
});

describe("backend failures", () => {
  it("turns the backend refusing the gateway's credentials into 503 ServiceUnavailable", async () => {
    for (const code of ["SignatureDoesNotMatch", "InvalidAccessKeyId"]) {
      const { backend } = fakeBackend(() => ({ status: 403, text: errorDocument(code) }));
      const failure = await backend.deleteObjects(["k"]).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(S3Error);
      expect(failure).toMatchObject({ code: "ServiceUnavailable", status: 503 });
    }
  });

  it("answers 503 when the backend is unreachable", async () => {
    const { backend } = fakeBackend(() => new TypeError("fetch failed"));
    await expect(backend.listObjects({ prefix: "", maxKeys: 10 })).rejects.toMatchObject({ code: "ServiceUnavailable", status: 503 });
    await expect(backend.abortMultipartUpload("k", "u")).rejects.toMatchObject({ code: "ServiceUnavailable" });
  });

  it("answers 503 for an unparseable or incomplete backend document", async () => {
    await expect(fakeBackend(() => ({ text: "<ListBucketResult" })).backend.listObjects({ prefix: "", maxKeys: 1 })).rejects.toMatchObject({ code: "ServiceUnavailable" });
    await expect(fakeBackend(() => ({ text: `${XML}<CompleteMultipartUploadResult/>` })).backend.completeMultipartUpload("k", "u", [], new Headers())).rejects.toMatchObject({ code: "ServiceUnavailable" });
  });
});

describe("listing", () => {
  const listResult =
    `${XML}<ListBucketResult><EncodingType>url</EncodingType><IsTruncated>true</IsTruncated><NextContinuationToken>t+/=</NextContinuationToken>` +
    "<Contents><Key>dir/a+b%2Bc%26%C3%BC</Key><LastModified>2024-01-02T03:04:05.000Z</LastModified><ETag>&quot;e&quot;</ETag><Size>3</Size></Contents>" +
    "<CommonPrefixes><Prefix>dir/sub%20x/</Prefix></CommonPrefixes></ListBucketResult>";

  it("asks for list-type=2 with encoding-type=url and decodes the keys", async () => {
    const { backend, sent } = fakeBackend(() => ({ text: listResult }));
    const result = await backend.listObjects({ prefix: "dir/", delimiter: "/", maxKeys: 50, startAfter: "dir/a" });
    const query = sent[0]!.url.searchParams;
    expect(sent[0]!.method).toBe("GET");
    expect(Object.fromEntries(query)).toEqual({ "list-type": "2", "encoding-type": "url", "max-keys": "50", prefix: "dir/", delimiter: "/", "start-after": "dir/a" });
    expect(result.objects).toEqual([{ key: "dir/a b+c&ü", lastModified: new Date("2024-01-02T03:04:05.000Z"), etag: '"e"', size: 3, storageClass: "STANDARD" }]);
    expect(result.commonPrefixes).toEqual(["dir/sub x/"]);
    expect(result).toMatchObject({ isTruncated: true, nextContinuationToken: "t+/=" });
    await backend.listObjects({ prefix: "", maxKeys: 5, continuationToken: "t+/=", startAfter: "ignored" });
    expect(Object.fromEntries(sent[1]!.url.searchParams)).toEqual({ "list-type": "2", "encoding-type": "url", "max-keys": "5", "continuation-token": "t+/=" });
  });

  it("keeps keys as they are when the backend did not url-encode them", async () => {
    const text = `${XML}<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>a+b%20</Key><Size>1</Size></Contents></ListBucketResult>`;
    const result = await fakeBackend(() => ({ text })).backend.listObjects({ prefix: "", maxKeys: 1 });
    expect(result.objects.map((object) => object.key)).toEqual(["a+b%20"]);
    expect(result.isTruncated).toBe(false);
  });
});

describe("object tagging", () => {
  it("puts the tag set as S3's document with a body checksum, on the version asked for, and names the version S3 answers", async () => {
    const { backend, sent } = fakeBackend(() => ({ headers: { "x-amz-version-id": "v2" } }));
    await expect(backend.putObjectTagging!("a/b c", [{ key: "k&<", value: "v\"'>" }], "v1")).resolves.toEqual({ versionId: "v2" });
    const [request] = sent;
    expect([request!.method, request!.url.pathname, request!.url.searchParams.get("versionId"), request!.url.searchParams.has("tagging")]).toEqual(["PUT", "/a/b%20c", "v1", true]);
    expect(request!.body).toBe("<Tagging><TagSet><Tag><Key>k&amp;&lt;</Key><Value>v&quot;&apos;&gt;</Value></Tag></TagSet></Tagging>");
    expect(request!.headers["x-amz-checksum-sha256"]).toBe(createHash("sha256").update(request!.body!).digest("base64"));
    expect(request!.headers["content-md5"]).toBe(createHash("md5").update(request!.body!).digest("base64"));
  });

  it("passes the store's refusals through: InvalidTag, NoSuchKey, and a 501 as NotImplemented (not a retryable 503)", async () => {
    for (const [status, code] of [[400, "InvalidTag"], [404, "NoSuchKey"], [501, "NotImplemented"]] as const) {
      const { backend } = fakeBackend(() => ({ status, text: errorDocument(code) }));
      await expect(backend.putObjectTagging!("k", [{ key: "aws:k", value: "v" }])).rejects.toMatchObject({ code, status });
      await expect(backend.deleteObjectTagging!("k")).rejects.toMatchObject({ code, status });
    }
    // A 501 that is no S3 NotImplemented (a proxy's page) is a failure of the store: retryable.
    const { backend } = fakeBackend(() => ({ status: 501, text: "<html><body>Not Implemented</body></html>" }));
    await expect(backend.deleteObjectTagging!("k")).rejects.toMatchObject({ code: "ServiceUnavailable", status: 503 });
  });
});

describe("bucket encryption", () => {
  const configuration = (rule: string) => `${XML}<ServerSideEncryptionConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule>${rule}</Rule></ServerSideEncryptionConfiguration>`;

  it("reads the bucket's default encryption from the store, without its KMS key", async () => {
    const kms = configuration("<ApplyServerSideEncryptionByDefault><SSEAlgorithm>aws:kms</SSEAlgorithm><KMSMasterKeyID>arn:aws:kms:eu-west-1:111122223333:key/k</KMSMasterKeyID></ApplyServerSideEncryptionByDefault><BucketKeyEnabled>true</BucketKeyEnabled>");
    const { backend, sent } = fakeBackend(() => ({ text: kms }));
    await expect(backend.getBucketEncryption!()).resolves.toEqual({ algorithm: "aws:kms", bucketKeyEnabled: true });
    expect([sent[0]!.method, sent[0]!.url.pathname, sent[0]!.url.search, sent[0]!.headers.authorization]).toEqual(["GET", "/", "?encryption=", "FAKE"]);
    const sse = configuration("<ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault>");
    await expect(fakeBackend(() => ({ text: sse })).backend.getBucketEncryption!()).resolves.toEqual({ algorithm: "AES256", bucketKeyEnabled: false });
  });

  it("answers none where the store has none set or will not say, and fails where it cannot be asked", async () => {
    for (const [status, code] of [[404, "ServerSideEncryptionConfigurationNotFoundError"], [403, "AccessDenied"], [501, "NotImplemented"], [405, "MethodNotAllowed"], [400, "InvalidRequest"]] as const) {
      await expect(fakeBackend(() => ({ status, text: errorDocument(code) })).backend.getBucketEncryption!(), code).resolves.toBeUndefined();
    }
    await expect(fakeBackend(() => ({ text: `${XML}<ServerSideEncryptionConfiguration/>` })).backend.getBucketEncryption!()).resolves.toBeUndefined();
    await expect(fakeBackend(() => ({ status: 500, text: errorDocument("InternalError") })).backend.getBucketEncryption!()).rejects.toMatchObject({ status: 503 });
    await expect(fakeBackend(() => new Error("connection refused")).backend.getBucketEncryption!()).rejects.toMatchObject({ code: "ServiceUnavailable" });
  });
});

describe("copies", () => {
  it("ask for the algorithm the client names and pass on the checksums and type S3 answers", async () => {
    const result = `${XML}<CopyObjectResult><ETag>"c"</ETag><LastModified>2026-01-01T00:00:00.000Z</LastModified><ChecksumType>FULL_OBJECT</ChecksumType><ChecksumCRC64NVME>AAAAAAAAAAA=</ChecksumCRC64NVME></CopyObjectResult>`;
    const { backend, sent } = fakeBackend(() => ({ text: result }));
    const copied = await backend.copyObject({ sourceBackend: backend, sourceKey: "a", key: "b", headers: new Headers({ "x-amz-checksum-algorithm": "CRC64NVME" }) });
    expect(sent[0]!.headers["x-amz-checksum-algorithm"]).toBe("CRC64NVME");
    expect([copied.etag, copied.checksums, copied.checksumType]).toEqual(['"c"', { "x-amz-checksum-crc64nvme": "AAAAAAAAAAA=" }, "FULL_OBJECT"]);
    const plain = fakeBackend(() => ({ text: `${XML}<CopyObjectResult><ETag>"c"</ETag></CopyObjectResult>` })).backend;
    expect((await plain.copyObject({ sourceBackend: plain, sourceKey: "a", key: "b", headers: new Headers() })).checksums).toBeUndefined();
    // An empty ChecksumType says nothing: core then names the type from the value.
    const untyped = fakeBackend(() => ({ text: `${XML}<CopyObjectResult><ETag>"c"</ETag><ChecksumType/><ChecksumCRC32>AAAAAA==</ChecksumCRC32></CopyObjectResult>` })).backend;
    const answered = await untyped.copyObject({ sourceBackend: untyped, sourceKey: "a", key: "b", headers: new Headers() });
    expect([answered.checksums, answered.checksumType]).toEqual([{ "x-amz-checksum-crc32": "AAAAAA==" }, undefined]);
  });
});
