/**
 * Storage classes as access tiers, unit by unit and on Azurite for both builds: writes, uploads and copies in the
 * tier of the class asked for, the tier shown as S3's class, archive classes refused, and an archived blob's read
 * answered as S3 answers a GLACIER object's.
 */
import { ContainerClient, StorageSharedKeyCredential } from "@azure/storage-blob";
import type { Backend, ObjectRequest } from "@multistore/core/backend";
import { ERROR_CODE_HEADER, errorResponse, executeDispatch, isS3ErrorLike, startAzurite, type AzuriteHandle } from "@multistore/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAzureBackend as createNodeBackend } from "../src/node.js";
import { accessTierOf, s3StorageClassOf } from "../src/storage-class.js";
import { createAzureBackend as createWorkerBackend } from "../src/worker.js";

const asking = (storageClass: string) => new Headers({ "x-amz-storage-class": storageClass });

describe("storage class mapping", () => {
  it("asks Azure for the tier with the same minimum duration and retrieval cost, the default for tiering classes", () => {
    const classes = ["STANDARD", "STANDARD_IA", "ONEZONE_IA", "GLACIER_IR", "INTELLIGENT_TIERING", "REDUCED_REDUNDANCY"];
    // STANDARD is the account's default on a write (accounts without tiers refuse any), Hot on a copy.
    expect(classes.map((name) => accessTierOf(asking(name)))).toEqual([undefined, "Cool", "Cool", "Cold", undefined, undefined]);
    expect(classes.map((name) => accessTierOf(asking(name), true))).toEqual(["Hot", "Cool", "Cool", "Cold", undefined, undefined]);
    expect(accessTierOf(new Headers(), true)).toBeUndefined();
  });

  it("refuses the archive classes (offline, with no restore through the gateway) and AWS's own", () => {
    for (const storageClass of ["GLACIER", "DEEP_ARCHIVE", "EXPRESS_ONEZONE", "SNOW", "__proto__"]) {
      expect(() => accessTierOf(asking(storageClass)), storageClass).toThrow(expect.objectContaining({ code: "InvalidStorageClass", status: 400 }));
    }
    expect(() => accessTierOf(asking("GLACIER"))).toThrow(/rehydrated/);
  });

  it("shows tiers as S3 classes", () => {
    expect(["Cool", "cold", "Archive", "Hot", "Premium", "__proto__", null].map(s3StorageClassOf)).toEqual(["STANDARD_IA", "GLACIER_IR", "GLACIER", undefined, undefined, undefined, undefined]);
  });
});

let azurite: AzuriteHandle;
beforeAll(async () => {
  azurite = await startAzurite();
  await azurite.createContainer("classes");
});
afterAll(() => azurite.close());

