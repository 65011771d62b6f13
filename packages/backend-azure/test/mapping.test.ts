/** Translations between S3 and Azure, checked without a server: errors, headers, metadata names, ETags. */
import { isS3Error, S3Error } from "@multistore/core";
import { type ForwardDispatch, type ObjectRequest } from "@multistore/core/backend";
import { describe, expect, it } from "vitest";
import { azureToS3Error } from "../src/azure-errors.js";
import { toAzureEtag, toAzureEtagList, toS3Etag } from "../src/etag.js";
import { blobPropertiesOf, conditionsOf, decodeMetadataName, encodeMetadataName, s3ObjectHeaders } from "../src/header-mapping.js";
import { createAzureBackend } from "../src/worker.js";

const OPTIONS = { account_name: "acct", container_name: "data", access_key: "c2VjcmV0", endpoint: "https://acct.blob.core.windows.net" };

describe("error mapping", () => {
  const cases: [number, string | undefined, string, number][] = [
    [404, "BlobNotFound", "NoSuchKey", 404],
    [404, undefined, "NoSuchKey", 404],
    // A missing container is the gateway's configuration problem: core answers 503 for NoSuchBucket.
    [404, "ContainerNotFound", "ServiceUnavailable", 503],
    [403, "AuthenticationFailed", "AccessDenied", 403],
    [403, "AuthorizationPermissionMismatch", "AccessDenied", 403],
    [404, "ResourceNotFound", "NoSuchKey", 404],
    [412, "ConditionNotMet", "PreconditionFailed", 412],
    [409, "BlobAlreadyExists", "PreconditionFailed", 412],
    [416, "InvalidRange", "InvalidRange", 416],
    [400, "Md5Mismatch", "BadDigest", 400],
    [413, "RequestBodyTooLarge", "EntityTooLarge", 400],
    [400, "InvalidBlockList", "InvalidPart", 400],
    [404, "CannotVerifyCopySource", "NoSuchKey", 404],
    [412, "CannotVerifyCopySource", "PreconditionFailed", 412],
    [503, "ServerBusy", "SlowDown", 503],
    [500, "InternalError", "ServiceUnavailable", 503],
    [409, "LeaseIdMissing", "InvalidRequest", 409],
  ];
  for (const [status, code, s3Code, s3Status] of cases) {
    it(`${status} ${code ?? "(no code)"} -> ${s3Code}`, () => {
      expect(azureToS3Error(status, code)).toMatchObject({ code: s3Code, status: s3Status });
    });
  }
});

describe("metadata names", () => {
  it("keep identifiers and escape the rest reversibly", () => {
    for (const name of ["color", "mixed-case", "a.b", "1st", "x_y", "multistore_parts", "multistore_m_x", "über"]) {
      const encoded = encodeMetadataName(name);
      expect(encoded, name).toMatch(/^[a-z_][a-z0-9_]*$/);
      expect(decodeMetadataName(encoded), name).toBe(name.toLowerCase());
    }
    expect(encodeMetadataName("Color")).toBe("color");
    expect(encodeMetadataName("mixed-case")).toBe("multistore_m_mixed_2dcase");
  });

  it("hide the backend's own entries", () => {
    expect(decodeMetadataName("multistore_parts")).toBeUndefined();
    expect(decodeMetadataName("multistore_expires")).toBeUndefined();
  });
});

describe("header mapping", () => {
  it("turns S3 write headers into content headers and metadata (Expires in metadata)", () => {
    const headers = new Headers({ "content-type": "text/plain", "cache-control": "no-cache", expires: "Wed, 21 Oct 2037 07:28:00 GMT", "x-amz-meta-a-b": "1", "x-amz-storage-class": "STANDARD" });
    expect(blobPropertiesOf(headers)).toEqual({
      headers: { "content-type": "text/plain", "cache-control": "no-cache" },
      metadata: { multistore_m_a_2db: "1", multistore_expires: "Wed, 21 Oct 2037 07:28:00 GMT" },
    });
  });

  it("renames Azure's response headers and drops the x-ms-* it does not map", () => {
    const azure = new Headers({
      etag: '"0x8DC0123456789AB"',
      "content-type": "text/plain",
      "content-md5": "eB5eJF1ptWaXm4bijSPyxw==",
      "x-ms-meta-color": "blue",
      "x-ms-meta-multistore_m_mixed_2dcase": "Value",
      "x-ms-meta-multistore_expires": "Wed, 21 Oct 2037 07:28:00 GMT",
      "x-ms-meta-multistore_parts": "3",
      "x-ms-blob-type": "BlockBlob",
      "x-ms-lease-state": "available",
      "x-ms-request-id": "r",
    });
    const headers = Object.fromEntries(s3ObjectHeaders(azure));
    expect(headers).toEqual({
      etag: toS3Etag('"0x8DC0123456789AB"', 3),
      "content-type": "text/plain",
      "x-amz-meta-color": "blue",
      "x-amz-meta-mixed-case": "Value",
      expires: "Wed, 21 Oct 2037 07:28:00 GMT",
    });
  });

  it("gives S3's precedence to ETag conditions and turns multipart ETags back into Azure's", () => {
    const multipart = toS3Etag('"0x8DC0123456789AB"', 2);
    const conditions = conditionsOf(new Headers({ "if-match": multipart, "if-unmodified-since": "x", "if-none-match": '"a", *', "if-modified-since": "y" }));
    expect(conditions).toEqual({ ifMatch: '"0x8DC0123456789AB"', ifNoneMatch: '"a", *' });
    expect(conditionsOf(new Headers({ "x-amz-copy-source-if-unmodified-since": "z" }), "x-amz-copy-source-")).toEqual({ ifUnmodifiedSince: "z" });
  });
});

