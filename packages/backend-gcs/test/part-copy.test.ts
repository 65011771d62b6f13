/**
 * The gcs backend's UploadPartCopy where it goes wrong midway, against a minimal server speaking the XML API's wire
 * format (the GCS test server answers too fast to leave a read open): a part refused before it is read releases the
 * source read at once, and a ranged read answered 200 (the range ignored) is no part.
 */
import { createServer, type Server, type ServerResponse } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGcsBackend } from "../src/node.js";

let server: Server;
let endpoint: string;
/** The source reads of the current test, to see when each ends. */
let reads: ServerResponse[] = [];
let ignoreRange = false;

beforeAll(async () => {
  server = createServer((request, response) => {
    if (request.method === "GET") {
      reads.push(response);
      const total = 64 * 1024 * 1024;
      // 64 MiB offered at the pace it is read: an unread body holds the connection open.
      response.writeHead(ignoreRange ? 200 : 206, { "content-length": String(total), ...(!ignoreRange && { "content-range": `bytes 0-${total - 1}/${total}` }) });
      const chunk = Buffer.alloc(1 << 16, 1);
      let sent = 0;
      const pump = () => {
        while (sent < total && response.write(chunk)) sent += chunk.length;
        if (sent >= total) response.end();
      };
      response.on("drain", pump);
      response.on("error", () => undefined);
      pump();
      return;
    }
    // The part's PUT: refused at once, unread (an upload aborted meanwhile).
    response.writeHead(404, { "content-type": "application/xml" }).end("<Error><Code>NoSuchUpload</Code><Message>The requested upload was not found.</Message></Error>");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe("gcs UploadPartCopy", () => {
  const backend = () => createGcsBackend({ bucket_name: "copies", endpoint, skip_signature: "true" });
  const copy = (range?: { first: number; last: number }) => {
    const gcs = backend();
    return gcs.uploadPartCopy!({ sourceBackend: gcs, sourceKey: "source", key: "dest", uploadId: "u", partNumber: 1, headers: new Headers(), ...(range && { range }) });
  };

  it("releases the source read when the part is refused before it is read", async () => {
    reads = [];
    ignoreRange = false;
    await expect(copy({ first: 0, last: 64 * 1024 * 1024 - 1 })).rejects.toMatchObject({ code: "NoSuchUpload" });
    expect(reads).toHaveLength(1);
    await expect.poll(() => reads[0]!.closed, { timeout: 2000 }).toBe(true);
  });

  it("takes no part from a ranged read answered whole", async () => {
    reads = [];
    ignoreRange = true;
    await expect(copy({ first: 10, last: 20 })).rejects.toMatchObject({ code: "ServiceUnavailable" });
    await expect.poll(() => reads[0]!.closed, { timeout: 2000 }).toBe(true);
  });
});
