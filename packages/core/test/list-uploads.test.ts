/** ListMultipartUploads: rendering, paging with markers, delimiter roll-up, the page cap, upload id wrapping. */
import { describe, expect, it } from "vitest";
import { listMultipartUploads, parseListMultipartUploadsResult } from "../src/operations/list-uploads.js";
import { createUploadIdCodec } from "../src/upload-ids.js";
import { compareUtf8 } from "../src/operations/list.js";
import { childElements, childText, parseXml, type XmlElement } from "../src/xml.js";
import type { Backend, BucketConfig, ListedUpload, ListUploadsRequest } from "../src/types.js";
import { bucket as bucketConfig } from "./helpers/memory-backend.js";

const uploadIds = createUploadIdCodec("test secret");
const owner = { id: "owner-id", displayName: "owner name" };
const bucket: BucketConfig = bucketConfig("b", { backend_prefix: "tenant/" });
const target = { bucket, bucketName: "b" };
const upload = (key: string, uploadId: string, day = 1): ListedUpload => ({ key: `tenant/${key}`, uploadId, initiated: new Date(Date.UTC(2026, 0, day)) });

/** A backend listing `uploads` (given in S3's order) with S3's marker semantics; records what it was asked. */
function backendWith(uploads: ListedUpload[], seen: ListUploadsRequest[] = []): Backend<unknown> {
  return {
    kind: "test",
    listMultipartUploads: async (request: ListUploadsRequest) => {
      seen.push(request);
      const under = uploads.filter((item) => item.key.startsWith(request.prefix));
      let start = 0;
      if (request.keyMarker !== undefined) {
        const marked = under.findIndex((item) => item.key === request.keyMarker && item.uploadId === request.uploadIdMarker);
        start = request.uploadIdMarker !== undefined && marked !== -1 ? marked + 1 : under.findIndex((item) => compareUtf8(item.key, request.keyMarker!) > 0);
        if (start === -1) start = under.length;
      }
      return { uploads: under.slice(start, start + request.maxUploads), isTruncated: under.length > start + request.maxUploads };
    },
  } as unknown as Backend<unknown>;
}

const query = (values: Record<string, string>) => ({ get: (name: string) => values[name] });

async function list(backend: Backend<unknown>, values: Record<string, string>) {
  const response = await listMultipartUploads(backend, target, query(values), owner, uploadIds);
  const root = parseXml(String(response.body));
  expect(root.name).toBe("ListMultipartUploadsResult");
  return { root, body: String(response.body) };
}

const keysOf = (root: XmlElement) => childElements(root, "Upload").map((item) => childText(item, "Key"));
const prefixesOf = (root: XmlElement) => childElements(root, "CommonPrefixes").map((item) => childText(item, "Prefix"));
const markersOf = (root: XmlElement) => [childText(root, "IsTruncated"), childText(root, "NextKeyMarker"), childText(root, "NextUploadIdMarker")];

