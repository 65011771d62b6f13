/** Storage classes: S3's asked on writes become GCS's, and GCS's are shown as S3's, unit by unit and on the GCS test server. */
import type { ForwardDispatch } from "@multistore/core/backend";
import { executeDispatch, startGcsTestServer, type GcsTestServer } from "@multistore/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mapObjectResponse } from "../src/gcs-headers.js";
import { createGcsBackend } from "../src/node.js";
import { gcsStorageClassHeader, s3StorageClassOf } from "../src/storage-class.js";

const asking = (storageClass: string) => new Headers({ "x-amz-storage-class": storageClass });

describe("storage class mapping", () => {
  it("asks GCS for the class with the same minimum duration and retrieval cost", () => {
    for (const [s3, gcs] of [
      ["STANDARD", "STANDARD"],
      ["STANDARD_IA", "NEARLINE"],
      ["ONEZONE_IA", "NEARLINE"],
      ["GLACIER_IR", "COLDLINE"],
      ["GLACIER", "ARCHIVE"],
      ["DEEP_ARCHIVE", "ARCHIVE"],
    ]) {
      expect([s3, gcsStorageClassHeader(asking(s3!))]).toEqual([s3, { "x-goog-storage-class": gcs }]);
    }
    // The bucket's default: GCS has no per-object tiering, and no class less safe than STANDARD.
    expect(gcsStorageClassHeader(asking("INTELLIGENT_TIERING"))).toEqual({});
    expect(gcsStorageClassHeader(asking("REDUCED_REDUNDANCY"))).toEqual({});
    expect(gcsStorageClassHeader(new Headers())).toEqual({});
  });

  it("refuses the classes of AWS's own hardware and services", () => {
    for (const storageClass of ["EXPRESS_ONEZONE", "OUTPOSTS", "SNOW", "FSX_ONTAP", "__proto__", "standard"]) {
      expect(() => gcsStorageClassHeader(asking(storageClass)), storageClass).toThrow(expect.objectContaining({ code: "InvalidStorageClass", status: 400 }));
    }
  });

  it("shows GCS's classes as the S3 classes clients treat alike: never GLACIER, which GCS serves at once", () => {
    expect(["NEARLINE", "COLDLINE", "ARCHIVE", "archive", "STANDARD", "REGIONAL", "__proto__", null].map(s3StorageClassOf)).toEqual([
      "STANDARD_IA",
      "GLACIER_IR",
      "GLACIER_IR",
      "GLACIER_IR",
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    const head = mapObjectResponse(200, new Headers({ etag: '"e"', "x-goog-storage-class": "NEARLINE" }), { operation: "HeadObject", requestHeaders: new Headers() });
    expect(head.headers.get("x-amz-storage-class")).toBe("STANDARD_IA");
    const standard = mapObjectResponse(200, new Headers({ etag: '"e"', "x-goog-storage-class": "STANDARD" }), { operation: "GetObject", requestHeaders: new Headers() });
    expect(standard.headers.has("x-amz-storage-class")).toBe(false);
  });
});

describe("storage classes on the GCS test server", () => {
  let server: GcsTestServer;
  beforeAll(async () => {
    server = await startGcsTestServer({ buckets: ["classes"] });
  });
  afterAll(() => server.close());

  const backend = () => createGcsBackend({ bucket_name: "classes", endpoint: server.endpoint, service_account_key: server.serviceAccountKey });
  const run = async (operation: "PutObject" | "HeadObject", key: string, headers: Record<string, string> = {}, body?: string) =>
    executeDispatch((await backend().prepareObject({ operation, key, headers: new Headers(headers) })) as ForwardDispatch, body);
  const classOf = async (key: string) => (await run("HeadObject", key)).headers.get("x-amz-storage-class");

  it("writes, creates uploads and copies in the class asked for, and shows it", async () => {
    expect((await run("PutObject", "cold.txt", { "content-length": "4", "x-amz-storage-class": "GLACIER_IR" }, "cold")).status).toBe(200);
    expect(server.requests.at(-1)!.headers["x-goog-storage-class"]).toBe("COLDLINE");
    expect(await classOf("cold.txt")).toBe("GLACIER_IR");
    // A copy takes the class asked for, else the bucket's default (as S3 gives STANDARD), whatever the source's.
    await backend().copyObject({ sourceBackend: backend(), sourceKey: "cold.txt", key: "copied.txt", headers: new Headers() });
    expect(await classOf("copied.txt")).toBeNull();
    await backend().copyObject({ sourceBackend: backend(), sourceKey: "cold.txt", key: "copied.txt", headers: asking("STANDARD_IA") });
    expect(await classOf("copied.txt")).toBe("STANDARD_IA");
    // Onto itself: the class asked for, else its own.
    await backend().copyObject({ sourceBackend: backend(), sourceKey: "cold.txt", key: "cold.txt", headers: asking("DEEP_ARCHIVE") });
    expect(await classOf("cold.txt")).toBe("GLACIER_IR");
    expect(server.requests.at(-2)!.headers["x-goog-storage-class"]).toBe("ARCHIVE");
    await backend().copyObject({ sourceBackend: backend(), sourceKey: "cold.txt", key: "cold.txt", headers: new Headers(), changesObject: true });
    expect(server.requests.at(-1)!.headers["x-goog-storage-class"]).toBe("ARCHIVE");
    // A class GCS has no counterpart of is the bucket's default, onto itself too.
    await backend().copyObject({ sourceBackend: backend(), sourceKey: "cold.txt", key: "cold.txt", headers: asking("INTELLIGENT_TIERING") });
    expect(server.requests.at(-1)!.headers["x-goog-storage-class"]).toBeUndefined();
    expect(await classOf("cold.txt")).toBeNull();
    const { uploadId } = await backend().createMultipartUpload("parts.bin", asking("ONEZONE_IA"));
    expect(server.requests.at(-1)!.headers["x-goog-storage-class"]).toBe("NEARLINE");
    await backend().abortMultipartUpload("parts.bin", uploadId);
  });
});
