/**
 * `readLimited` on node:http requests: the whole body, the cap, and a request node:http ended at once because it has
 * no body (`optimizeEmptyRequests`), which emits no more events and must not be waited on.
 */
import { createServer, request as httpRequest, type Server } from "node:http";
import { connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { HeaderMap } from "@multistore/core/runtime";
import { readLimited } from "../src/index.js";

const servers: Server[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** Serves `readLimited(request, limit)` as `<bytes read>` or `error <code>`; resolves the base URL. */
async function serve(optimizeEmptyRequests: boolean, limit = 16): Promise<string> {
  const server = createServer({ optimizeEmptyRequests }, (request, response) => {
    const bounded = new Promise<never>((_resolve, reject) => setTimeout(() => reject(new Error("waited 2 s for the body")), 2000).unref());
    Promise.race([readLimited(request, limit), bounded]).then(
      (body) => response.end(String(body.length)),
      (error: { code?: string; message: string }) => response.end(`error ${error.code ?? error.message}`),
    );
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

/** A POST with no body headers at all (node:http's client would add `Content-Length: 0`); resolves the body. */
function sendBodyless(base: string): Promise<string> {
  const { port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), "127.0.0.1", () => socket.write("POST /b?uploads HTTP/1.1\r\nHost: example.test\r\nConnection: close\r\n\r\n"));
    let text = "";
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => {
      text += chunk;
    });
    socket.on("error", reject);
    socket.on("close", () => resolve(text.slice(text.indexOf("\r\n\r\n") + 4)));
  });
}

/** A request with the given headers. */
function send(base: string, method: string, headers: Record<string, string>, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(`${base}/b?uploads`, { method, headers }, (response) => {
      let text = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        text += chunk;
      });
      response.on("end", () => resolve(text));
    });
    outgoing.on("error", reject);
    outgoing.end(body);
  });
}

describe("readLimited", () => {
  for (const optimizeEmptyRequests of [false, true]) {
    describe(`optimizeEmptyRequests: ${optimizeEmptyRequests}`, () => {
      it("answers an empty body for a request without body headers, at once", async () => {
        const base = await serve(optimizeEmptyRequests);
        expect(await sendBodyless(base)).toBe("0");
      });

      it("reads a body up to the limit and refuses one past it", async () => {
        const base = await serve(optimizeEmptyRequests);
        expect(await send(base, "POST", { "content-length": "5" }, "hello")).toBe("5");
        expect(await send(base, "POST", { "content-length": "20" }, "x".repeat(20))).toBe("error EntityTooLarge");
        expect(await send(base, "POST", { "transfer-encoding": "chunked" }, "x".repeat(20))).toBe("error EntityTooLarge");
      });
    });
  }

  it("takes Content-Length from the headers it is given, never reading request.headers", async () => {
    const declared: string[] = [];
    const server = createServer((request, response) => {
      // node:http's own record, built on a read of request.headers: the gateway already read every header.
      Object.defineProperty(request, "headers", {
        get() {
          throw new Error("request.headers was read");
        },
      });
      const given = HeaderMap.adopt({ "content-length": declared.shift()! });
      // (A throw, from a read of request.headers, is answered too.)
      Promise.resolve(given)
        .then((headers) => readLimited(request, 16, headers))
        .then(
          (body) => response.end(String(body.length)),
          (error: { code?: string; message: string }) => response.end(`error ${error.code ?? error.message}`),
        );
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    declared.push("5");
    expect(await send(base, "POST", { "content-length": "5" }, "hello")).toBe("5");
    // Refused up front by the length it was given (the request's own says 5).
    declared.push("20");
    expect(await send(base, "POST", { "content-length": "5" }, "hello")).toBe("error EntityTooLarge");
  });

  it("rejects with IncompleteBody, not a raw socket error, when the client leaves mid-body", async () => {
    let settled: (outcome: string) => void;
    const outcome = new Promise<string>((resolve) => {
      settled = resolve;
    });
    const server = createServer((request) => {
      readLimited(request, 1024).then(
        (body) => settled(`read ${body.length}`),
        (error: { code?: string; message: string }) => settled(`error ${error.code ?? error.message}`),
      );
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const socket = connect((server.address() as { port: number }).port, "127.0.0.1", () => {
      socket.write("POST /b?delete HTTP/1.1\r\nHost: example.test\r\nContent-Length: 100\r\n\r\n<Delete>");
      setTimeout(() => socket.destroy(), 50);
    });
    socket.on("error", () => undefined);
    expect(await outcome).toBe("error IncompleteBody");
  });
});
