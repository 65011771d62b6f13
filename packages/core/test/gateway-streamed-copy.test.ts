/**
 * Copies between copy domains, streamed by the gateway: the source's GET and the destination's PUT (or part upload)
 * through the runtime's transport where a backend answers with a forward dispatch; metadata kept or replaced, the
 * source's conditions and range checked on that GET, backend failures answered as S3 errors.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { childText, type ObjectRequest } from "../src/backend.js";
import { S3Error, type BackendTransport, type TransportRequest, type TransportResponse } from "../src/index.js";
import type { MemoryBackend } from "./helpers/memory-backend.js";
import { as, objectsGateway, response } from "./helpers/objects-gateway.js";

const encoder = new TextEncoder();

/** A transport answering from `answers` by method and URL, recording what it was sent. */
class RecordingTransport implements BackendTransport<Uint8Array> {
  readonly sent: { request: TransportRequest; body: Uint8Array | null; bucket: string }[] = [];
  readonly discarded: Uint8Array[] = [];
  answers = new Map<string, TransportResponse<Uint8Array> | Error>();

  async send(request: TransportRequest, body: Uint8Array | null, options: { bucket: string }): Promise<TransportResponse<Uint8Array>> {
    this.sent.push({ request, body, bucket: options.bucket });
    const answer = this.answers.get(`${request.method} ${request.url}`);
    if (answer === undefined) throw new Error(`unexpected ${request.method} ${request.url}`);
    if (answer instanceof Error) throw answer;
    return answer;
  }

  async text(body: Uint8Array, limit: number): Promise<string> {
    return new TextDecoder().decode(body.subarray(0, limit));
  }

  discard(body: Uint8Array): void {
    this.discarded.push(body);
  }
}

/** `remote` (and, with `local` too) answering object requests with forward dispatches to `https://<name>.example/<key>`. */
function forwarding(backend: MemoryBackend, name: string): void {
  backend.prepareOverride = async (request: ObjectRequest) => ({
    type: "forward",
    method: request.operation === "GetObject" ? "GET" : "PUT",
    url: `https://${name}.example/${request.key}${request.uploadId ? `?partNumber=${request.partNumber}&uploadId=${request.uploadId}` : ""}`,
    headers: request.headers,
  });
}

const answer = (status: number, headers: Record<string, string>, body?: string): TransportResponse<Uint8Array> => ({ status, headers: new Headers(headers), body: body === undefined ? null : encoder.encode(body) });
const SOURCE = { "content-length": "6", etag: '"remote-etag"', "last-modified": "Mon, 01 Jan 2024 00:00:00 GMT", "content-type": "text/x-remote", "x-amz-meta-origin": "remote", "set-cookie": "a=b" };

let local: MemoryBackend;
let remote: MemoryBackend;
let transport: RecordingTransport;
let send: ReturnType<typeof objectsGateway>["send"];

beforeEach(() => {
  transport = new RecordingTransport();
  ({ local, remote, send } = objectsGateway(transport));
  forwarding(remote, "remote");
});

/** CopyObject of `remote/r` into `data/dst/k` as the copier, with `headers`. */
const copy = (headers: Record<string, string> = {}) => send({ method: "PUT", path: "/data/dst/k", headers: { "x-amz-copy-source": "/remote/r", ...headers } }, as("AKIDCOPIER"));
const putRequests = () => local.callsTo("prepareObject").map(([request]) => request as ObjectRequest).filter((request) => request.operation !== "GetObject" && request.operation !== "HeadObject");

