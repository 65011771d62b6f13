/**
 * Object tags as blob index tags, on Azurite for both builds: the tagging calls, tags set at write time (PutObject,
 * multipart, copies), GetObject's tag count, and Azure's narrower character set refused before anything is written.
 */
import { errorResponse, executeDispatch, isS3ErrorLike, startAzurite, type AzuriteHandle } from "@multistore/testing";
import type { Backend, ObjectRequest } from "@multistore/core/backend";
import { ContainerClient, StorageSharedKeyCredential } from "@azure/storage-blob";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAzureBackend as createNodeBackend } from "../src/node.js";
import type { AzureBackendOptions } from "../src/options.js";
import { createAzureBackend as createWorkerBackend } from "../src/worker.js";

let azurite: AzuriteHandle;
let counter = 0;

beforeAll(async () => {
  azurite = await startAzurite();
  await azurite.createContainer("tags");
  await azurite.createContainer("tags-two");
  // A public container (anonymous reads), as a bucket with skip_signature reaches one.
  await new ContainerClient(`${azurite.endpoint}/tags-public`, new StorageSharedKeyCredential(azurite.accountName, azurite.accountKey)).create({ access: "container" });
});
afterAll(() => azurite.close());

for (const [build, create] of [["node", createNodeBackend], ["worker", createWorkerBackend]] as const) {
  describe(`az tags (${build} build) on Azurite`, () => {
    const options = (container = "tags"): AzureBackendOptions => ({ endpoint: azurite.endpoint, account_name: azurite.accountName, access_key: azurite.accountKey, container_name: container });
    const fresh = () => `${build}-${counter++}`;
    const run = async (backend: Backend<unknown>, request: Omit<ObjectRequest, "headers"> & { headers?: HeadersInit }, body?: string) => {
      try {
        return await executeDispatch(await backend.prepareObject({ ...request, headers: new Headers(request.headers) }), body);
      } catch (error) {
        if (isS3ErrorLike(error)) return errorResponse(error);
        throw error;
      }
    };
    const put = (backend: Backend<unknown>, key: string, headers: Record<string, string> = {}) => run(backend, { operation: "PutObject", key, headers: { "content-length": "4", ...headers } }, "data");
    // Sorted by key: Azure answers tags in an order of its own.
    const tagsOf = async (backend: Backend<unknown>, key: string) => (await backend.getObjectTagging!(key)).tags.sort((a, b) => (a.key < b.key ? -1 : 1));

    it("gets, puts and deletes tags, leaving the ETag as it was; a missing key is NoSuchKey", async () => {
      const backend = create(options());
      const key = fresh();
      const etag = (await put(backend, key)).headers.get("etag");
      expect(await tagsOf(backend, key)).toEqual([]);
      await backend.putObjectTagging!(key, [{ key: "project", value: "alpha beta" }, { key: "path", value: "a/b:c=d+e_f.g-h" }]);
      expect(await tagsOf(backend, key)).toEqual([{ key: "path", value: "a/b:c=d+e_f.g-h" }, { key: "project", value: "alpha beta" }]);
      const read = await run(backend, { operation: "GetObject", key });
      expect([read.headers.get("etag"), read.headers.get("x-amz-tagging-count")]).toEqual([etag, "2"]);
      // HeadObject says nothing of tags, as on S3.
      expect((await run(backend, { operation: "HeadObject", key })).headers.get("x-amz-tagging-count")).toBeNull();
      await backend.deleteObjectTagging!(key);
      expect(await tagsOf(backend, key)).toEqual([]);
      expect((await run(backend, { operation: "GetObject", key })).headers.get("x-amz-tagging-count")).toBeNull();
      await expect(backend.getObjectTagging!(`${key}-missing`)).rejects.toMatchObject({ code: "NoSuchKey" });
      await expect(backend.putObjectTagging!(`${key}-missing`, [{ key: "a", value: "b" }])).rejects.toMatchObject({ code: "NoSuchKey" });
      await expect(backend.deleteObjectTagging!(`${key}-missing`)).rejects.toMatchObject({ code: "NoSuchKey" });
      await expect(backend.getObjectTagging!(key, "3")).rejects.toMatchObject({ code: "NotImplemented" });
    });

    it("refuses tags Azure cannot keep (InvalidTag) before writing anything", async () => {
      const backend = create(options());
      const key = fresh();
      await put(backend, key);
      await backend.putObjectTagging!(key, [{ key: "kept", value: "yes" }]);
      // (`__proto__` the SDK's reader cannot hold: the Node build would lose it.)
      for (const tags of [[{ key: "mail", value: "a@b" }], [{ key: "tier", value: "ünï" }], [{ key: "a&b", value: "1" }], [{ key: "__proto__", value: "v" }]]) {
        await expect(backend.putObjectTagging!(key, tags)).rejects.toMatchObject({ code: "InvalidTag", status: 400 });
      }
      expect(await tagsOf(backend, key)).toEqual([{ key: "kept", value: "yes" }]);
      const refused = await put(backend, `${key}-refused`, { "x-amz-tagging": "mail=a%40b" });
      expect(refused.status).toBe(400);
      expect((await run(backend, { operation: "HeadObject", key: `${key}-refused` })).status).toBe(404);
      await expect(backend.createMultipartUpload(`${key}-multi`, new Headers({ "x-amz-tagging": "tier=%C3%BC" }))).rejects.toMatchObject({ code: "InvalidTag" });
    });

    it("sets x-amz-tagging with PutObject and CompleteMultipartUpload; an overwrite without tags has none", async () => {
      const backend = create(options());
      const key = fresh();
      expect((await put(backend, key, { "x-amz-tagging": "project=alpha&team=geo%20data" })).status).toBe(200);
      expect(await tagsOf(backend, key)).toEqual([{ key: "project", value: "alpha" }, { key: "team", value: "geo data" }]);
      await put(backend, key);
      expect(await tagsOf(backend, key)).toEqual([]);
      const multi = `${key}-multi`;
      const { uploadId } = await backend.createMultipartUpload(multi, new Headers({ "x-amz-tagging": "stage=raw" }));
      const part = await run(backend, { operation: "UploadPart", key: multi, uploadId, partNumber: 1, headers: { "content-length": "4" } }, "part");
      await backend.completeMultipartUpload(multi, uploadId, [{ partNumber: 1, etag: part.headers.get("etag")! }], new Headers());
      expect(await tagsOf(backend, multi)).toEqual([{ key: "stage", value: "raw" }]);
    });

    it("without credentials (a public container) says only whether a blob has tags, and keeps none", async () => {
      const keyed = create(options("tags-public"));
      const unsigned = create({ endpoint: azurite.endpoint, account_name: azurite.accountName, container_name: "tags-public", skip_signature: "true" });
      const key = fresh();
      await put(keyed, key);
      await put(keyed, `${key}-tagged`, { "x-amz-tagging": "secret=1" });
      // Azure serves Get Blob Tags to no one unsigned: before this answer, every copy out of a public container failed.
      expect(await unsigned.getObjectTagging!(key)).toEqual({ tags: [] });
      await expect(unsigned.getObjectTagging!(`${key}-tagged`)).rejects.toMatchObject({ code: "AccessDenied", status: 403 });
      await expect(unsigned.getObjectTagging!(`${key}-missing`)).rejects.toMatchObject({ code: "NoSuchKey" });
      expect([unsigned.putObjectTagging, unsigned.deleteObjectTagging]).toEqual([undefined, undefined]);
    });

    it("copies the source's tags (COPY, across containers too), or the request's with REPLACE", async () => {
      const one = create(options());
      const two = create(options("tags-two"));
      const key = fresh();
      await put(one, key, { "x-amz-tagging": "origin=one" });
      await two.copyObject({ sourceBackend: one, sourceKey: key, key, headers: new Headers() });
      expect(await tagsOf(two, key)).toEqual([{ key: "origin", value: "one" }]);
      await one.copyObject({ sourceBackend: one, sourceKey: key, key: `${key}-replaced`, headers: new Headers({ "x-amz-tagging-directive": "REPLACE", "x-amz-tagging": "origin=copy" }) });
      expect(await tagsOf(one, `${key}-replaced`)).toEqual([{ key: "origin", value: "copy" }]);
      await one.copyObject({ sourceBackend: one, sourceKey: key, key: `${key}-bare`, headers: new Headers({ "x-amz-tagging-directive": "REPLACE" }) });
      expect(await tagsOf(one, `${key}-bare`)).toEqual([]);
      await expect(one.copyObject({ sourceBackend: one, sourceKey: `${key}-missing`, key: `${key}-none`, headers: new Headers() })).rejects.toMatchObject({ code: "NoSuchKey" });
    });
  });
}

