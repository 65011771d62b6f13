/**
 * A store whose objects take a while to read: an S3-style HTTP peer (path style, signatures not checked) serving a
 * few fixed objects a chunk at a time, for tests of operations that outlast a client's patience (a copy between
 * stores streams its source through the gateway at the source's pace).
 */
import { createHash } from "node:crypto";
import { createServer } from "node:http";

/** A started slow store. */
export interface SlowStore {
  /** `http://127.0.0.1:<port>`. */
  endpoint: string;
  /** Each object's bytes by key (the same for every bucket name). */
  objects: Record<string, Uint8Array>;
  /** How long reading one object takes (ms, roughly). */
  readMs: number;
  /** Stops it, cutting its connections. */
  close(): Promise<void>;
}

/**
 * Starts the store. `slow.bin` is sent in `chunks` pieces `intervalMs` apart; `broken.bin` likewise, but the
 * connection is cut before its last piece. `GET ?tagging` answers an empty tag set.
 */
export async function startSlowStore(options: { chunks?: number; intervalMs?: number; chunkBytes?: number } = {}): Promise<SlowStore> {
  const chunks = options.chunks ?? 5;
  const intervalMs = options.intervalMs ?? 400;
  const chunkBytes = options.chunkBytes ?? 64 * 1024;
  const size = chunks * chunkBytes;
  const make = (seed: number) => new Uint8Array(size).map((_, index) => (index * seed + 7) % 251);
  const objects: Record<string, Uint8Array> = { "slow.bin": make(31), "broken.bin": make(17) };
  const server = createServer((request, response) => {
    request.resume();
    const url = new URL(request.url ?? "/", "http://store");
    const key = url.pathname.split("/").slice(2).join("/");
    const bytes = objects[key];
    if (bytes === undefined) {
      response.writeHead(404, { "content-type": "application/xml" });
      response.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message>No such key</Message></Error>`);
      return;
    }
    if (url.searchParams.has("tagging")) {
      response.writeHead(200, { "content-type": "application/xml" });
      response.end(`<?xml version="1.0" encoding="UTF-8"?><Tagging><TagSet></TagSet></Tagging>`);
      return;
    }
    response.writeHead(200, {
      "content-length": String(bytes.length),
      "content-type": "application/octet-stream",
      etag: `"${createHash("md5").update(bytes).digest("hex")}"`,
      "last-modified": "Mon, 01 Jan 2024 00:00:00 GMT",
    });
    if (request.method === "HEAD") {
      response.end();
      return;
    }
    let sent = 0;
    const breaks = key === "broken.bin";
    const next = () => {
      if (response.destroyed) return;
      if (breaks && sent === chunks - 1) {
        response.destroy();
        return;
      }
      response.write(bytes.subarray(sent * chunkBytes, (sent + 1) * chunkBytes));
      sent++;
      if (sent === chunks) response.end();
      else timer = setTimeout(next, intervalMs);
    };
    let timer = setTimeout(next, 0);
    response.on("close", () => clearTimeout(timer));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    objects,
    readMs: (chunks - 1) * intervalMs,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
