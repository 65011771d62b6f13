/**
 * The contract's UploadPartCopy checks, for backends that implement the optional `uploadPartCopy`: ranges of an
 * object (and a whole object) copied into parts that complete into the right bytes, and S3's refusals of a range
 * past the end, failing source conditions, a missing source and an unknown upload. A backend says whether it copies
 * parts (`capabilities.partCopy`), and the contract holds it to that.
 */
import { expect, it } from "vitest";
import type { PartCopyRequest } from "@multistore/core/backend";
import { md5, MiB, type BackendContractContext } from "./backend-contract-context.js";

/** Registers the checks (inside the contract's multipart describe). */
export function partCopyContract(context: BackendContractContext): void {
  const { capabilities, gaps, fresh, get, putOk } = context;
  const declared = capabilities.partCopy === true;
  const copy = (request: Omit<PartCopyRequest<unknown>, "sourceBackend" | "headers"> & { headers?: HeadersInit }) => {
    const backend = context.backend();
    return backend.uploadPartCopy!({ ...request, sourceBackend: backend, headers: new Headers(request.headers) });
  };

  it("copies ranges of an object, and a whole object, into parts when it declares it can (uploadPartCopy)", async () => {
    const backend = context.backend();
    expect(backend.uploadPartCopy !== undefined, "capabilities.partCopy must say whether uploadPartCopy exists").toBe(declared);
    if (!declared) return;
    const prefix = fresh();
    const source = new Uint8Array(5 * MiB + 1000).map((_, i) => (i * 13 + 5) % 251);
    const small = new Uint8Array(3000).map((_, i) => (i * 3 + 1) % 241);
    await putOk(`${prefix}source.bin`, source);
    await putOk(`${prefix}small.bin`, small);
    const key = `${prefix}assembled.bin`;
    const { uploadId } = await backend.createMultipartUpload(key, new Headers());
    // Parts but the last are 5 MiB at least (and of one size, as R2 requires): two ranges, then a whole object.
    const first = await copy({ sourceKey: `${prefix}source.bin`, range: { first: 1000, last: 5 * MiB + 999 }, key, uploadId, partNumber: 1 });
    const second = await copy({ sourceKey: `${prefix}source.bin`, range: { first: 0, last: 5 * MiB - 1 }, key, uploadId, partNumber: 2 });
    const third = await copy({ sourceKey: `${prefix}small.bin`, key, uploadId, partNumber: 3 });
    for (const part of [first, second, third]) expect(part.etag).toMatch(/^"[^"]+"$/);
    // A part ETag that has the form of an MD5 must be the part's (az's copied parts say they are none: `"az…"`).
    if (/^"[0-9a-f]{32}"$/.test(first.etag)) expect(first.etag).toBe(`"${md5(source.subarray(1000))}"`);
    await backend.completeMultipartUpload(key, uploadId, [first, second, third].map((part, index) => ({ partNumber: index + 1, etag: part.etag })), new Headers());
    const got = await get(key);
    expect(got.status).toBe(200);
    expect(got.body.length).toBe(10 * MiB + 3000);
    expect(md5(got.body)).toBe(md5(Buffer.concat([source.subarray(1000), source.subarray(0, 5 * MiB), small])));
  }, 60_000);

  it("refuses part copies with a range past the end, failing source conditions, a missing source or an unknown upload", async () => {
    const backend = context.backend();
    if (!declared) return;
    const prefix = fresh();
    const etag = await putOk(`${prefix}source`, "0123456789");
    const key = `${prefix}dest`;
    const { uploadId } = await backend.createMultipartUpload(key, new Headers());
    const sourceKey = `${prefix}source`;
    await expect(copy({ sourceKey, range: { first: 5, last: 10 }, key, uploadId, partNumber: 1 })).rejects.toMatchObject({ code: "InvalidArgument" });
    await expect(copy({ sourceKey, range: { first: 10, last: 12 }, key, uploadId, partNumber: 1 })).rejects.toMatchObject({ code: "InvalidArgument" });
    if (!gaps.copyIgnoresSourceConditions) {
      await expect(copy({ sourceKey, key, uploadId, partNumber: 1, headers: { "x-amz-copy-source-if-match": '"0123456789abcdef0123456789abcdef"' } })).rejects.toMatchObject({ code: "PreconditionFailed" });
      await expect(copy({ sourceKey, key, uploadId, partNumber: 1, headers: { "x-amz-copy-source-if-none-match": etag } })).rejects.toMatchObject({ code: "PreconditionFailed" });
    }
    await expect(copy({ sourceKey: `${prefix}missing`, key, uploadId, partNumber: 1 })).rejects.toMatchObject({ code: "NoSuchKey" });
    const unknown = { s3: "unknown-upload", az: "0123456789abcdef0123456789abcdef" }[backend.kind as string] ?? "unknownupload0123456789";
    if (!gaps.partCopyIgnoresUploadId) await expect(copy({ sourceKey, key, uploadId: unknown, partNumber: 1 })).rejects.toMatchObject({ code: "NoSuchUpload" });
    // What was refused left nothing: a part copied now is the upload's only part.
    const part = await copy({ sourceKey, range: { first: 2, last: 5 }, key, uploadId, partNumber: 1, headers: { "x-amz-copy-source-if-match": etag } });
    await backend.completeMultipartUpload(key, uploadId, [{ partNumber: 1, etag: part.etag }], new Headers());
    const got = await get(key);
    expect(new TextDecoder().decode(got.body)).toBe("2345");
  }, 60_000);
}
