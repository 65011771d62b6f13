/**
 * The settings S3 keeps with an object (website redirect, encryption): sent to an S3 backend by the writes that make
 * objects, never by reads or parts, nor to other stores; refused before a store that keeps none is asked. Object Lock
 * is refused everywhere.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { childText, type CopyRequest, type ObjectRequest } from "../src/backend.js";
import { gatewayRequest, type MemoryBackend } from "./helpers/memory-backend.js";
import { as, objectsGateway, response, sha256 } from "./helpers/objects-gateway.js";
import { presign } from "./helpers/sign.js";

const SETTINGS = {
  "x-amz-website-redirect-location": "/moved.html",
  "x-amz-server-side-encryption": "aws:kms",
  "x-amz-server-side-encryption-aws-kms-key-id": "arn:aws:kms:us-east-1:111122223333:key/k",
  "x-amz-server-side-encryption-bucket-key-enabled": "true",
};
const unsigned = { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" };

let local: MemoryBackend;
let send: ReturnType<typeof objectsGateway>["send"];
let gateway: ReturnType<typeof objectsGateway>["gateway"];

/** Makes the memory store stand for an S3 backend, which keeps every setting. */
function asS3(backend: MemoryBackend): void {
  Object.defineProperty(backend, "kind", { value: "s3" });
}

beforeEach(() => {
  ({ local, send, gateway } = objectsGateway());
});

const sentHeaders = (headers: Headers) => Object.fromEntries([...headers].filter(([name]) => name in SETTINGS));

describe("object settings on an S3 backend", () => {
  beforeEach(() => asS3(local));

  it("are sent with PutObject, CreateMultipartUpload and CopyObject", async () => {
    expect((await send({ method: "PUT", path: "/data/set/put", headers: { ...unsigned, ...SETTINGS, "content-length": "1" } }, as("AKIDWRITER"), "x")).type).toBe("native");
    const [put] = local.callsTo("prepareObject").at(-1) as [ObjectRequest];
    expect(sentHeaders(put.headers)).toEqual(SETTINGS);
    expect(response(await send({ method: "POST", path: "/data/set/big", query: { uploads: "" }, headers: SETTINGS }, as("AKIDWRITER"))).status).toBe(200);
    expect(sentHeaders(local.callsTo("createMultipartUpload")[0]![1] as Headers)).toEqual(SETTINGS);
    const copied = await send({ method: "PUT", path: "/data/dst/k", headers: { "x-amz-copy-source": "/other/src/k", ...SETTINGS } }, as("AKIDCOPIER"));
    expect(response(copied).status).toBe(200);
    expect(sentHeaders((local.callsTo("copyObject")[0]![0] as CopyRequest).headers)).toEqual(SETTINGS);
    // An empty value asks for nothing: not sent (the store might refuse what every other store takes).
    await send({ method: "PUT", path: "/data/set/empty", headers: { ...unsigned, "x-amz-server-side-encryption": "", "x-amz-website-redirect-location": "", "content-length": "1" } }, as("AKIDWRITER"), "x");
    const [empty] = local.callsTo("prepareObject").at(-1) as [ObjectRequest];
    expect(sentHeaders(empty.headers)).toEqual({});
  });

  it("are not sent with reads or parts", async () => {
    await send({ method: "GET", path: "/data/src/k", headers: { ...SETTINGS } }, as("AKIDWRITER"));
    const [read] = local.callsTo("prepareObject").at(-1) as [ObjectRequest];
    expect(read.operation).toBe("GetObject");
    expect(sentHeaders(read.headers)).toEqual({});
    const created = response(await send({ method: "POST", path: "/data/set/parts", query: { uploads: "" } }, as("AKIDWRITER")));
    const uploadId = childText(created.root!, "UploadId")!;
    await send({ method: "PUT", path: "/data/set/parts", query: { uploadId, partNumber: "1" }, headers: { ...unsigned, ...SETTINGS, "content-length": "1" } }, as("AKIDWRITER"), "x");
    const [part] = local.callsTo("prepareObject").at(-1) as [ObjectRequest];
    expect(part.operation).toBe("UploadPart");
    expect(sentHeaders(part.headers)).toEqual({});
    const body = `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"a"</ETag></Part></CompleteMultipartUpload>`;
    await send({ method: "POST", path: "/data/set/parts", query: { uploadId }, headers: { ...SETTINGS, "x-amz-content-sha256": sha256(body) } }, as("AKIDWRITER"), body);
    expect(sentHeaders(local.callsTo("completeMultipartUpload")[0]![3] as Headers)).toEqual({});
  });

  it("refuse Object Lock, which no bucket has through the gateway", async () => {
    const put = response(await send({ method: "PUT", path: "/data/set/locked", headers: { ...unsigned, "x-amz-object-lock-legal-hold": "ON", "content-length": "1" } }, as("AKIDWRITER"), "x"));
    expect([put.status, childText(put.root!, "Code")]).toEqual([400, "InvalidRequest"]);
  });

  it("are taken from a presigned URL's query, where a presigner moved them", async () => {
    const signed = await presign(as("AKIDWRITER"), { method: "PUT", path: "/data/set/presigned", headers: { "x-amz-website-redirect-location": "https://example.com/" } });
    expect(signed.target).toContain("x-amz-website-redirect-location=");
    signed.headers.delete("x-amz-website-redirect-location");
    signed.headers.set("content-length", "1");
    expect((await gateway.handle(gatewayRequest("PUT", signed.target, signed.headers, "x"))).type).toBe("native");
    const [put] = local.callsTo("prepareObject").at(-1) as [ObjectRequest];
    expect(put.headers.get("x-amz-website-redirect-location")).toBe("https://example.com/");
  });
});

