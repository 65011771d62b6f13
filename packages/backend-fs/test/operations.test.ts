/** fs-specific multipart, copy and listing behaviour beyond the shared contract. */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import * as zlib from "node:zlib";
import { describe, expect, it } from "vitest";
import type { Backend } from "@multistore/core/backend";
import { locks } from "../src/locks-names.js";
import { withLock } from "../src/locks.js";
import { codeOf, freshBackend, get, put, run, text } from "./test-support.js";

describe("fs backend multipart uploads", () => {
  it("enforces the minimum part size, binds uploads to their key and cleans up", async () => {
    const { backend, root } = await freshBackend();
    const { uploadId } = await backend.createMultipartUpload("obj", new Headers({ "content-type": "text/x-mp" }));
    expect(uploadId).toMatch(/^[A-Za-z0-9_-]+$/);
    const part = (key: string, id: string, partNumber: number, body: string) =>
      run(backend, { operation: "UploadPart", key, uploadId: id, partNumber, headers: { "content-length": String(body.length) } }, body);
    const one = (await part("obj", uploadId, 1, "small")).headers.get("etag")!;
    const two = (await part("obj", uploadId, 2, "tail")).headers.get("etag")!;
    const parts = [{ partNumber: 1, etag: one }, { partNumber: 2, etag: two }];
    await expect(backend.completeMultipartUpload("obj", uploadId, parts, new Headers())).rejects.toMatchObject({ code: "EntityTooSmall" });
    expect(codeOf(await part("other", uploadId, 3, "x"))).toBe("NoSuchUpload");
    expect(codeOf(await part("obj", "../../etc", 3, "x"))).toBe("NoSuchUpload");
    await expect(backend.completeMultipartUpload("other", uploadId, parts, new Headers())).rejects.toMatchObject({ code: "NoSuchUpload" });
    await expect(backend.abortMultipartUpload("other", uploadId)).rejects.toMatchObject({ code: "NoSuchUpload" });
    // A single part may be small; re-uploading a part replaces it.
    const replaced = (await part("obj", uploadId, 1, "replacement")).headers.get("etag")!;
    await expect(backend.completeMultipartUpload("obj", uploadId, [{ partNumber: 1, etag: one }], new Headers())).rejects.toMatchObject({ code: "InvalidPart" });
    const done = await backend.completeMultipartUpload("obj", uploadId, [{ partNumber: 1, etag: replaced }], new Headers());
    expect(done.etag).toMatch(/-1"$/);
    const got = await get(backend, "obj");
    expect(text(got.body)).toBe("replacement");
    expect(got.headers.get("content-type")).toBe("text/x-mp");
    expect(await readdir(join(root, ".multistore", "uploads"))).toEqual([]);
    expect(await readdir(join(root, ".multistore", "tmp"))).toEqual([]);
    await expect(backend.abortMultipartUpload("obj", uploadId)).rejects.toMatchObject({ code: "NoSuchUpload" });
  });

  it("honours conditional completes", async () => {
    const { backend } = await freshBackend();
    await put(backend, "exists", "old");
    const { uploadId } = await backend.createMultipartUpload("exists", new Headers());
    const etag = (await run(backend, { operation: "UploadPart", key: "exists", uploadId, partNumber: 1 }, "new")).headers.get("etag")!;
    const parts = [{ partNumber: 1, etag }];
    await expect(backend.completeMultipartUpload("exists", uploadId, parts, new Headers({ "if-none-match": "*" }))).rejects.toMatchObject({ code: "PreconditionFailed" });
    expect(text((await get(backend, "exists")).body)).toBe("old");
    await backend.completeMultipartUpload("exists", uploadId, parts, new Headers());
    expect(text((await get(backend, "exists")).body)).toBe("new");
  });
});

describe("fs backend conditional deletes", () => {
  it("checks If-Match under the key's lock: an overwrite committed while the delete waits for it is seen (412)", async () => {
    const { backend, root } = await freshBackend();
    const first = await put(backend, "guarded", "v1");
    const etag = first.headers.get("etag")!;
    // Another writer holds the key's lock, and overwrites the object while the conditional delete waits behind it.
    let release!: () => void;
    const held = withLock(locks.key({ path: join(root, "guarded") }), () => new Promise<void>((resolve) => (release = resolve)));
    const deleting = run(backend, { operation: "DeleteObject", key: "guarded", headers: { "if-match": etag } });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await writeFile(join(root, "guarded"), "v2, written later");
    release();
    await held;
    const deleted = await deleting;
    expect([deleted.status, codeOf(deleted)]).toEqual([412, "PreconditionFailed"]);
    expect(text((await get(backend, "guarded")).body)).toBe("v2, written later");
  });
});

describe("fs backend ranges", () => {
  it("ignores multi-range and malformed headers and refuses ranges of empty objects", async () => {
    const { backend } = await freshBackend();
    await put(backend, "r", "0123456789");
    for (const range of ["bytes=0-1,3-4", "bytes=5-2", "items=0-1", "bytes=abc"]) {
      const response = await get(backend, "r", { range });
      expect(response.status, range).toBe(200);
      expect(text(response.body), range).toBe("0123456789");
    }
    const zero = await get(backend, "r", { range: "bytes=-0" });
    expect(zero.status).toBe(416);
    expect(zero.headers.get("content-range")).toBe("bytes */10");
    await put(backend, "empty", "");
    expect((await get(backend, "empty", { range: "bytes=0-" })).status).toBe(416);
    expect((await get(backend, "empty", { range: "bytes=-5" })).status).toBe(200);
    const notModified = await get(backend, "r", { "if-none-match": "*" });
    expect(notModified.status).toBe(304);
    expect(notModified.headers.get("etag")).toMatch(/^"/);
  });
});

describe("fs backend copies", () => {
  it("refuses self-copies that change nothing and allows those with REPLACE or a storage class", async () => {
    const { backend } = await freshBackend();
    await put(backend, "self", "x", { "content-type": "text/a" });
    const request = { sourceBackend: backend, sourceKey: "self", key: "self" };
    await expect(backend.copyObject({ ...request, headers: new Headers() })).rejects.toMatchObject({ code: "InvalidRequest" });
    await backend.copyObject({ ...request, headers: new Headers({ "x-amz-metadata-directive": "REPLACE", "content-type": "text/b" }) });
    const got = await get(backend, "self");
    expect(got.headers.get("content-type")).toBe("text/b");
    expect(text(got.body)).toBe("x");
    // A new storage class asked for is a change, as on S3: the object is written again as it is, its metadata kept.
    const rewritten = await backend.copyObject({ ...request, headers: new Headers({ "x-amz-storage-class": "STANDARD_IA" }) });
    expect(rewritten.etag).toBe(got.headers.get("etag"));
    const again = await get(backend, "self");
    expect([again.headers.get("content-type"), text(again.body)]).toEqual(["text/b", "x"]);
    // A change the gateway saw but did not send (SSE-S3, which fs does not keep), as core tells it.
    await backend.copyObject({ ...request, headers: new Headers(), changesObject: true });
    expect(text((await get(backend, "self")).body)).toBe("x");
  });

  it("copies between fs backends on different roots, and refuses other copy domains", async () => {
    const source = await freshBackend();
    const destination = await freshBackend();
    await put(source.backend, "src", "across roots");
    const result = await destination.backend.copyObject({ sourceBackend: source.backend, sourceKey: "src", key: "dst", headers: new Headers() });
    expect(result.lastModified).toBeInstanceOf(Date);
    expect(text((await get(destination.backend, "dst")).body)).toBe("across roots");
    const foreign = { ...source.backend, copyDomain: "https://s3.example" } as Backend<never>;
    await expect(destination.backend.copyObject({ sourceBackend: foreign, sourceKey: "src", key: "x", headers: new Headers() })).rejects.toMatchObject({ code: "NotImplemented" });
    await expect(
      destination.backend.copyObject({ sourceBackend: source.backend, sourceKey: "src", key: "dst", headers: new Headers({ "if-none-match": "*" }) }),
    ).rejects.toMatchObject({ code: "PreconditionFailed" });
  });
});

describe("fs backend copies and checksums", () => {
  const body = "checksummed body";
  const sha256 = createHash("sha256").update(body).digest("base64");
  const crc32 = Buffer.from(new Uint32Array([zlib.crc32(body)]).buffer).reverse().toString("base64");
  const checksumsOf = async (backend: Backend<Readable>, key: string) => {
    const got = await get(backend, key, { "x-amz-checksum-mode": "ENABLED" });
    return Object.fromEntries([...got.headers].filter(([name]) => name.startsWith("x-amz-checksum-")));
  };

  it("keeps the source's checksums, or computes the algorithm the copy names, as S3 does", async () => {
    const { backend } = await freshBackend();
    const written = await run(backend, { operation: "PutObject", key: "src", headers: { "content-length": String(body.length) }, verifiedChecksums: () => ({ "x-amz-checksum-crc32": crc32 }) }, body);
    expect(written.status).toBe(200);
    const copy = (key: string, headers: Record<string, string>) => backend.copyObject({ sourceBackend: backend, sourceKey: "src", key, headers: new Headers(headers) });
    expect((await copy("kept", {})).checksums).toEqual({ "x-amz-checksum-crc32": crc32 });
    expect(await checksumsOf(backend, "kept")).toEqual({ "x-amz-checksum-crc32": crc32, "x-amz-checksum-type": "FULL_OBJECT" });
    expect((await copy("same", { "x-amz-checksum-algorithm": "CRC32" })).checksums).toEqual({ "x-amz-checksum-crc32": crc32 });
    // Another algorithm: computed from the bytes as they are copied, and the only one the copy keeps.
    expect((await copy("other", { "x-amz-checksum-algorithm": "SHA256" })).checksums).toEqual({ "x-amz-checksum-sha256": sha256 });
    expect(await checksumsOf(backend, "other")).toEqual({ "x-amz-checksum-sha256": sha256, "x-amz-checksum-type": "FULL_OBJECT" });
    expect(text((await get(backend, "other")).body)).toBe(body);
    // A source without checksums: none kept unless one is named.
    await put(backend, "plain", body);
    const plain = (headers: Record<string, string>) => backend.copyObject({ sourceBackend: backend, sourceKey: "plain", key: "plain-copy", headers: new Headers(headers) });
    expect((await plain({})).checksums).toBeUndefined();
    expect(await checksumsOf(backend, "plain-copy")).toEqual({});
    expect((await plain({ "x-amz-checksum-algorithm": "crc32" })).checksums).toEqual({ "x-amz-checksum-crc32": crc32 });
    await expect(copy("refused", { "x-amz-checksum-algorithm": "MD4" })).rejects.toMatchObject({ code: "InvalidRequest" });
    await expect(copy("refused", { "x-amz-checksum-algorithm": "SHA512" })).rejects.toMatchObject({ code: "NotImplemented" });
    expect((await get(backend, "refused")).status).toBe(404);
  });

  it("verifies and keeps the checksums a write carries that no runtime verified, as a copy between stores gives them", async () => {
    const { backend } = await freshBackend();
    const written = await run(backend, { operation: "PutObject", key: "given", headers: { "content-length": String(body.length), "x-amz-checksum-sha256": sha256, "x-amz-checksum-crc32": crc32 } }, body);
    expect([written.status, written.headers.get("x-amz-checksum-sha256"), written.headers.get("x-amz-checksum-crc32")]).toEqual([200, sha256, crc32]);
    expect(await checksumsOf(backend, "given")).toEqual({ "x-amz-checksum-crc32": crc32, "x-amz-checksum-sha256": sha256, "x-amz-checksum-type": "FULL_OBJECT" });
    const wrong = await run(backend, { operation: "PutObject", key: "wrong", headers: { "content-length": "5", "x-amz-checksum-sha256": sha256 } }, "other");
    expect([wrong.status, codeOf(wrong)]).toEqual([400, "BadDigest"]);
    expect((await get(backend, "wrong")).status).toBe(404);
  });

  it("keeps a folder marker's checksums, written or copied, and computes one a copy names", async () => {
    const { backend } = await freshBackend();
    const emptyCrc32 = "AAAAAA==";
    const emptySha256 = createHash("sha256").update("").digest("base64");
    const written = await run(backend, { operation: "PutObject", key: "dir/", headers: { "content-length": "0" }, verifiedChecksums: () => ({ "x-amz-checksum-crc32": emptyCrc32 }) }, "");
    expect([written.status, written.headers.get("x-amz-checksum-crc32")]).toEqual([200, emptyCrc32]);
    expect(await checksumsOf(backend, "dir/")).toEqual({ "x-amz-checksum-crc32": emptyCrc32, "x-amz-checksum-type": "FULL_OBJECT" });
    const copy = (key: string, headers: Record<string, string>) => backend.copyObject({ sourceBackend: backend, sourceKey: "dir/", key, headers: new Headers(headers) });
    expect((await copy("copied/", {})).checksums).toEqual({ "x-amz-checksum-crc32": emptyCrc32 });
    expect(await checksumsOf(backend, "copied/")).toEqual({ "x-amz-checksum-crc32": emptyCrc32, "x-amz-checksum-type": "FULL_OBJECT" });
    // Given by a write no runtime verified (an empty object copied from another store): checked, then kept.
    const given = await run(backend, { operation: "PutObject", key: "given/", headers: { "content-length": "0", "x-amz-checksum-sha256": emptySha256 } }, "");
    expect([given.status, given.headers.get("x-amz-checksum-sha256")]).toEqual([200, emptySha256]);
    expect(await checksumsOf(backend, "given/")).toEqual({ "x-amz-checksum-sha256": emptySha256, "x-amz-checksum-type": "FULL_OBJECT" });
    const wrong = await run(backend, { operation: "PutObject", key: "wrong/", headers: { "content-length": "0", "x-amz-checksum-crc32": "AAAAAQ==" } }, "");
    expect([wrong.status, codeOf(wrong)]).toEqual([400, "BadDigest"]);
    expect((await get(backend, "wrong/")).status).toBe(404);
    expect((await copy("named/", { "x-amz-checksum-algorithm": "SHA256" })).checksums).toEqual({ "x-amz-checksum-sha256": emptySha256 });
    expect(await checksumsOf(backend, "named/")).toEqual({ "x-amz-checksum-sha256": emptySha256, "x-amz-checksum-type": "FULL_OBJECT" });
  });
});

describe("fs backend listing", () => {
  async function populate(backend: Backend<never>, keys: string[]): Promise<void> {
    for (const key of keys) expect((await put(backend, key, key)).status).toBe(200);
  }
  const byteOrder = (keys: string[]) => [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));

  it("pages through a nested tree in byte order", async () => {
    const { backend } = await freshBackend();
    const keys: string[] = [];
    for (const top of ["a", "a-b", "a0", "b", "é"]) for (const leaf of ["1", "x/2", "x/y/3", "x-4"]) keys.push(`${top}/${leaf}`);
    keys.push("root-file", "z");
    await populate(backend as Backend<never>, keys);
    for (const maxKeys of [1, 3, 7]) {
      const seen: string[] = [];
      let token: string | undefined;
      do {
        const page = await backend.listObjects({ prefix: "", maxKeys, ...(token && { continuationToken: token }) });
        seen.push(...page.objects.map((o) => o.key));
        token = page.nextContinuationToken;
      } while (token);
      expect(seen).toEqual(byteOrder(keys));
    }
    const under = await backend.listObjects({ prefix: "a/x", maxKeys: 100 });
    expect(under.objects.map((o) => o.key)).toEqual(["a/x-4", "a/x/2", "a/x/y/3"]);
  });

  it("rolls up on any delimiter and resumes after a common prefix", async () => {
    const { backend } = await freshBackend();
    await populate(backend as Backend<never>, ["p/a-1", "p/a-2", "p/a-x/deep", "p/b", "p/c-1/d"]);
    const dashed = await backend.listObjects({ prefix: "p/", delimiter: "-", maxKeys: 100 });
    expect(dashed.commonPrefixes).toEqual(["p/a-", "p/c-"]);
    expect(dashed.objects.map((o) => o.key)).toEqual(["p/b"]);
    const first = await backend.listObjects({ prefix: "p/", delimiter: "-", maxKeys: 1 });
    expect(first.commonPrefixes).toEqual(["p/a-"]);
    const second = await backend.listObjects({ prefix: "p/", delimiter: "-", maxKeys: 1, continuationToken: first.nextContinuationToken! });
    expect(second.objects.map((o) => o.key)).toEqual(["p/b"]);
    const multi = await backend.listObjects({ prefix: "", delimiter: "/a-", maxKeys: 100 });
    expect(multi.commonPrefixes).toEqual(["p/a-"]);
    await expect(backend.listObjects({ prefix: "", maxKeys: 10, continuationToken: "garbage" })).rejects.toMatchObject({ code: "InvalidArgument" });
  });

  it("skips names that cannot be keys and special files", async () => {
    const { backend, root } = await freshBackend();
    await writeFile(Buffer.concat([Buffer.from(root + "/"), Buffer.from([0x66, 0xff, 0x66])]), "latin1 name");
    await mkdir(join(root, "ok"));
    await writeFile(join(root, "ok", "file"), "fine");
    const listed = await backend.listObjects({ prefix: "", maxKeys: 100 });
    expect(listed.objects.map((o) => o.key)).toEqual(["ok/file"]);
    expect(existsSync(join(root, "ok", "file"))).toBe(true);
  });
});
