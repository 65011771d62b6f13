#!/usr/bin/env node
/**
 * "C", the yardstick: the thinnest Node streaming proxy — node:http in front, one undici keep-alive Pool behind,
 * `Pool.stream` straight into the response, no authentication, no parsing. Forwards the request headers and response
 * headers an object GET or PUT needs. Usage: c-proxy.mjs BACKEND_ORIGIN; prints `{"port":N}` once listening.
 */
import http from "node:http";
import { Pool } from "undici";

const pool = new Pool(process.argv[2], { connections: 256, pipelining: 1, keepAliveTimeout: 60_000 });
const requestNames = ["range", "if-match", "if-none-match", "if-modified-since", "if-unmodified-since", "content-length", "content-type"];
const responseNames = ["content-length", "content-type", "content-range", "etag", "last-modified", "accept-ranges", "cache-control", "content-encoding", "content-disposition", "expires"];

function pick(headers, names) {
  const out = {};
  for (const name of names) if (headers[name] !== undefined) out[name] = headers[name];
  return out;
}

http
  .createServer({ keepAliveTimeout: 120_000 }, (request, response) => {
    const hasBody = request.method === "PUT" || request.method === "POST";
    pool.stream(
      { path: request.url, method: request.method, headers: pick(request.headers, requestNames), body: hasBody ? request : null, opaque: response },
      ({ statusCode, headers, opaque }) => {
        opaque.writeHead(statusCode, pick(headers, responseNames));
        return opaque;
      },
      (error) => {
        if (!error) return;
        if (response.headersSent) response.destroy();
        else response.writeHead(502, { "content-length": "0" }).end();
      },
    );
  })
  .listen(0, "127.0.0.1", function listening() {
    console.log(JSON.stringify({ port: this.address().port }));
  });