describe("object settings on a store that keeps none", () => {
  it("are not sent where taken: SSE-S3 on a store that encrypts at rest", async () => {
    Object.defineProperty(local, "kind", { value: "az" });
    const copied = await send({ method: "PUT", path: "/data/dst/k", headers: { "x-amz-copy-source": "/other/src/k", "x-amz-server-side-encryption": "AES256" } }, as("AKIDCOPIER"));
    expect(response(copied).status).toBe(200);
    expect(sentHeaders((local.callsTo("copyObject")[0]![0] as CopyRequest).headers)).toEqual({});
    // Onto itself, SSE-S3 is a change S3 takes: the store is told so, as the header it would tell by is not sent.
    const self = await send({ method: "PUT", path: "/data/dst/existing", headers: { "x-amz-copy-source": "/data/dst/existing", "x-amz-server-side-encryption": "AES256" } }, as("AKIDWRITER"));
    expect(response(self).status).toBe(200);
    const [ontoItself] = local.callsTo("copyObject")[1] as [CopyRequest];
    expect([ontoItself.key, ontoItself.changesObject, sentHeaders(ontoItself.headers)]).toEqual(["tenant-a/dst/existing", true, {}]);
    // Told of every copy that changes what it copies, onto itself or not: a store may see a copy onto itself where the
    // gateway does not (a version "null", two buckets on one store path).
    expect((local.callsTo("copyObject")[0]![0] as CopyRequest).changesObject).toBe(true);
    await send({ method: "PUT", path: "/data/dst/k", headers: { "x-amz-copy-source": "/other/src/k" } }, as("AKIDCOPIER"));
    expect((local.callsTo("copyObject")[2]![0] as CopyRequest).changesObject).toBeUndefined();
    expect((await send({ method: "PUT", path: "/data/set/sse", headers: { ...unsigned, "x-amz-server-side-encryption": "AES256", "content-length": "1" } }, as("AKIDWRITER"), "x")).type).toBe("native");
    const [put] = local.callsTo("prepareObject").at(-1) as [ObjectRequest];
    expect(sentHeaders(put.headers)).toEqual({});
    await send({ method: "POST", path: "/data/set/sse", query: { uploads: "" }, headers: { "x-amz-server-side-encryption": "AES256" } }, as("AKIDWRITER"));
    expect(sentHeaders(local.callsTo("createMultipartUpload")[0]![1] as Headers)).toEqual({});
  });

  it("are refused before the store is asked, and nothing is stored", async () => {
    for (const [name, value, status, code] of [
      ["x-amz-website-redirect-location", "/moved.html", 501, "NotImplemented"],
      ["x-amz-server-side-encryption", "AES256", 501, "NotImplemented"],
      ["x-amz-object-lock-legal-hold", "ON", 400, "InvalidRequest"],
      ["x-amz-server-side-encryption-customer-algorithm", "AES256", 501, "NotImplemented"],
    ] as const) {
      const put = response(await send({ method: "PUT", path: "/data/set/refused", headers: { ...unsigned, [name]: value, "content-length": "1" } }, as("AKIDWRITER"), "x"));
      expect([put.status, childText(put.root!, "Code")], name).toEqual([status, code]);
      const created = response(await send({ method: "POST", path: "/data/set/refused", query: { uploads: "" }, headers: { [name]: value } }, as("AKIDWRITER")));
      expect([created.status, childText(created.root!, "Code")], name).toEqual([status, code]);
    }
    expect(local.objects.has("tenant-a/set/refused")).toBe(false);
    expect(local.callsTo("createMultipartUpload")).toEqual([]);
  });

  it("are refused where a presigner moved them into the query: Object Lock and SSE-C alike", async () => {
    for (const [name, value, status] of [["x-amz-object-lock-legal-hold", "ON", 400], ["x-amz-server-side-encryption-customer-algorithm", "AES256", 501]] as const) {
      const signed = await presign(as("AKIDWRITER"), { method: "PUT", path: "/data/set/presigned", headers: { [name]: value } });
      expect(signed.target, name).toContain(`${name}=`);
      signed.headers.delete(name);
      signed.headers.set("content-length", "1");
      expect(response(await gateway.handle(gatewayRequest("PUT", signed.target, signed.headers, "x"))).status, name).toBe(status);
    }
  });

  it("refuses SSE-C on reads and parts too: the store would need the client's key", async () => {
    const key = Buffer.alloc(32, 7).toString("base64");
    const read = await send({ method: "GET", path: "/data/src/k", headers: { "x-amz-server-side-encryption-customer-algorithm": "AES256", "x-amz-server-side-encryption-customer-key": key } }, as("AKIDWRITER"));
    expect(response(read).status).toBe(501);
    expect(response(read).body).not.toContain(key);
    // Empty, it asks for nothing.
    expect((await send({ method: "GET", path: "/data/src/k", headers: { "x-amz-server-side-encryption-customer-algorithm": "" } }, as("AKIDWRITER"))).type).toBe("native");
    const created = response(await send({ method: "POST", path: "/data/set/parts", query: { uploads: "" } }, as("AKIDWRITER")));
    const uploadId = childText(created.root!, "UploadId")!;
    const part = await send({ method: "PUT", path: "/data/set/parts", query: { uploadId, partNumber: "1" }, headers: { ...unsigned, "x-amz-server-side-encryption-customer-key-md5": "bWQ1", "content-length": "1" } }, as("AKIDWRITER"), "x");
    expect(response(part).status).toBe(501);
  });

  it("lets a delete carry SSE-C headers, as S3 does: it reads and writes nothing, and they are not forwarded", async () => {
    const key = Buffer.alloc(32, 7).toString("base64");
    const deleted = await send({ method: "DELETE", path: "/data/mine/k", headers: { "x-amz-server-side-encryption-customer-algorithm": "AES256", "x-amz-server-side-encryption-customer-key": key } }, as("AKIDDELETER"));
    expect(deleted.type).toBe("native");
    const [request] = local.callsTo("prepareObject").at(-1) as [ObjectRequest];
    expect(request.operation).toBe("DeleteObject");
    expect([...request.headers.keys()].filter((name) => name.includes("customer"))).toEqual([]);
  });

  it("refuses a copy source's customer key on UploadPartCopy too", async () => {
    asS3(local);
    const created = response(await send({ method: "POST", path: "/data/set/parts", query: { uploads: "" } }, as("AKIDWRITER")));
    const uploadId = childText(created.root!, "UploadId")!;
    const copied = response(await send({ method: "PUT", path: "/data/set/parts", query: { uploadId, partNumber: "1" }, headers: { "x-amz-copy-source": "/data/src/k", "x-amz-copy-source-server-side-encryption-customer-algorithm": "AES256" } }, as("AKIDWRITER")));
    expect([copied.status, childText(copied.root!, "Code")]).toEqual([501, "NotImplemented"]);
  });
});
