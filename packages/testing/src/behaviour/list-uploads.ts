/**
 * ListMultipartUploads: the uploads in progress under a prefix, with the ids CreateMultipartUpload answered (which
 * then work with UploadPart and ListParts), paged with max-uploads and markers, rolled up at a delimiter; authorized
 * like a listing of the prefix. Backends that cannot list an upload's parts (R2 on the Worker) list none, so a
 * client that looks for an upload to resume (minio-js) starts a new one.
 */
import { randomBytes } from "node:crypto";
import {
  AbortMultipartUploadCommand,
  CreateMultipartUploadCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  UploadPartCommand,
  type ListMultipartUploadsCommandOutput,
  type S3Client,
} from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { errorCode, sdkClient, signedRawRequest } from "./clients.js";
import { listPartsUnsupported } from "./list-parts.js";
import { BACKENDS, BUCKETS, type World } from "./setup.js";

const statusOf = (client: S3Client, command: ListMultipartUploadsCommand) =>
  client.send(command).then(
    () => 200,
    (error: { $metadata?: { httpStatusCode?: number }; name?: string }) => `${error.$metadata?.httpStatusCode} ${error.name}`,
  );

const uploadsOf = (page: ListMultipartUploadsCommandOutput) => (page.Uploads ?? []).map((upload) => `${upload.Key} ${upload.UploadId}`);

/** Registers ListMultipartUploads tests. */
export function listUploadsBehaviour(world: () => World): void {
  describe.each(BACKENDS)("ListMultipartUploads on the %s backend", (kind, bucket) => {
    const client = () => sdkClient(world(), world().admin);

    it("lists the uploads started under a prefix with the ids they were started with, in pages", async () => {
      const prefix = `allowed/uploads-${randomBytes(4).toString("hex")}/`;
      const keys = [`${prefix}a.bin`, `${prefix}b ключ.bin`, `${prefix}b ключ.bin`, `${prefix}sub/c.bin`];
      const started: string[] = [];
      for (const key of keys) started.push(`${key} ${(await client().send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }))).UploadId}`);
      try {
        const all = await client().send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix }));
        expect([all.Bucket, all.Prefix, all.IsTruncated]).toEqual([bucket, prefix, false]);
        if (listPartsUnsupported(kind, world()) !== undefined) {
          expect(all.Uploads ?? []).toEqual([]);
          return;
        }
        expect(uploadsOf(all).sort()).toEqual([...started].sort());
        expect(all.Uploads!.map((upload) => upload.Key)).toEqual(keys);
        for (const upload of all.Uploads!) {
          expect(Math.abs(upload.Initiated!.getTime() - Date.now()), upload.Key).toBeLessThan(10 * 60_000);
          expect(upload.StorageClass).toBe("STANDARD");
        }

        // A listed id is the upload's own: parts go to it and are listed under it.
        const [key, uploadId] = [all.Uploads![1]!.Key!, all.Uploads![1]!.UploadId!];
        await client().send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: 1, Body: "part one" }));
        expect((await client().send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: uploadId }))).Parts?.map((part) => part.Size)).toEqual([8]);

        // One upload a page, following NextKeyMarker and NextUploadIdMarker (two uploads share a key).
        const paged: string[] = [];
        let markers: { KeyMarker?: string; UploadIdMarker?: string } = {};
        for (let pages = 1; ; pages++) {
          const page = await client().send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix, MaxUploads: 1, ...markers }));
          expect([page.MaxUploads, (page.Uploads ?? []).length]).toEqual([1, 1]);
          paged.push(...uploadsOf(page));
          if (!page.IsTruncated) break;
          expect(pages).toBeLessThan(4);
          markers = { KeyMarker: page.NextKeyMarker!, UploadIdMarker: page.NextUploadIdMarker! };
        }
        expect(paged).toEqual(uploadsOf(all));

        const rolled = await client().send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix, Delimiter: "/" }));
        expect([rolled.Uploads?.map((upload) => upload.Key), rolled.CommonPrefixes?.map((common) => common.Prefix), rolled.Delimiter]).toEqual([keys.slice(0, 3), [`${prefix}sub/`], "/"]);
        const under = await client().send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: `${prefix}sub/` }));
        expect(uploadsOf(under)).toEqual([started[3]]);
        const after = await client().send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix, KeyMarker: keys[1] }));
        expect(uploadsOf(after)).toEqual([started[3]]);
      } finally {
        // s3rver answers Abort with 405: the clean-up is best effort there.
        for (const entry of started) {
          const [key, uploadId] = [entry.slice(0, entry.lastIndexOf(" ")), entry.slice(entry.lastIndexOf(" ") + 1)];
          await client().send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId })).catch(() => undefined);
        }
      }
    });

    it("lists to a limited key only under the prefixes it may list, and refuses a marker it did not make", async () => {
      const hidden = await client().send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: "secret/hidden-upload.bin" }));
      try {
        const limited = sdkClient(world(), world().limited);
        expect(await statusOf(limited, new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: "secret/" }))).toBe("403 AccessDenied");
        expect(await statusOf(limited, new ListMultipartUploadsCommand({ Bucket: bucket }))).toBe("403 AccessDenied");
        const allowed = await limited.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: "allowed/" }));
        expect((allowed.Uploads ?? []).filter((upload) => !upload.Key!.startsWith("allowed/"))).toEqual([]);
        if (listPartsUnsupported(kind, world()) === undefined) {
          const secret = await client().send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: "secret/hidden-upload" }));
          expect(uploadsOf(secret)).toContain(`secret/hidden-upload.bin ${hidden.UploadId}`);
        }
        const marker = await signedRawRequest(world().endpoint, world().admin, {
          method: "GET",
          path: `/${bucket}`,
          query: { uploads: "", "key-marker": "allowed/x", "upload-id-marker": hidden.UploadId! },
          headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" },
        });
        expect([marker.status, errorCode(marker.text)]).toEqual([400, "InvalidArgument"]);
      } finally {
        await client().send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: "secret/hidden-upload.bin", UploadId: hidden.UploadId })).catch(() => undefined);
      }
    });
  });

  it("refuses ListMultipartUploads to anonymous callers of a private bucket and to keys without the bucket", async () => {
    expect(await statusOf(sdkClient(world()), new ListMultipartUploadsCommand({ Bucket: BUCKETS.s3 }))).toBe("403 AccessDenied");
    expect(await statusOf(sdkClient(world(), world().limited), new ListMultipartUploadsCommand({ Bucket: BUCKETS.s3Other }))).toBe("403 AccessDenied");
  });
}
