/**
 * Part reads (`?partNumber=N`) through s3 buckets whose store answers them. No store the tests can start reads parts
 * (s3rver ignores `partNumber`), so a small store stands in, answering as S3 documents it: `206` with the part's
 * Content-Range and `x-amz-mp-parts-count`, `416 InvalidPartNumber` past the last part. A second bucket's store
 * ignores `partNumber` and sends the whole object, as some S3-compatible stores do.
 */
import { createServer, type Server } from "node:http";
import { randomBytes } from "node:crypto";
import { GetObjectCommand, HeadObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sdkClient, type KeyPair } from "./clients.js";
import type { GatewayTarget, StartGateway } from "./setup.js";

const ADMIN: KeyPair = { accessKeyId: "AKIAPARTS0000000001", secretAccessKey: "parts-secret-0000000000000000000000001" };
/** The multipart object's parts, as the store keeps them. */
const PARTS = [randomBytes(1000), randomBytes(1000), randomBytes(500)];
const MULTIPART = Buffer.concat(PARTS);
/** An object larger than what the gateway reads of a refused answer (64 KiB). */
const WHOLE = randomBytes(4 * 1024 * 1024);

/** The stand-in store: `/parts/multipart.bin` read by part, `/ignoring/whole.bin` always whole. */
function startPartStore(): Promise<{ server: Server; endpoint: string; urls: string[] }> {
  const urls: string[] = [];
  const server = createServer((request, response) => {
    urls.push(`${request.method} ${request.url}`);
    const url = new URL(request.url!, "http://store");
    const part = url.searchParams.get("partNumber");
    // (A head's answer has the headers alone.)
    const send = (status: number, headers: Record<string, string>, bytes: Buffer | string) => response.writeHead(status, headers).end(request.method === "HEAD" ? undefined : bytes);
    if (url.pathname === "/ignoring/whole.bin") {
      if (part === null || part === "1" || request.method === "HEAD") {
        // (With a part count of its own, which the whole object's answer must not pass on.)
        send(200, { "content-length": String(WHOLE.length), etag: '"whole"', "x-amz-mp-parts-count": "3" }, WHOLE);
        return;
      }
      // Another part: the whole object's headers and its first bytes, then nothing until the gateway lets go.
      response.writeHead(200, { "content-length": String(WHOLE.length), etag: '"whole"' });
      response.write(WHOLE.subarray(0, 128 * 1024));
      return;
    }
    if (url.pathname !== "/parts/multipart.bin") {
      send(404, { "content-type": "application/xml" }, "<Error><Code>NoSuchKey</Code></Error>");
      return;
    }
    const headers = { etag: '"0123456789abcdef0123456789abcdef-3"', "accept-ranges": "bytes" };
    if (part === null) {
      send(200, { ...headers, "content-length": String(MULTIPART.length) }, MULTIPART);
      return;
    }
    const index = Number(part) - 1;
    if (!(index < PARTS.length)) {
      send(416, { "content-type": "application/xml" }, "<Error><Code>InvalidPartNumber</Code><Message>The requested partnumber is not satisfiable</Message></Error>");
      return;
    }
    const start = PARTS.slice(0, index).reduce((sum, bytes) => sum + bytes.length, 0);
    const bytes = PARTS[index]!;
    send(206, { ...headers, "content-length": String(bytes.length), "content-range": `bytes ${start}-${start + bytes.length - 1}/${MULTIPART.length}`, "x-amz-mp-parts-count": String(PARTS.length) }, bytes);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ server, endpoint: `http://127.0.0.1:${(server.address() as { port: number }).port}`, urls })));
}

/** Registers the part-store behaviours: their own gateway (`start`) over the stand-in store. */
export function partStoreBehaviour(start: StartGateway): void {
  describe("part reads through s3 buckets whose store reads parts", () => {
    let store: Awaited<ReturnType<typeof startPartStore>>;
    let target: GatewayTarget;
    beforeAll(async () => {
      store = await startPartStore();
      const bucket = (name: string) => ({
        name,
        backend_type: "s3",
        anonymous_access: false,
        backend_options: { endpoint: store.endpoint, bucket_name: name, region: "us-east-1", access_key_id: "AKIAPARTSTORE0000001", secret_access_key: "part-store-secret", force_path_style: "true" },
      });
      const credential = { access_key_id: ADMIN.accessKeyId, secret_access_key: ADMIN.secretAccessKey, principal_name: "parts", created_at: "2024-01-01T00:00:00Z", enabled: true };
      target = await start({ buckets: [bucket("parts"), bucket("ignoring")], roles: [], credentials: [{ ...credential, allowed_scopes: [{ bucket: "*", prefixes: [], actions: ["get_object", "head_object"] }] }] }, {});
    }, 60_000);
    afterAll(async () => {
      await target?.close();
      await new Promise((resolve) => store?.server.close(resolve));
    }, 30_000);
    const client = () => sdkClient(target.endpoint, ADMIN);

    it("asks the store for each part: its bytes, Content-Range and the part count", async () => {
      const first = await client().send(new GetObjectCommand({ Bucket: "parts", Key: "multipart.bin", PartNumber: 1 }));
      expect([first.ContentRange, first.PartsCount, first.ContentLength]).toEqual(["bytes 0-999/2500", 3, 1000]);
      const chunks = [Buffer.from(await first.Body!.transformToByteArray())];
      for (let partNumber = 2; partNumber <= first.PartsCount!; partNumber++) {
        const next = await client().send(new GetObjectCommand({ Bucket: "parts", Key: "multipart.bin", PartNumber: partNumber }));
        chunks.push(Buffer.from(await next.Body!.transformToByteArray()));
      }
      expect(Buffer.concat(chunks).equals(MULTIPART)).toBe(true);
      const head = await client().send(new HeadObjectCommand({ Bucket: "parts", Key: "multipart.bin", PartNumber: 3 }));
      expect([head.ContentRange, head.PartsCount, head.ContentLength]).toEqual(["bytes 2000-2499/2500", 3, 500]);
      expect(store.urls.filter((url) => url.startsWith("HEAD /parts/multipart.bin?") && /[?&]partNumber=3(&|$)/.test(url))).toHaveLength(1);
      await expect(client().send(new GetObjectCommand({ Bucket: "parts", Key: "multipart.bin", PartNumber: 4 }))).rejects.toMatchObject({ name: "InvalidPartNumber", $metadata: { httpStatusCode: 416 } });
    });

    it("reads the object as its one part when the store sends it whole, letting go of the rest unread", async () => {
      const first = await client().send(new GetObjectCommand({ Bucket: "ignoring", Key: "whole.bin", PartNumber: 1 }));
      expect([first.ContentRange, first.PartsCount]).toEqual([`bytes 0-${WHOLE.length - 1}/${WHOLE.length}`, undefined]);
      expect(Buffer.from(await first.Body!.transformToByteArray()).equals(WHOLE)).toBe(true);
      // The store sends part 2 as the whole object's start, then stalls: the refusal does not wait for the rest.
      await expect(client().send(new GetObjectCommand({ Bucket: "ignoring", Key: "whole.bin", PartNumber: 2 }))).rejects.toMatchObject({ name: "InvalidPartNumber", $metadata: { httpStatusCode: 416 } });
      expect(store.urls.filter((url) => /^GET \/ignoring\/whole\.bin\?.*partNumber=2/.test(url))).toHaveLength(1);
      const again = await client().send(new HeadObjectCommand({ Bucket: "ignoring", Key: "whole.bin" }));
      expect(again.ContentLength).toBe(WHOLE.length);
    });
  });
}
