/**
 * GetObject and HeadObject of one part (`?partNumber=N`) on every backend. The stores behind these tests keep no part
 * boundaries the gateway can read (s3rver ignores `partNumber`), so each object is its own one part, as S3 reads an
 * object uploaded in one piece: part 1 is the whole object (`206` with its Content-Range), any other part is
 * `416 InvalidPartNumber`. A download manager reading part by part still gets every byte.
 */
import { randomBytes } from "node:crypto";
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { describe, expect, it } from "vitest";
import { errorCode, rawRequest, sdkClient, signedRawRequest } from "./clients.js";
import { BACKENDS, BUCKETS, enforcesAll, type World } from "./setup.js";

const MiB = 1024 * 1024;

/** Registers part-read tests. */
export function objectPartsBehaviour(world: () => World): void {
  describe.each(BACKENDS)("GetObject by part number on the %s backend", (kind, bucket) => {
    const client = () => sdkClient(world(), world().admin);
    const ask = (path: string, query: Record<string, string>, headers: Record<string, string> = {}, method = "GET", credentials = world().admin) =>
      signedRawRequest(world().endpoint, credentials, { method, path: `/${bucket}/${path.split("/").map(encodeURIComponent).join("/")}`, query, headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD", ...headers } });

    it("reads part 1 of an object uploaded whole as the whole object: 206 with its Content-Range, no part count", async () => {
      const key = "allowed/parts/whole ключ.bin";
      const body = randomBytes(3000);
      await client().send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
      const part = await client().send(new GetObjectCommand({ Bucket: bucket, Key: key, PartNumber: 1 }));
      expect([part.ContentLength, part.ContentRange, part.PartsCount]).toEqual([3000, "bytes 0-2999/3000", undefined]);
      expect(Buffer.from(await part.Body!.transformToByteArray()).equals(body)).toBe(true);
      const head = await client().send(new HeadObjectCommand({ Bucket: bucket, Key: key, PartNumber: 1 }));
      expect([head.ContentLength, head.ContentRange, head.ETag, head.PartsCount]).toEqual([3000, "bytes 0-2999/3000", part.ETag, undefined]);
      const raw = await ask(key, { partNumber: "1" });
      expect([raw.status, raw.headers["content-range"], raw.body.equals(body)]).toEqual([206, "bytes 0-2999/3000", true]);
      // Presigned, as download managers sign each part's GET.
      const url = await getSignedUrl(client(), new GetObjectCommand({ Bucket: bucket, Key: key, PartNumber: 1 }), { expiresIn: 300 });
      const presigned = await fetch(url);
      expect([presigned.status, presigned.headers.get("content-range"), Buffer.from(await presigned.arrayBuffer()).equals(body)]).toEqual([206, "bytes 0-2999/3000", true]);
      // Its conditions hold as on any read.
      const unchanged = await ask(key, { partNumber: "1" }, { "if-none-match": part.ETag! });
      expect(unchanged.status).toBe(304);
      if (enforcesAll(kind)) {
        // (s3rver does not check If-Match.)
        const changed = await ask(key, { partNumber: "1" }, { "if-match": '"0123456789abcdef0123456789abcdef"' });
        expect([changed.status, errorCode(changed.text)]).toEqual([412, "PreconditionFailed"]);
      }
    });

    it("refuses any other part with 416 InvalidPartNumber", async () => {
      const key = "allowed/parts/single.bin";
      await client().send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: randomBytes(200 * 1024) }));
      for (const partNumber of ["2", "10000"]) {
        const part = await ask(key, { partNumber });
        expect([part.status, errorCode(part.text), part.headers["content-range"]]).toEqual([416, "InvalidPartNumber", undefined]);
        const head = await ask(key, { partNumber }, {}, "HEAD");
        expect([head.status, head.body.length]).toEqual([416, 0]);
      }
      await expect(client().send(new GetObjectCommand({ Bucket: bucket, Key: key, PartNumber: 2 }))).rejects.toMatchObject({ name: "InvalidPartNumber" });
      // An object that is not there is NoSuchKey, whichever part is asked for.
      for (const partNumber of ["1", "2"]) {
        const missing = await ask("allowed/parts/no-such-key.bin", { partNumber });
        expect([missing.status, errorCode(missing.text)]).toEqual([404, "NoSuchKey"]);
      }
    });

    it("reads an empty object's part 1 as the empty object", async () => {
      const key = "allowed/parts/empty.bin";
      await client().send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: "" }));
      const part = await ask(key, { partNumber: "1" });
      expect([part.status, part.headers["content-length"], part.headers["content-range"]]).toEqual([200, "0", undefined]);
    });

    it("gives a download manager reading part by part every byte of a multipart object", async () => {
      const key = "allowed/parts/multipart.bin";
      const body = randomBytes(5 * MiB + 1000);
      const created = await client().send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
      const parts = [];
      for (const [index, [start, end]] of [[0, 5 * MiB], [5 * MiB, body.length]].entries()) {
        const uploaded = await client().send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: created.UploadId, PartNumber: index + 1, Body: body.subarray(start, end) }));
        parts.push({ PartNumber: index + 1, ETag: uploaded.ETag });
      }
      await client().send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: created.UploadId, MultipartUpload: { Parts: parts } }));
      // As the AWS SDK for Java's transfer manager: part 1, then the parts its answer counts (none here: one part).
      const first = await client().send(new GetObjectCommand({ Bucket: bucket, Key: key, PartNumber: 1 }));
      const chunks = [Buffer.from(await first.Body!.transformToByteArray())];
      for (let partNumber = 2; partNumber <= (first.PartsCount ?? 1); partNumber++) {
        const next = await client().send(new GetObjectCommand({ Bucket: bucket, Key: key, PartNumber: partNumber }));
        chunks.push(Buffer.from(await next.Body!.transformToByteArray()));
      }
      expect(first.ContentRange).toMatch(new RegExp(`^bytes 0-\\d+/${body.length}$`));
      expect(Buffer.concat(chunks).equals(body)).toBe(true);
    });

    it("refuses malformed part numbers, a Range beside one, and callers who may not read the key", async () => {
      const key = "secret/parts.txt";
      await client().send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: "hidden" }));
      for (const partNumber of ["0", "10001", "1.0", "one", ""]) {
        const refused = await ask(key, { partNumber });
        expect([refused.status, errorCode(refused.text)], partNumber).toEqual([400, "InvalidArgument"]);
      }
      const ranged = await ask(key, { partNumber: "1" }, { range: "bytes=0-1" });
      expect([ranged.status, errorCode(ranged.text)]).toEqual([400, "InvalidRequest"]);
      const denied = await ask(key, { partNumber: "1" }, {}, "GET", world().limited);
      expect([denied.status, errorCode(denied.text)]).toEqual([403, "AccessDenied"]);
      // Leading zeros are the same part.
      const padded = await ask(key, { partNumber: "0000001" });
      expect([padded.status, padded.text]).toEqual([206, "hidden"]);
      // Another sub-resource beside it is still not served.
      const torrent = await ask(key, { partNumber: "1", torrent: "" });
      expect([torrent.status, errorCode(torrent.text)]).toEqual([501, "NotImplemented"]);
    });
  });

  it("refuses response overrides on an anonymous part read as on any anonymous GET, whatever the part", async () => {
    // The native public bucket keeps no parts: part 2 is checked with a head, still refused as the client's GET.
    for (const partNumber of ["1", "2"]) {
      const refused = await rawRequest(world().endpoint, { method: "GET", path: `/${BUCKETS.publicNative}/anything.txt?partNumber=${partNumber}&response-content-type=text%2Fhtml` });
      expect([refused.status, errorCode(refused.text), refused.text], partNumber).toEqual([400, "InvalidRequest", expect.stringContaining("anonymous GET requests")]);
    }
  });
}