describe.each([
  ["node", createNodeBackend],
  ["worker", createWorkerBackend],
] as const)("storage classes on Azurite (%s build)", (build, create) => {
  const backend = () => create({ endpoint: azurite.endpoint, account_name: azurite.accountName, access_key: azurite.accountKey, container_name: "classes" });
  const run = async (request: Omit<ObjectRequest, "headers"> & { headers?: HeadersInit }, body?: string) => {
    try {
      return await executeDispatch(await backend().prepareObject({ ...request, headers: new Headers(request.headers) }), body);
    } catch (error) {
      if (isS3ErrorLike(error)) return errorResponse(error);
      throw error;
    }
  };
  const classOf = async (key: string) => (await run({ operation: "HeadObject", key })).headers.get("x-amz-storage-class");
  const listed = async (key: string) => (await backend().listObjects({ prefix: key, maxKeys: 1 })).objects[0]?.storageClass;

  it("writes, copies and completes uploads in the tier asked for, and shows it on HEAD and in listings", async () => {
    const key = `${build}/cool.txt`;
    expect((await run({ operation: "PutObject", key, headers: { "content-length": "4", "x-amz-storage-class": "STANDARD_IA" } }, "cool")).status).toBe(200);
    expect([await classOf(key), await listed(key)]).toEqual(["STANDARD_IA", "STANDARD_IA"]);
    // A copy takes the class asked for (without one, the tier Copy Blob gives it).
    const copy = (to: string, headers: Headers) => backend().copyObject({ sourceBackend: backend() as Backend<unknown>, sourceKey: key, key: to, headers });
    await copy(`${build}/copied.txt`, asking("GLACIER_IR"));
    expect([await classOf(`${build}/copied.txt`), await listed(`${build}/copied.txt`)]).toEqual(["GLACIER_IR", "GLACIER_IR"]);
    // Onto itself: a change of class.
    await copy(key, asking("STANDARD"));
    expect([await classOf(key), await listed(key)]).toEqual([null, "STANDARD"]);
    const { uploadId } = await backend().createMultipartUpload(`${build}/parts.bin`, asking("ONEZONE_IA"));
    const part = await run({ operation: "UploadPart", key: `${build}/parts.bin`, uploadId, partNumber: 1, headers: { "content-length": "4" } }, "part");
    await backend().completeMultipartUpload(`${build}/parts.bin`, uploadId, [{ partNumber: 1, etag: part.headers.get("etag")! }], new Headers());
    expect(await classOf(`${build}/parts.bin`)).toBe("STANDARD_IA");
  });

  it("refuses archive classes before writing, and answers a read of a blob archived by other means with InvalidObjectState", async () => {
    const key = `${build}/archived.txt`;
    const refused = await run({ operation: "PutObject", key, headers: { "content-length": "4", "x-amz-storage-class": "GLACIER" } }, "cold");
    expect([refused.status, refused.headers.get(ERROR_CODE_HEADER)]).toEqual([400, "InvalidStorageClass"]);
    await expect(backend().createMultipartUpload(key, asking("DEEP_ARCHIVE"))).rejects.toMatchObject({ code: "InvalidStorageClass" });
    expect((await run({ operation: "HeadObject", key })).status).toBe(404);
    await run({ operation: "PutObject", key, headers: { "content-length": "4" } }, "cold");
    const container = new ContainerClient(`${azurite.endpoint}/classes`, new StorageSharedKeyCredential(azurite.accountName, azurite.accountKey));
    await container.getBlockBlobClient(key).setAccessTier("Archive");
    expect(await classOf(key)).toBe("GLACIER");
    const read = await run({ operation: "GetObject", key });
    expect([read.status, read.headers.get(ERROR_CODE_HEADER)]).toEqual([403, "InvalidObjectState"]);
    // A copy of it, whole or as a part, is refused the same way before Azure is asked (Copy Blob would start a
    // rehydration of hours; Put Block From URL fails).
    await expect(backend().copyObject({ sourceBackend: backend() as Backend<unknown>, sourceKey: key, key: `${key}-copy`, headers: asking("STANDARD") })).rejects.toMatchObject({ code: "InvalidObjectState", status: 403 });
    await expect(backend().copyObject({ sourceBackend: backend() as Backend<unknown>, sourceKey: key, key: `${key}-copy`, headers: new Headers() })).rejects.toMatchObject({ code: "InvalidObjectState" });
    // A failing source condition is 412 whatever the tier.
    const unmatched = new Headers({ "x-amz-copy-source-if-match": '"0123456789abcdef0123456789abcdef"' });
    await expect(backend().copyObject({ sourceBackend: backend() as Backend<unknown>, sourceKey: key, key: `${key}-copy`, headers: unmatched })).rejects.toMatchObject({ code: "PreconditionFailed" });
    const { uploadId } = await backend().createMultipartUpload(`${key}-parts`, new Headers());
    const part = backend().uploadPartCopy!({ sourceBackend: backend() as Backend<unknown>, sourceKey: key, key: `${key}-parts`, uploadId, partNumber: 1, headers: new Headers() });
    await expect(part).rejects.toMatchObject({ code: "InvalidObjectState" });
    const unmatchedPart = backend().uploadPartCopy!({ sourceBackend: backend() as Backend<unknown>, sourceKey: key, key: `${key}-parts`, uploadId, partNumber: 1, headers: unmatched });
    await expect(unmatchedPart).rejects.toMatchObject({ code: "PreconditionFailed" });
    expect((await run({ operation: "HeadObject", key: `${key}-copy` })).status).toBe(404);
  });
});