describe("CopyObject between copy domains", () => {
  it("streams the source's GET into the destination, keeping its content headers and metadata", async () => {
    transport.answers.set("GET https://remote.example/r", answer(200, SOURCE, "remote"));
    const { status, root } = response(await copy());
    expect([status, childText(root!, "ETag")]).toEqual([200, '"etag-6"']);
    expect(new TextDecoder().decode(local.objects.get("tenant-a/dst/k")!.body)).toBe("remote");
    expect(transport.sent.map((sent) => [sent.request.method, sent.request.url, sent.bucket])).toEqual([["GET", "https://remote.example/r", "remote"]]);
    const [put] = putRequests();
    expect(Object.fromEntries(put!.headers)).toEqual({ "content-length": "6", "content-type": "text/x-remote", "x-amz-meta-origin": "remote" });
  });

  it("takes the request's headers instead with x-amz-metadata-directive: REPLACE", async () => {
    transport.answers.set("GET https://remote.example/r", answer(200, SOURCE, "remote"));
    await copy({ "x-amz-metadata-directive": "REPLACE", "x-amz-meta-color": "red", "content-type": "text/x-new", "x-amz-storage-class": "STANDARD", "if-modified-since": "Mon, 01 Jan 2024 00:00:00 GMT" });
    const [put] = putRequests();
    expect(Object.fromEntries(put!.headers)).toEqual({ "content-length": "6", "content-type": "text/x-new", "x-amz-meta-color": "red", "x-amz-storage-class": "STANDARD" });
  });

  it("sends the object settings with the destination's write where it is an S3 backend, and to no other store", async () => {
    transport.answers.set("GET https://remote.example/r", answer(200, SOURCE, "remote"));
    const settings = { "x-amz-website-redirect-location": "/moved.html", "x-amz-server-side-encryption": "AES256" };
    const sent = () => putRequests().map((put) => [put.headers.get("x-amz-website-redirect-location"), put.headers.get("x-amz-server-side-encryption")]);
    Object.defineProperty(local, "kind", { value: "gcs" });
    await copy({ "x-amz-server-side-encryption": "AES256" });
    expect(sent()).toEqual([[null, null]]);
    Object.defineProperty(local, "kind", { value: "s3" });
    expect(response(await copy(settings)).status).toBe(200);
    expect(sent()[1]).toEqual(["/moved.html", "AES256"]);
  });

  it("passes If-Match and If-None-Match on to the destination's write, as a copy within one store does", async () => {
    transport.answers.set("GET https://remote.example/r", answer(200, SOURCE, "remote"));
    await copy({ "if-none-match": "*" });
    // (Checked against the destination first too: "etag-6" is what the first copy wrote.)
    await copy({ "if-match": '"etag-6"' });
    expect(putRequests().map((put) => [put.headers.get("if-none-match"), put.headers.get("if-match")])).toEqual([["*", null], [null, '"etag-6"']]);
  });

  it("answers the versions written and copied, and counts the copy against the gateway's write cap", async () => {
    forwarding(local, "local");
    transport.answers.set("GET https://remote.example/r", answer(200, { ...SOURCE, "x-amz-version-id": "source-v1" }, "remote"));
    transport.answers.set("PUT https://local.example/tenant-a/dst/k", answer(200, { etag: '"written"', "x-amz-version-id": "written-v2" }));
    const { status, headers } = response(await copy());
    expect([status, headers.get("x-amz-version-id"), headers.get("x-amz-copy-source-version-id")]).toEqual([200, "written-v2", "source-v1"]);
    const capped = objectsGateway(transport, 5);
    forwarding(capped.remote, "remote");
    const refused = response(await capped.send({ method: "PUT", path: "/data/dst/k", headers: { "x-amz-copy-source": "/remote/r" } }, as("AKIDCOPIER")));
    expect([refused.status, childText(refused.root!, "Code"), childText(refused.root!, "MaxSizeAllowed")]).toEqual([400, "EntityTooLarge", "5"]);
  });

  it("drops the source's body when a native destination refuses without reading it", async () => {
    const body = answer(200, SOURCE, "remote");
    transport.answers.set("GET https://remote.example/r", body);
    local.prepareOverride = async () => ({
      type: "native",
      execute: async () => {
        throw new S3Error("NoSuchUpload");
      },
    });
    expect(response(await copy()).status).toBe(404);
    expect(transport.discarded).toEqual([body.body]);
  });

  it("answers 503, not the client's IncompleteBody nor a 500, when the source broke off its bytes on the way", async () => {
    transport.answers.set("GET https://remote.example/r", answer(200, SOURCE, "remote"));
    for (const failure of [new S3Error("IncompleteBody"), new Error("Network connection lost.")]) {
      local.prepareOverride = async () => ({
        type: "native",
        execute: async () => {
          throw failure;
        },
      });
      const { status, root } = response(await copy());
      expect([status, childText(root!, "Code")], failure.message).toEqual([503, "ServiceUnavailable"]);
    }
  });

  it("copies the source's tags into a store that keeps tags, unless the client replaces them; a store without tags refuses them", async () => {
    transport.answers.set("GET https://remote.example/r", answer(200, SOURCE, "remote"));
    remote.getObjectTagging = async () => ({ tags: [{ key: "a b", value: "1&2" }, { key: "c", value: "" }] });
    // The destination keeps no tags (no putObjectTagging): refused as S3 refuses where tags cannot be kept, nothing
    // written, rather than dropped; with the REPLACE directive (and no tags) it copies.
    const refused = response(await copy());
    expect([refused.status, childText(refused.root!, "Code")]).toEqual([501, "NotImplemented"]);
    expect(putRequests()).toHaveLength(0);
    await copy({ "x-amz-tagging-directive": "REPLACE" });
    expect(putRequests()[0]!.headers.has("x-amz-tagging")).toBe(false);
    // A source whose tags cannot be read (credentials without the permission) is copied in as before: only tags
    // known to be there are refused.
    const tagsOfSource = remote.getObjectTagging;
    remote.getObjectTagging = async () => {
      throw new S3Error("AccessDenied");
    };
    await copy();
    expect(putRequests()[1]!.headers.has("x-amz-tagging")).toBe(false);
    remote.getObjectTagging = tagsOfSource;
    local.getObjectTagging = async () => ({ tags: [] });
    local.putObjectTagging = async () => ({});
    await copy();
    expect(putRequests()[2]!.headers.get("x-amz-tagging")).toBe("a%20b=1%262&c=");
    await copy({ "x-amz-tagging-directive": "REPLACE", "x-amz-tagging": "mine=1" });
    expect(putRequests()[3]!.headers.get("x-amz-tagging")).toBe("mine=1");
    remote.getObjectTagging = async () => ({ tags: [] });
    await copy();
    expect(putRequests()[4]!.headers.has("x-amz-tagging")).toBe(false);
  });

  it("checks the source's conditions on its GET: a failure writes nothing and drops the body", async () => {
    const body = answer(200, SOURCE, "remote");
    transport.answers.set("GET https://remote.example/r", body);
    for (const headers of <Record<string, string>[]>[{ "x-amz-copy-source-if-match": '"other"' }, { "x-amz-copy-source-if-none-match": '"remote-etag"' }, { "x-amz-copy-source-if-unmodified-since": "Sun, 31 Dec 2023 00:00:00 GMT" }]) {
      const { status, root } = response(await copy(headers));
      expect([status, childText(root!, "Code")], JSON.stringify(headers)).toEqual([412, "PreconditionFailed"]);
    }
    expect(putRequests()).toEqual([]);
    expect(transport.discarded).toEqual([body.body, body.body, body.body]);
    expect(response(await copy({ "x-amz-copy-source-if-match": '"remote-etag"' })).status).toBe(200);
  });

  it("answers the source's failures as S3 errors, naming a missing source as the client did", async () => {
    for (const [backend, expected] of [
      [answer(404, {}, "<Error><Code>NoSuchKey</Code><Key>backend/key</Key></Error>"), [404, "NoSuchKey"]],
      [answer(500, {}, "<Error><Code>InternalError</Code></Error>"), [503, "ServiceUnavailable"]],
      [answer(403, {}, "<Error><Code>SignatureDoesNotMatch</Code></Error>"), [503, "ServiceUnavailable"]],
      [answer(301, { location: "https://elsewhere.example/" }), [503, "ServiceUnavailable"]],
      [new Error("connection refused"), [503, "ServiceUnavailable"]],
      [answer(200, { ...SOURCE, "content-length": "6" }), [200, undefined]],
    ] as const) {
      transport.answers.set("GET https://remote.example/r", backend);
      const { status, root, body } = response(await copy());
      expect([status, status === 200 ? undefined : childText(root!, "Code")]).toEqual(expected);
      if (expected[1] === "NoSuchKey") expect([childText(root!, "Key"), body.includes("backend/key")]).toEqual(["r", false]);
    }
  });

  it("refuses a source without a known length and one over 5 GiB", async () => {
    const { "content-length": _, ...unsized } = SOURCE;
    transport.answers.set("GET https://remote.example/r", answer(200, unsized, "remote"));
    expect(childText(response(await copy()).root!, "Code")).toBe("NotImplemented");
    transport.answers.set("GET https://remote.example/r", answer(200, { ...SOURCE, "content-length": String(5 * 1024 ** 3 + 1) }, "remote"));
    expect(response(await copy()).status).toBe(400);
    expect(putRequests()).toEqual([]);
  });

  it("sends the destination's forward through the transport with the source's body and length", async () => {
    forwarding(local, "local");
    transport.answers.set("GET https://remote.example/r", answer(200, SOURCE, "remote"));
    transport.answers.set("PUT https://local.example/tenant-a/dst/k", answer(200, { etag: '"written"', "last-modified": "Tue, 02 Jan 2024 00:00:00 GMT" }));
    const { status, root } = response(await copy());
    expect([status, childText(root!, "ETag"), childText(root!, "LastModified")]).toEqual([200, '"written"', "2024-01-02T00:00:00.000Z"]);
    const put = transport.sent[1]!;
    expect([put.bucket, new TextDecoder().decode(put.body!), put.request.headers.get("content-length")]).toEqual(["data", "remote", "6"]);
    transport.answers.set("PUT https://local.example/tenant-a/dst/k", answer(403, {}, "<Error><Code>AccessDenied</Code></Error>"));
    expect([response(await copy()).status, childText(response(await copy()).root!, "Code")]).toEqual([403, "AccessDenied"]);
  });

  it("answers 501 without a transport when a backend answers with a forward dispatch", async () => {
    const bare = objectsGateway();
    forwarding(bare.remote, "remote");
    const { status, root } = response(await bare.send({ method: "PUT", path: "/data/dst/k", headers: { "x-amz-copy-source": "/remote/r" } }, as("AKIDCOPIER")));
    expect([status, childText(root!, "Code")]).toEqual([501, "NotImplemented"]);
    expect(bare.local.objects.has("tenant-a/dst/k")).toBe(false);
  });
});

