/**
 * The contract's copy and batch delete checks: copies keep the source's metadata or replace it, copies whose source
 * conditions fail or whose source is missing are refused, as is a copy onto itself that changes nothing, and batch
 * deletes succeed for missing keys too.
 */
import { expect, it } from "vitest";
import { itIf, text, type BackendContractContext } from "./backend-contract-context.js";

/** Registers the copy and batch delete checks (inside the contract's "copy and batch delete" describe). */
export function copyDeleteContract(context: BackendContractContext): void {
  const { gaps, fresh, get, head, putOk, listAll } = context;

  it("copies objects with their metadata, or replaces it", async () => {
    const backend = context.backend();
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
    // REPLACE without a Content-Type gives the default type, as a PUT without one does (never none at all).
    await backend.copyObject({ sourceBackend: backend, sourceKey: `${prefix}source`, key: `${prefix}untyped`, headers: new Headers({ "x-amz-metadata-directive": "REPLACE" }) });
    expect((await head(`${prefix}untyped`)).headers.get("content-type")).toMatch(/^(application|binary)\/octet-stream$/);
  });

  it("refuses copies whose source conditions fail or whose source is missing", async () => {
    const backend = context.backend();
    const prefix = fresh();
    await putOk(`${prefix}source`, "x");
    const headers = new Headers({ "x-amz-copy-source-if-match": '"0123456789abcdef0123456789abcdef"' });
    if (!gaps.copyIgnoresSourceConditions) {
      await expect(backend.copyObject({ sourceBackend: backend, sourceKey: `${prefix}source`, key: `${prefix}dest`, headers })).rejects.toMatchObject({ code: "PreconditionFailed" });
    }
    await expect(backend.copyObject({ sourceBackend: backend, sourceKey: `${prefix}missing`, key: `${prefix}dest`, headers: new Headers() })).rejects.toMatchObject({ code: "NoSuchKey" });
    expect((await get(`${prefix}dest`)).status).toBe(404);
  });

  itIf(context.capabilities.conditionalWrites === true)("honours the destination's If-None-Match and If-Match, as a PUT does", async () => {
    const backend = context.backend();
    const prefix = fresh();
    await putOk(`${prefix}source`, "new");
    await putOk(`${prefix}taken`, "kept");
    const copy = (key: string, headers: Record<string, string>) => backend.copyObject({ sourceBackend: backend, sourceKey: `${prefix}source`, key: prefix + key, headers: new Headers(headers) });
    await expect(copy("taken", { "if-none-match": "*" })).rejects.toMatchObject({ code: "PreconditionFailed" });
    await expect(copy("taken", { "if-match": '"0123456789abcdef0123456789abcdef"' })).rejects.toMatchObject({ code: "PreconditionFailed" });
    expect(text((await get(`${prefix}taken`)).body)).toBe("kept");
    await expect(copy("absent", { "if-match": '"0123456789abcdef0123456789abcdef"' })).rejects.toMatchObject({ code: "NoSuchKey" });
    await copy("fresh", { "if-none-match": "*" });
    expect(text((await get(`${prefix}fresh`)).body)).toBe("new");
  });

  it("refuses a copy of an object onto itself that changes nothing, as S3 does, and takes one that replaces its metadata", async () => {
    const backend = context.backend();
    const key = `${fresh()}self`;
    await putOk(key, "itself", { "content-type": "text/x-before" });
    const copy = (headers: Record<string, string>) => backend.copyObject({ sourceBackend: backend, sourceKey: key, key, headers: new Headers(headers) });
    await expect(copy({})).rejects.toMatchObject({ code: "InvalidRequest", status: 400 });
    await copy({ "x-amz-metadata-directive": "REPLACE", "content-type": "text/x-after" });
    const got = await get(key);
    expect([text(got.body), got.headers.get("content-type")]).toEqual(["itself", "text/x-after"]);
  });

  it("deletes keys in batches, missing keys included", async () => {
    const backend = context.backend();
    const prefix = fresh();
    for (const name of ["one", "two", "three"]) await putOk(prefix + name, name);
    const result = await backend.deleteObjects([`${prefix}one`, `${prefix}two`, `${prefix}never-existed`]);
    expect(result.errors).toEqual([]);
    expect(new Set(result.deleted)).toEqual(new Set([`${prefix}one`, `${prefix}two`, `${prefix}never-existed`]));
    expect((await listAll({ prefix, maxKeys: 100 })).keys).toEqual([`${prefix}three`]);
  });
}
