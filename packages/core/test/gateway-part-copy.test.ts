/**
 * Gateway UploadPartCopy: the source authorized as a read (a version as a version read), the upload's key as a part
 * upload; backend keys, the backend's upload id and the range reach the backend; S3's errors otherwise.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { childText, type PartCopyRequest } from "../src/backend.js";
import type { MemoryBackend } from "./helpers/memory-backend.js";
import { as, objectsGateway, response } from "./helpers/objects-gateway.js";

let local: MemoryBackend;
let remote: MemoryBackend;
let send: ReturnType<typeof objectsGateway>["send"];

beforeEach(() => {
  ({ local, remote, send } = objectsGateway());
});

/** Starts an upload of `path` as the writer; answers the upload id the client is given. */
async function created(path: string): Promise<string> {
  return childText(response(await send({ method: "POST", path, query: { uploads: "" } }, as("AKIDWRITER"))).root!, "UploadId")!;
}

/** UploadPartCopy of `source` into part `partNumber` of `uploadId` at `path`, signed as `signer`. */
function copyPart(path: string, uploadId: string, source: string, headers: Record<string, string> = {}, signer = "AKIDWRITER", partNumber = "2") {
  return send({ method: "PUT", path, query: { partNumber, uploadId }, headers: { "x-amz-copy-source": source, ...headers } }, as(signer));
}

describe("UploadPartCopy", () => {
  it("copies into the backend's upload with backend keys and the range, answering CopyPartResult", async () => {
    const uploadId = await created("/data/dst/k");
    const { status, root } = response(await copyPart("/data/dst/k", uploadId, "/data/dst/existing", { "x-amz-copy-source-range": "bytes=0-0", "x-amz-copy-source-if-match": '"etag-1"' }));
    expect(status).toBe(200);
    expect(root!.name).toBe("CopyPartResult");
    expect(childText(root!, "ETag")).toBe('"part-1"');
    expect(childText(root!, "LastModified")).toBe("2024-03-03T00:00:00.000Z");
    const [request] = local.callsTo("uploadPartCopy")[0] as [PartCopyRequest];
    expect(request).toMatchObject({ sourceKey: "tenant-a/dst/existing", key: "tenant-a/dst/k", uploadId: "upload-1", partNumber: 2, range: { first: 0, last: 0 } });
    expect(request.headers.get("x-amz-copy-source-if-match")).toBe('"etag-1"');
    expect(request.headers.has("authorization")).toBe(false);
  });

  it("authorizes the source as a read (a version as a version read) and the upload's key as a part upload", async () => {
    const uploadId = await created("/data/dst/k");
    // The copier may write data/dst/ (put_object) but not upload parts there; the writer may not read other/.
    expect(response(await copyPart("/data/dst/k", uploadId, "/other/src/k", {}, "AKIDCOPIER")).status).toBe(403);
    expect(response(await copyPart("/data/dst/k", uploadId, "/other/src/k")).status).toBe(403);
    expect(response(await copyPart("/data/dst/k", uploadId, "/data/dst/existing?versionId=3")).status).toBe(403);
    expect(local.callsTo("uploadPartCopy")).toEqual([]);
  });

  it("refuses an upload id of another key, a malformed range and an unknown source bucket", async () => {
    const uploadId = await created("/data/dst/a");
    for (const [path, source, headers, status, code] of [
      ["/data/dst/b", "/data/dst/existing", {}, 404, "NoSuchUpload"],
      ["/data/dst/a", "/data/dst/existing", { "x-amz-copy-source-range": "bytes=3-" }, 400, "InvalidArgument"],
      ["/data/dst/a", "/data/dst/existing", { "x-amz-copy-source-range": "bytes=3-1" }, 400, "InvalidArgument"],
      ["/data/dst/a", "/nope/k", {}, 404, "NoSuchBucket"],
      ["/data/dst/a", "data", {}, 400, "InvalidArgument"],
    ] as const) {
      const { status: answered, root } = response(await copyPart(path, uploadId, source, headers));
      expect([answered, childText(root!, "Code")], `${path} ${source} ${JSON.stringify(headers)}`).toEqual([status, code]);
    }
    expect(response(await copyPart("/data/dst/a", uploadId, "/data/dst/existing", {}, "AKIDWRITER", "10001")).status).toBe(400);
    expect(local.callsTo("uploadPartCopy")).toEqual([]);
  });

  it("names a missing source as the client did (not by its backend key)", async () => {
    const uploadId = await created("/data/dst/k");
    const { status, root, body } = response(await copyPart("/data/dst/k", uploadId, "/data/dst/missing"));
    expect([status, childText(root!, "Code"), childText(root!, "Key")]).toEqual([404, "NoSuchKey", "dst/missing"]);
    expect(body).not.toContain("tenant-a");
  });

  it("streams the part itself from a source in another copy domain and for a backend without uploadPartCopy", async () => {
    const uploadId = await created("/data/dst/k");
    const across = response(await copyPart("/data/dst/k", uploadId, "/remote/r"));
    expect([across.status, childText(across.root!, "ETag")]).toEqual([200, '"uploaded-part-6"']);
    expect([local.callsTo("uploadPartCopy"), remote.callsTo("uploadPartCopy")]).toEqual([[], []]);
    local.uploadPartCopy = undefined;
    const within = response(await copyPart("/data/dst/k", uploadId, "/data/dst/existing"));
    expect([within.status, childText(within.root!, "ETag")]).toEqual([200, '"uploaded-part-1"']);
  });
});
