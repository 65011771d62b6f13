/**
 * Control calls (listings, commits, property reads) are bounded on both builds: an endpoint that accepts the
 * connection and never answers, or answers its body a byte at a time, fails the call within its bound, which the
 * backend answers as 503 ServiceUnavailable.
 */
import { createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { toS3Failure } from "../src/azure-errors.js";
import type { AzureClient } from "../src/client.js";
import { AnonymousCredential, createSdkClient } from "../src/node-client.js";
import { resolveAzureOptions } from "../src/options.js";
import { createRestClient } from "../src/rest-client.js";

const servers: Server[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
});

/** A peer that accepts and never answers (`silent`), or sends a listing's status and headers, then a byte every 200 ms. */
async function peer(kind: "silent" | "trickle"): Promise<string> {
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.on("error", () => undefined);
    if (kind === "silent") return;
    socket.once("data", () => {
      socket.write("HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nContent-Length: 100000\r\n\r\n<");
      const timer = setInterval(() => socket.write("x"), 200);
      socket.once("close", () => clearInterval(timer));
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}/devstoreaccount1`;
}

const BOUND_MS = 400;

function clients(endpoint: string): [string, AzureClient][] {
  const options = resolveAzureOptions({ account_name: "devstoreaccount1", container_name: "data", endpoint, skip_signature: "true" } as never);
  return [
    ["SDK (Node)", createSdkClient(options, new AnonymousCredential(), BOUND_MS)],
    ["REST (Worker)", createRestClient({ options, signer: undefined, fetch, now: () => new Date(), timeoutMs: BOUND_MS })],
  ];
}

describe("Azure control calls", () => {
  for (const kind of ["silent", "trickle"] as const) {
    it(`fail within their bound against a ${kind} endpoint, answered 503`, async () => {
      for (const [name, client] of clients(await peer(kind))) {
        const calls: [string, () => Promise<unknown>][] = [["listBlobs", () => client.listBlobs({ prefix: "", maxResults: 10 } as never)]];
        // (A property read has no body to trickle: its headers answer it.)
        if (kind === "silent") calls.push(["properties", () => client.properties("blob")]);
        for (const [call, run] of calls) {
          const started = performance.now();
          const failure = await run().then(
            () => undefined,
            (error: unknown) => error,
          );
          const elapsed = performance.now() - started;
          expect(failure, `${name} ${call}`).toBeDefined();
          expect(toS3Failure(failure), `${name} ${call}`).toMatchObject({ code: "ServiceUnavailable", status: 503 });
          expect(elapsed, `${name} ${call}`).toBeLessThan(BOUND_MS + 2000);
        }
      }
    });
  }
});
