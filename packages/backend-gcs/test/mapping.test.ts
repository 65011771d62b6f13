/** Header translation, conditional writes and error mapping, unit by unit and end to end on the GCS test server. */
import type { S3Error } from "@multistore/core";
import type { ForwardDispatch } from "@multistore/core/backend";
import { executeDispatch, startGcsTestServer, type GcsTestServer } from "@multistore/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gcsReadHeaders, gcsUploadHeaders, mapObjectResponse } from "../src/gcs-headers.js";
import { checkGcsResponse } from "../src/gcs-xml.js";
import { createGcsBackend } from "../src/node.js";

describe("header mapping", () => {
  it("renames metadata, keeps Expires as custom metadata and drops S3-only headers on writes", () => {
    const headers = new Headers({
      "content-type": "text/plain",
      "cache-control": "no-cache",
      expires: "Wed, 21 Oct 2037 07:28:00 GMT",
      "x-amz-meta-color": "blue",
      "content-md5": "bWQ1",
      "x-amz-checksum-crc32c": "yZRlqg==",
      "x-amz-checksum-sha256": "c2hh",
      "x-amz-storage-class": "STANDARD_IA",
      "x-amz-tagging": "a=b",
      "content-length": "5",
    });
    expect(gcsUploadHeaders(headers, true)).toEqual({
      "content-type": "text/plain",
      "cache-control": "no-cache",
      "x-goog-meta-multistore-expires": "Wed, 21 Oct 2037 07:28:00 GMT",
      "x-goog-meta-color": "blue",
      "content-md5": "bWQ1",
      "x-goog-hash": "crc32c=yZRlqg==",
    });
    expect(gcsUploadHeaders(headers, false)).toEqual({ "content-md5": "bWQ1", "x-goog-hash": "crc32c=yZRlqg==" });
  });

  it("keeps only the read preconditions RFC 9110 evaluates", () => {
    const date = "Mon, 01 Jan 2024 00:00:00 GMT";
    expect(gcsReadHeaders(new Headers({ "if-match": '"a"', "if-unmodified-since": date, "if-none-match": '"b"', "if-modified-since": date, range: "bytes=1-2" }))).toEqual({
      "if-match": '"a"',
      "if-none-match": '"b"',
      range: "bytes=1-2",
    });
    expect(gcsReadHeaders(new Headers({ "if-unmodified-since": date, "if-modified-since": date }))).toEqual({ "if-unmodified-since": date, "if-modified-since": date });
  });

  it("maps GCS response headers to S3's", () => {
    const gcs = new Headers({
      etag: '"e"',
      "content-type": "text/plain",
      "x-goog-meta-color": "blue",
      "x-goog-meta-multistore-expires": "Wed, 21 Oct 2037 07:28:00 GMT",
      "x-goog-generation": "1",
      "x-goog-hash": "crc32c=yZRlqg==,md5=XUFAKrxLKna5cZ2REBfFkg==",
      "x-goog-stored-content-length": "5",
      "x-guploader-uploadid": "abc",
    });
    const requestHeaders = new Headers({ "x-amz-checksum-mode": "ENABLED" });
    const get = mapObjectResponse(200, gcs, { operation: "GetObject", requestHeaders, responseOverrides: { "response-cache-control": "no-store" } });
    expect(Object.fromEntries(get.headers)).toEqual({
      etag: '"e"',
      "content-type": "text/plain",
      "x-amz-meta-color": "blue",
      expires: "Wed, 21 Oct 2037 07:28:00 GMT",
      "cache-control": "no-store",
      "x-amz-checksum-crc32c": "yZRlqg==",
      "x-amz-checksum-type": "FULL_OBJECT",
    });
    // A range is not the object the checksum describes.
    expect(mapObjectResponse(206, gcs, { operation: "GetObject", requestHeaders }).headers.has("x-amz-checksum-crc32c")).toBe(false);
    // A PutObject is answered with the CRC32C GCS computed (as S3 answers with its default checksum); a part is not.
    const put = mapObjectResponse(200, new Headers({ etag: '"e"', "x-goog-hash": "crc32c=x,md5=m" }), { operation: "PutObject", requestHeaders: new Headers(), verifiedChecksums: () => ({ "x-amz-checksum-sha256": "s" }) });
    expect(Object.fromEntries(put.headers)).toEqual({ etag: '"e"', "x-amz-checksum-crc32c": "x", "x-amz-checksum-sha256": "s" });
    const part = mapObjectResponse(200, new Headers({ etag: '"e"', "x-goog-hash": "crc32c=x" }), { operation: "UploadPart", requestHeaders: new Headers() });
    expect(Object.fromEntries(part.headers)).toEqual({ etag: '"e"' });
    // A CRC32C GCS was given (and so verified) is echoed, whether or not a runtime verified it.
    const given = mapObjectResponse(200, new Headers({ etag: '"e"' }), { operation: "PutObject", requestHeaders: new Headers({ "x-amz-checksum-crc32c": "yZRlqg==" }) });
    expect(Object.fromEntries(given.headers)).toEqual({ etag: '"e"', "x-amz-checksum-crc32c": "yZRlqg==" });
    expect(mapObjectResponse(412, new Headers(), { operation: "PutObject", requestHeaders: new Headers({ "x-amz-checksum-crc32c": "yZRlqg==" }) }).headers.has("x-amz-checksum-crc32c")).toBe(false);
  });

  it("answers a delete of a missing object with a bodiless 204", () => {
    const mapped = mapObjectResponse(404, new Headers({ "content-type": "application/xml", "content-length": "120" }), { operation: "DeleteObject", requestHeaders: new Headers() });
    expect(mapped.status).toBe(204);
    expect([...mapped.headers]).toEqual([]);
    expect(mapObjectResponse(404, new Headers(), { operation: "GetObject", requestHeaders: new Headers() }).status).toBe(404);
  });

});

