/**
 * ListParts: the parts of an upload in progress, paged, as each backend that can list them keeps them (the last
 * upload of a part wins); scoped like the upload itself; `501 NotImplemented` on backends that cannot list parts.
 */
import { randomBytes } from "node:crypto";
import { AbortMultipartUploadCommand, CreateMultipartUploadCommand, ListPartsCommand, UploadPartCommand } from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { errorCode, sdkClient, signedRawRequest } from "./clients.js";
import { BACKENDS, type BackendKind, type World } from "./setup.js";

/**
 * Why a backend answers ListParts with 501, or undefined when it lists parts. Such a backend lists no upload either
 * (ListMultipartUploads): a client resumes an upload it finds by listing its parts.
 */
export function listPartsUnsupported(kind: BackendKind, world: World): string | undefined {
  return kind === "native" ? world.exceptions.nativeListPartsUnsupported : undefined;
}

/** Registers ListParts tests. */
export function listPartsBehaviour(world: () => World): void {
  describe.each(BACKENDS)("ListParts on the %s backend", (kind, bucket) => {
    const client = () => sdkClient(world(), world().admin);

    it("lists the uploaded parts in pages, the last upload of a part replacing the earlier one", async () => {
      const key = "allowed/parts/listed ключ.bin";
      const created = await client().send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
      const uploadId = created.UploadId!;
      try {
        if (listPartsUnsupported(kind, world()) !== undefined) {
          const refused = await client().send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: uploadId })).catch((error: unknown) => error);
          expect(refused).toMatchObject({ name: "NotImplemented", $metadata: { httpStatusCode: 501 } });
          return;
        }
        const bodies = [randomBytes(1000), randomBytes(2000), randomBytes(3000)];
        const etags: string[] = [];
        for (const [index, body] of bodies.entries()) {
          etags.push((await client().send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: index + 1, Body: body }))).ETag!);
        }
        // Part 2 again, with other bytes: only the new one is listed.
        bodies[1] = randomBytes(2500);
        etags[1] = (await client().send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: 2, Body: bodies[1] }))).ETag!;

        const all = await client().send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: uploadId }));
        expect([all.Bucket, all.Key, all.UploadId, all.IsTruncated]).toEqual([bucket, key, uploadId, false]);
        expect(all.Parts!.map((part) => [part.PartNumber, part.ETag, part.Size])).toEqual(bodies.map((body, index) => [index + 1, etags[index], body.length]));
        for (const part of all.Parts!) expect(Math.abs(part.LastModified!.getTime() - Date.now())).toBeLessThan(10 * 60_000);

        const first = await client().send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: uploadId, MaxParts: 2 }));
        expect([first.Parts!.map((part) => part.PartNumber), first.IsTruncated, first.NextPartNumberMarker]).toEqual([[1, 2], true, "2"]);
        const rest = await client().send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumberMarker: first.NextPartNumberMarker }));
        expect([rest.Parts!.map((part) => part.PartNumber), rest.IsTruncated]).toEqual([[3], false]);
      } finally {
        await client().send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId })).catch(() => undefined);
      }
    });

    it("is scoped like the upload: another key's id is NoSuchUpload, a key outside the caller's prefixes AccessDenied", async () => {
      const created = await client().send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: "secret/parts.bin" }));
      const uploadId = created.UploadId!;
      try {
        const list = (path: string, query: Record<string, string>) =>
          signedRawRequest(world().endpoint, world().limited, { method: "GET", path, query, headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" } });
        const denied = await list(`/${bucket}/secret/parts.bin`, { uploadId });
        expect([denied.status, errorCode(denied.text)]).toEqual([403, "AccessDenied"]);
        // The id under a key the caller may write: bound to its own key, so no upload.
        const moved = await list(`/${bucket}/allowed/parts.bin`, { uploadId });
        expect([moved.status, errorCode(moved.text)]).toEqual([404, "NoSuchUpload"]);
        if (listPartsUnsupported(kind, world()) === undefined) {
          const bad = await signedRawRequest(world().endpoint, world().admin, { method: "GET", path: `/${bucket}/secret/parts.bin`, query: { uploadId, "max-parts": "-1" }, headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" } });
          expect([bad.status, errorCode(bad.text)]).toEqual([400, "InvalidArgument"]);
        }
      } finally {
        await client().send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: "secret/parts.bin", UploadId: uploadId })).catch(() => undefined);
      }
    });
  });
}
