#!/usr/bin/env node
/**
 * The Node runtime layer alone: `@multistore/node`'s request handler, forward and request line around a stub gateway
 * that forwards every request to `BACKEND/bucket/1k.bin` with no routing, authentication or presigning. Put under
 * the same load as C (same backend, same CPU), it tells what the runtime costs apart from the gateway
 * (gateway-micro.mjs measures the gateway apart from the runtime). Usage:
 *   node bench/runtime-stub.mjs BACKEND_ORIGIN [PORT] [--no-log]
 * Prints `{"port":N}` on standard error once listening; request lines go to standard output, in the server's batches.
 */
import http from "node:http";
import { HeaderMap, isStrippedResponseHeader } from "@multistore/core/runtime";
import { createNodeRuntime, GatewayIncomingMessage, requestLineWriter } from "@multistore/node";
import { BatchedDestination, batchSizeFor } from "../dist/log-destination.js";

const backend = process.argv[2];
if (!backend) throw new Error("usage: runtime-stub.mjs BACKEND_ORIGIN [PORT] [--no-log]");
const port = Number(process.argv[3] ?? 0);
const destination = new BatchedDestination(1, batchSizeFor(1, false));
const requestLog = process.argv.includes("--no-log") ? () => {} : requestLineWriter((text) => destination.writeBatched(text));
const runtime = createNodeRuntime({ limits: { anonymousRequestsPerAddress: 0 }, requestLog });
let requests = 0;

/** A gateway result forwarding to the 1 KiB object, as core would hand it to the runtime. */
function forwardResult(request) {
  const context = { requestId: (++requests).toString(16).padStart(16, "0"), method: request.method, headers: request.headers, startedAt: Date.now(), bucket: "get", operation: "GetObject", identity: { type: "anonymous" } };
  return {
    type: "forward",
    context,
    request: { method: "GET", url: `${backend}/bucket/1k.bin`, headers: new HeaderMap({ "user-agent": "multistore-runtime-stub" }) },
    respond(status, headers) {
      const out = new HeaderMap();
      headers.forEach((value, name) => {
        if (!isStrippedResponseHeader(name)) out.record[name] = value;
      });
      out.record["x-amz-request-id"] = context.requestId;
      return { status, headers: out };
    },
    finish: () => Promise.resolve(),
    errorResponse: () => ({ status: 503, headers: new HeaderMap({ "content-type": "application/xml" }), body: "<Error><Code>ServiceUnavailable</Code></Error>" }),
  };
}

// Answered now, as core answers a request whose lookups are at hand (no promise turn); served as the server serves.
const gateway = { handle: async (request) => forwardResult(request), handleNow: forwardResult };
http.createServer({ keepAliveTimeout: 120_000, IncomingMessage: GatewayIncomingMessage, optimizeEmptyRequests: true }, runtime.createHandler(gateway)).listen(port, "127.0.0.1", function listening() {
  process.stderr.write(`${JSON.stringify({ port: this.address().port })}\n`);
});
