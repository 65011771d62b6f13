/**
 * `GatewayIncomingMessage`: node:http's own checks read the gateway's header record, the listener takes that same
 * record, and from then on `request.headers` is node:http's, as without the class.
 */
import { createServer, IncomingMessage, type IncomingHttpHeaders, type Server } from "node:http";
import { connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { GatewayIncomingMessage, headerRecordOf, requestHeaders } from "../src/index.js";

const servers: Server[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function listen(server: Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as { port: number }).port;
}

/** Sends raw bytes; resolves everything the server sent until it closed or `until` matched. */
function exchange(port: number, text: string, until: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => socket.write(text));
    let received = "";
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => {
      received += chunk;
      if (until.test(received)) {
        socket.destroy();
        resolve(received);
      }
    });
    socket.on("error", reject);
    socket.on("close", () => resolve(received));
  });
}

const REPEATED = [
  "GET /b/k HTTP/1.1",
  "Host: example.test",
  "X-Tag: a",
  "Cookie: a=1",
  "Authorization: first",
  "x-tag: b",
  "Cookie: b=2",
  "Authorization: second",
  "Content-Type: text/plain",
  "",
  "",
].join("\r\n");

describe("GatewayIncomingMessage", () => {
  it("hands the listener the record node:http's checks read, then answers node:http's own headers", async () => {
    let seen: { builtBeforeListener: boolean; taken: Record<string, string>; early: unknown; later: IncomingHttpHeaders } | undefined;
    const port = await listen(
      createServer({ IncomingMessage: GatewayIncomingMessage }, (request, response) => {
        const message = request as GatewayIncomingMessage;
        const builtBeforeListener = message.gatewayRecord !== undefined;
        const early = request.headers;
        const taken = message.takeHeaderRecord();
        seen = { builtBeforeListener, taken, early, later: request.headers };
        response.end("ok");
      }),
    );
    let plain: IncomingHttpHeaders | undefined;
    const plainPort = await listen(
      createServer((request, response) => {
        plain = request.headers;
        response.end("ok");
      }),
    );
    expect(await exchange(port, REPEATED, /\r\n\r\nok$/)).toMatch(/^HTTP\/1\.1 200 /);
    expect(await exchange(plainPort, REPEATED, /\r\n\r\nok$/)).toMatch(/^HTTP\/1\.1 200 /);
    // node:http's Host check built the record (no second pass over the headers), and the listener got that one.
    expect(seen!.builtBeforeListener).toBe(true);
    expect(seen!.taken).toBe(seen!.early);
    expect({ ...seen!.taken }).toEqual({ host: "example.test", "x-tag": "a,b", cookie: "a=1,b=2", authorization: "first,second", "content-type": "text/plain" });
    // Afterwards node:http's own rules for repeated names (first Authorization, cookies joined with "; ").
    expect(seen!.later).toEqual(plain);
    expect(seen!.later.authorization).toBe("first");
    expect(seen!.later.cookie).toBe("a=1; b=2");
    expect(Object.getPrototypeOf(seen!.later)).toBe(Object.prototype);
  });

  it("is taken by requestHeaders: the gateway reads the same record, and the request's headers are node:http's after", async () => {
    let seen: { early: unknown; gateway: Record<string, string>; later: IncomingHttpHeaders } | undefined;
    const port = await listen(
      createServer({ IncomingMessage: GatewayIncomingMessage }, (request, response) => {
        const early = request.headers;
        seen = { early, gateway: requestHeaders(request).record, later: request.headers };
        response.end("ok");
      }),
    );
    await exchange(port, REPEATED, /\r\n\r\nok$/);
    expect(seen!.gateway).toBe(seen!.early);
    expect(seen!.gateway.authorization).toBe("first,second");
    expect(seen!.later.authorization).toBe("first");
    expect(Object.getPrototypeOf(seen!.later)).toBe(Object.prototype);
  });

  it("keeps node:http's Expect handling: 100-continue is answered before the body is sent", async () => {
    const port = await listen(
      createServer({ IncomingMessage: GatewayIncomingMessage }, (request, response) => {
        (request as GatewayIncomingMessage).takeHeaderRecord();
        let body = "";
        request.setEncoding("utf8");
        request.on("data", (chunk: string) => {
          body += chunk;
        });
        request.on("end", () => response.end(`got ${body}`));
      }),
    );
    const received = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, "127.0.0.1", () => socket.write("PUT /b/k HTTP/1.1\r\nHost: example.test\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n"));
      let text = "";
      socket.setEncoding("latin1");
      socket.on("data", (chunk: string) => {
        // The body goes only once the server said to continue.
        if (text === "" && chunk.startsWith("HTTP/1.1 100 Continue\r\n\r\n")) socket.write("hi");
        text += chunk;
        if (text.endsWith("got hi")) {
          socket.destroy();
          resolve(text);
        }
      });
      socket.on("error", reject);
      socket.on("close", () => resolve(text));
    });
    expect(received).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 [\s\S]*got hi$/);
  });

  it("keeps node:http's refusal of an HTTP/1.1 request without Host, and its 417 for an unknown expectation", async () => {
    let called = 0;
    const port = await listen(
      createServer({ IncomingMessage: GatewayIncomingMessage }, (_request, response) => {
        called++;
        response.end();
      }),
    );
    expect(await exchange(port, "GET /b/k HTTP/1.1\r\n\r\n", /\r\n\r\n/)).toMatch(/^HTTP\/1\.1 400 /);
    expect(await exchange(port, "GET /b/k HTTP/1.1\r\nHost: example.test\r\nExpect: something-else\r\n\r\n", /\r\n\r\n/)).toMatch(/^HTTP\/1\.1 417 /);
    expect(called).toBe(0);
  });

  it("answers what was set, and still hands the listener the request's own headers", async () => {
    let seen: { set: IncomingHttpHeaders; taken: Record<string, string> } | undefined;
    const port = await listen(
      createServer({ IncomingMessage: GatewayIncomingMessage }, (request, response) => {
        request.headers = { replaced: "yes" };
        seen = { set: request.headers, taken: (request as GatewayIncomingMessage).takeHeaderRecord() };
        response.end("ok");
      }),
    );
    await exchange(port, "GET / HTTP/1.1\r\nHost: example.test\r\nX-One: 1\r\n\r\n", /\r\n\r\nok$/);
    expect(seen!.set).toEqual({ replaced: "yes" });
    expect({ ...seen!.taken }).toEqual({ host: "example.test", "x-one": "1" });
  });

  it("is node:http's request otherwise, and headerRecordOf reads plain requests the same way", () => {
    const message = new GatewayIncomingMessage(null as never);
    expect(message).toBeInstanceOf(IncomingMessage);
    const record = headerRecordOf(["Host", "h", "X-A", "1", "x-a", "2", "Constructor", "c"]);
    // Repeated names joined by a bare comma, as SigV4 signs them.
    expect({ ...record }).toEqual({ host: "h", "x-a": "1,2", constructor: "c" });
    // No prototype to read through: an absent name is absent.
    expect(record["__proto__"]).toBeUndefined();
    expect(record["toString"]).toBeUndefined();
  });
});
