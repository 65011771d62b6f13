/**
 * Storage classes on R2: S3's asked on writes, uploads and copies become R2's `storageClass` (miniflare's local R2
 * takes the option without keeping it, so the options sent are recorded), and an Infrequent Access object is shown
 * as `STANDARD_IA`.
 */
import type { Backend } from "@multistore/core/backend";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createR2Backend, type R2Bucket } from "../src/index.js";
import { s3StorageClassOf, storageClassOption } from "../src/storage-class.js";
import { codeOf, fresh, installFixedLengthStream, put, run, startR2 } from "./support.js";

installFixedLengthStream();

const asking = (storageClass: string) => new Headers({ "x-amz-storage-class": storageClass });

describe("storage class mapping", () => {
  it("asks R2 for Infrequent Access for S3's infrequent and archive classes, the default for tiering ones", () => {
    const options = ["STANDARD", "STANDARD_IA", "ONEZONE_IA", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE", "INTELLIGENT_TIERING", "REDUCED_REDUNDANCY"].map((name) => storageClassOption(asking(name)));
    expect(options).toEqual([
      { storageClass: "Standard" },
      ...Array.from({ length: 5 }, () => ({ storageClass: "InfrequentAccess" })),
      {},
      {},
    ]);
    for (const refused of ["EXPRESS_ONEZONE", "OUTPOSTS", "__proto__"]) {
      expect(() => storageClassOption(asking(refused)), refused).toThrow(expect.objectContaining({ code: "InvalidStorageClass", status: 400 }));
    }
    expect([s3StorageClassOf("InfrequentAccess"), s3StorageClassOf("Standard"), s3StorageClassOf("")]).toEqual(["STANDARD_IA", undefined, undefined]);
  });
});

describe("storage classes through the binding", () => {
  let bucket: R2Bucket;
  let dispose: () => Promise<void>;
  beforeAll(async () => {
    ({ bucket, dispose } = await startR2());
  });
  afterAll(() => dispose());

  /** The bucket, recording the options of every put and createMultipartUpload. */
  function recording(options: unknown[]): R2Bucket {
    return new Proxy(bucket, {
      get(target, name) {
        if (name === "put") return (key: string, value: unknown, putOptions: unknown) => (options.push(putOptions), target.put(key, value as never, putOptions as never));
        if (name === "createMultipartUpload") return (key: string, uploadOptions: unknown) => (options.push(uploadOptions), target.createMultipartUpload(key, uploadOptions as never));
        const value = Reflect.get(target, name);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  }

  it("sends the class asked for with puts, uploads and copies, and refuses one R2 has no counterpart of", async () => {
    const sent: { storageClass?: string }[] = [];
    const backend: Backend<ReadableStream> = createR2Backend({ bucket: recording(sent) });
    const key = `${fresh()}classes`;
    expect((await put(backend, key, "cold", { "x-amz-storage-class": "GLACIER_IR" })).status).toBe(200);
    await backend.createMultipartUpload(`${key}-upload`, asking("STANDARD_IA"));
    await backend.copyObject({ sourceBackend: backend, sourceKey: key, key: `${key}-copy`, headers: asking("STANDARD") });
    // Without a class, none: the bucket's default, as S3 gives a copy STANDARD whatever the source's.
    await backend.copyObject({ sourceBackend: backend, sourceKey: key, key: `${key}-plain`, headers: new Headers() });
    expect(sent.map((options) => options.storageClass)).toEqual(["InfrequentAccess", "InfrequentAccess", "Standard", undefined]);
    const refused = await put(backend, `${key}-refused`, "x", { "x-amz-storage-class": "EXPRESS_ONEZONE" });
    expect([refused.status, codeOf(refused)]).toEqual([400, "InvalidStorageClass"]);
    expect(sent).toHaveLength(4);
  });

  it("shows an Infrequent Access object's class on HEAD and GET", async () => {
    const object = { key: "ia", size: 2, etag: "e", httpEtag: '"e"', uploaded: new Date(), storageClass: "InfrequentAccess" };
    const stub = { head: async () => object, get: async () => ({ ...object, body: new Blob(["ia"]).stream() }), put: async () => null, list: async () => null } as unknown as R2Bucket;
    const backend = createR2Backend({ bucket: stub });
    for (const operation of ["HeadObject", "GetObject"] as const) {
      expect((await run(backend, { operation, key: "ia" })).headers.get("x-amz-storage-class"), operation).toBe("STANDARD_IA");
    }
  });
});
