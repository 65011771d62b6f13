import { describe, expect, it } from "vitest";
import { S3Error } from "../src/errors.js";
import { listParts, parseListPartsResult } from "../src/operations/list-parts.js";
import { parseXml } from "../src/xml.js";
import type { Backend, ListPartsRequest, UploadedPart } from "../src/types.js";

const target = { bucket: "b", clientKey: "k & v", key: "prefix/k & v", clientUploadId: "client-id", uploadId: "backend-id" };
const part = (partNumber: number): UploadedPart => ({ partNumber, etag: `"e${partNumber}"`, size: partNumber * 10, lastModified: new Date(Date.UTC(2026, 0, partNumber)) });

function backendWith(parts: UploadedPart[], seen: ListPartsRequest[] = []): Backend<unknown> {
  return {
    kind: "test",
    listParts: async (key: string, uploadId: string, request: ListPartsRequest) => {
      expect([key, uploadId]).toEqual([target.key, target.uploadId]);
      seen.push(request);
      const after = parts.filter((item) => item.partNumber > request.partNumberMarker);
      return { parts: after.slice(0, request.maxParts), isTruncated: after.length > request.maxParts };
    },
  } as unknown as Backend<unknown>;
}

const query = (values: Record<string, string>) => ({ get: (name: string) => values[name] });
const text = (body: unknown) => String(body);

describe("ListParts", () => {
  it("renders a page with the client's names and id, and the marker for the next page", async () => {
    const seen: ListPartsRequest[] = [];
    const response = await listParts(backendWith([part(1), part(2), part(3)], seen), target, query({ "max-parts": "2" }));
    expect(seen).toEqual([{ maxParts: 2, partNumberMarker: 0 }]);
    const root = parseXml(text(response.body));
    expect(root.name).toBe("ListPartsResult");
    const result = parseListPartsResult(root);
    expect(result).toEqual({ parts: [part(1), part(2)], isTruncated: true });
    expect(text(response.body)).toContain("<Key>k &amp; v</Key><UploadId>client-id</UploadId><PartNumberMarker>0</PartNumberMarker><NextPartNumberMarker>2</NextPartNumberMarker><MaxParts>2</MaxParts>");
    const next = await listParts(backendWith([part(1), part(2), part(3)]), target, query({ "part-number-marker": "2" }));
    expect(parseListPartsResult(parseXml(text(next.body)))).toEqual({ parts: [part(3)], isTruncated: false });
    expect(text(next.body)).toContain("<NextPartNumberMarker>3</NextPartNumberMarker><MaxParts>1000</MaxParts>");
  });

  it("shows the upload's storage class, and reads a store's (named by the store's own names where it maps them)", async () => {
    const backend = backendWith([part(1)]);
    const listing = backend.listParts!.bind(backend);
    backend.listParts = async (...args) => ({ ...(await listing(...args)), storageClass: "STANDARD_IA" });
    const response = await listParts(backend, target, query({}));
    expect(text(response.body)).toContain("<IsTruncated>false</IsTruncated><StorageClass>STANDARD_IA</StorageClass><Part>");
    expect(parseListPartsResult(parseXml(text(response.body)))).toEqual({ parts: [part(1)], isTruncated: false, storageClass: "STANDARD_IA" });
    const standard = await listParts(backendWith([part(1)]), target, query({}));
    expect(text(standard.body)).toContain("<StorageClass>STANDARD</StorageClass>");
    expect(parseListPartsResult(parseXml(text(standard.body)))).not.toHaveProperty("storageClass");
    const gcs = parseXml("<ListPartsResult><IsTruncated>false</IsTruncated><StorageClass>NEARLINE</StorageClass></ListPartsResult>");
    expect(parseListPartsResult(gcs, (named) => (named === "NEARLINE" ? "STANDARD_IA" : undefined)).storageClass).toBe("STANDARD_IA");
  });

  it("caps max-parts at 1000 and refuses values that are not whole numbers", async () => {
    const seen: ListPartsRequest[] = [];
    await listParts(backendWith([], seen), target, query({ "max-parts": "5000" }));
    expect(seen).toEqual([{ maxParts: 1000, partNumberMarker: 0 }]);
    for (const [name, value] of [["max-parts", "-1"], ["max-parts", "x"], ["part-number-marker", "1.5"], ["part-number-marker", "2147483648"]]) {
      await expect(listParts(backendWith([]), target, query({ [name!]: value! }))).rejects.toMatchObject({ code: "InvalidArgument" });
    }
  });

  it("echoes a marker past the last possible part as sent, listing nothing, and relays part checksums", async () => {
    const seen: ListPartsRequest[] = [];
    const past = await listParts(backendWith([part(1)], seen), target, query({ "part-number-marker": "12000" }));
    expect(seen).toEqual([]);
    expect(text(past.body)).toContain("<PartNumberMarker>12000</PartNumberMarker><NextPartNumberMarker>12000</NextPartNumberMarker>");
    const withChecksum = { ...part(1), checksums: { ChecksumCRC32: "AAAAAA==" } };
    const listed = await listParts(backendWith([withChecksum]), target, query({}));
    expect(text(listed.body)).toContain("<Size>10</Size><ChecksumCRC32>AAAAAA==</ChecksumCRC32></Part>");
    expect(parseListPartsResult(parseXml(text(listed.body))).parts).toEqual([withChecksum]);
  });

  it("answers NotImplemented for a backend that cannot list parts", async () => {
    const error = await listParts({ kind: "r2" } as unknown as Backend<unknown>, target, query({})).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(S3Error);
    expect([(error as S3Error).code, (error as S3Error).status]).toEqual(["NotImplemented", 501]);
  });
});
