/**
 * Azure's answers at the sizes Azure allows, for the worker build's parser: a List Blobs page of 5000 upload markers
 * with every property Azure lists (more elements than the default XML bound, which Azurite's shorter answers stay
 * under) and a block list of 40,000 blocks. A stand-in for Azure answers them, in the documented format.
 */
import { toBase64 } from "@multistore/core/backend";
import { describe, expect, it } from "vitest";
import { blockId, newPartTag } from "../src/block-ids.js";
import { markerMetadata } from "../src/multipart.js";
import { newUploadId } from "../src/names.js";
import { createAzureBackend } from "../src/worker.js";

const OPTIONS = { account_name: "acct", container_name: "data", access_key: toBase64(new Uint8Array(32)), endpoint: "https://acct.blob.core.windows.net" };

/** One blob of a List Blobs answer with `include=metadata`, as Azure lists it (service version 2026-02-06). */
function listedBlob(name: string, metadata: Record<string, string>): string {
  const date = "Mon, 07 Dec 2026 10:00:00 GMT";
  const properties = `<Creation-Time>${date}</Creation-Time><Last-Modified>${date}</Last-Modified><Etag>0x8DC0123456789AB</Etag><ResourceType>file</ResourceType><Content-Length>64</Content-Length><Content-Type>application/json</Content-Type><Content-Encoding /><Content-Language /><Content-CRC64 /><Content-MD5>AAAAAAAAAAAAAAAAAAAAAA==</Content-MD5><Cache-Control /><Content-Disposition /><BlobType>BlockBlob</BlobType><AccessTier>Hot</AccessTier><AccessTierInferred>true</AccessTierInferred><LeaseStatus>unlocked</LeaseStatus><LeaseState>available</LeaseState><ServerEncrypted>true</ServerEncrypted>`;
  const entries = Object.entries(metadata).map(([key, value]) => `<${key}>${value}</${key}>`).join("");
  return `<Blob><Name>${name}</Name><Properties>${properties}</Properties><Metadata>${entries}</Metadata><OrMetadata /></Blob>`;
}

describe("the worker build on answers as large as Azure's", () => {
  it("lists 5000 uploads from one List Blobs page, and pages on", async () => {
    const uploads = Array.from({ length: 5001 }, (_, index) => ({ key: `dir/key-${String(index).padStart(5, "0")}`, uploadId: newUploadId() }));
    const page = (items: typeof uploads, next?: string) =>
      `<?xml version="1.0" encoding="utf-8"?><EnumerationResults ServiceEndpoint="https://acct.blob.core.windows.net/" ContainerName="data"><Prefix>.multistore-uploads/</Prefix><MaxResults>5000</MaxResults><Blobs>${items.map((item) => listedBlob(`.multistore-uploads/${item.uploadId}`, markerMetadata(item.key, undefined, new Date(Date.UTC(2026, 11, 7))))).join("")}</Blobs><NextMarker>${next ?? ""}</NextMarker></EnumerationResults>`;
    const markers: (string | null)[] = [];
    const fetch = async (input: RequestInfo | URL) => {
      const url = new URL(String(input));
      expect([url.searchParams.get("comp"), url.searchParams.get("prefix"), url.searchParams.get("include")]).toEqual(["list", ".multistore-uploads/", "metadata"]);
      markers.push(url.searchParams.get("marker"));
      const body = url.searchParams.get("marker") === null ? page(uploads.slice(0, 5000), "next-page") : page(uploads.slice(5000));
      return new Response(body, { status: 200, headers: { "content-type": "application/xml" } });
    };
    const backend = createAzureBackend(OPTIONS, { fetch });
    const listed = await backend.listMultipartUploads!({ prefix: "dir/", maxUploads: 1000, keyMarker: "dir/key-04999" });
    expect(listed.uploads.map((upload) => [upload.key, upload.uploadId])).toEqual([[uploads[5000]!.key, uploads[5000]!.uploadId]]);
    expect([listed.isTruncated, listed.uploads[0]!.initiated.toISOString(), markers]).toEqual([false, "2026-12-07T00:00:00.000Z", [null, "next-page"]]);
  });

  it("lists the parts of a blob with 40,000 uncommitted blocks", async () => {
    const uploadId = newUploadId();
    const other = newUploadId();
    const blocks = Array.from({ length: 40_000 }, (_, index) => blockId(index < 10_000 ? uploadId : other, (index % 10_000) + 1, newPartTag(null), Date.UTC(2026, 11, 7) + index));
    const fetch = async (input: RequestInfo | URL) => {
      const url = new URL(String(input));
      if (url.searchParams.get("comp") === "blocklist") {
        const list = blocks.map((id) => `<Block><Name>${id}</Name><Size>5242880</Size></Block>`).join("");
        return new Response(`<?xml version="1.0" encoding="utf-8"?><BlockList><UncommittedBlocks>${list}</UncommittedBlocks></BlockList>`, { status: 200 });
      }
      return new Response(JSON.stringify({ v: 1, key: "big.bin", headers: {}, metadata: {} }), { status: 200 });
    };
    const backend = createAzureBackend(OPTIONS, { fetch });
    const listed = await backend.listParts!("big.bin", uploadId, { maxParts: 1000, partNumberMarker: 9000 });
    expect([listed.parts.length, listed.parts[0]!.partNumber, listed.parts.at(-1)!.partNumber, listed.isTruncated]).toEqual([1000, 9001, 10000, false]);
  });
});
