/**
 * Control requests are bounded on both builds, against real sockets: a backend that trickles its answer is cut at
 * the control timeout, and one that answers without end is cut past the size cap; both are answered 503.
 */
import { createServer, type Server } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { createS3Backend as createNodeBackend } from "../src/node.js";
import { createS3Backend as createWorkerBackend } from "../src/worker.js";

const servers: Server[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** A backend answering every request 200 with a body sent a byte every 100 ms (`trickle`) or 1 MiB at a time forever (`endless`). */
async function backend(kind: "trickle" | "endless"): Promise<string> {
  const server = createServer((request, response) => {
    request.resume();
    response.writeHead(200, { "content-type": "application/xml" });
    const chunk = kind === "trickle" ? " " : Buffer.alloc(1 << 20, 32);
    const pump = () => {
      while (!response.destroyed && response.write(chunk) && kind === "endless");
    };
    const timer = kind === "trickle" ? setInterval(pump, 100) : undefined;
    response.on("drain", pump);
    response.on("close", () => clearInterval(timer));
    pump();
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

const OPTIONS = { region: "us-east-1", bucket_name: "b", skip_signature: "true", force_path_style: "true" };
const BOUND_MS = 500;

describe("S3 control requests", () => {
  for (const kind of ["trickle", "endless"] as const) {
    it(`are cut and answered 503 when the backend's answer is ${kind === "trickle" ? "slow" : "endless"} (both builds)`, async () => {
      const endpoint = await backend(kind);
      // An endless answer must be cut by its size: its bound is set far beyond the test's own.
      const controlTimeoutMs = kind === "trickle" ? BOUND_MS : 60_000;
      for (const [build, created] of [
        ["node", createNodeBackend({ ...OPTIONS, endpoint }, { controlTimeoutMs })],
        ["worker", createWorkerBackend({ ...OPTIONS, endpoint }, { controlTimeoutMs })],
      ] as const) {
        const started = performance.now();
        await expect(created.listObjects({ prefix: "", maxKeys: 10 } as never), build).rejects.toMatchObject({ code: "ServiceUnavailable", status: 503 });
        expect(performance.now() - started, build).toBeLessThan(BOUND_MS + 3000);
      }
    });
  }
});