describe("error mapping", () => {
  const error = (status: number, code: string) => {
    try {
      checkGcsResponse(status, `<?xml version='1.0' encoding='UTF-8'?><Error><Code>${code}</Code><Message>m</Message><Details>d</Details></Error>`);
    } catch (thrown) {
      return thrown as S3Error;
    }
    throw new Error("no error");
  };

  it.each([
    [404, "NoSuchKey", "NoSuchKey", 404],
    [404, "NoSuchUpload", "NoSuchUpload", 404],
    [412, "PreconditionFailed", "PreconditionFailed", 412],
    [416, "InvalidRange", "InvalidRange", 416],
    [400, "InvalidPart", "InvalidPart", 400],
    [403, "AccessDenied", "AccessDenied", 403],
    // The gateway's own configuration: a missing bucket, a refused or expired signature.
    [404, "NoSuchBucket", "ServiceUnavailable", 503],
    [403, "SignatureDoesNotMatch", "ServiceUnavailable", 503],
    [400, "ExpiredToken", "ServiceUnavailable", 503],
    [500, "InternalError", "ServiceUnavailable", 503],
  ])("%i %s -> %s", (status, code, expectedCode, expectedStatus) => {
    expect(error(status, code)).toMatchObject({ code: expectedCode, status: expectedStatus });
  });

  it("treats an error document with status 200 as a failure", () => {
    expect(() => checkGcsResponse(200, "<Error><Code>InternalError</Code></Error>")).toThrow();
    expect(checkGcsResponse(200, "")).toBeUndefined();
  });
});

