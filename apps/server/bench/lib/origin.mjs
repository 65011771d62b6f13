#!/usr/bin/env node
/**
 * The bench's backend when nginx is missing, and its PUT backend always: objects of any size generated from a 1 MiB
 * pattern (`/bucket/1k.bin`, `/bucket/64m.bin`, `/bucket/1g.bin`, or `/bucket/<bytes>.bin`), with ranges; PUTs are
 * read to their end and acknowledged. Signatures are not checked. Prints `{"port":N}` once listening.
 */
import http from "node:http";

const MiB = 1024 * 1024;
const pattern = Buffer.alloc(MiB);
for (let index = 0; index < MiB; index++) pattern[index] = (index * 31 + 7) & 0xff;
const named = { "1k.bin": 1024, "64m.bin": 64 * MiB, "1g.bin": 1024 * MiB };

function sizeOf(path) {
  const name = path.slice(path.lastIndexOf("/") + 1).split("?")[0];
  if (name in named) return named[name];
  const bytes = Number(name.replace(/\.bin$/, ""));
  return Number.isInteger(bytes) && bytes >= 0 ? bytes : undefined;
}

/** Writes bytes [start, end) of the pattern-filled object, honouring backpressure. */
function stream(response, start, end) {
  let offset = start;
  const pump = () => {
    while (offset < end) {
      const from = offset % MiB;
      const take = Math.min(end - offset, MiB - from);
      offset += take;
      if (!response.write(pattern.subarray(from, from + take))) return response.once("drain", pump);
    }
    response.end();
  };
  pump();
}

http
  .createServer({ keepAliveTimeout: 120_000 }, (request, response) => {
    if (request.method === "PUT") {
      let bytes = 0;
      request.on("data", (chunk) => {
        bytes += chunk.length;
      });
      request.on("end", () => response.writeHead(200, { etag: `"put-${bytes}"`, "content-length": "0" }).end());
      return;
    }
    const size = sizeOf(request.url);
    if (size === undefined) return response.writeHead(404, { "content-length": "0" }).end();
    const headers = { "content-type": "application/octet-stream", etag: `"bench-${size}"`, "last-modified": "Thu, 01 Jan 2026 00:00:00 GMT", "accept-ranges": "bytes" };
    const range = /^bytes=(\d+)-(\d*)$/.exec(request.headers.range ?? "");
    let start = 0;
    let end = size;
    let status = 200;
    if (range) {
      start = Number(range[1]);
      end = Math.min(size, range[2] === "" ? size : Number(range[2]) + 1);
      status = 206;
      headers["content-range"] = `bytes ${start}-${end - 1}/${size}`;
    }
    headers["content-length"] = String(end - start);
    response.writeHead(status, headers);
    if (request.method === "HEAD") return response.end();
    stream(response, start, end);
  })
  .listen(Number(process.argv[2] ?? 0), "127.0.0.1", function listening() {
    console.log(JSON.stringify({ port: this.address().port }));
  });
