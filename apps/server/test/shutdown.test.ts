/**
 * A stop is bounded even with backend requests no client connection holds: a listing whose backend trickles its
 * answer does not hold `close()` past the shutdown timeout.
 */
import { createServer, type Server } from "node:http";
import { parseConfig } from "@multistore/config";
import { afterAll, describe, expect, it } from "vitest";
import { createLogger, createMultistoreServer } from "../src/index.js";

describe("stopping the server", () => {
  let origin: Server | undefined;
  let listed: () => void;
  const listing = new Promise<void>((resolve) => {
    listed = resolve;
  });

  afterAll(async () => {
    origin?.closeAllConnections();
    await new Promise((resolve) => origin?.close(resolve));
  });

  it("resolves close() within its timeout while a backend trickles a listing", async () => {
    origin = createServer((_request, response) => {
      // A listing's answer, one byte every 100 ms: the body timeout (silence between bytes) never fires.
      response.writeHead(200, { "content-type": "application/xml" });
      response.write("<");
      const timer = setInterval(() => response.write(" "), 100);
      response.on("close", () => clearInterval(timer));
      listed();
    });
    await new Promise<void>((resolve) => origin!.listen(0, "127.0.0.1", resolve));
    const endpoint = `http://127.0.0.1:${(origin.address() as { port: number }).port}`;
    const config = parseConfig({
      buckets: [{ name: "public", backend_type: "s3", anonymous_access: true, backend_options: { endpoint, region: "us-east-1", bucket_name: "b", skip_signature: "true", force_path_style: "true" } }],
      roles: [],
      credentials: [],
    });
    const lines: Record<string, unknown>[] = [];
    const gateway = createMultistoreServer({
      config,
      logger: createLogger("info", { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) }),
      shutdownTimeoutMs: 500,
    });
    const port = (await gateway.listen(0, "127.0.0.1")).port;
    const request = fetch(`http://127.0.0.1:${port}/public?list-type=2`).then(
      (response) => response.status,
      () => "cut",
    );
    await listing;
    const started = performance.now();
    await gateway.close();
    expect(performance.now() - started).toBeLessThan(2000);
    expect(lines).toContainEqual(expect.objectContaining({ msg: "shutdown timeout: leaving backend requests still running" }));
    // The client is not left waiting either: its connection went with the stop.
    expect(await request).toBe("cut");
  });
});
