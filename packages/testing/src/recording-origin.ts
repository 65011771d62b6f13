/**
 * A minimal object store for runtime tests: PUT keeps a body by path, GET (and HEAD) serve it, whole or one
 * `bytes=a-b` range, GetObjectTagging answers an empty tag set, and a missing path is S3's `404 NoSuchKey`. Its
 * `stored` map lets a test look at what arrived.
 */
import { createServer, type Server } from "node:http";

/** A running recording origin. */
export interface RecordingOrigin {
  /** `http://127.0.0.1:port`. */
  endpoint: string;
  /** Bodies by request path (query left out), as received. */
  stored: Map<string, Buffer>;
  /** Stops it. */
  close(): Promise<void>;
}

/** Starts a recording origin on a free loopback port. */
export async function startRecordingOrigin(): Promise<RecordingOrigin> {
  const stored = new Map<string, Buffer>();
  const server: Server = createServer((request, response) => {
    const path = request.url!.split("?")[0]!;
    if (request.method === "PUT") {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        stored.set(path, Buffer.concat(chunks));
        response.writeHead(200, { etag: '"stored"' }).end();
      });
      return;
    }
    const body = stored.get(path);
    if (!body) return void response.writeHead(404, { "content-type": "application/xml" }).end("<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>");
    // GetObjectTagging (a copy between stores asks for the source's tags): it keeps none.
    if (/[?&]tagging(=|&|$)/.test(request.url!)) return void response.writeHead(200, { "content-type": "application/xml" }).end("<Tagging><TagSet></TagSet></Tagging>");
    const range = /^bytes=(\d+)-(\d+)$/.exec(request.headers.range ?? "");
    const [start, end] = range ? [Number(range[1]), Math.min(Number(range[2]), body.length - 1)] : [0, body.length - 1];
    const headers = { "content-length": String(end - start + 1), etag: '"stored"', ...(range && { "content-range": `bytes ${start}-${end}/${body.length}` }) };
    response.writeHead(range ? 206 : 200, headers).end(request.method === "HEAD" ? undefined : body.subarray(start, end + 1));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    stored,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
