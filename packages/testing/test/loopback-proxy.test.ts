/**
 * The loopback proxy of the client matrix: plain HTTP requests in absolute form are forwarded to 127.0.0.1 with their
 * headers as written, CONNECT opens a byte-for-byte tunnel, `Expect: 100-continue` is answered by the server behind
 * it (never by the proxy), and a host outside the domain is refused.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import { connect, type AddressInfo, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLoopbackProxy, type LoopbackProxy } from "../src/clients/loopback-proxy.js";

const DOMAIN = "loopback-test.invalid";

let origin: Server;
let originPort = 0;
let proxy: LoopbackProxy;
let proxyPort = 0;
/** What the origin received last: request line, raw headers and body. */
let received: { line: string; rawHeaders: string[]; body: string } | undefined;

beforeAll(async () => {
  const answer = (request: IncomingMessage, response: import("node:http").ServerResponse) => {
    let body = "";
    request.on("data", (chunk: Buffer) => (body += chunk.toString()));
    request.on("end", () => {
      received = { line: `${request.method} ${request.url}`, rawHeaders: request.rawHeaders, body };
      response.writeHead(201, { "X-Origin": "yes" }).end("stored");
    });
  };
  origin = createServer(answer);
  // The origin answers 100 Continue itself only for a marked request, to show that the proxy does not.
  origin.on("checkContinue", (request, response) => {
    if (request.headers["x-refuse"] === "yes") response.writeHead(403).end("refused before the body");
    else {
      response.writeContinue();
      answer(request, response);
    }
  });
  await new Promise<void>((resolve) => origin.listen(0, "127.0.0.1", () => resolve()));
  originPort = (origin.address() as AddressInfo).port;
  proxy = await startLoopbackProxy(DOMAIN);
  proxyPort = Number(new URL(proxy.url).port);
});

afterAll(async () => {
  await proxy.close();
  await new Promise<void>((resolve) => origin.close(() => resolve()));
});

/** Opens a connection to the proxy, writes `text`, and collects what comes back until `done` says so or it closes. */
function exchange(text: string | ((socket: Socket, seen: string) => void), done: (seen: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(proxyPort, "127.0.0.1");
    let seen = "";
    const finish = () => {
      socket.destroy();
      resolve(seen);
    };
    socket.on("data", (chunk: Buffer) => {
      seen += chunk.toString("latin1");
      if (typeof text === "function") text(socket, seen);
      if (done(seen)) finish();
    });
    socket.on("close", () => resolve(seen));
    socket.on("error", reject);
    if (typeof text === "string") socket.write(text);
    else text(socket, "");
  });
}

describe("loopback proxy", () => {
  it("forwards an absolute-form request to 127.0.0.1 with its headers as written", async () => {
    const host = `matrix-native.${DOMAIN}:${originPort}`;
    const request = `PUT http://${host}/key?partNumber=1 HTTP/1.1\r\nHost: ${host}\r\nX-Amz-Date: 20240101T000000Z\r\nauthorization: AWS4-HMAC-SHA256 x\r\nProxy-Connection: keep-alive\r\nContent-Length: 5\r\n\r\nhello`;
    const answer = await exchange(request, (seen) => seen.includes("stored"));
    expect(answer).toMatch(/^HTTP\/1\.1 201 /);
    expect(answer).toMatch(/\r\nX-Origin: yes\r\n/);
    expect(received?.line).toBe("PUT /key?partNumber=1");
    // The proxy's own hop to the origin adds its Connection header; the request's headers pass as written.
    const endToEnd = received?.rawHeaders.filter((_, index, all) => all[index - (index % 2)]!.toLowerCase() !== "connection");
    expect(endToEnd).toEqual(["Host", host, "X-Amz-Date", "20240101T000000Z", "authorization", "AWS4-HMAC-SHA256 x", "Content-Length", "5"]);
    expect(received?.body).toBe("hello");
  });

  it("leaves 100 Continue to the server behind it", async () => {
    const host = `b.${DOMAIN}:${originPort}`;
    const head = (refuse: boolean) =>
      `PUT http://${host}/key HTTP/1.1\r\nHost: ${host}\r\nExpect: 100-continue\r\n${refuse ? "X-Refuse: yes\r\n" : ""}Content-Length: 4\r\n\r\n`;
    // The server answers 403 without asking for the body: the client must get that, not a 100 from the proxy.
    const refused = await exchange(head(true), (seen) => seen.includes("refused before the body"));
    expect(refused).toMatch(/^HTTP\/1\.1 403 /);
    // The server asks for the body: the client sends it only after the 100 relayed from the server.
    const accepted = await exchange(
      (socket, seen) => {
        if (seen === "") socket.write(head(false));
        else if (seen === "HTTP/1.1 100 Continue\r\n\r\n") socket.write("body");
      },
      (seen) => seen.includes("stored"),
    );
    expect(accepted).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 201 /);
    expect(received?.body).toBe("body");
  });

  it("tunnels CONNECT byte for byte", async () => {
    const host = `matrix-s3.${DOMAIN}:${originPort}`;
    const inner = `GET /tunnelled HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`;
    const answer = await exchange(
      (socket, seen) => {
        if (seen === "") socket.write(`CONNECT ${host} HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
        else if (seen === "HTTP/1.1 200 Connection Established\r\n\r\n") socket.write(inner);
      },
      (seen) => seen.includes("stored"),
    );
    expect(answer).toMatch(/^HTTP\/1\.1 200 Connection Established\r\n\r\nHTTP\/1\.1 201 /);
    expect(received?.line).toBe("GET /tunnelled");
  });

  it("refuses hosts outside the domain, and requests that are not proxy requests", async () => {
    const outside = await exchange(`CONNECT example.com:${originPort} HTTP/1.1\r\nHost: example.com:${originPort}\r\n\r\n`, () => false);
    expect(outside).toMatch(/^HTTP\/1\.1 403 /);
    const forwarded = await exchange(`GET http://example.com:${originPort}/ HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n`, () => false);
    expect(forwarded).toMatch(/^HTTP\/1\.1 403 /);
    const direct = await exchange(`GET / HTTP/1.1\r\nHost: b.${DOMAIN}\r\nConnection: close\r\n\r\n`, () => false);
    expect(direct).toMatch(/^HTTP\/1\.1 403 /);
  });
});
