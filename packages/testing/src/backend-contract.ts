/**
 * The shared backend contract: the behaviour every Multistore backend must have through the `Backend` interface.
 * Each backend package calls `runBackendContract` from a vitest file. Tests share one backend per suite and each
 * works under its own random key prefix, so they never see each other's objects.
 */
import { createHash, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Backend, ObjectRequest } from "@multistore/core/backend";
import type { BackendContractOptions } from "./backend-contract-options.js";
import { listPartsContract } from "./backend-contract-list-parts.js";
import { listUploadsContract } from "./backend-contract-list-uploads.js";
import { ERROR_CODE_HEADER, errorResponse, executeDispatch, isS3ErrorLike, type ExecutedResponse } from "./backend-contract-execute.js";

export { ERROR_CODE_HEADER, errorResponse, executeDispatch, isS3ErrorLike, readBody, type ExecuteDispatchOptions, type ExecutedResponse } from "./backend-contract-execute.js";

export type { BackendContractOptions, EmulatorGaps } from "./backend-contract-options.js";

const MiB = 1024 * 1024;
const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
const md5 = (bytes: Uint8Array): string => createHash("md5").update(bytes).digest("hex");

/**
 * Registers a test only for backends that declare the capability. A backend without it has no such test at all
 * (rather than a skipped one): its own suite must prove what it does instead.
 */
function itIf(enabled: boolean): typeof it {
  return enabled ? it : ((() => undefined) as unknown as typeof it);
}

