/**
 * The web app side of the browser suite: a local HTTP server on 127.0.0.1 that serves the pages a browser runs the
 * suite's fetches from. Everything is inline (no CDN, no bundle), so the suite runs with loopback only. One server
 * listens on several ports, and each port is its own origin, so the gateway (on yet another port) is cross-origin
 * to all of them and CORS is real.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** A running page server. */
export interface PageOrigins {
  /** One origin (`http://127.0.0.1:port`) per requested port, in order. */
  origins: string[];
  /** Stops every listener. */
  close(): Promise<void>;
}

// An empty page: the suite's fetches run in it through `page.evaluate`, with its origin as `Origin`.
const BLANK = "<!doctype html><html><head><meta charset=utf-8><title>multistore browser client</title></head><body></body></html>";

// The evidence page: fetches the presigned URL from its query itself (as a web app would) and shows what came back.
// `data-done` tells the test the text is on screen; a failure is shown too, so a screenshot explains it.
const SHOW = `<!doctype html>
<html><head><meta charset=utf-8><title>downloaded through multistore</title>
<style>body{font:16px sans-serif;margin:24px;background:#fff}h1{font-size:18px}pre{border:1px solid #888;padding:12px;background:#f4f4f4}</style>
</head><body><h1>Downloaded with a presigned GET</h1><pre id=text>loading...</pre><p id=status></p>
<script>
  const text = document.getElementById("text");
  const status = document.getElementById("status");
  fetch(new URLSearchParams(location.search).get("src"))
    .then(async (response) => {
      text.textContent = await response.text();
      status.textContent = "HTTP " + response.status + ", ETag " + response.headers.get("etag");
    })
    .catch((error) => { text.textContent = String(error); })
    .finally(() => { document.body.dataset.done = "1"; });
</script></body></html>`;

/** Starts the page server with one listener per origin wanted (`count`), each on a free port of 127.0.0.1. */
export async function startPageOrigins(count: number): Promise<PageOrigins> {
  const servers: Server[] = [];
  for (let index = 0; index < count; index++) {
    const server = createServer((request, response) => {
      const path = new URL(request.url ?? "/", "http://page").pathname;
      const page = path === "/" ? BLANK : path === "/show" ? SHOW : undefined;
      if (page === undefined) {
        response.writeHead(404, { "content-type": "text/plain" }).end("not found");
        return;
      }
      response.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" }).end(page);
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", resolve);
    });
    servers.push(server);
  }
  return {
    origins: servers.map((server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    close: async () => {
      await Promise.all(
        servers.map(
          (server) =>
            new Promise<void>((resolve) => {
              // Chromium keeps connections alive; without closing them close() would wait for their timeout.
              server.closeAllConnections();
              server.close(() => resolve());
            }),
        ),
      );
    },
  };
}
