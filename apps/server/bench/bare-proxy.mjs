/**
 * The design's yardstick: a bare Node proxy (node:http + undici, no auth, no parsing) in front of the same origin.
 * Multistore aims at >= 0.8x its small-GET throughput with full S3 authentication on every request.
 */
import http from "node:http";
import { pipeline } from "node:stream/promises";
import { Agent, request } from "undici";

const origin = process.argv[2];
const dispatcher = new Agent({ keepAliveTimeout: 10_000, connections: 256 });
http
  .createServer(async (incoming, outgoing) => {
    try {
      const upstream = await request(`${origin}${incoming.url}`, { method: incoming.method, dispatcher });
      outgoing.writeHead(upstream.statusCode, upstream.headers);
      await pipeline(upstream.body, outgoing);
    } catch {
      if (!outgoing.headersSent) outgoing.writeHead(502);
      outgoing.end();
    }
  })
  .listen(0, "127.0.0.1", function listening() {
    console.log(JSON.stringify({ port: this.address().port }));
  });