/** Defines the contract tests for one backend. */
export function runBackendContract(options: BackendContractOptions): void {
  const capabilities = options.capabilities ?? {};
  const gaps = options.emulatorGaps ?? {};
  describe(`backend contract: ${options.name}`, () => {
    let backend: Backend<any>;
    let cleanup: (() => Promise<void>) | undefined;
    let prefixCounter = 0;
    beforeAll(async () => {
      ({ backend, cleanup } = await options.setup());
    }, 60_000);
    afterAll(async () => {
      await cleanup?.();
    });

    /** A key prefix no other test uses. */
    const fresh = (): string => `contract-${randomBytes(4).toString("hex")}-${prefixCounter++}/`;

    async function run(request: Omit<ObjectRequest, "headers"> & { headers?: HeadersInit }, body?: Uint8Array | string): Promise<ExecutedResponse> {
      try {
        const dispatch = await backend.prepareObject({ ...request, headers: new Headers(request.headers) });
        return await executeDispatch(dispatch, body, { nativeBody: options.nativeBody ?? "node" });
      } catch (error) {
        if (isS3ErrorLike(error)) return errorResponse(error);
        throw error;
      }
    }
    const put = (key: string, body: Uint8Array | string, headers?: HeadersInit) =>
      run({ operation: "PutObject", key, headers: { "content-length": String(typeof body === "string" ? Buffer.byteLength(body) : body.length), ...headers } }, body);
    const get = (key: string, headers?: HeadersInit, extra?: Partial<ObjectRequest>) => run({ operation: "GetObject", key, ...(headers && { headers }), ...extra });
    const head = (key: string, headers?: HeadersInit) => run({ operation: "HeadObject", key, ...(headers && { headers }) });
    const del = (key: string) => run({ operation: "DeleteObject", key });
    const code = (response: ExecutedResponse) => response.headers.get(ERROR_CODE_HEADER);

    async function putOk(key: string, body: Uint8Array | string, headers?: HeadersInit): Promise<string> {
      const response = await put(key, body, headers);
      expect(response.status, `PUT ${key}`).toBe(200);
      const etag = response.headers.get("etag");
      expect(etag).toMatch(/^"[^"]+"$/);
      return etag!;
    }

    async function listAll(request: { prefix: string; delimiter?: string; maxKeys: number; startAfter?: string }) {
      const keys: string[] = [];
      const prefixes: string[] = [];
      let token: string | undefined;
      for (let page = 0; page < 100; page++) {
        const result = await backend.listObjects({ ...request, ...(token !== undefined && { continuationToken: token }) });
        const counted = result.objects.length + (gaps.maxKeysIgnoresCommonPrefixes ? 0 : result.commonPrefixes.length);
        expect(counted).toBeLessThanOrEqual(request.maxKeys);
        keys.push(...result.objects.map((object) => object.key));
        prefixes.push(...result.commonPrefixes);
        if (!result.isTruncated) return { keys, prefixes };
        expect(result.nextContinuationToken).toBeTruthy();
        token = result.nextContinuationToken;
      }
      throw new Error("listing did not end");
    }

    describe("objects", () => {
      it("round-trips bytes through put, get, head and delete", async () => {
        const key = `${fresh()}object.bin`;
        const bytes = new Uint8Array(Array.from({ length: 1000 }, (_, i) => i % 256));
        const etag = await putOk(key, bytes);
        const got = await get(key);
        expect(got.status).toBe(200);
        expect(Buffer.from(got.body).equals(Buffer.from(bytes))).toBe(true);
        expect(got.headers.get("content-length")).toBe("1000");
        expect(got.headers.get("etag")).toBe(etag);
        expect(Number.isNaN(Date.parse(got.headers.get("last-modified") ?? ""))).toBe(false);
        const headed = await head(key);
        expect(headed.status).toBe(200);
        expect(headed.body.length).toBe(0);
        expect(headed.headers.get("content-length")).toBe("1000");
        expect(headed.headers.get("etag")).toBe(etag);
        expect((await del(key)).status).toBe(204);
        const gone = await get(key);
        expect(gone.status).toBe(404);
        expect(code(gone)).toBe("NoSuchKey");
        expect((await head(key)).status).toBe(404);
        expect((await del(key)).status).toBe(204);
      });

      it("stores empty objects and overwrites", async () => {
        const key = `${fresh()}empty`;
        await putOk(key, "");
        const empty = await get(key);
        expect(empty.status).toBe(200);
        expect(empty.body.length).toBe(0);
        await putOk(key, "second version");
        expect(text((await get(key)).body)).toBe("second version");
      });

      it("stores content headers and user metadata", async () => {
        const key = `${fresh()}meta.txt`;
        await putOk(key, "hello", {
          "content-type": "text/plain; charset=utf-8",
          "content-disposition": 'attachment; filename="x.txt"',
          "content-language": "en",
          "cache-control": "max-age=60",
          expires: "Wed, 21 Oct 2037 07:28:00 GMT",
          "x-amz-meta-color": "blue",
          "x-amz-meta-Mixed-Case": "Value",
        });
        for (const response of [await head(key), await get(key)]) {
          expect(response.headers.get("content-type")).toBe("text/plain; charset=utf-8");
          expect(response.headers.get("content-disposition")).toBe('attachment; filename="x.txt"');
          expect(response.headers.get("content-language")).toBe("en");
          expect(response.headers.get("cache-control")).toBe("max-age=60");
          expect(Date.parse(response.headers.get("expires") ?? "")).toBe(Date.parse("Wed, 21 Oct 2037 07:28:00 GMT"));
          expect(response.headers.get("x-amz-meta-color")).toBe("blue");
          expect(response.headers.get("x-amz-meta-mixed-case")).toBe("Value");
        }
        const plain = `${fresh()}plain`;
        await putOk(plain, "x");
        expect((await head(plain)).headers.get("content-type")).toMatch(/octet-stream/);
      });

      it("applies response header overrides on GET", async () => {
        const key = `${fresh()}override`;
        await putOk(key, "data", { "content-type": "text/plain" });
        const overrides = { "response-content-type": "application/x-test", "response-content-disposition": "inline", "response-cache-control": "no-store" };
        const response = await get(key, undefined, { responseOverrides: overrides });
        expect(response.status).toBe(200);
        expect(response.headers.get("content-type")).toBe("application/x-test");
        expect(response.headers.get("content-disposition")).toBe("inline");
        expect(response.headers.get("cache-control")).toBe("no-store");
      });

      it("serves single byte ranges and refuses unsatisfiable ones", async () => {
        const key = `${fresh()}range`;
        await putOk(key, "0123456789");
        const cases: [string, string, string][] = [
          ["bytes=2-5", "2345", "bytes 2-5/10"],
          ["bytes=7-", "789", "bytes 7-9/10"],
          ["bytes=-3", "789", "bytes 7-9/10"],
          ["bytes=-100", "0123456789", "bytes 0-9/10"],
          ["bytes=8-100", "89", "bytes 8-9/10"],
        ];
        for (const [range, body, contentRange] of cases) {
          const response = await get(key, { range });
          expect(response.status, range).toBe(206);
          if (gaps.suffixRangeFromStart && range.startsWith("bytes=-")) continue;
          expect(text(response.body), range).toBe(body);
          expect(response.headers.get("content-range"), range).toBe(contentRange);
          expect(response.headers.get("content-length"), range).toBe(String(body.length));
        }
        const unsatisfiable = await get(key, { range: "bytes=10-" });
        expect(unsatisfiable.status).toBe(416);
        expect(code(unsatisfiable)).toBe("InvalidRange");
      });

      it("evaluates conditional GET and HEAD", async () => {
        const key = `${fresh()}conditional`;
        const etag = await putOk(key, "content");
        const past = new Date(Date.now() - 86_400_000).toUTCString();
        const future = new Date(Date.now() + 86_400_000).toUTCString();
        expect((await get(key, { "if-none-match": etag })).status).toBe(304);
        expect((await head(key, { "if-none-match": etag })).status).toBe(304);
        expect((await get(key, { "if-none-match": '"0123456789abcdef0123456789abcdef"' })).status).toBe(200);
        if (!gaps.ignoresReadPreconditions) {
          const failed = await get(key, { "if-match": '"0123456789abcdef0123456789abcdef"' });
          expect(failed.status).toBe(412);
          expect(code(failed)).toBe("PreconditionFailed");
          expect((await head(key, { "if-match": '"0123456789abcdef0123456789abcdef"' })).status).toBe(412);
        }
        expect((await get(key, { "if-match": etag })).status).toBe(200);
        expect((await get(key, { "if-modified-since": future })).status).toBe(304);
        expect((await get(key, { "if-modified-since": past })).status).toBe(200);
        if (!gaps.ignoresReadPreconditions) expect((await get(key, { "if-unmodified-since": past })).status).toBe(412);
        // S3: a true If-Match wins over a false If-Unmodified-Since.
        expect((await get(key, { "if-match": etag, "if-unmodified-since": past })).status).toBe(200);
      });

      itIf(capabilities.conditionalWrites === true)("evaluates conditional PUT", async () => {
        const key = `${fresh()}cas`;
        expect((await put(key, "v1", { "if-none-match": "*" })).status).toBe(200);
        const refused = await put(key, "v2", { "if-none-match": "*" });
        expect(refused.status).toBe(412);
        expect(code(refused)).toBe("PreconditionFailed");
        const etag = (await head(key)).headers.get("etag")!;
        expect((await put(key, "v3", { "if-match": '"0123456789abcdef0123456789abcdef"' })).status).toBe(412);
        expect((await put(key, "v4", { "if-match": etag })).status).toBe(200);
        expect(text((await get(key)).body)).toBe("v4");
      });

      it("keeps keys with special characters distinct", async () => {
        const prefix = fresh();
        const names = ["a b", "a+b", "a%25b", "a%b", "*", "a=b&c?d", "ünïcødé/ファイル", "emoji-😀", "tab\tand~tilde", "quote'\"", "semi;colon,comma"];
        for (const [index, name] of names.entries()) await putOk(prefix + name, `body ${index}`);
        for (const [index, name] of names.entries()) {
          const response = await get(prefix + name);
          expect(response.status, name).toBe(200);
          expect(text(response.body), name).toBe(`body ${index}`);
        }
        const { keys } = await listAll({ prefix, maxKeys: 1000 });
        if (gaps.listKeysDoubleEscaped) {
          expect(keys).toHaveLength(names.length);
          expect(keys).toEqual(expect.arrayContaining(names.filter((name) => !/[&<>']/.test(name)).map((name) => prefix + name)));
        } else {
          expect(new Set(keys)).toEqual(new Set(names.map((name) => prefix + name)));
        }
      });
    });

    describe("listing", () => {
      it("groups by delimiter under a prefix", async () => {
        const prefix = fresh();
        for (const name of ["a.txt", "dir/x", "dir/y", "dir2/sub/z", "e", "dir-file"]) await putOk(prefix + name, name);
        const result = await backend.listObjects({ prefix, delimiter: "/", maxKeys: 1000 });
        expect(result.objects.map((object) => object.key)).toEqual([`${prefix}a.txt`, `${prefix}dir-file`, `${prefix}e`]);
        // `dir2/` holds only the deeper `dir2/sub/z`.
        if (!gaps.omitsDeepCommonPrefixes) expect(result.commonPrefixes).toEqual([`${prefix}dir/`, `${prefix}dir2/`]);
        else expect(result.commonPrefixes).toContain(`${prefix}dir/`);
        expect(result.isTruncated).toBe(false);
        const object = result.objects[0]!;
        expect(object.size).toBe(5);
        expect(object.etag).toBe((await head(`${prefix}a.txt`)).headers.get("etag"));
        expect(object.lastModified).toBeInstanceOf(Date);
        const narrowed = await backend.listObjects({ prefix: `${prefix}dir`, delimiter: "/", maxKeys: 1000 });
        expect(narrowed.objects.map((o) => o.key)).toEqual([`${prefix}dir-file`]);
        if (!gaps.omitsDeepCommonPrefixes) expect(narrowed.commonPrefixes).toEqual([`${prefix}dir/`, `${prefix}dir2/`]);
        else expect(narrowed.commonPrefixes).toContain(`${prefix}dir/`);
        const deep = await backend.listObjects({ prefix: `${prefix}dir2/`, maxKeys: 1000 });
        expect(deep.objects.map((o) => o.key)).toEqual([`${prefix}dir2/sub/z`]);
      });

      it("lists keys in UTF-8 byte order", async () => {
        const prefix = fresh();
        // No key is both an object and a "directory" (`c` and `c/d`): filesystem backends cannot store that shape.
        const names = ["a", "b", "é", "Z", "~", "\uFF5E", "😀", "c/d", "c-d", "c0"];
        for (const name of names) await putOk(prefix + name, "x");
        const { keys } = await listAll({ prefix, maxKeys: 1000 });
        const expected = names.map((name) => prefix + name).sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
        if (gaps.listsInFileOrder) expect(new Set(keys)).toEqual(new Set(expected));
        else expect(keys).toEqual(expected);
      });

      it("paginates with continuation tokens and start-after", async () => {
        const prefix = fresh();
        const names = ["k1", "k2", "k3", "k4", "k5", "d1/a", "d1/b", "d2/a", "d3/a"];
        for (const name of names) await putOk(prefix + name, "x");
        const sorted = names.map((name) => prefix + name).sort();
        expect((await listAll({ prefix, maxKeys: 2 })).keys).toEqual(sorted);
        expect((await listAll({ prefix, maxKeys: 1 })).keys).toEqual(sorted);
        const grouped = await listAll({ prefix, delimiter: "/", maxKeys: 2 });
        expect(grouped.prefixes).toEqual([`${prefix}d1/`, `${prefix}d2/`, `${prefix}d3/`]);
        expect(grouped.keys).toEqual(["k1", "k2", "k3", "k4", "k5"].map((name) => prefix + name));
        const after = await backend.listObjects({ prefix, maxKeys: 1000, startAfter: `${prefix}k2` });
        expect(after.objects.map((object) => object.key)).toEqual([`${prefix}k3`, `${prefix}k4`, `${prefix}k5`]);
        const afterPrefix = await backend.listObjects({ prefix, delimiter: "/", maxKeys: 1000, startAfter: `${prefix}d1/` });
        const laterPrefixes = [`${prefix}d2/`, `${prefix}d3/`];
        if (gaps.startAfterKeepsCommonPrefix) expect(afterPrefix.commonPrefixes).toEqual(expect.arrayContaining(laterPrefixes));
        else expect(afterPrefix.commonPrefixes).toEqual(laterPrefixes);
        const page = await backend.listObjects({ prefix, maxKeys: 3 });
        expect(page.isTruncated).toBe(true);
        expect(page.objects).toHaveLength(3);
        const empty = await backend.listObjects({ prefix: `${prefix}nothing-here/`, delimiter: "/", maxKeys: 10 });
        expect(empty).toMatchObject({ objects: [], commonPrefixes: [], isTruncated: false });
      });
    });

    describe("multipart uploads", () => {
      const partOf = (size: number, seed: number) => new Uint8Array(size).map((_, i) => (i * 7 + seed) % 251);
      const uploadPart = (key: string, uploadId: string, partNumber: number, bytes: Uint8Array) =>
        run({ operation: "UploadPart", key, uploadId, partNumber, headers: { "content-length": String(bytes.length) } }, bytes);

      listPartsContract({ backend: () => backend, declared: capabilities.listParts === true, fresh, uploadPart });
      listUploadsContract({ backend: () => backend, declared: capabilities.listUploads === true, aborts: capabilities.abortMultipart === true, fresh, uploadPart });

      it("assembles parts into one object", async () => {
        const key = `${fresh()}multi.bin`;
        const { uploadId } = await backend.createMultipartUpload(key, new Headers({ "content-type": "application/x-parts", "x-amz-meta-origin": "multipart" }));
        const one = partOf(5 * MiB, 1);
        const two = partOf(1000, 2);
        const first = await uploadPart(key, uploadId, 1, one);
        const second = await uploadPart(key, uploadId, 2, two);
        expect(first.status).toBe(200);
        expect(second.status).toBe(200);
        const etag1 = first.headers.get("etag")!;
        const etag2 = second.headers.get("etag")!;
        if (!gaps.partEtagNotMd5) expect(etag1).toBe(`"${md5(one)}"`);
        const result = await backend.completeMultipartUpload(key, uploadId, [{ partNumber: 1, etag: etag1 }, { partNumber: 2, etag: etag2.replaceAll('"', "") }], new Headers());
        expect(result.etag).toMatch(gaps.multipartEtagWithoutPartCount ? /^"[0-9a-f]{32}"$/ : /^"[0-9a-f]{32}-2"$/);
        const got = await get(key);
        expect(got.status).toBe(200);
        expect(got.body.length).toBe(one.length + two.length);
        expect(md5(got.body)).toBe(md5(Buffer.concat([one, two])));
        expect(got.headers.get("etag")).toBe(result.etag);
        expect(got.headers.get("content-type")).toBe("application/x-parts");
        expect(got.headers.get("x-amz-meta-origin")).toBe("multipart");
      }, 60_000);

      it("refuses parts out of order or with a wrong ETag", async () => {
        const key = `${fresh()}bad-parts`;
        const { uploadId } = await backend.createMultipartUpload(key, new Headers());
        const one = await uploadPart(key, uploadId, 1, partOf(5 * MiB, 3));
        const two = await uploadPart(key, uploadId, 2, partOf(10, 4));
        const etag1 = one.headers.get("etag")!;
        const etag2 = two.headers.get("etag")!;
        const complete = (parts: { partNumber: number; etag: string }[]) => backend.completeMultipartUpload(key, uploadId, parts, new Headers());
        if (!gaps.completeIgnoresPartOrderAndEtags) {
          await expect(complete([{ partNumber: 2, etag: etag2 }, { partNumber: 1, etag: etag1 }])).rejects.toMatchObject({ code: "InvalidPartOrder" });
          await expect(complete([{ partNumber: 1, etag: etag1 }, { partNumber: 2, etag: '"0123456789abcdef0123456789abcdef"' }])).rejects.toMatchObject({ code: "InvalidPart" });
        }
        if (!gaps.completeCrashesOnMissingPart) {
          await expect(complete([{ partNumber: 1, etag: etag1 }, { partNumber: 3, etag: etag2 }])).rejects.toMatchObject({ code: "InvalidPart" });
        }
        expect((await get(key)).status).toBe(404);
        // The failed attempts leave the upload usable.
        await complete([{ partNumber: 1, etag: etag1 }, { partNumber: 2, etag: etag2 }]);
        expect((await head(key)).headers.get("content-length")).toBe(String(5 * MiB + 10));
      }, 60_000);

      itIf(capabilities.abortMultipart === true)("aborts an upload", async () => {
        const key = `${fresh()}aborted`;
        const { uploadId } = await backend.createMultipartUpload(key, new Headers());
        expect((await uploadPart(key, uploadId, 1, partOf(100, 5))).status).toBe(200);
        await backend.abortMultipartUpload(key, uploadId);
        const late = await uploadPart(key, uploadId, 2, partOf(100, 6));
        expect(late.status).toBe(404);
        expect(code(late)).toBe("NoSuchUpload");
        await expect(backend.completeMultipartUpload(key, uploadId, [{ partNumber: 1, etag: '"x"' }], new Headers())).rejects.toMatchObject({ code: "NoSuchUpload" });
        expect((await get(key)).status).toBe(404);
      });
    });

    describe("copy and batch delete", () => {
      it("copies objects with their metadata, or replaces it", async () => {
        const prefix = fresh();
        await putOk(`${prefix}source`, "copy me", { "content-type": "text/x-source", "x-amz-meta-a": "1" });
        const copied = await backend.copyObject({ sourceBackend: backend, sourceKey: `${prefix}source`, key: `${prefix}copy`, headers: new Headers() });
        expect(copied.etag).toMatch(/^"[^"]+"$/);
        const got = await get(`${prefix}copy`);
        expect(text(got.body)).toBe("copy me");
        expect(got.headers.get("content-type")).toBe("text/x-source");
        expect(got.headers.get("x-amz-meta-a")).toBe("1");
        const replaceHeaders = new Headers({ "x-amz-metadata-directive": "REPLACE", "content-type": "text/x-new", "x-amz-meta-b": "2" });
        await backend.copyObject({ sourceBackend: backend, sourceKey: `${prefix}source`, key: `${prefix}replaced`, headers: replaceHeaders });
        const replaced = await head(`${prefix}replaced`);
        expect(replaced.headers.get("content-type")).toBe("text/x-new");
        expect(replaced.headers.get("x-amz-meta-b")).toBe("2");
        expect(replaced.headers.get("x-amz-meta-a")).toBeNull();
      });

      it("refuses copies whose source conditions fail or whose source is missing", async () => {
        const prefix = fresh();
        await putOk(`${prefix}source`, "x");
        const headers = new Headers({ "x-amz-copy-source-if-match": '"0123456789abcdef0123456789abcdef"' });
        if (!gaps.copyIgnoresSourceConditions) {
          await expect(backend.copyObject({ sourceBackend: backend, sourceKey: `${prefix}source`, key: `${prefix}dest`, headers })).rejects.toMatchObject({ code: "PreconditionFailed" });
        }
        await expect(backend.copyObject({ sourceBackend: backend, sourceKey: `${prefix}missing`, key: `${prefix}dest`, headers: new Headers() })).rejects.toMatchObject({ code: "NoSuchKey" });
        expect((await get(`${prefix}dest`)).status).toBe(404);
      });

      it("deletes keys in batches, missing keys included", async () => {
        const prefix = fresh();
        for (const name of ["one", "two", "three"]) await putOk(prefix + name, name);
        const result = await backend.deleteObjects([`${prefix}one`, `${prefix}two`, `${prefix}never-existed`]);
        expect(result.errors).toEqual([]);
        expect(new Set(result.deleted)).toEqual(new Set([`${prefix}one`, `${prefix}two`, `${prefix}never-existed`]));
        expect((await listAll({ prefix, maxKeys: 100 })).keys).toEqual([`${prefix}three`]);
      });
    });
  });
}
