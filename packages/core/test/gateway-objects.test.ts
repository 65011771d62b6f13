/** Gateway operations on objects: DeleteObjects, CopyObject, multipart and native object dispatch. */
import { createHash } from "node:crypto";
import { beforeEach, describe, expect, it } from "vitest";
import { createGateway, type GatewayResult } from "../src/index.js";
import { childElements, childText, parseXml, type CopyRequest, type ObjectRequest, type XmlElement } from "../src/backend.js";
import { bucket, credential, gatewayRequest, MemoryBackend, text } from "./helpers/memory-backend.js";
import { awsEncode, NOW, signWithHeader, type Signer, type UnsignedRequest } from "./helpers/sign.js";

const BUCKETS = [
  bucket("public", { anonymous_access: true, backend_prefix: "pub/" }),
  // No trailing "/": joined to keys with exactly one all the same (objects, copies, batch deletes, multipart).
  bucket("data", { backend_prefix: "tenant-a" }),
  bucket("other"),
  bucket("remote", { backend_options: { domain: "elsewhere" } }),
];
const CREDENTIALS = [
  credential("AKIDDELETER", [{ bucket: "data", prefixes: ["mine"], actions: ["delete_object"] }]),
  credential("AKIDCOPIER", [
    { bucket: "other", prefixes: ["src"], actions: ["get_object"] },
    { bucket: "data", prefixes: ["dst/"], actions: ["put_object"] },
    { bucket: "remote", prefixes: [], actions: ["get_object", "put_object"] },
  ]),
  credential("AKIDWRITER", [
    { bucket: "data", prefixes: [], actions: ["put_object", "get_object", "create_multipart_upload", "complete_multipart_upload", "abort_multipart_upload"] },
  ]),
];
const as = (id: string): Signer => ({ accessKeyId: id, secretAccessKey: `${id}-secret` });
const sha256 = (body: string) => createHash("sha256").update(body).digest("hex");

let local: MemoryBackend;
let remote: MemoryBackend;
let gateway: ReturnType<typeof createGateway<Uint8Array>>;

beforeEach(() => {
  local = new MemoryBackend("memory");
  remote = new MemoryBackend("elsewhere");
  local.put("src/k", "source bytes");
  local.put("tenant-a/dst/existing", "x");
  local.put("pub/index.html", "<html>");
  remote.put("r", "remote");
  gateway = createGateway<Uint8Array>({
    buckets: { getBucket: (name) => BUCKETS.find((b) => b.name === name), listBuckets: () => BUCKETS },
    credentials: { getCredential: (id) => CREDENTIALS.find((c) => c.access_key_id === id) },
    backends: { memory: (config) => (config.backend_options.domain === "elsewhere" ? remote : local) },
    maxXmlBodyBytes: 64 * 1024,
    now: () => NOW,
  });
});

async function send(request: UnsignedRequest, signer?: Signer, body?: string) {
  if (!signer) {
    const query = Object.entries(request.query ?? {}).map(([name, value]) => `${awsEncode(name)}=${awsEncode(value)}`);
    const target = query.length > 0 ? `${request.path}?${query.join("&")}` : request.path;
    return gateway.handle(gatewayRequest(request.method, target, request.headers ?? {}, body));
  }
  const signed = await signWithHeader(signer, request);
  return gateway.handle(gatewayRequest(request.method, signed.target, signed.headers, body));
}

function response(result: GatewayResult<Uint8Array>) {
  if (result.type !== "response") throw new Error(`expected a response, got ${result.type}`);
  const body = text(result.response.body);
  return { status: result.response.status, headers: result.response.headers, body, root: body ? parseXml(body) : undefined };
}

const deleteBody = (keys: string[], quiet = false) =>
  `<Delete>${quiet ? "<Quiet>true</Quiet>" : ""}${keys.map((key) => `<Object><Key>${key}</Key></Object>`).join("")}</Delete>`;
const postDelete = (body: string, hash = sha256(body)): UnsignedRequest => ({
  method: "POST",
  path: "/data",
  query: { delete: "" },
  headers: { "x-amz-content-sha256": hash, "content-length": String(Buffer.byteLength(body)) },
});
const errorsOf = (root: XmlElement) =>
  childElements(root, "Error").map((error) => ({ key: childText(error, "Key"), code: childText(error, "Code"), message: childText(error, "Message") }));
const deletedOf = (root: XmlElement) => childElements(root, "Deleted").map((item) => childText(item, "Key"));

