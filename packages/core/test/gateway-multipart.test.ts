/** Gateway multipart uploads: create, complete and abort with backend keys, and upload ids bound to bucket and key. */
import { beforeEach, describe, expect, it } from "vitest";
import { childText } from "../src/backend.js";
import type { MemoryBackend } from "./helpers/memory-backend.js";
import { as, objectsGateway, response, sha256 } from "./helpers/objects-gateway.js";
import type { UnsignedRequest } from "./helpers/sign.js";

let local: MemoryBackend;
let send: ReturnType<typeof objectsGateway>["send"];

beforeEach(() => {
  ({ local, send } = objectsGateway());
});

describe("multipart uploads", () => {
  it("creates, completes and aborts with backend keys, answering with client keys", async () => {
    const created = response(await send({ method: "POST", path: "/data/big/file.bin", query: { uploads: "" } }, as("AKIDWRITER")));
    expect(created.root!.name).toBe("InitiateMultipartUploadResult");
    expect(childText(created.root!, "Key")).toBe("big/file.bin");
    expect(childText(created.root!, "Bucket")).toBe("data");
    const uploadId = childText(created.root!, "UploadId")!;
    expect(local.callsTo("createMultipartUpload")[0]![0]).toBe("tenant-a/big/file.bin");
    // The client gets the backend's id bound to bucket and key; the backend gets its own id back.
    expect(uploadId).not.toBe("upload-1");

    const body = `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"a"</ETag></Part><Part><PartNumber>2</PartNumber><ETag>"b"</ETag></Part></CompleteMultipartUpload>`;
    const request: UnsignedRequest = { method: "POST", path: "/data/big/file.bin", query: { uploadId }, headers: { "x-amz-content-sha256": sha256(body) } };
    const completed = response(await send(request, as("AKIDWRITER"), body));
    expect(completed.status).toBe(200);
    // Part numbers are digits: what Number() would also read is refused.
    for (const partNumber of ["1e3", "0x3e9", "1.0", "+2", " 3", "0", "10001"]) {
      const part = response(await send({ method: "PUT", path: "/data/big/file.bin", query: { uploadId, partNumber }, headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD", "content-length": "1" } }, as("AKIDWRITER"), "x"));
      expect([part.status, childText(part.root!, "Code")], partNumber).toEqual([400, "InvalidArgument"]);
    }
    expect(childText(completed.root!, "ETag")).toBe('"multipart-2"');
    expect(childText(completed.root!, "Location")).toBe("/data/big/file.bin");
    expect(local.callsTo("completeMultipartUpload")[0]!.slice(0, 3)).toEqual([
      "tenant-a/big/file.bin",
      "upload-1",
      [{ partNumber: 1, etag: '"a"' }, { partNumber: 2, etag: '"b"' }],
    ]);

    const aborted = response(await send({ method: "DELETE", path: "/data/big/file.bin", query: { uploadId } }, as("AKIDWRITER")));
    expect(aborted.status).toBe(204);
    expect(local.callsTo("abortMultipartUpload")).toEqual([["tenant-a/big/file.bin", "upload-1"]]);
  });

  it("answers NoSuchUpload for an upload id made for another key, another bucket, or not by this gateway", async () => {
    const created = response(await send({ method: "POST", path: "/data/mine/file.bin", query: { uploads: "" } }, as("AKIDWRITER")));
    const uploadId = childText(created.root!, "UploadId")!;
    const body = `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"a"</ETag></Part></CompleteMultipartUpload>`;
    const complete = (path: string, id: string) => send({ method: "POST", path, query: { uploadId: id }, headers: { "x-amz-content-sha256": sha256(body) } }, as("AKIDWRITER"), body);
    for (const [path, id] of [["/data/other/file.bin", uploadId], ["/data/mine/file.bin", "upload-1"], ["/data/mine/file.bin", `${uploadId.slice(0, -1)}${uploadId.endsWith("0") ? "1" : "0"}`], ["/data/mine/file.bin", "x"]] as const) {
      const refused = response(await complete(path, id));
      expect([refused.status, childText(refused.root!, "Code")], `${path} ${id}`).toEqual([404, "NoSuchUpload"]);
    }
    const part = response(await send({ method: "DELETE", path: "/data/other/file.bin", query: { uploadId } }, as("AKIDWRITER")));
    expect(part.status).toBe(404);
    expect(local.callsTo("completeMultipartUpload")).toEqual([]);
    expect(local.callsTo("abortMultipartUpload")).toEqual([]);
    expect(response(await complete("/data/mine/file.bin", uploadId)).status).toBe(200);
  });

  it("refuses a CompleteMultipartUpload body that does not match the signed payload hash", async () => {
    const part = (etag: string) => `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${etag}</ETag></Part></CompleteMultipartUpload>`;
    const created = response(await send({ method: "POST", path: "/data/big", query: { uploads: "" } }, as("AKIDWRITER")));
    const uploadId = childText(created.root!, "UploadId")!;
    const request: UnsignedRequest = { method: "POST", path: "/data/big", query: { uploadId }, headers: { "x-amz-content-sha256": sha256(part('"a"')) } };
    const { status, root } = response(await send(request, as("AKIDWRITER"), part('"b"')));
    expect(status).toBe(400);
    expect(childText(root!, "Code")).toBe("XAmzContentSHA256Mismatch");
    expect(local.callsTo("completeMultipartUpload")).toEqual([]);
  });

  it("refuses callers without the multipart actions", async () => {
    expect(response(await send({ method: "POST", path: "/data/k", query: { uploads: "" } }, as("AKIDDELETER"))).status).toBe(403);
    expect(response(await send({ method: "POST", path: "/public/k", query: { uploads: "" } })).status).toBe(403);
    expect(local.callsTo("createMultipartUpload")).toEqual([]);
  });
});