describe("az tags: what is asked of Azure", () => {
  /** A worker-build backend whose every Azure request is recorded (method and URL). */
  const recorded = () => {
    const calls: string[] = [];
    const record: typeof fetch = (input, init) => {
      calls.push(`${init?.method ?? "GET"} ${String(input)}`);
      return fetch(input, init);
    };
    const options = { endpoint: azurite.endpoint, account_name: azurite.accountName, access_key: azurite.accountKey, container_name: "tags" };
    return { backend: createWorkerBackend(options, { fetch: record }), calls };
  };

  it("asks for the tag permission only on writes that set tags", async () => {
    const { backend } = recorded();
    const permissions = async (headers: Record<string, string>) => {
      const dispatch = await backend.prepareObject({ operation: "PutObject", key: `sas-${counter++}`, headers: new Headers({ "content-length": "1", ...headers }) });
      if (dispatch.type !== "forward") throw new Error("expected a forward dispatch");
      return new URL(dispatch.url).searchParams.get("sp");
    };
    expect(await permissions({})).toBe("cw");
    expect(await permissions({ "x-amz-tagging": "" })).toBe("cw");
    expect(await permissions({ "x-amz-tagging": "a=1" })).toBe("cwt");
  });

  it("reads a copy source's tags only when its properties count some", async () => {
    const { backend, calls } = recorded();
    const key = `copy-calls-${counter++}`;
    await executeDispatch(await backend.prepareObject({ operation: "PutObject", key, headers: new Headers({ "content-length": "1" }) }), "x");
    calls.length = 0;
    await backend.copyObject({ sourceBackend: backend, sourceKey: key, key: `${key}-a`, headers: new Headers() });
    expect(calls.filter((call) => call.includes("comp=tags"))).toEqual([]);
    await backend.putObjectTagging!(key, [{ key: "t", value: "1" }]);
    calls.length = 0;
    await backend.copyObject({ sourceBackend: backend, sourceKey: key, key: `${key}-b`, headers: new Headers() });
    expect(calls.filter((call) => call.includes("comp=tags")).map((call) => call.split(" ")[0])).toEqual(["GET"]);
    expect((await backend.getObjectTagging!(`${key}-b`)).tags).toEqual([{ key: "t", value: "1" }]);
  });
});