describe("ETags", () => {
  it("pass Azure's through and encode multipart ones reversibly", () => {
    expect(toS3Etag('"0x8DC0123456789AB"')).toBe('"0x8DC0123456789AB"');
    expect(toS3Etag("0x8DC0123456789AB")).toBe('"0x8DC0123456789AB"');
    for (const azure of ['"0x8DC0123456789AB"', '"0x1"', '"0x00FF"', `"0x${"F".repeat(30)}"`]) {
      const s3 = toS3Etag(azure, 12);
      expect(s3).toMatch(/^"[0-9a-f]{32}-12"$/);
      expect(toAzureEtag(s3)).toBe(azure);
    }
    expect(toAzureEtagList(`${toS3Etag('"0xAB"', 2)}, "other"`)).toBe('"0xAB", "other"');
    // Anything not Azure-shaped stays as it is, without a part count.
    expect(toS3Etag('"opaque"', 2)).toBe('"opaque"');
  });
});

describe("mapResponse of prepared operations", () => {
  const prepare = async (request: Partial<ObjectRequest> & Pick<ObjectRequest, "operation" | "key">): Promise<ForwardDispatch> => {
    const dispatch = await createAzureBackend(OPTIONS).prepareObject({ headers: new Headers(), ...request });
    if (dispatch.type !== "forward" || !dispatch.mapResponse) throw new Error("expected a forward dispatch with mapResponse");
    return dispatch;
  };
  const map = (dispatch: ForwardDispatch, status: number, headers: Record<string, string>) => dispatch.mapResponse!(status, new Headers(headers));

  it("PUT: 201 becomes 200, BlockBlob type, content headers and metadata as x-ms-*", async () => {
    const dispatch = await prepare({ operation: "PutObject", key: "k", headers: new Headers({ "content-length": "5", "content-type": "text/plain", "x-amz-meta-a": "1", "if-none-match": "*" }) });
    expect(Object.fromEntries(dispatch.headers)).toMatchObject({ "x-ms-blob-type": "BlockBlob", "x-ms-blob-content-type": "text/plain", "x-ms-meta-a": "1", "if-none-match": "*", "content-length": "5" });
    expect(dispatch.headers.has("content-type")).toBe(false);
    const mapped = map(dispatch, 201, { etag: '"0x1"', "content-md5": "x", "x-ms-request-server-encrypted": "true" });
    expect(isS3Error(mapped)).toBe(false);
    expect(mapped).toMatchObject({ status: 200 });
    expect(Object.fromEntries((mapped as { headers: Headers }).headers)).toEqual({ etag: '"0x1"' });
    expect(map(dispatch, 409, { "x-ms-error-code": "BlobAlreadyExists" })).toMatchObject({ code: "PreconditionFailed", status: 412 });
  });

  it("DELETE: 202 and a missing blob are S3's 204; a missing container is not", async () => {
    const dispatch = await prepare({ operation: "DeleteObject", key: "k" });
    expect(dispatch.headers.get("x-ms-delete-snapshots")).toBe("include");
    expect(map(dispatch, 202, {})).toMatchObject({ status: 204 });
    expect(map(dispatch, 404, { "x-ms-error-code": "BlobNotFound" })).toMatchObject({ status: 204 });
    expect(map(dispatch, 404, { "x-ms-error-code": "ContainerNotFound" })).toBeInstanceOf(S3Error);
  });

  it("GET: passes 304, applies overrides, refuses an inverted Content-Range", async () => {
    const dispatch = await prepare({ operation: "GetObject", key: "k", headers: new Headers({ range: "bytes=2-5" }), responseOverrides: { "response-content-type": "x/y" } });
    expect(dispatch.headers.get("range")).toBe("bytes=2-5");
    expect(map(dispatch, 304, { etag: '"0x1"', "x-ms-error-code": "ConditionNotMet" })).toMatchObject({ status: 304 });
    const ok = map(dispatch, 206, { "content-type": "a/b", "content-range": "bytes 2-5/10" }) as { headers: Headers };
    expect(ok.headers.get("content-type")).toBe("x/y");
    expect(map(dispatch, 206, { "content-range": "bytes 10-9/10" })).toMatchObject({ code: "InvalidRange", status: 416 });
    expect(map(dispatch, 412, { "x-ms-error-code": "ConditionNotMet" })).toMatchObject({ code: "PreconditionFailed" });
  });

  it("refuses reserved keys, versions and malformed upload ids before any request", async () => {
    await expect(prepare({ operation: "GetObject", key: ".multistore-uploads/x" })).rejects.toMatchObject({ code: "InvalidArgument" });
    // Azure reads a backslash as "/": `a\b` would be another key's blob.
    await expect(prepare({ operation: "PutObject", key: "a\\b" })).rejects.toMatchObject({ code: "InvalidArgument", message: expect.stringContaining("backslash") });
    await expect(prepare({ operation: "GetObject", key: "k", versionId: "v1" })).rejects.toMatchObject({ code: "NotImplemented" });
    await expect(prepare({ operation: "UploadPart", key: "k", uploadId: "../x", partNumber: 1 })).rejects.toMatchObject({ code: "NoSuchUpload" });
  });
});