describe("on the GCS test server", () => {
  let server: GcsTestServer;
  beforeAll(async () => {
    server = await startGcsTestServer({ buckets: ["mapping"] });
  });
  afterAll(() => server.close());

  const backend = (options: Record<string, string> = {}, now?: () => Date) =>
    createGcsBackend({ bucket_name: "mapping", endpoint: server.endpoint, service_account_key: server.serviceAccountKey, ...options }, { ...(now && { now }) });
  const put = async (key: string, body: string, headers: Record<string, string> = {}) =>
    executeDispatch((await backend().prepareObject({ operation: "PutObject", key, headers: new Headers({ "content-length": String(body.length), ...headers }) })) as ForwardDispatch, body);
  const lastRequest = () => server.requests.at(-1)!;

  it("sends If-None-Match: * as x-goog-if-generation-match: 0", async () => {
    expect((await put("cas", "v1", { "if-none-match": "*" })).status).toBe(200);
    expect(lastRequest().headers["x-goog-if-generation-match"]).toBe("0");
    expect(lastRequest().headers["if-none-match"]).toBeUndefined();
  });

  it("checks If-Match against the ETag and pins the write to that generation", async () => {
    const first = await put("pinned", "v1");
    const generation = server.requests.at(-1)!;
    expect(generation.status).toBe(200);
    const before = server.requests.length;
    expect((await put("pinned", "v2", { "if-match": first.headers.get("etag")! })).status).toBe(200);
    const [head, write] = server.requests.slice(before);
    expect(head!.method).toBe("HEAD");
    expect(write!.headers["x-goog-if-generation-match"]).toMatch(/^\d+$/);
    await expect(backend().prepareObject({ operation: "PutObject", key: "pinned", headers: new Headers({ "content-length": "1", "if-match": first.headers.get("etag")! }) })).rejects.toMatchObject({ code: "PreconditionFailed" });
    await expect(backend().prepareObject({ operation: "PutObject", key: "absent", headers: new Headers({ "content-length": "1", "if-match": '"x"' }) })).rejects.toMatchObject({ code: "NoSuchKey" });
    await expect(backend().prepareObject({ operation: "PutObject", key: "pinned", headers: new Headers({ "content-length": "1", "if-none-match": '"x"' }) })).rejects.toMatchObject({ code: "NotImplemented" });
  });

  it("refuses a write that raced past the ETag check (generation precondition)", async () => {
    const first = await put("race", "v1");
    const dispatch = (await backend().prepareObject({ operation: "PutObject", key: "race", headers: new Headers({ "content-length": "2", "if-match": first.headers.get("etag")! }) })) as ForwardDispatch;
    await put("race", "v2");
    const late = await executeDispatch(dispatch, "v3");
    expect(late.status).toBe(412);
    expect(late.headers.get("x-multistore-error-code")).toBe("PreconditionFailed");
  });

  it("checks CompleteMultipartUpload preconditions before completing", async () => {
    await put("complete-exists", "x");
    const { uploadId } = await backend().createMultipartUpload("complete-exists", new Headers());
    await expect(backend().completeMultipartUpload("complete-exists", uploadId, [{ partNumber: 1, etag: '"x"' }], new Headers({ "if-none-match": "*" }))).rejects.toMatchObject({ code: "PreconditionFailed" });
  });

  it("answers a version (generation) the key does not have NoSuchVersion, and serves the live one as `null`", async () => {
    const first = await put("versioned", "v1");
    // A write pinned to the first generation (If-Match) names it in its precondition; the key then has another.
    await put("versioned", "v2", { "if-match": first.headers.get("etag")! });
    const replaced = server.requests.at(-1)!.headers["x-goog-if-generation-match"] as string;
    expect(replaced).toMatch(/^\d+$/);
    const read = async (operation: "GetObject" | "HeadObject", versionId: string) =>
      executeDispatch((await backend().prepareObject({ operation, key: "versioned", headers: new Headers(), versionId })) as ForwardDispatch);
    expect((await read("GetObject", "null")).status).toBe(200);
    for (const operation of ["GetObject", "HeadObject"] as const) {
      const gone = await read(operation, replaced);
      expect([gone.status, gone.headers.get("x-multistore-error-code")]).toEqual([404, "NoSuchVersion"]);
    }
    // A key never written is NoSuchKey.
    const absent = await executeDispatch((await backend().prepareObject({ operation: "GetObject", key: "never-written", headers: new Headers() })) as ForwardDispatch);
    expect(absent.headers.get("x-multistore-error-code")).toBe("NoSuchKey");
  });

  it("maps a missing bucket, an expired signature and a foreign key to 503", async () => {
    const missing = createGcsBackend({ bucket_name: "no-such-bucket", endpoint: server.endpoint, service_account_key: server.serviceAccountKey });
    await expect(missing.listObjects({ prefix: "", maxKeys: 10 })).rejects.toMatchObject({ code: "ServiceUnavailable", status: 503 });
    const past = backend({}, () => new Date(Date.now() - 3_600_000));
    await expect(past.listObjects({ prefix: "", maxKeys: 10 })).rejects.toMatchObject({ code: "ServiceUnavailable" });
    expect(lastRequest()).toMatchObject({ status: 400 });
    const other = await startGcsTestServer();
    try {
      await expect(backend({ service_account_key: other.serviceAccountKey }).listObjects({ prefix: "", maxKeys: 10 })).rejects.toMatchObject({ code: "ServiceUnavailable" });
      expect(lastRequest()).toMatchObject({ status: 403 });
    } finally {
      await other.close();
    }
  });

  it("serves a public bucket unsigned with skip_signature", async () => {
    const open = await startGcsTestServer({ buckets: ["public"], allowAnonymous: true });
    try {
      const anonymous = createGcsBackend({ bucket_name: "public", endpoint: open.endpoint, skip_signature: "true" });
      const dispatch = (await anonymous.prepareObject({ operation: "GetObject", key: "missing", headers: new Headers() })) as ForwardDispatch;
      expect(dispatch.url).not.toContain("X-Goog-Signature");
      expect((await executeDispatch(dispatch)).headers.get("x-multistore-error-code")).toBe("NoSuchKey");
      expect(await anonymous.listObjects({ prefix: "", maxKeys: 5 })).toMatchObject({ objects: [], isTruncated: false });
    } finally {
      await open.close();
    }
  });

  it("refuses dot segments in keys instead of letting URL parsing change them", async () => {
    await expect(backend().prepareObject({ operation: "GetObject", key: "a/../b", headers: new Headers() })).rejects.toMatchObject({ code: "InvalidArgument" });
    const result = await backend().deleteObjects(["ok-missing", "a/./b"]);
    expect(result.deleted).toEqual(["ok-missing"]);
    expect(result.errors).toEqual([expect.objectContaining({ key: "a/./b", code: "InvalidArgument" })]);
  });
});