describe("ListMultipartUploads", () => {
  it("lists the client's keys with the gateway's ids, bound to bucket and key", async () => {
    const seen: ListUploadsRequest[] = [];
    const { root, body } = await list(backendWith([upload("a & b.bin", "id-1", 2), upload("a & b.bin", "id-2", 3), upload("c.bin", "id-3")], seen), { prefix: "a" });
    expect(seen).toEqual([{ prefix: "tenant/a", maxUploads: 1000 }]);
    expect(keysOf(root)).toEqual(["a & b.bin", "a & b.bin"]);
    const ids = childElements(root, "Upload").map((item) => childText(item, "UploadId")!);
    expect(await Promise.all(ids.map((id) => uploadIds.unwrap("b", "a & b.bin", id)))).toEqual(["id-1", "id-2"]);
    await expect(uploadIds.unwrap("b", "c.bin", ids[0]!)).rejects.toMatchObject({ code: "NoSuchUpload" });
    expect(body).toContain("<Key>a &amp; b.bin</Key>");
    expect(body).toContain("<Initiator><ID>owner-id</ID><DisplayName>owner name</DisplayName></Initiator><Owner><ID>owner-id</ID>");
    expect(body).toContain("<StorageClass>STANDARD</StorageClass><Initiated>2026-01-02T00:00:00.000Z</Initiated>");
    expect(markersOf(root)).toEqual(["false", "a & b.bin", ids[1]]);
    expect([childText(root, "Bucket"), childText(root, "Prefix"), childText(root, "MaxUploads"), childText(root, "KeyMarker")]).toEqual(["b", "a", "1000", ""]);
    expect(childElements(root, "Delimiter")).toEqual([]);
  });

  it("shows each upload's storage class, and reads a store's", async () => {
    const { root } = await list(backendWith([{ ...upload("cold.bin", "id-1"), storageClass: "GLACIER_IR" }, upload("warm.bin", "id-2")]), {});
    expect(childElements(root, "Upload").map((item) => childText(item, "StorageClass"))).toEqual(["GLACIER_IR", "STANDARD"]);
    expect(parseListMultipartUploadsResult(root).uploads.map((item) => item.storageClass)).toEqual(["GLACIER_IR", undefined]);
  });

  it("pages with max-uploads, key-marker and upload-id-marker (unwrapped to the backend's id)", async () => {
    const uploads = [upload("k", "id-1"), upload("k", "id-2"), upload("k", "id-3"), upload("m", "id-4")];
    const first = await list(backendWith(uploads), { "max-uploads": "2" });
    const [truncated, keyMarker, idMarker] = markersOf(first.root);
    expect([keysOf(first.root), truncated, keyMarker]).toEqual([["k", "k"], "true", "k"]);
    const seen: ListUploadsRequest[] = [];
    const rest = await list(backendWith(uploads, seen), { "key-marker": keyMarker!, "upload-id-marker": idMarker! });
    expect(seen).toEqual([{ prefix: "tenant/", maxUploads: 1000, keyMarker: "tenant/k", uploadIdMarker: "id-2" }]);
    expect([keysOf(rest.root), childText(rest.root, "KeyMarker"), childText(rest.root, "UploadIdMarker"), childText(rest.root, "IsTruncated")]).toEqual([["k", "m"], "k", idMarker, "false"]);
    const ids = childElements(rest.root, "Upload").map((item) => childText(item, "UploadId")!);
    expect(await uploadIds.unwrap("b", "m", ids[1]!)).toBe("id-4");
    // A key-marker alone starts after every upload of that key.
    expect(keysOf((await list(backendWith(uploads), { "key-marker": "k" })).root)).toEqual(["m"]);
  });

  it("answers a full page ending with an upload from one backend page, and one ending with a common prefix from two", async () => {
    const uploads = [upload("a", "i1"), upload("b/1", "i2"), upload("b/2", "i3"), upload("c", "i4")];
    const seen: ListUploadsRequest[] = [];
    const full = await list(backendWith(uploads, seen), { "max-uploads": "2" });
    expect([keysOf(full.root), markersOf(full.root), seen.length]).toEqual([["a", "b/1"], ["true", "b/1", childText(childElements(full.root, "Upload")[1]!, "UploadId")], 1]);
    // Ending with a common prefix: whether more follows is only known past the uploads under it.
    seen.length = 0;
    const rolled = await list(backendWith(uploads, seen), { delimiter: "/", "max-uploads": "2" });
    expect([keysOf(rolled.root), prefixesOf(rolled.root), markersOf(rolled.root)[0], seen.length]).toEqual([["a"], ["b/"], "true", 2]);
  });

  it("refuses an upload-id-marker it did not make for that key, and ignores one without key-marker", async () => {
    const uploads = [upload("k", "id-1"), upload("m", "id-2")];
    const made = childText(childElements((await list(backendWith(uploads), {})).root, "Upload")[0]!, "UploadId")!;
    for (const [key, marker] of [["k", "not-ours"], ["m", made], ["k", `${made.slice(0, -1)}${made.endsWith("0") ? "1" : "0"}`]]) {
      await expect(list(backendWith(uploads), { "key-marker": key!, "upload-id-marker": marker! }), `${key} ${marker}`).rejects.toMatchObject({ code: "InvalidArgument", message: "Invalid uploadId marker" });
    }
    const seen: ListUploadsRequest[] = [];
    const ignored = await list(backendWith(uploads, seen), { "upload-id-marker": "not-ours" });
    expect([keysOf(ignored.root), childText(ignored.root, "UploadIdMarker"), seen]).toEqual([["k", "m"], "", [{ prefix: "tenant/", maxUploads: 1000 }]]);
  });

  it("rolls keys up at a delimiter, counting each common prefix once, and pages past a common prefix", async () => {
    const uploads = [upload("p/a/1", "i1"), upload("p/a/2", "i2"), upload("p/a/3", "i3"), upload("p/b", "i4"), upload("p/c/1", "i5"), upload("p/d", "i6")];
    const all = await list(backendWith(uploads), { prefix: "p/", delimiter: "/" });
    expect([prefixesOf(all.root), keysOf(all.root), childText(all.root, "Delimiter")]).toEqual([["p/a/", "p/c/"], ["p/b", "p/d"], "/"]);
    const first = await list(backendWith(uploads), { prefix: "p/", delimiter: "/", "max-uploads": "1" });
    expect([prefixesOf(first.root), keysOf(first.root), markersOf(first.root)]).toEqual([["p/a/"], [], ["true", "p/a/", ""]]);
    const seen: ListUploadsRequest[] = [];
    const second = await list(backendWith(uploads, seen), { prefix: "p/", delimiter: "/", "max-uploads": "2", "key-marker": "p/a/", "upload-id-marker": "" });
    expect(seen[0]).toEqual({ prefix: "tenant/p/", maxUploads: 2, keyMarker: "tenant/p/a/\u{10FFFF}" });
    expect([keysOf(second.root), prefixesOf(second.root), markersOf(second.root)]).toEqual([["p/b"], ["p/c/"], ["true", "p/c/", ""]]);
  });

  it("skips a rolled-up prefix whose uploads span backend pages with one request past it", async () => {
    const uploads = [...Array.from({ length: 5 }, (_, index) => upload(`dir/${index}`, `i${index}`)), upload("file", "i9")];
    const seen: ListUploadsRequest[] = [];
    const { root } = await list(backendWith(uploads, seen), { delimiter: "/", "max-uploads": "2" });
    expect([prefixesOf(root), keysOf(root), childText(root, "IsTruncated")]).toEqual([["dir/"], ["file"], "false"]);
    expect(seen.map((request) => request.keyMarker)).toEqual([undefined, "tenant/dir/\u{10FFFF}"]);
  });

  it("caps max-uploads at 1000, lists nothing for 0, and refuses values that are not whole numbers", async () => {
    const seen: ListUploadsRequest[] = [];
    expect(childText((await list(backendWith([], seen), { "max-uploads": "5000" })).root, "MaxUploads")).toBe("1000");
    expect(seen).toEqual([{ prefix: "tenant/", maxUploads: 1000 }]);
    const none = await list(backendWith([upload("k", "i")], seen), { "max-uploads": "0" });
    expect([keysOf(none.root), childText(none.root, "IsTruncated"), seen.length]).toEqual([[], "false", 1]);
    for (const value of ["-1", "x", "2147483648"]) {
      await expect(list(backendWith([]), { "max-uploads": value })).rejects.toMatchObject({ code: "InvalidArgument" });
    }
  });

  it("URL-encodes keys, prefixes and markers with encoding-type=url and refuses other encodings", async () => {
    const { root, body } = await list(backendWith([upload("a b/ü?.bin", "i1")]), { prefix: "a b/", "encoding-type": "url", "key-marker": "a b/" });
    expect(keysOf(root)).toEqual(["a%20b/%C3%BC%3F.bin"]);
    expect(body).toContain("<KeyMarker>a%20b/</KeyMarker><UploadIdMarker></UploadIdMarker><NextKeyMarker>a%20b/%C3%BC%3F.bin</NextKeyMarker><Prefix>a%20b/</Prefix>");
    expect(body).toContain("<EncodingType>url</EncodingType></ListMultipartUploadsResult>");
    expect(parseListMultipartUploadsResult(root).uploads.map((item) => item.key)).toEqual(["a b/ü?.bin"]);
    await expect(list(backendWith([]), { "encoding-type": "base64" })).rejects.toMatchObject({ code: "InvalidArgument" });
  });

  it("refuses a key-marker XML cannot carry unless encoding-type=url, as the other echoed parameters", async () => {
    const backend = backendWith([upload("a.bin", "id-1")]);
    for (const [name, value] of [["key-marker", "a\u0001"], ["prefix", "\u0000"], ["delimiter", "\uffff"]] as const) {
      const refused = listMultipartUploads(backend, target, query({ [name]: value }), owner, uploadIds);
      await expect(refused, `${name}=${JSON.stringify(value)}`).rejects.toMatchObject({ code: "InvalidArgument", details: { ArgumentName: name } });
    }
    const { root } = await list(backend, { "key-marker": "a\u0001", "encoding-type": "url" });
    expect(childText(root, "KeyMarker")).toBe("a%01");
  });

  it("never lists keys outside the requested prefix, whatever the backend returns", async () => {
    const careless = { kind: "test", listMultipartUploads: async () => ({ uploads: [upload("secret/x", "i1"), upload("open/y", "i2")], isTruncated: false }) } as unknown as Backend<unknown>;
    expect(keysOf((await list(careless, { prefix: "open/" })).root)).toEqual(["open/y"]);
  });

  it("reads at most 10 backend pages for one answer", async () => {
    let calls = 0;
    const endless = { kind: "test", listMultipartUploads: async () => ({ uploads: [upload(`elsewhere/${calls++}`, "i")], isTruncated: true }) } as unknown as Backend<unknown>;
    const { root } = await list(endless, { prefix: "mine/" });
    expect([keysOf(root), childText(root, "IsTruncated"), calls]).toEqual([[], "false", 10]);
  });

  it("lists no upload on a backend that cannot list them", async () => {
    const { root } = await list({ kind: "test" } as unknown as Backend<unknown>, { prefix: "x/", delimiter: "/", "max-uploads": "5" });
    expect([keysOf(root), prefixesOf(root), markersOf(root), childText(root, "Prefix"), childText(root, "MaxUploads")]).toEqual([[], [], ["false", "", ""], "x/", "5"]);
  });

  it("reads an S3 ListMultipartUploadsResult, URL-decoding keys when it says so", () => {
    const document = parseXml(
      "<ListMultipartUploadsResult><Bucket>b</Bucket><IsTruncated>true</IsTruncated><EncodingType>url</EncodingType>" +
        "<Upload><Key>a+b%2Bc</Key><UploadId>u1</UploadId><Initiated>2026-01-01T00:00:00.000Z</Initiated></Upload></ListMultipartUploadsResult>",
    );
    expect(parseListMultipartUploadsResult(document)).toEqual({ uploads: [{ key: "a b+c", uploadId: "u1", initiated: new Date(Date.UTC(2026, 0, 1)) }], isTruncated: true });
  });
});
