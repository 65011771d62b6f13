/**
 * A copy's checksums: CopyObjectResult (and CopyPartResult) show what the store kept, `x-amz-checksum-algorithm` is
 * checked before any store is asked and reaches an S3 store in S3's spelling, and a copy streamed between stores
 * gives the destination the source's whole-object checksums to verify and keep.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { childText, type CopyRequest, type ObjectRequest, type WriteResult } from "../src/backend.js";
import type { BackendTransport, TransportResponse } from "../src/index.js";
import type { MemoryBackend } from "./helpers/memory-backend.js";
import { as, objectsGateway, response } from "./helpers/objects-gateway.js";

let local: MemoryBackend;
let remote: MemoryBackend;
let send: ReturnType<typeof objectsGateway>["send"];
const sent: { method: string; url: string; headers: Headers }[] = [];
const answers = new Map<string, TransportResponse<Uint8Array>>();

/** A transport answering from `answers` by method and URL, recording what it was sent. */
const transport: BackendTransport<Uint8Array> = {
  send: async (request) => {
    sent.push({ method: request.method, url: request.url, headers: new Headers(request.headers) });
    const answer = answers.get(`${request.method} ${request.url}`);
    if (answer === undefined) throw new Error(`unexpected ${request.method} ${request.url}`);
    return answer;
  },
  text: async (body, limit) => new TextDecoder().decode(body.subarray(0, limit)),
  discard: () => undefined,
};

beforeEach(() => {
  sent.length = 0;
  answers.clear();
  ({ local, remote, send } = objectsGateway(transport));
});

const copy = (source: string, headers: Record<string, string> = {}, path = "/data/dst/k") => send({ method: "PUT", path, headers: { "x-amz-copy-source": source, ...headers } }, as("AKIDCOPIER"));
const elements = (root: { children: { name: string; text: string }[] }) => root.children.map((child) => [child.name, child.text]);
/** Makes `backend` answer copies with `result`'s checksums. */
function keeping(backend: MemoryBackend, extra: Partial<WriteResult>): void {
  const stored = backend.copyObject.bind(backend);
  backend.copyObject = async (request) => ({ ...(await stored(request)), ...extra });
}

describe("CopyObject within a store", () => {
  it("shows the checksums the store kept and their type, inferring COMPOSITE from a value of parts", async () => {
    keeping(local, { checksums: { "x-amz-checksum-sha256": "c2hh", "x-amz-checksum-crc32": "AAAAAA==" }, checksumType: "FULL_OBJECT" });
    const { status, root } = response(await copy("/other/src/k", { "x-amz-checksum-algorithm": "CRC32" }));
    expect(status).toBe(200);
    expect(elements(root!)).toEqual([
      ["LastModified", "2024-02-02T00:00:00.000Z"],
      ["ETag", '"etag-12"'],
      ["ChecksumType", "FULL_OBJECT"],
      ["ChecksumSHA256", "c2hh"],
      ["ChecksumCRC32", "AAAAAA=="],
    ]);
    keeping(local, { checksums: { "x-amz-checksum-crc32": "AAAAAA==-3" }, checksumType: "" });
    expect(elements(response(await copy("/other/src/k")).root!).slice(2)).toEqual([["ChecksumType", "COMPOSITE"], ["ChecksumCRC32", "AAAAAA==-3"]]);
    // One S3 computes that core does not (an S3 store answering the algorithm a copy named) is shown too.
    keeping(local, { checksums: { "x-amz-checksum-sha512": "c2hhNTEy" } });
    expect(elements(response(await copy("/other/src/k")).root!).slice(2)).toEqual([["ChecksumType", "FULL_OBJECT"], ["ChecksumSHA512", "c2hhNTEy"]]);
  });

  it("refuses an algorithm S3 does not know (400) and one only S3 computes on another store (501), before asking it", async () => {
    const refused = response(await copy("/other/src/k", { "x-amz-checksum-algorithm": "MD4" }));
    expect([refused.status, childText(refused.root!, "Code")]).toEqual([400, "InvalidRequest"]);
    const storeOnly = response(await copy("/other/src/k", { "x-amz-checksum-algorithm": "SHA512" }));
    expect([storeOnly.status, childText(storeOnly.root!, "Code")]).toEqual([501, "NotImplemented"]);
    expect(local.callsTo("copyObject")).toEqual([]);
  });

  it("asks an S3 store in S3's spelling, any algorithm S3 takes included", async () => {
    Object.defineProperty(local, "kind", { value: "s3" });
    for (const [asked, forwarded] of [[" crc32 ", "CRC32"], ["sha512", "SHA512"]]) {
      expect(response(await copy("/other/src/k", { "x-amz-checksum-algorithm": asked! })).status).toBe(200);
      expect((local.callsTo("copyObject").at(-1)![0] as CopyRequest).headers.get("x-amz-checksum-algorithm")).toBe(forwarded);
    }
  });
});