describe("DeleteObjects", () => {
  it("deletes allowed keys and reports the others per key without forwarding them", async () => {
    const body = deleteBody(["mine/a", "theirs/b", "mine/locked", "mine/../x", "mine"]);
    const { status, root } = response(await send(postDelete(body), as("AKIDDELETER"), body));
    expect(status).toBe(200);
    expect(root!.name).toBe("DeleteResult");
    expect(local.callsTo("deleteObjects")).toEqual([[["tenant-a/mine/a", "tenant-a/mine/locked", "tenant-a/mine"]]]);
    expect(deletedOf(root!)).toEqual(["mine/a", "mine"]);
    expect(errorsOf(root!)).toEqual([
      { key: "theirs/b", code: "AccessDenied", message: "Access Denied" },
      { key: "mine/../x", code: "InvalidArgument", message: 'Object keys with a "." or ".." path segment are not allowed.' },
      { key: "mine/locked", code: "AccessDenied", message: "locked by backend" },
    ]);
  });

  it("never calls the backend when every key is denied", async () => {
    const body = deleteBody(["theirs/a", "mine-not/b"]);
    const { status, root } = response(await send(postDelete(body), as("AKIDDELETER"), body));
    expect(status).toBe(200);
    expect(errorsOf(root!).map((error) => error.code)).toEqual(["AccessDenied", "AccessDenied"]);
    expect(local.callsTo("deleteObjects")).toEqual([]);
  });

  it("reports only errors in quiet mode", async () => {
    const body = deleteBody(["mine/a", "theirs/b"], true);
    const { root } = response(await send(postDelete(body), as("AKIDDELETER"), body));
    expect(deletedOf(root!)).toEqual([]);
    expect(errorsOf(root!).map((error) => error.key)).toEqual(["theirs/b"]);
    expect(local.callsTo("deleteObjects")).toEqual([[["tenant-a/mine/a"]]]);
  });

  it("refuses anonymous callers, even on public buckets", async () => {
    const body = deleteBody(["index.html"]);
    const { status, root } = response(await send({ method: "POST", path: "/public?delete", headers: { "content-length": "50" } }, undefined, body));
    expect(status).toBe(403);
    expect(childText(root!, "Code")).toBe("AccessDenied");
    expect(local.callsTo("deleteObjects")).toEqual([]);
  });

  it("refuses malformed and oversized documents", async () => {
    const bad = "<Delete><Object></Delete>";
    expect(childText(response(await send(postDelete(bad), as("AKIDDELETER"), bad)).root!, "Code")).toBe("MalformedXML");
    const huge = deleteBody(Array.from({ length: 1000 }, (_, index) => `mine/${"x".repeat(60)}${index}`));
    expect(childText(response(await send(postDelete(huge), as("AKIDDELETER"), huge)).root!, "Code")).toBe("EntityTooLarge");
    expect(local.callsTo("deleteObjects")).toEqual([]);
  });

  it("refuses a body that does not match the signed payload hash", async () => {
    const signedFor = deleteBody(["mine/a"]);
    const sent = deleteBody(["mine/b"]);
    const { status, root } = response(await send(postDelete(sent, sha256(signedFor)), as("AKIDDELETER"), sent));
    expect(status).toBe(400);
    expect(childText(root!, "Code")).toBe("XAmzContentSHA256Mismatch");
    expect(local.callsTo("deleteObjects")).toEqual([]);
  });
});

