/** The examples of docs/extending.md, run: a custom backend, a middleware and a route on the Node server. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorCode, rawRequest } from "@multistore/testing";
import { extendedServer, maintenance } from "../examples/extended-server.js";

describe("docs/extending.md examples", () => {
  const server = extendedServer();
  let endpoint: string;

  beforeAll(async () => {
    endpoint = `http://127.0.0.1:${(await server.listen(0, "127.0.0.1")).port}`;
  });

  afterAll(async () => {
    await server.close();
  });

  it("serves a bucket from the custom memory backend: read, head, list, writes refused", async () => {
    const read = await rawRequest(endpoint, { method: "GET", path: "/greetings/hello.txt" });
    expect([read.status, read.text, read.headers.etag]).toEqual([200, "hello from memory", '"9-11"']);
    const head = await rawRequest(endpoint, { method: "HEAD", path: "/greetings/hello.txt" });
    expect([head.status, head.headers["content-length"]]).toEqual([200, "17"]);
    const listing = await rawRequest(endpoint, { method: "GET", path: "/greetings?list-type=2" });
    expect(listing.text).toContain("<Key>hello.txt</Key>");
    const missing = await rawRequest(endpoint, { method: "GET", path: "/greetings/nope.txt" });
    expect([missing.status, errorCode(missing.text)]).toEqual([404, "NoSuchKey"]);
    const write = await rawRequest(endpoint, { method: "PUT", path: "/greetings/new.txt", body: "x" });
    expect([write.status, errorCode(write.text)]).toEqual([403, "AccessDenied"]);
  });

  it("serves French readers from the configuration its onion middleware swaps in, with the headers it adds", async () => {
    const french = await rawRequest(endpoint, { method: "GET", path: "/greetings/hello.txt", headers: { "accept-language": "fr-CH, fr;q=0.9" } });
    expect([french.status, french.text, french.headers["content-language"], french.headers.vary]).toEqual([200, "bonjour de la mémoire", "fr", "accept-language"]);
    const english = await rawRequest(endpoint, { method: "GET", path: "/greetings/hello.txt", headers: { "accept-language": "en" } });
    expect([english.text, english.headers["content-language"]]).toEqual(["hello from memory", undefined]);
  });

  it("answers the route with its parameter, and the maintenance middleware's 503 SlowDown with Retry-After", async () => {
    const greeting = await rawRequest(endpoint, { method: "GET", path: "/greet/ada%20lovelace" });
    expect([greeting.status, greeting.text]).toEqual([200, "hello, ada lovelace"]);
    maintenance.on = true;
    try {
      const paused = await rawRequest(endpoint, { method: "GET", path: "/greetings/hello.txt" });
      expect([paused.status, errorCode(paused.text), paused.headers["retry-after"]]).toEqual([503, "SlowDown", "30"]);
      expect(paused.text).toContain("This gateway is in maintenance");
    } finally {
      maintenance.on = false;
    }
    expect((await rawRequest(endpoint, { method: "GET", path: "/greetings/hello.txt" })).status).toBe(200);
  });
});
