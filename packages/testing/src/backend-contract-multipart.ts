/**
 * The contract's multipart checks: parts assembled into one object with S3's multipart ETag, refused completions
 * (parts out of order, wrong ETags, missing parts) that leave the upload usable, aborts for backends that declare
 * them, and the optional ListParts and ListMultipartUploads (backend-contract-list-parts.ts and -list-uploads.ts).
 */
import { expect, it } from "vitest";
import { itIf, md5, MiB, type BackendContractContext } from "./backend-contract-context.js";
import { listPartsContract } from "./backend-contract-list-parts.js";
import { listUploadsContract } from "./backend-contract-list-uploads.js";
import { partCopyContract } from "./backend-contract-part-copy.js";

/** Registers the multipart checks (inside the contract's "multipart uploads" describe). */
export function multipartContract(context: BackendContractContext): void {
  const { capabilities, gaps, fresh, run, get, head, code } = context;
  const partOf = (size: number, seed: number) => new Uint8Array(size).map((_, i) => (i * 7 + seed) % 251);
  const uploadPart = (key: string, uploadId: string, partNumber: number, bytes: Uint8Array) =>
    run({ operation: "UploadPart", key, uploadId, partNumber, headers: { "content-length": String(bytes.length) } }, bytes);

  listPartsContract({ backend: context.backend, declared: capabilities.listParts === true, fresh, uploadPart });
  partCopyContract(context);
  listUploadsContract({ backend: context.backend, declared: capabilities.listUploads === true, aborts: capabilities.abortMultipart === true, fresh, uploadPart });

  it("assembles parts into one object", async () => {
    const backend = context.backend();
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
    const backend = context.backend();
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
    const backend = context.backend();
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
}