describe("CopyObject", () => {
  const copy = (source: string, path = "/data/dst/k", headers: Record<string, string> = {}): UnsignedRequest => ({
    method: "PUT",
    path,
    headers: { "x-amz-copy-source": source, "x-amz-metadata-directive": "REPLACE", "x-amz-meta-color": "red", "x-custom": "no", ...headers },
  });

  it("authorizes source read and destination write, then copies with backend keys", async () => {
    const { status, root, headers } = response(await send(copy("/other/src/k"), as("AKIDCOPIER")));
    expect(status).toBe(200);
    expect(root!.name).toBe("CopyObjectResult");
    expect(childText(root!, "ETag")).toBe(`"etag-12"`);
    expect(childText(root!, "LastModified")).toBe("2024-02-02T00:00:00.000Z");
    expect(headers.get("x-amz-version-id")).toBe("v9");
    const [request] = local.callsTo("copyObject")[0] as [CopyRequest];
    expect(request).toMatchObject({ sourceKey: "src/k", key: "tenant-a/dst/k" });
    expect(request.sourceBackend).toBe(local);
    expect(request.headers.get("x-amz-metadata-directive")).toBe("REPLACE");
    expect(request.headers.get("x-amz-meta-color")).toBe("red");
    expect(request.headers.has("x-custom")).toBe(false);
    expect(request.headers.has("authorization")).toBe(false);
    expect(local.objects.get("tenant-a/dst/k")?.body).toEqual(new TextEncoder().encode("source bytes"));
  });

  it("refuses when the source may not be read", async () => {
    const { status, root } = response(await send(copy("other/secret/k"), as("AKIDCOPIER")));
    expect(status).toBe(403);
    expect(childText(root!, "Code")).toBe("AccessDenied");
    expect(local.callsTo("copyObject")).toEqual([]);
  });

  it("refuses when the destination may not be written", async () => {
    expect(response(await send(copy("other/src/k", "/data/elsewhere/k"), as("AKIDCOPIER"))).status).toBe(403);
    expect(response(await send(copy("public/index.html", "/public/copy.html"))).status).toBe(403);
    expect(local.callsTo("copyObject")).toEqual([]);
  });

  it("needs get_object_version to copy a source version", async () => {
    expect(response(await send(copy("other/src/k?versionId=3"), as("AKIDCOPIER"))).status).toBe(403);
    expect(local.callsTo("copyObject")).toEqual([]);
  });

  it("refuses copies across copy domains with 501", async () => {
    const { status, root } = response(await send(copy("remote/r"), as("AKIDCOPIER")));
    expect(status).toBe(501);
    expect(childText(root!, "Code")).toBe("NotImplemented");
    expect(local.callsTo("copyObject")).toEqual([]);
    expect(remote.callsTo("copyObject")).toEqual([]);
  });

  it("answers NoSuchBucket for an unknown source bucket and 400 for a malformed source", async () => {
    expect(childText(response(await send(copy("nope/k"), as("AKIDCOPIER"))).root!, "Code")).toBe("NoSuchBucket");
    expect(childText(response(await send(copy("other"), as("AKIDCOPIER"))).root!, "Code")).toBe("InvalidArgument");
  });
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

describe("object operations (native dispatch)", () => {
  it("prepares PutObject with the backend key and forwardable headers, then executes it", async () => {
    const request: UnsignedRequest = {
      method: "PUT",
      path: "/data/docs/a.txt",
      headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD", "content-length": "5", "content-type": "text/plain", "x-amz-meta-k": "v", "x-other": "1" },
    };
    const result = await send(request, as("AKIDWRITER"), "hello");
    expect(result.type).toBe("native");
    if (result.type !== "native") return;
    const [prepared] = local.callsTo("prepareObject")[0] as [ObjectRequest];
    expect(prepared).toMatchObject({ operation: "PutObject", key: "tenant-a/docs/a.txt" });
    expect(Object.fromEntries(prepared.headers)).toEqual({ "content-length": "5", "content-type": "text/plain", "x-amz-meta-k": "v" });
    const executed = await result.execute(new TextEncoder().encode("hello"), new AbortController().signal);
    expect(executed.status).toBe(200);
    expect(executed.headers.get("etag")).toBe('"etag-5"');
    expect(executed.headers.get("x-amz-request-id")).toBe(result.context.requestId);
    expect(text(local.objects.get("tenant-a/docs/a.txt")!.body)).toBe("hello");
  });

  it("needs a Content-Length for plain uploads", async () => {
    const { status, root } = response(await send({ method: "PUT", path: "/data/k", headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" } }, as("AKIDWRITER")));
    expect(status).toBe(411);
    expect(childText(root!, "Code")).toBe("MissingContentLength");
  });

  it("serves anonymous reads of public buckets from the prefixed key and strips set-cookie", async () => {
    const result = await send({ method: "GET", path: "/public/index.html" });
    if (result.type !== "native") throw new Error("expected native");
    expect((local.callsTo("prepareObject")[0] as [ObjectRequest])[0].key).toBe("pub/index.html");
    const executed = await result.execute(null, new AbortController().signal);
    expect(text(executed.body)).toBe("<html>");
    expect(executed.headers.get("etag")).toBe('"etag-6"');
    expect(executed.headers.has("set-cookie")).toBe(false);
  });

  it("needs get_object_version for versioned reads and passes versionId", async () => {
    expect(response(await send({ method: "GET", path: "/data/k", query: { versionId: "1" } }, as("AKIDWRITER"))).status).toBe(403);
    const result = await send({ method: "GET", path: "/public/index.html", query: { versionId: "1", "response-content-type": "a/b" } });
    expect(result.type).toBe("native");
    expect((local.callsTo("prepareObject")[0] as [ObjectRequest])[0]).toMatchObject({ versionId: "1", responseOverrides: { "response-content-type": "a/b" } });
  });

  it("refuses anonymous writes to public buckets before the backend is asked", async () => {
    const { status } = response(await send({ method: "PUT", path: "/public/x", headers: { "content-length": "1" } }, undefined, "x"));
    expect(status).toBe(403);
    expect(local.callsTo("prepareObject")).toEqual([]);
  });
});
