/** S3 control requests (listings here) are bounded on both builds: the shared suite, against real HTTP peers. */
import { controlBoundsSuite } from "@multistore/testing";
import { describe, expect, it } from "vitest";
import { createS3Backend as createNodeBackend } from "../src/node.js";
import { createS3Backend as createWorkerBackend } from "../src/worker.js";

const OPTIONS = { region: "us-east-1", bucket_name: "b", skip_signature: "true", force_path_style: "true" };

controlBoundsSuite("S3", {
  node: (endpoint, controlTimeoutMs) => createNodeBackend({ ...OPTIONS, endpoint }, { controlTimeoutMs }),
  worker: (endpoint, controlTimeoutMs) => createWorkerBackend({ ...OPTIONS, endpoint }, { controlTimeoutMs }),
});

describe("S3 copies and completions", () => {
  it("outlive the control timeout while the backend keeps them alive with whitespace, as S3 does (both builds)", async () => {
    const { createServer } = await import("node:http");
    // 200 at once, a space every 100 ms, the result after 1.2 s: longer than the 500 ms control timeout below.
    const server = createServer((request, response) => {
      request.resume();
      response.writeHead(200, { "content-type": "application/xml" });
      const timer = setInterval(() => response.write(" "), 100);
      setTimeout(() => {
        clearInterval(timer);
        response.end('<CopyObjectResult><ETag>"copied"</ETag><LastModified>2026-01-01T00:00:00.000Z</LastModified></CopyObjectResult>');
      }, 1200);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
      for (const [build, backend] of [
        ["node", createNodeBackend({ ...OPTIONS, endpoint }, { controlTimeoutMs: 500 })],
        ["worker", createWorkerBackend({ ...OPTIONS, endpoint }, { controlTimeoutMs: 500 })],
      ] as const) {
        const copied = await backend.copyObject({ sourceBackend: backend, sourceKey: "a", key: "b", headers: new Headers() });
        expect(copied.etag, build).toBe('"copied"');
      }
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
