/**
 * A bench origin that costs next to nothing: every request gets the same 1 KiB body, whatever its signature. It
 * runs in its own process so the numbers measure the proxies, not the backend (s3rver manages ~1k requests/s).
 */
import http from "node:http";

const body = Buffer.alloc(1024, 7);
const headers = { "content-type": "application/octet-stream", "content-length": String(body.length), etag: '"bench-etag"', "last-modified": new Date(0).toUTCString() };
http
  .createServer((request, response) => {
    request.resume();
    response.writeHead(200, headers);
    response.end(request.method === "HEAD" ? undefined : body);
  })
  .listen(0, "127.0.0.1", function listening() {
    console.log(JSON.stringify({ port: this.address().port }));
  });
