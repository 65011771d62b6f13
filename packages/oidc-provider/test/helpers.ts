/** Test helpers: RSA keys, a node:http server for gateway routes, a fake clock, a recording JSON/XML endpoint. */
import { generateKeyPairSync } from "node:crypto";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { runRoutes, type Route } from "@multistore/core";

/** A fresh RSA private key, PKCS#8 PEM. */
export function rsaPem(bits = 2048): string {
  return generateKeyPairSync("rsa", { modulusLength: bits }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
}

/** A local server answering with `routes()` (404 otherwise). */
export async function serveRoutes(routes: () => Route[]): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((request, response) => {
    const target = request.url ?? "/";
    const url = new URL(target, "http://127.0.0.1");
    const gatewayRequest = { method: request.method ?? "GET", target, headers: new Headers(), body: null, readBody: async () => new Uint8Array() };
    runRoutes(routes(), gatewayRequest, { requestId: "test", path: decodeURIComponent(url.pathname), url })
      .then((answer) => {
        if (!answer) return void response.writeHead(404).end();
        response.writeHead(answer.status, Object.fromEntries(answer.headers)).end(answer.body as string);
      })
      .catch((error: unknown) => response.writeHead(500).end(String(error)));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** A settable clock. */
export function fakeClock(start = Date.UTC(2030, 0, 1)) {
  let time = start;
  return { now: () => time, advance: (ms: number) => void (time += ms), set: (ms: number) => void (time = ms) };
}

/** A request an endpoint received. */
export interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A local endpoint that records requests and answers with `answer(request)`. */
export async function recordingEndpoint(answer: (request: Received) => { status?: number; headers?: Record<string, string>; body: string }) {
  const received: Received[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const entry = { method: request.method ?? "", path: request.url ?? "", headers: request.headers, body: Buffer.concat(chunks).toString("utf8") };
      received.push(entry);
      const { status = 200, headers = {}, body } = answer(entry);
      response.writeHead(status, headers).end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
