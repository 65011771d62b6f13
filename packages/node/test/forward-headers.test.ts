/**
 * A forwarded response's headers on the wire: the backend's hop-by-hop, cookie, proxy and request-id headers never
 * reach the client (the adapter leaves them out as it reads them), repeated headers arrive joined, and the request
 * id is ours.
 */
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createNodeRuntime, type NodeRuntime } from "../src/index.js";
import { stubForwardGateway } from "./helpers/stub-gateway.js";

describe("forwarded response headers", () => {
  let backend: Server;
  let server: Server;
  let runtime: NodeRuntime;
  let base: string;

  beforeAll(async () => {
    backend = createServer((_request, response) => {
      response.sendDate = false;
      response.writeHead(200, [
        "Server", "AmazonS3",
        "Date", "Mon, 01 Jan 2024 00:00:00 GMT",
        "ETag", '"abc"',
        "Content-Type", "text/plain",
        "x-amz-id-2", "backend-id-2",
        "x-amz-request-id", "BACKENDREQUEST",
        "Set-Cookie", "session=secret",
        "Via", "1.1 cache",
        "X-Forwarded-Host", "origin.internal",
        "Proxy-Connection", "keep-alive",
        "x-amz-meta-tag", "a",
        "x-amz-meta-tag", "b",
        "Content-Length", "2",
      ]);
      response.end("ok");
    });
    await new Promise<void>((resolve) => backend.listen(0, "127.0.0.1", resolve));
    const backendUrl = `http://127.0.0.1:${(backend.address() as { port: number }).port}/object`;
    const gateway = stubForwardGateway(() => backendUrl);
    runtime = createNodeRuntime({ requestLog: () => {}, limits: { idleTimeoutMs: 5000 } });
    server = createServer(runtime.createHandler(gateway));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await runtime.close();
    await new Promise((resolve) => backend.close(resolve));
  });

  it("carries the object's headers, joins repeated ones and leaves out what clients never see", async () => {
    const response = await fetch(`${base}/b/k`);
    expect([response.status, await response.text()]).toEqual([200, "ok"]);
    const headers = Object.fromEntries(response.headers);
    expect(headers).toMatchObject({ etag: '"abc"', "content-type": "text/plain", "content-length": "2", "x-amz-meta-tag": "a, b" });
    expect(headers["x-amz-request-id"]).toMatch(/^[0-9A-F]{16}$/);
    for (const name of ["server", "x-amz-id-2", "set-cookie", "via", "x-forwarded-host", "proxy-connection"]) expect(headers).not.toHaveProperty(name);
    // node:http's own Date, not the backend's.
    expect(headers.date).not.toBe("Mon, 01 Jan 2024 00:00:00 GMT");
  });
});
