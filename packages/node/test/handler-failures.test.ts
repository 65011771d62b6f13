/**
 * The request listener's ends: a gateway breaking its contract (throwing, rejecting) gets a 500 and the server keeps
 * serving; a request counted against its anonymous address is always counted out, whether it was answered, refused
 * or its backend was unreachable; and every request gets exactly one line.
 */
import { createServer, type Server, type ServerOptions } from "node:http";
import type { Readable } from "node:stream";
import { createGateway, type Gateway, type RequestContext } from "@multistore/core";
import { afterEach, describe, expect, it } from "vitest";
import { createNodeRuntime, GatewayIncomingMessage, type NodeRuntime, type RequestEnd } from "../src/index.js";
import { stubForwardGateway } from "./helpers/stub-gateway.js";

let server: Server | undefined;
let runtime: NodeRuntime | undefined;

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  await runtime?.close();
  server = undefined;
  runtime = undefined;
});

async function serve(gateway: Gateway<Readable>, anonymousRequestsPerAddress = 0, failingLog = false, serverOptions: ServerOptions = {}) {
  const lines: [string | undefined, number][] = [];
  const errors: unknown[] = [];
  runtime = createNodeRuntime({
    requestLog: (context: RequestContext, end: RequestEnd) => {
      lines.push([context.operation, end.status]);
      if (failingLog) throw new Error("log sink down");
    },
    limits: { anonymousRequestsPerAddress, idleTimeoutMs: 5000, connectTimeoutMs: 1000 },
    onError: (error) => errors.push(error),
  });
  server = createServer(serverOptions, runtime.createHandler(gateway));
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return { base, lines, errors };
}

describe("the request listener", () => {
  it.each([
    ["handle", new Error("thrown now"), new Error("rejected")],
    ["handleNow", new Error("thrown now"), new Error("rejected")],
    // Whatever was thrown: `undefined` is a failure too, not an end without one.
    ["handleNow", undefined, undefined],
  ])("answers 500 when the gateway's %s throws or rejects (%s, %s), and keeps serving", async (method, thrown, rejected) => {
    let calls = 0;
    const failing = () => {
      calls++;
      if (calls === 1) throw thrown;
      return Promise.reject(rejected);
    };
    // A gateway of another making may have only `handle`; where `handleNow` is there, `handle` is not used.
    const gateway = (method === "handle" ? { handle: failing } : { handle: () => Promise.reject(new Error("handle used")), handleNow: failing }) as unknown as Gateway<Readable>;
    const { base, errors } = await serve(gateway);
    for (const expected of [thrown, rejected]) {
      const response = await fetch(`${base}/b/k`, { signal: AbortSignal.timeout(5000) });
      expect(response.status).toBe(500);
      expect(await response.text()).toContain("<Code>InternalError</Code>");
      expect(errors.at(-1)).toBe(expected);
    }
    expect(errors).toHaveLength(2);
  });

  it("serves a gateway whose handle answers another library's thenable", async () => {
    const backend = createServer((_request, response) => response.writeHead(200, { "content-length": "2" }).end("ok"));
    await new Promise<void>((resolve) => backend.listen(0, "127.0.0.1", resolve));
    const backendUrl = `http://127.0.0.1:${(backend.address() as { port: number }).port}/object`;
    const real = stubForwardGateway(() => backendUrl);
    // biome-ignore lint/suspicious/noThenProperty: a thenable that is not a native promise is what this test is about.
    const gateway = { handle: (request: never) => ({ then: (resolve: (value: unknown) => void, reject: (error: unknown) => void) => real.handle(request).then(resolve, reject) }) } as unknown as Gateway<Readable>;
    try {
      const { base, lines } = await serve(gateway);
      const response = await fetch(`${base}/b/k`);
      expect([response.status, await response.text()]).toEqual([200, "ok"]);
      await expect.poll(() => lines).toEqual([["GetObject", 200]]);
    } finally {
      await new Promise((resolve) => backend.close(resolve));
    }
  });

  it("reports a request log that throws, and keeps serving", async () => {
    const bucket = { name: "b", backend_type: "stub", anonymous_access: true, backend_options: {} };
    const gateway = createGateway<Readable>({
      buckets: { getBucket: (name) => (name === "b" ? bucket : undefined), listBuckets: () => [bucket] },
      credentials: { getCredential: () => undefined },
      backends: { stub: () => ({}) as never },
    });
    const { base, lines, errors } = await serve(gateway, 0, true);
    for (let index = 0; index < 2; index++) {
      const response = await fetch(`${base}/nothing/k`);
      expect(response.status).toBe(404);
      await response.arrayBuffer();
    }
    await expect.poll(() => errors.length).toBe(2);
    expect(errors).toEqual([expect.objectContaining({ message: "log sink down" }), expect.objectContaining({ message: "log sink down" })]);
    expect(lines).toEqual([
      ["GetObject", 404],
      ["GetObject", 404],
    ]);
  });

  it("counts an anonymous request out however it ends", async () => {
    const backend = createServer((_request, response) => response.writeHead(200, { "content-length": "2" }).end("ok"));
    await new Promise<void>((resolve) => backend.listen(0, "127.0.0.1", resolve));
    const backendUrl = `http://127.0.0.1:${(backend.address() as { port: number }).port}/object`;
    let unreachable = false;
    // Port 9 (discard) refuses connections on loopback: the backend is unreachable.
    const gateway = stubForwardGateway(() => (unreachable ? "http://127.0.0.1:9/none" : backendUrl));
    try {
      // A cap of one at a time: a request left counted in would refuse every later one with SlowDown.
      const { base, lines } = await serve(gateway, 1);
      const statuses: number[] = [];
      for (const step of ["ok", "missing", "unreachable", "ok"]) {
        unreachable = step === "unreachable";
        const response = await fetch(step === "missing" ? `${base}/nothing/k` : `${base}/b/k`);
        await response.arrayBuffer();
        statuses.push(response.status);
      }
      expect(statuses).toEqual([200, 404, 503, 200]);
      await expect.poll(() => lines.length).toBe(4);
      expect(lines).toEqual([
        ["GetObject", 200],
        ["GetObject", 404],
        ["GetObject", 503],
        ["GetObject", 200],
      ]);
    } finally {
      await new Promise((resolve) => backend.close(resolve));
    }
  });

  it.each([
    ["a plain server", {}],
    // node:http ends a body-less request before the listener runs and marks it complete after: the listener must not
    // take it for a client that left when the forward fails at once.
    ["the server's options", { IncomingMessage: GatewayIncomingMessage, optimizeEmptyRequests: true }],
  ])("answers 503 ServiceUnavailable when the forward fails at once (%s)", async (_name, serverOptions) => {
    // undici refuses a path with a space as it dispatches, before any connection: the failure is reported at once.
    const gateway = stubForwardGateway(() => "http://127.0.0.1:9/has space");
    const { base, lines } = await serve(gateway, 0, false, serverOptions as ServerOptions);
    const response = await fetch(`${base}/b/k`, { signal: AbortSignal.timeout(5000) });
    expect(response.status).toBe(503);
    expect(await response.text()).toContain("<Code>ServiceUnavailable</Code>");
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(lines).toEqual([["GetObject", 503]]);
  });
});