describe("UploadPartCopy between copy domains", () => {
  async function created(): Promise<string> {
    return childText(response(await send({ method: "POST", path: "/data/dst/k", query: { uploads: "" } }, as("AKIDWRITER"))).root!, "UploadId")!;
  }
  const copyPart = (uploadId: string, range: string) => send({ method: "PUT", path: "/data/dst/k", query: { partNumber: "3", uploadId }, headers: { "x-amz-copy-source": "/remote/r", "x-amz-copy-source-range": range } }, as("AKIDWRITER"));

  it("reads the range with one GET and uploads it as the part", async () => {
    forwarding(local, "local");
    const uploadId = await created();
    transport.answers.set("GET https://remote.example/r", answer(206, { ...SOURCE, "content-length": "3", "content-range": "bytes 1-3/6" }, "emo"));
    transport.answers.set("PUT https://local.example/tenant-a/dst/k?partNumber=3&uploadId=upload-1", answer(200, { etag: '"part-3"' }));
    const { status, root } = response(await copyPart(uploadId, "bytes=1-3"));
    expect([status, root!.name, childText(root!, "ETag")]).toEqual([200, "CopyPartResult", '"part-3"']);
    expect(transport.sent[0]!.request.headers.get("range")).toBe("bytes=1-3");
    expect(Object.fromEntries(transport.sent[1]!.request.headers)).toEqual({ "content-length": "3" });
    expect(local.callsTo("uploadPartCopy")).toEqual([]);
  });

  it("refuses a range past the end and a range the store did not serve as asked", async () => {
    forwarding(local, "local");
    const uploadId = await created();
    for (const [range, backend, status, code] of [
      ["bytes=4-7", answer(206, { ...SOURCE, "content-length": "2", "content-range": "bytes 4-5/6" }), 400, "InvalidArgument"],
      ["bytes=7-9", answer(416, { "content-range": "bytes */6" }, "<Error><Code>InvalidRange</Code></Error>"), 400, "InvalidArgument"],
      ["bytes=4-7", answer(200, SOURCE, "remote"), 400, "InvalidArgument"],
      ["bytes=4-5", answer(206, { ...SOURCE, "content-length": "2", "content-range": "bytes 2-3/6" }), 503, "ServiceUnavailable"],
      ["bytes=1-2", answer(200, SOURCE, "remote"), 503, "ServiceUnavailable"],
    ] as const) {
      transport.answers.set("GET https://remote.example/r", backend);
      const { status: answered, root } = response(await copyPart(uploadId, range));
      expect([answered, childText(root!, "Code")], range).toEqual([status, code]);
    }
    expect(transport.sent.filter((sent) => sent.request.method === "PUT")).toEqual([]);
  });

  it("answers a backend's own error thrown while preparing as it is", async () => {
    const uploadId = await created();
    remote.prepareOverride = async () => {
      throw new S3Error("NoSuchKey");
    };
    const { status, root } = response(await copyPart(uploadId, "bytes=0-1"));
    expect([status, childText(root!, "Key")]).toEqual([404, "r"]);
  });
});
