/**
 * What the contract does not cover, on Azurite (which checks SAS signatures) for both builds: refused signatures
 * and keys, a missing container, suffix ranges, multipart details, copies across containers, start-after.
 */
import { createHash } from "node:crypto";
import { ERROR_CODE_HEADER, errorResponse, executeDispatch, isS3ErrorLike, startAzurite, type AzuriteHandle } from "@multistore/testing";
import type { Backend, ObjectRequest } from "@multistore/core/backend";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AzureBackend } from "../src/azure-backend-base.js";
import { createAzureBackend as createNodeBackend } from "../src/node.js";
import type { AzureBackendOptions } from "../src/options.js";
import { createAzureBackend as createWorkerBackend } from "../src/worker.js";

const MiB = 1024 * 1024;
let azurite: AzuriteHandle;
let counter = 0;

beforeAll(async () => {
  azurite = await startAzurite();
  await azurite.createContainer("one");
  await azurite.createContainer("two");
});
afterAll(() => azurite.close());

for (const [build, create] of [["node", createNodeBackend], ["worker", createWorkerBackend]] as const) {
  describe(`az (${build} build) on Azurite`, () => {
    const options = (change: Partial<AzureBackendOptions> = {}): AzureBackendOptions => ({
      endpoint: azurite.endpoint,
      account_name: azurite.accountName,
      access_key: azurite.accountKey,
      container_name: "one",
      ...change,
    });
    const fresh = () => `${build}-${counter++}/`;
    const run = async (backend: Backend<unknown>, request: Omit<ObjectRequest, "headers"> & { headers?: HeadersInit }, body?: string | Uint8Array) => {
      try {
        return await executeDispatch(await backend.prepareObject({ ...request, headers: new Headers(request.headers) }), body);
      } catch (error) {
        // Failures found while preparing (before any forward) answer as the gateway would render them.
        if (isS3ErrorLike(error)) return errorResponse(error);
        throw error;
      }
    };
    const put = (backend: Backend<unknown>, key: string, body: string) =>
      run(backend, { operation: "PutObject", key, headers: { "content-length": String(Buffer.byteLength(body)) } }, body);

    it("Azurite refuses a tampered or expired SAS", async () => {
      const backend = create(options());
      const key = `${fresh()}signed`;
      const dispatch = await backend.prepareObject({ operation: "PutObject", key, headers: new Headers({ "content-length": "1" }) });
      if (dispatch.type !== "forward") throw new Error("expected a forward dispatch");
      for (const tamper of [(url: URL) => url.searchParams.set("sp", "rcw"), (url: URL) => {
        // Another first character, always (a signature that starts with "A" would otherwise stay as it was).
        const sig = url.searchParams.get("sig")!;
        url.searchParams.set("sig", `${sig.startsWith("A") ? "B" : "A"}${sig.slice(1)}`);
      }]) {
        const url = new URL(dispatch.url);
        tamper(url);
        const response = await executeDispatch({ ...dispatch, url: url.toString() }, "x");
        expect(response.status).toBe(403);
        expect(response.headers.get(ERROR_CODE_HEADER)).toBe("AccessDenied");
      }
      const expired = create(options(), { now: () => new Date(Date.now() - 3_600_000) });
      expect((await put(expired, key, "x")).status).toBe(403);
      expect((await put(backend, key, "x")).status).toBe(200);
    });

    it("answers AccessDenied for a wrong key and 503 for a missing container", async () => {
      const wrongKey = create(options({ access_key: Buffer.from("not the key").toString("base64") }));
      await expect(wrongKey.listObjects({ prefix: "", maxKeys: 1 })).rejects.toMatchObject({ code: "AccessDenied", status: 403 });
      const missing = create(options({ container_name: "nowhere" }));
      await expect(missing.listObjects({ prefix: "", maxKeys: 1 })).rejects.toMatchObject({ code: "ServiceUnavailable", status: 503 });
      expect((await run(missing, { operation: "GetObject", key: "k" })).status).toBe(503);
    });

    it("resolves suffix ranges against the blob's size (Azure serves none)", async () => {
      const backend = create(options());
      const key = `${fresh()}range`;
      await put(backend, key, "0123456789");
      const last = await run(backend, { operation: "GetObject", key, headers: { range: "bytes=-3" } });
      expect([last.status, Buffer.from(last.body).toString(), last.headers.get("content-range")]).toEqual([206, "789", "bytes 7-9/10"]);
      expect((await run(backend, { operation: "GetObject", key, headers: { range: "bytes=-0" } })).status).toBe(416);
      expect((await run(backend, { operation: "GetObject", key: `${key}-missing`, headers: { range: "bytes=-1" } })).status).toBe(404);
    });

    it("gives parts sent with Content-MD5 their MD5 as ETag, and multipart objects S3-style ETags that conditions accept", async () => {
      const backend = create(options());
      const key = `${fresh()}multi`;
      const { uploadId } = await backend.createMultipartUpload(key, new Headers({ "content-type": "text/x-multi" }));
      const part = "p".repeat(5 * MiB);
      const md5 = createHash("md5").update(part).digest();
      const one = await run(backend, { operation: "UploadPart", key, uploadId, partNumber: 1, headers: { "content-length": String(part.length), "content-md5": md5.toString("base64") } }, part);
      expect(one.headers.get("etag")).toBe(`"${md5.toString("hex")}"`);
      const two = await run(backend, { operation: "UploadPart", key, uploadId, partNumber: 2, headers: { "content-length": "4" } }, "tail");
      const parts = [{ partNumber: 1, etag: one.headers.get("etag")! }, { partNumber: 2, etag: two.headers.get("etag")! }];
      const { etag } = await backend.completeMultipartUpload(key, uploadId, parts, new Headers());
      expect((await run(backend, { operation: "GetObject", key, headers: { "if-match": etag } })).status).toBe(200);
      expect((await run(backend, { operation: "HeadObject", key, headers: { "if-none-match": etag } })).status).toBe(304);
      const listed = await backend.listObjects({ prefix: key, maxKeys: 10 });
      expect(listed.objects.map((object) => object.etag)).toEqual([etag]);
      // The marker is gone with the upload, and hidden from listings while it lasted.
      expect((await run(backend, { operation: "UploadPart", key, uploadId, partNumber: 3, headers: { "content-length": "1" } }, "x")).headers.get(ERROR_CODE_HEADER)).toBe("NoSuchUpload");
      const root = await backend.listObjects({ prefix: "", delimiter: "/", maxKeys: 1000 });
      expect(root.commonPrefixes.some((prefix) => prefix.startsWith(".multistore"))).toBe(false);
    }, 60_000);

    it("enforces S3's part rules and conditional completes; uploads are bound to their key", async () => {
      const backend = create(options());
      const key = `${fresh()}rules`;
      await put(backend, key, "existing");
      const { uploadId } = await backend.createMultipartUpload(key, new Headers());
      const upload = async (partNumber: number, body: string) =>
        (await run(backend, { operation: "UploadPart", key, uploadId, partNumber, headers: { "content-length": String(body.length) } }, body)).headers.get("etag")!;
      const parts = [{ partNumber: 1, etag: await upload(1, "small") }, { partNumber: 2, etag: await upload(2, "last") }];
      await expect(backend.completeMultipartUpload(key, uploadId, parts, new Headers())).rejects.toMatchObject({ code: "EntityTooSmall" });
      const single = [parts[0]!];
      await expect(backend.completeMultipartUpload(key, uploadId, single, new Headers({ "if-none-match": "*" }))).rejects.toMatchObject({ code: "PreconditionFailed" });
      await expect(backend.completeMultipartUpload(`${key}-other`, uploadId, single, new Headers())).rejects.toMatchObject({ code: "NoSuchUpload" });
      await expect(backend.abortMultipartUpload(key, "0".repeat(32))).rejects.toMatchObject({ code: "NoSuchUpload" });
      await expect(backend.completeMultipartUpload(key, uploadId, single, new Headers({ "if-match": '"0x0"' }))).rejects.toMatchObject({ code: "PreconditionFailed" });
      const done = await backend.completeMultipartUpload(key, uploadId, single, new Headers());
      expect(done.etag).toMatch(/^"[0-9a-f]{32}-1"$/);
      expect(Buffer.from((await run(backend, { operation: "GetObject", key })).body).toString()).toBe("small");
    });

    it("keeps concurrent uploads of one key apart (Azure drops the other's staged blocks on commit)", async () => {
      const backend = create(options());
      const key = `${fresh()}concurrent`;
      const first = await backend.createMultipartUpload(key, new Headers());
      const second = await backend.createMultipartUpload(key, new Headers());
      expect(first.uploadId).not.toBe(second.uploadId);
      const part = async (uploadId: string, body: string) =>
        (await run(backend, { operation: "UploadPart", key, uploadId, partNumber: 1, headers: { "content-length": String(body.length) } }, body)).headers.get("etag")!;
      const etagFirst = await part(first.uploadId, "first");
      const etagSecond = await part(second.uploadId, "second");
      // Each upload names only its own blocks: the second's ETag does not complete the first.
      await expect(backend.completeMultipartUpload(key, first.uploadId, [{ partNumber: 1, etag: etagSecond }], new Headers())).rejects.toMatchObject({ code: "InvalidPart" });
      await backend.completeMultipartUpload(key, second.uploadId, [{ partNumber: 1, etag: etagSecond }], new Headers());
      expect(Buffer.from((await run(backend, { operation: "GetObject", key })).body).toString()).toBe("second");
      await expect(backend.completeMultipartUpload(key, first.uploadId, [{ partNumber: 1, etag: etagFirst }], new Headers())).rejects.toMatchObject({ code: "InvalidPart" });
    });

    it("copies between containers of one account, clears metadata on REPLACE, refuses other accounts", async () => {
      const one = create(options());
      const two = create(options({ container_name: "two" })) as AzureBackend;
      const key = `${fresh()}copy`;
      await run(one, { operation: "PutObject", key, headers: { "content-length": "4", "x-amz-meta-a": "1", "content-type": "text/x-a" } }, "copy");
      const copied = await two.copyObject({ sourceBackend: one, sourceKey: key, key, headers: new Headers({ "x-amz-metadata-directive": "REPLACE" }) });
      const got = await run(two, { operation: "GetObject", key });
      expect(Buffer.from(got.body).toString()).toBe("copy");
      expect(got.headers.get("etag")).toBe(copied.etag);
      expect(got.headers.get("x-amz-meta-a")).toBeNull();
      expect(got.headers.get("content-type")).not.toBe("text/x-a");
      const other = create(options({ endpoint: azurite.endpoint.replace("127.0.0.1", "localhost") }));
      await expect(other.copyObject({ sourceBackend: one, sourceKey: key, key, headers: new Headers() })).rejects.toMatchObject({ code: "NotImplemented" });
    });

    it("starts after a key inside a common prefix, and refuses a forged continuation token", async () => {
      const backend = create(options());
      const prefix = fresh();
      for (const name of ["a/1", "a/2", "b/1", "c"]) await put(backend, prefix + name, "x");
      const inside = await backend.listObjects({ prefix, delimiter: "/", maxKeys: 10, startAfter: `${prefix}a/1` });
      expect([inside.commonPrefixes, inside.objects.map((object) => object.key)]).toEqual([[`${prefix}a/`, `${prefix}b/`], [`${prefix}c`]]);
      const atEnd = await backend.listObjects({ prefix, delimiter: "/", maxKeys: 10, startAfter: `${prefix}a/2` });
      expect(atEnd.commonPrefixes).toEqual([`${prefix}b/`]);
      const paged = await backend.listObjects({ prefix, maxKeys: 1, startAfter: `${prefix}a/1` });
      const next = await backend.listObjects({ prefix, maxKeys: 10, continuationToken: paged.nextContinuationToken! });
      expect([...paged.objects, ...next.objects].map((object) => object.key)).toEqual(["a/2", "b/1", "c"].map((name) => prefix + name));
      await expect(backend.listObjects({ prefix, maxKeys: 1, continuationToken: "forged" })).rejects.toMatchObject({ code: "InvalidArgument" });
    });

    it("deletes many keys in parallel, reporting reserved and backslash keys (never deleting another key's blob)", async () => {
      const backend = create(options());
      const prefix = fresh();
      const keys = Array.from({ length: 20 }, (_, index) => `${prefix}${index}`);
      for (const key of keys.slice(0, 10)) await put(backend, key, "x");
      // Azure reads `\\` as "/": `<prefix>keep\\me` must not delete `<prefix>keep/me`.
      await put(backend, `${prefix}keep/me`, "kept");
      const result = await backend.deleteObjects([...keys, ".multistore-uploads/x", `${prefix}keep\\me`]);
      expect(result.deleted).toEqual(keys);
      expect(result.errors).toEqual([
        { key: ".multistore-uploads/x", code: "InvalidArgument", message: expect.any(String) },
        { key: `${prefix}keep\\me`, code: "InvalidArgument", message: expect.stringContaining("backslash") },
      ]);
      expect((await backend.listObjects({ prefix, maxKeys: 100 })).objects.map((object) => object.key)).toEqual([`${prefix}keep/me`]);
    });
  });
}
