/**
 * `createRequestHandler`, the promise-returning listener: each request's promise settles once its line is written,
 * and rejects when reporting it failed (a throwing log, whatever it threw).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Readable } from "node:stream";
import { createGateway } from "@multistore/core";
import { requestLineOf, type RequestLine } from "@multistore/core/runtime";
import { afterEach, describe, expect, it } from "vitest";
import { createRequestHandler, GatewayIncomingMessage } from "../src/index.js";
import { AddressCounter, BucketPools, DEFAULT_LIMITS } from "../src/limits.js";
import { Watchdog } from "../src/watchdog.js";
import { stubForwardGateway } from "./helpers/stub-gateway.js";

let servers: Server[] = [];
let pools: BucketPools | undefined;
let watchdog: Watchdog | undefined;

afterEach(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  servers = [];
  watchdog?.close();
  await pools?.close();
});

async function listen(handler: (request: IncomingMessage, response: ServerResponse) => void, IncomingMessageClass?: typeof GatewayIncomingMessage): Promise<string> {
  const server = IncomingMessageClass ? createServer({ IncomingMessage: IncomingMessageClass }, handler) : createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

describe("createRequestHandler", () => {
  it("resolves each request's promise after its line, and rejects it with what a failing log threw", async () => {
    const backendUrl = `${await listen((_request, response) => response.writeHead(200, { "content-length": "2" }).end("ok"))}/object`;
    const gateway = stubForwardGateway(() => backendUrl);
    const lines: number[] = [];
    const thrown: unknown[] = [new Error("log sink down"), undefined];
    let failing = false;
    pools = new BucketPools(DEFAULT_LIMITS);
    watchdog = new Watchdog(5000);
    const handler = createRequestHandler(gateway, {
      pools,
      anonymousRequests: new AddressCounter(0),
      watchdog,
      requestLog: (_context, end) => {
        lines.push(end.status);
        if (failing) throw thrown.shift();
      },
    });
    const settled: { state: string; linesThen: number; error?: unknown }[] = [];
    const base = await listen((request, response) => {
      handler(request, response).then(
        () => settled.push({ state: "resolved", linesThen: lines.length }),
        (error: unknown) => settled.push({ state: "rejected", linesThen: lines.length, error }),
      );
    });
    for (const fails of [false, true, true]) {
      failing = fails;
      const response = await fetch(`${base}/b/k`);
      expect([response.status, await response.text()]).toEqual([200, "ok"]);
    }
    await expect.poll(() => settled.length).toBe(3);
    expect(settled).toEqual([
      { state: "resolved", linesThen: 1 },
      { state: "rejected", linesThen: 2, error: expect.objectContaining({ message: "log sink down" }) },
      { state: "rejected", linesThen: 3, error: undefined },
    ]);
  });

  it("logs an error's code where its answer carries no document (a HEAD), from the error the gateway rendered", async () => {
    const backendUrl = `${await listen((_request, response) => response.writeHead(404).end())}/object`;
    const gateway = stubForwardGateway(() => backendUrl);
    const ended: RequestLine[] = [];
    pools = new BucketPools(DEFAULT_LIMITS);
    watchdog = new Watchdog(5000);
    const handler = createRequestHandler(gateway, { pools, anonymousRequests: new AddressCounter(0), watchdog, requestLog: (context, end) => void ended.push(requestLineOf(context, end)) });
    const base = await listen((request, response) => void handler(request, response));
    expect((await fetch(`${base}/b/k`, { method: "HEAD" })).status).toBe(404);
    expect((await fetch(`${base}/b/k`, { method: "PUT", body: "x" })).status).toBe(403);
    await expect.poll(() => ended.length).toBe(2);
    expect(ended.map((line) => [line.method, line.status, line.errorCode])).toEqual([["HEAD", 404, "NoSuchKey"], ["PUT", 403, "AccessDenied"]]);
  });

  it("reads a request body's length from the headers it already read: node:http never builds its own record", async () => {
    // Counts reads of request.headers once the listener took the gateway's record (each builds node:http's record).
    let nodeReads = 0;
    const gatewayHeaders = Object.getOwnPropertyDescriptor(GatewayIncomingMessage.prototype, "headers")!;
    class CountingMessage extends GatewayIncomingMessage {}
    Object.defineProperty(CountingMessage.prototype, "headers", {
      configurable: true,
      get(this: GatewayIncomingMessage) {
        if (this.handedOver) nodeReads++;
        return gatewayHeaders.get!.call(this);
      },
    });
    const gateway = createGateway<Readable>({
      buckets: { getBucket: () => undefined, listBuckets: () => [] },
      credentials: { getCredential: () => undefined },
      backends: {},
      routes: [{ method: "POST", path: "/xml", handler: async (request) => ({ status: 200, headers: new Headers(), body: `read ${(await request.readBody(16)).length}` }) }],
    });
    pools = new BucketPools(DEFAULT_LIMITS);
    watchdog = new Watchdog(5000);
    const handler = createRequestHandler(gateway, { pools, anonymousRequests: new AddressCounter(0), watchdog, requestLog: () => {} });
    const base = await listen((request, response) => void handler(request, response), CountingMessage);
    const small = await fetch(`${base}/xml`, { method: "POST", body: "<a/>" });
    expect([small.status, await small.text()]).toEqual([200, "read 4"]);
    const large = await fetch(`${base}/xml`, { method: "POST", body: "x".repeat(20) });
    expect([large.status, await large.text()]).toEqual([400, expect.stringContaining("<Code>EntityTooLarge</Code>")]);
    expect(nodeReads).toBe(0);
  });
});
