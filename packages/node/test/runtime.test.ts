/**
 * `@multistore/node` inside an existing node:http server: the server keeps its own routes, hands everything else to
 * the runtime's listener, and the runtime writes one request line per S3 request.
 */
import { createServer, type Server } from "node:http";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createFsBackend } from "@multistore/backend-fs";
import { createStaticRegistries, parseConfig } from "@multistore/config";
import { createGateway, type RequestContext } from "@multistore/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createNodeRuntime, type NodeRuntime, type RequestEnd } from "../src/index.js";

describe("createNodeRuntime inside an existing server", () => {
  let root: string;
  let server: Server;
  let runtime: NodeRuntime;
  let base: string;
  const lines: { context: RequestContext; end: RequestEnd }[] = [];

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "multistore-node-runtime-"));
    await writeFile(join(root, "hello.txt"), "hello from fs");
    const config = parseConfig({ buckets: [{ name: "public", backend_type: "fs", anonymous_access: true, backend_options: { root } }], roles: [], credentials: [] });
    const registries = createStaticRegistries(config);
    runtime = createNodeRuntime({ requestLog: (context, end) => void lines.push({ context, end }), limits: { idleTimeoutMs: 5000 } });
    const gateway = createGateway({ buckets: registries.buckets, credentials: registries.credentials, backends: { fs: (bucket) => createFsBackend({ root: bucket.backend_options.root! }) } });
    const multistore = runtime.createHandler(gateway as never);
    server = createServer((request, response) => {
      if (request.url === "/status") return void response.writeHead(200, { "content-type": "text/plain" }).end("app ok");
      multistore(request, response);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await runtime.close();
    await rm(root, { recursive: true, force: true });
  });

  it("serves S3 next to the application's own routes and logs each S3 request", async () => {
    expect(await (await fetch(`${base}/status`)).text()).toBe("app ok");
    const object = await fetch(`${base}/public/hello.txt`);
    expect([object.status, await object.text()]).toEqual([200, "hello from fs"]);
    const missing = await fetch(`${base}/public/none.txt`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain("<Code>NoSuchKey</Code>");
    expect(lines.map(({ context, end }) => [context.operation, end.status])).toEqual([
      ["GetObject", 200],
      ["GetObject", 404],
    ]);
    expect(lines[0]!.end.bytesSent).toBe("hello from fs".length);
  });

  it("refuses --trusted-proxies entries that are not addresses", () => {
    expect(() => createNodeRuntime({ trustedProxies: "proxy.internal" })).toThrow('"proxy.internal" is not an IP address or CIDR range');
  });
});