describe("a copy streamed between stores", () => {
  const SOURCE = { "content-length": "6", etag: '"remote-etag"', "last-modified": "Mon, 01 Jan 2024 00:00:00 GMT" };
  beforeEach(() => {
    for (const [backend, name] of [[remote, "remote"], [local, "local"]] as const) {
      backend.prepareOverride = async (request: ObjectRequest) => ({
        type: "forward",
        method: request.operation === "GetObject" ? "GET" : "PUT",
        url: `https://${name}.example/${request.key}${request.uploadId ? `?partNumber=${request.partNumber}&uploadId=${request.uploadId}` : ""}`,
        headers: request.headers,
      });
    }
  });
  const answer = (headers: Record<string, string>, body?: string): TransportResponse<Uint8Array> => ({ status: 200, headers: new Headers(headers), body: body === undefined ? null : new TextEncoder().encode(body) });

  it("asks the source for its checksums and gives the destination its whole-object ones, showing those it kept", async () => {
    answers.set("GET https://remote.example/r", answer({ ...SOURCE, "x-amz-checksum-sha256": "c2hh", "x-amz-checksum-crc32": "AAAAAA==", "x-amz-checksum-type": "FULL_OBJECT" }, "remote"));
    answers.set("PUT https://local.example/tenant-a/dst/k", answer({ etag: '"written"', "x-amz-checksum-sha256": "c2hh" }));
    const { status, root } = response(await copy("/remote/r"));
    expect(status).toBe(200);
    expect(sent[0]!.headers.get("x-amz-checksum-mode")).toBe("ENABLED");
    // One (S3 refuses several): a SHA first, which R2 keeps too.
    expect([sent[1]!.headers.get("x-amz-checksum-sha256"), sent[1]!.headers.get("x-amz-checksum-crc32")]).toEqual(["c2hh", null]);
    expect(elements(root!).slice(2)).toEqual([["ChecksumType", "FULL_OBJECT"], ["ChecksumSHA256", "c2hh"]]);
    // The one named alone, where the source has it.
    await copy("/remote/r", { "x-amz-checksum-algorithm": "CRC32" });
    expect([sent[3]!.headers.get("x-amz-checksum-sha256"), sent[3]!.headers.get("x-amz-checksum-crc32")]).toEqual([null, "AAAAAA=="]);
    // One the source lacks: nothing between the stores computes it, so the copy is refused (the source read, nothing
    // written), unless the destination computes it itself.
    const refused = response(await copy("/remote/r", { "x-amz-checksum-algorithm": "CRC64NVME" }));
    expect([refused.status, childText(refused.root!, "Code"), sent.map((request) => request.method)]).toEqual([501, "NotImplemented", ["GET", "PUT", "GET", "PUT", "GET"]]);
    local.computedChecksums = ["crc64nvme"];
    expect(response(await copy("/remote/r", { "x-amz-checksum-algorithm": "CRC64NVME" })).status).toBe(200);
    expect([...sent.at(-1)!.headers.keys()].filter((name) => name.startsWith("x-amz-checksum-"))).toEqual([]);
  });

  it("gives the destination a checksum in an algorithm it keeps, and none to a store that keeps none", async () => {
    answers.set("GET https://remote.example/r", answer({ ...SOURCE, "x-amz-checksum-sha256": "c2hh", "x-amz-checksum-crc32c": "AAAAAA==" }, "remote"));
    answers.set("PUT https://local.example/tenant-a/dst/k", answer({ etag: '"written"', "x-amz-checksum-crc32c": "AAAAAA==" }));
    const given = () => Object.fromEntries([...sent.at(-1)!.headers].filter(([name]) => name.startsWith("x-amz-checksum-")));
    // A store keeping only CRC32C (Cloud Storage) gets the CRC32C, not the SHA it would ignore.
    local.keptChecksums = ["crc32c"];
    const { root } = response(await copy("/remote/r"));
    expect(given()).toEqual({ "x-amz-checksum-crc32c": "AAAAAA==" });
    expect(elements(root!).slice(2)).toEqual([["ChecksumType", "FULL_OBJECT"], ["ChecksumCRC32C", "AAAAAA=="]]);
    // The one the client names must be one the destination keeps: 501 before any store is asked.
    const requests = sent.length;
    const refused = response(await copy("/remote/r", { "x-amz-checksum-algorithm": "SHA256" }));
    expect([refused.status, childText(refused.root!, "Code"), sent.length]).toEqual([501, "NotImplemented", requests]);
    local.keptChecksums = [];
    await copy("/remote/r");
    expect(given()).toEqual({});
  });

  it("gives none of parts (COMPOSITE), and asks a ranged source for none", async () => {
    answers.set("GET https://remote.example/r", answer({ ...SOURCE, "x-amz-checksum-crc32": "AAAAAA==-2", "x-amz-checksum-sha256": "c2hh", "x-amz-checksum-type": "COMPOSITE" }, "remote"));
    answers.set("PUT https://local.example/tenant-a/dst/k", answer({ etag: '"written"' }));
    const { root } = response(await copy("/remote/r"));
    expect([...sent[1]!.headers.keys()].filter((name) => name.startsWith("x-amz-checksum-"))).toEqual([]);
    expect(childText(root!, "ChecksumType")).toBeUndefined();
    const uploadId = childText(response(await send({ method: "POST", path: "/data/dst/k", query: { uploads: "" } }, as("AKIDWRITER"))).root!, "UploadId")!;
    answers.set("GET https://remote.example/r", { ...answer({ ...SOURCE, "content-length": "3", "content-range": "bytes 1-3/6" }, "emo"), status: 206 });
    answers.set("PUT https://local.example/tenant-a/dst/k?partNumber=3&uploadId=upload-1", answer({ etag: '"part-3"', "x-amz-checksum-crc32": "AAAAAA==" }));
    const part = response(await send({ method: "PUT", path: "/data/dst/k", query: { partNumber: "3", uploadId }, headers: { "x-amz-copy-source": "/remote/r", "x-amz-copy-source-range": "bytes=1-3" } }, as("AKIDWRITER")));
    expect(sent.at(-2)!.headers.has("x-amz-checksum-mode")).toBe(false);
    // The part's checksum the store answered, without a ChecksumType: CopyPartResult has none.
    expect(elements(part.root!).slice(2)).toEqual([["ChecksumCRC32", "AAAAAA=="]]);
  });
});
