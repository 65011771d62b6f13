/** Gateway operations on objects: DeleteObjects, CopyObject and native object dispatch. */
import { createHash } from "node:crypto";
import { crc32 as crc32Of } from "node:zlib";
import { beforeEach, describe, expect, it } from "vitest";
import { childElements, childText, type CopyRequest, type ObjectRequest, type XmlElement } from "../src/backend.js";
import { type MemoryBackend, text } from "./helpers/memory-backend.js";
import { as, objectsGateway, response, sha256 } from "./helpers/objects-gateway.js";
import type { UnsignedRequest } from "./helpers/sign.js";

let local: MemoryBackend;
let remote: MemoryBackend;
let send: ReturnType<typeof objectsGateway>["send"];

beforeEach(() => {
  ({ local, remote, send } = objectsGateway());
});

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

  it("hands entries naming a version to the backend's deleteObjectVersions, with the bucket's prefix, and echoes what it says", async () => {
    const asked: unknown[] = [];
    local.deleteObjectVersions = async (versions) => {
      asked.push(versions);
      return {
        deleted: [{ key: "tenant-a/mine/a", versionId: "v1", deleteMarker: true, deleteMarkerVersionId: "dm1" }],
        errors: [{ key: "tenant-a/mine/b", versionId: "v&2", code: "NoSuchVersion", message: "gone" }],
      };
    };
    const body = `<Delete><Object><Key>mine/a</Key><VersionId>v1</VersionId></Object><Object><Key>mine/b</Key><VersionId>v&amp;2</VersionId></Object><Object><Key>mine/c</Key></Object></Delete>`;
    const { status, body: answer } = response(await send(postDelete(body), as("AKIDDELETER"), body));
    expect(status).toBe(200);
    expect(asked).toEqual([[{ key: "tenant-a/mine/a", versionId: "v1" }, { key: "tenant-a/mine/b", versionId: "v&2" }]]);
    expect(local.callsTo("deleteObjects")).toEqual([[["tenant-a/mine/c"]]]);
    expect(answer).toContain("<Deleted><Key>mine/a</Key><VersionId>v1</VersionId><DeleteMarker>true</DeleteMarker><DeleteMarkerVersionId>dm1</DeleteMarkerVersionId></Deleted>");
    expect(answer).toContain("<Error><Key>mine/b</Key><VersionId>v&amp;2</VersionId><Code>NoSuchVersion</Code>");
  });

  it("checks the body's Content-MD5 and x-amz-checksum-* header before deleting anything", async () => {
    const body = deleteBody(["mine/a"]);
    const md5 = createHash("md5").update(body).digest("base64");
    const crc32 = Buffer.from(crc32Of(Buffer.from(body)).toString(16).padStart(8, "0"), "hex").toString("base64");
    const withHeaders = (headers: Record<string, string>): UnsignedRequest => ({ ...postDelete(body), headers: { ...postDelete(body).headers, ...headers } });
    for (const [headers, code] of [
      [{ "content-md5": createHash("md5").update("other").digest("base64") }, "BadDigest"],
      [{ "content-md5": "not-a-digest" }, "InvalidDigest"],
      [{ "x-amz-checksum-crc32": "AAAAAA==" }, "BadDigest"],
    ] as const) {
      const { status, root } = response(await send(withHeaders(headers), as("AKIDDELETER"), body));
      expect([status, childText(root!, "Code")], JSON.stringify(headers)).toEqual([400, code]);
    }
    expect(local.callsTo("deleteObjects")).toEqual([]);
    for (const headers of [{ "content-md5": md5 }, { "x-amz-checksum-crc32": crc32 }] as Record<string, string>[]) {
      expect(response(await send(withHeaders(headers), as("AKIDDELETER"), body)).status, JSON.stringify(headers)).toBe(200);
    }
    expect(local.callsTo("deleteObjects")).toHaveLength(2);
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

  it("refuses conditional entries (ETag) whole rather than deleting them unconditionally", async () => {
    const body = `<Delete><Object><Key>mine/a</Key></Object><Object><Key>mine/b</Key><ETag>"abc"</ETag></Object></Delete>`;
    const { status, root } = response(await send(postDelete(body), as("AKIDDELETER"), body));
    expect([status, childText(root!, "Code")]).toEqual([501, "NotImplemented"]);
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

  it("names a missing source as the client did (not by its backend key)", async () => {
    const { status, root, body } = response(await send(copy("/data/dst/gone", "/data/dst/k"), as("AKIDWRITER")));
    expect([status, childText(root!, "Code"), childText(root!, "Key")]).toEqual([404, "NoSuchKey", "dst/gone"]);
    expect(body).not.toContain("tenant-a");
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

  it("streams a copy across copy domains itself: neither backend is asked to copy", async () => {
    const { status, root } = response(await send(copy("remote/r"), as("AKIDCOPIER")));
    expect(status).toBe(200);
    expect(childText(root!, "ETag")).toBe('"etag-6"');
    expect(new TextDecoder().decode(local.objects.get("tenant-a/dst/k")!.body)).toBe("remote");
    expect(local.callsTo("copyObject")).toEqual([]);
    expect(remote.callsTo("copyObject")).toEqual([]);
  });

  it("refuses a copy of an object onto itself that changes nothing, as S3 does; one that changes it is copied", async () => {
    const same = response(await send(copy("/data/dst/k", "/data/dst/k", { "x-amz-metadata-directive": "COPY" }), as("AKIDWRITER")));
    expect([same.status, childText(same.root!, "Code")]).toEqual([400, "InvalidRequest"]);
    expect(childText(same.root!, "Message")).toContain("copy an object to itself");
    expect(local.callsTo("copyObject")).toEqual([]);
    await send(copy("/data/dst/k", "/data/dst/k"), as("AKIDWRITER"));
    await send(copy("/data/dst/k", "/data/dst/k", { "x-amz-metadata-directive": "COPY", "x-amz-storage-class": "STANDARD_IA" }), as("AKIDWRITER"));
    expect(local.callsTo("copyObject")).toHaveLength(2);
  });

  it("answers NoSuchBucket for an unknown source bucket and 400 for a malformed source", async () => {
    expect(childText(response(await send(copy("nope/k"), as("AKIDCOPIER"))).root!, "Code")).toBe("NoSuchBucket");
    expect(childText(response(await send(copy("other"), as("AKIDCOPIER"))).root!, "Code")).toBe("InvalidArgument");
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
    const result = await send({ method: "GET", path: "/public/index.html", query: { versionId: "1", "response-content-type": "a/b" } }, as("AKIDREADER"));
    expect(result.type).toBe("native");
    expect((local.callsTo("prepareObject")[0] as [ObjectRequest])[0]).toMatchObject({ versionId: "1", responseOverrides: { "response-content-type": "a/b" } });
  });

  it("passes every response-* override a GET names (and no other parameter) to the backend", async () => {
    const overrides = {
      "response-content-type": "a/b",
      "response-content-language": "fr",
      "response-expires": "Thu, 01 Dec 1994 16:00:00 GMT",
      "response-cache-control": "no-cache",
      "response-content-disposition": "attachment",
      "response-content-encoding": "gzip",
    };
    await send({ method: "GET", path: "/public/index.html", query: { ...overrides, "response-other": "x", "x-id": "GetObject" } }, as("AKIDREADER"));
    const [request] = local.callsTo("prepareObject")[0] as [ObjectRequest];
    expect(request.responseOverrides).toEqual(overrides);
    expect(request).not.toHaveProperty("versionId");
  });

  it("refuses response-* overrides on anonymous reads (as S3), and values with control characters", async () => {
    const anonymous = response(await send({ method: "GET", path: "/public/index.html", query: { "response-content-type": "text/html" } }));
    expect([anonymous.status, childText(anonymous.root!, "Code")]).toEqual([400, "InvalidRequest"]);
    // HEAD answers with the headers GET would: the same overrides, the same refusal.
    const anonymousHead = await send({ method: "HEAD", path: "/public/index.html", query: { "response-content-type": "text/html" } });
    expect(response(anonymousHead).status).toBe(400);
    // Anonymous reads without overrides are served.
    expect((await send({ method: "GET", path: "/public/index.html", query: { "x-id": "GetObject" } })).type).toBe("native");
    for (const value of ["a\r\nx-injected: 1", "a\u0000", "a\u001f", "a\u007f"]) {
      const refused = response(await send({ method: "GET", path: "/public/index.html", query: { "response-content-disposition": value } }, as("AKIDREADER")));
      expect([refused.status, childText(refused.root!, "Code"), childText(refused.root!, "ArgumentName")], value).toEqual([400, "InvalidArgument", "response-content-disposition"]);
    }
    expect(local.callsTo("prepareObject").length).toBe(1);
    // Text past ASCII is passed on as it is (backends put it in URLs; applyResponseOverrides sends it as UTF-8).
    await send({ method: "GET", path: "/public/index.html", query: { "response-content-disposition": 'attachment; filename="caf\u00e9 \u20ac.txt"' } }, as("AKIDREADER"));
    const [request] = local.callsTo("prepareObject")[1] as [ObjectRequest];
    expect(request.responseOverrides).toEqual({ "response-content-disposition": 'attachment; filename="caf\u00e9 \u20ac.txt"' });    await send({ method: "HEAD", path: "/public/index.html", query: { "response-cache-control": "no-store" } }, as("AKIDREADER"));
    expect((local.callsTo("prepareObject")[2] as [ObjectRequest])[0]).toMatchObject({ operation: "HeadObject", responseOverrides: { "response-cache-control": "no-store" } });
  });

  it("refuses anonymous writes to public buckets before the backend is asked", async () => {
    const { status } = response(await send({ method: "PUT", path: "/public/x", headers: { "content-length": "1" } }, undefined, "x"));
    expect(status).toBe(403);
    expect(local.callsTo("prepareObject")).toEqual([]);
  });
});
