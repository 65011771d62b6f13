/**
 * A proxy on 127.0.0.1 for the clients that have no resolver hook of their own (rclone, a Go program, and GDAL's
 * libcurl): given as their HTTP(S) proxy, it connects `<bucket>.<domain>:<port>` to 127.0.0.1:<port>, so
 * virtual-hosted style needs no /etc/hosts entry. HTTPS goes through CONNECT, a byte-for-byte tunnel (the client's TLS
 * and requests reach the gateway untouched); plain HTTP requests, which clients send to a proxy in absolute form, are
 * forwarded with their headers as written (names, case and order), `Expect: 100-continue` answered only when the
 * gateway answers it. Other hosts are refused, so nothing leaves loopback.
 */
import { Agent, createServer, request, type IncomingMessage, type ServerResponse } from "node:http";
import { connect, type AddressInfo, type Socket } from "node:net";
import { isLoopbackName } from "./loopback.js";

/** A running loopback proxy. */
export interface LoopbackProxy {
  /** `http://127.0.0.1:<port>`, for HTTP_PROXY / HTTPS_PROXY and the like. */
  url: string;
  /** Stops it, ending open tunnels. */
  close(): Promise<void>;
}

/** Headers that concern the hop to the proxy, not the request. */
const HOP_HEADERS = new Set(["proxy-connection", "proxy-authorization"]);

/** The port of `host:port` when the host is under `domain`, else undefined. */
function loopbackPort(authority: string, domain: string): number | undefined {
  const match = /^(.+):(\d+)$/.exec(authority);
  if (!match || !isLoopbackName(match[1]!, domain)) return undefined;
  const port = Number(match[2]);
  return port > 0 && port < 65536 ? port : undefined;
}

function forward(domain: string, agent: Agent, incoming: IncomingMessage, response: ServerResponse): void {
  let target: URL | undefined;
  try {
    target = new URL(incoming.url ?? "");
  } catch {
    // Not absolute form: not a proxy request.
  }
  const port = target?.protocol === "http:" ? loopbackPort(`${target.hostname}:${target.port || "80"}`, domain) : undefined;
  if (!target || port === undefined) {
    response.writeHead(403).end(`the loopback proxy only forwards http://<name under ${domain}>:<port>/ requests\n`);
    return;
  }
  const headers: string[] = [];
  for (let index = 0; index < incoming.rawHeaders.length; index += 2) {
    if (!HOP_HEADERS.has(incoming.rawHeaders[index]!.toLowerCase())) headers.push(incoming.rawHeaders[index]!, incoming.rawHeaders[index + 1]!);
  }
  const upstream = request({ host: "127.0.0.1", port, method: incoming.method, path: `${target.pathname}${target.search}`, headers, setHost: false, agent });
  upstream.on("continue", () => response.writeContinue());
  upstream.on("response", (answer) => {
    response.writeHead(answer.statusCode ?? 502, answer.statusMessage, answer.rawHeaders);
    answer.pipe(response);
  });
  // A client that goes away takes its upstream request along (the gateway sees the same cut).
  response.once("close", () => {
    if (!response.writableFinished) upstream.destroy();
  });
  upstream.on("error", (error) => {
    if (!response.headersSent) response.writeHead(502).end(`loopback proxy: ${error.message}\n`);
    else response.destroy(error);
  });
  incoming.pipe(upstream);
}

function tunnel(domain: string, sockets: Set<Socket>, incoming: IncomingMessage, client: Socket, head: Buffer): void {
  const port = loopbackPort(incoming.url ?? "", domain);
  if (port === undefined) {
    client.end(`HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n`);
    return;
  }
  const upstream = connect(port, "127.0.0.1", () => {
    client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
    if (head.length > 0) upstream.write(head);
    upstream.pipe(client);
    client.pipe(upstream);
  });
  sockets.add(upstream);
  upstream.once("close", () => {
    sockets.delete(upstream);
    client.destroy();
  });
  client.once("close", () => upstream.destroy());
  upstream.on("error", () => client.destroy());
  client.on("error", () => upstream.destroy());
}

/**
 * Starts a proxy that connects names under `domain` to the same port on 127.0.0.1.
 *
 * @param domain the virtual-host domain (`s3.localtest`)
 */
export async function startLoopbackProxy(domain: string): Promise<LoopbackProxy> {
  const sockets = new Set<Socket>();
  const agent = new Agent({ keepAlive: true });
  const server = createServer((incoming, response) => forward(domain, agent, incoming, response));
  // Without this listener Node answers 100 Continue itself; the gateway's answer (or silence) must reach the client.
  server.on("checkContinue", (incoming, response) => forward(domain, agent, incoming, response));
  server.on("connect", (incoming: IncomingMessage, client: Socket, head: Buffer) => tunnel(domain, sockets, incoming, client, head));
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        agent.destroy();
        server.close(() => resolve());
      }),
  };
}
