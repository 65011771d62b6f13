/** Requests node:http refuses before the gateway sees them are answered with S3 error documents, then closed. */
import { connect } from "node:net";
import { parseConfig } from "@multistore/config";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger, createMultistoreServer, type MultistoreServer } from "../src/index.js";

let server: MultistoreServer;
let port: number;

beforeAll(async () => {
  server = createMultistoreServer({ config: parseConfig({ buckets: [], roles: [], credentials: [] }), logger: createLogger("silent") });
  port = (await server.listen(0, "127.0.0.1")).port;
});

afterAll(async () => {
  await server?.close();
});

/** Sends raw bytes; resolves everything received until the server closed the connection. */
function exchange(text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => socket.write(text));
    let received = "";
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => {
      received += chunk;
    });
    socket.on("error", reject);
    socket.on("close", () => resolve(received));
  });
}

describe("requests node:http refuses", () => {
  it.each([
    ["an unknown method", "FOO /b/k HTTP/1.1\r\nHost: h\r\n\r\n", "InvalidRequest"],
    ["a malformed header line", "GET /b/k HTTP/1.1\r\nHost: h\r\nno colon here\r\n\r\n", "InvalidRequest"],
    ["a header section past the limit", `GET /b/k HTTP/1.1\r\nHost: h\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`, "RequestHeaderSectionTooLarge"],
  ])("answers %s with an S3 error document and closes", async (_name, text, code) => {
    const answer = await exchange(text);
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer).toMatch(/\r\ncontent-type: application\/xml\r\n/i);
    expect(answer).toMatch(/\r\nconnection: close\r\n/i);
    expect(answer).toContain(`<Code>${code}</Code>`);
    const requestId = /\r\nx-amz-request-id: ([0-9A-F]{16})\r\n/.exec(answer)?.[1];
    expect(answer).toContain(`<RequestId>${requestId}</RequestId>`);
  });

  it.each([
    ["an HTTP/1.1 request without Host", "GET /b/k HTTP/1.1\r\n\r\n", 400, "InvalidRequest"],
    ["a request with two Host headers", "GET /b/k HTTP/1.1\r\nHost: h\r\nHost: b.h\r\n\r\n", 400, "InvalidRequest"],
    ["an Expect other than 100-continue", "GET /b/k HTTP/1.1\r\nHost: h\r\nExpect: teapot\r\n\r\n", 417, "ExpectationFailed"],
    ["an Expect other than 100-continue, without Host", "PUT /b/k HTTP/1.1\r\nExpect: later\r\nContent-Length: 1\r\n\r\n", 417, "ExpectationFailed"],
  ])("answers %s as node:http would, with an S3 error document, and closes", async (_name, text, status, code) => {
    const answer = await exchange(text);
    expect(answer).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
    expect(answer).toMatch(/\r\ncontent-type: application\/xml\r\n/i);
    expect(answer).toMatch(/\r\nconnection: close\r\n/i);
    expect(answer).toContain(`<Code>${code}</Code>`);
    const requestId = /\r\nx-amz-request-id: ([0-9A-F]{16})\r\n/i.exec(answer)?.[1];
    expect(answer).toContain(`<RequestId>${requestId}</RequestId>`);
  });

  it("serves an HTTP/1.0 request without Host (the gateway answers it)", async () => {
    const answer = await exchange("GET /nobucket/k HTTP/1.0\r\n\r\n");
    expect(answer).toMatch(/^HTTP\/1\.1 404 /);
    expect(answer).toContain("<Code>NoSuchBucket</Code>");
  });

  it("closes the connection even when the client keeps its side open", async () => {
    const socket = connect({ port, host: "127.0.0.1", allowHalfOpen: true }, () => socket.write("BOGUS / HTTP/1.1\r\nHost: h\r\n\r\n"));
    socket.on("error", () => undefined);
    socket.resume();
    // The answer ended (the server's FIN), the client keeps its side open: the server must still let go of its own.
    await new Promise((resolve) => socket.once("end", resolve));
    const connections = () => new Promise<number>((resolve, reject) => server.server.getConnections((error, count) => (error ? reject(error) : resolve(count))));
    await expect.poll(connections, { timeout: 2000, interval: 20 }).toBe(0);
    socket.destroy();
  });
});
