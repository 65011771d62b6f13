/** The gateway pipeline: routes, middleware, request ids, Server-Timing and how errors are rendered. */
import { beforeEach, describe, expect, it } from "vitest";
import { healthRoute, S3Error, type GatewayOptions, type Route } from "../src/index.js";
import { childText, parseXml } from "../src/backend.js";
import { newRequestId } from "../src/responses.js";
import { isFailure, requestLineOf } from "../src/request-line.js";
import { gatewayRequest, MemoryBackend, text } from "./helpers/memory-backend.js";
import { plain } from "./helpers/results.js";
import { pipelineGateway, signed } from "./helpers/pipeline-gateway.js";


let backend: MemoryBackend;
let errors: unknown[];

beforeEach(() => {
  backend = new MemoryBackend();
  backend.put("ok/file", "content");
  backend.put("page.html", "<p>");
  errors = [];
});

function make(options: Partial<GatewayOptions<Uint8Array>> = {}) {
  return pipelineGateway(() => backend, errors, options);
}

describe("routes", () => {
  it("answers before S3 parsing (healthRoute) and stamps the response", async () => {
    const response = plain(await make({ routes: [healthRoute()] }).handle(gatewayRequest("GET", "/healthz")));
    expect(response.status).toBe(200);
    expect(response.body).toBe("ok\n");
    expect(response.headers.get("x-amz-request-id")).toMatch(/^[0-9A-F]{16}$/);
    expect(response.headers.get("server-timing")).toMatch(/^total;dur=\d+\.\d, dispatch;dur=\d+\.\d$/);
  });

  it("matches method and path exactly, else S3 handles the request", async () => {
    const gateway = make({ routes: [healthRoute("/healthz")] });
    const post = plain(await gateway.handle(gatewayRequest("POST", "/healthz")));
    expect(post.status).toBe(405);
    // HEAD is GET without the body (load balancers probe with it); the runtimes leave the body out.
    expect(plain(await gateway.handle(gatewayRequest("HEAD", "/healthz"))).status).toBe(200);
    const other = plain(await gateway.handle(gatewayRequest("GET", "/healthz/x")));
    expect(childText(parseXml(text(other.body)), "Code")).toBe("NoSuchBucket");
  });

  it("gives a route's answer the global CORS headers, and answers its preflight from them (a browser posting to STS)", async () => {
    const sts: Route = { method: "*", path: "/.sts", handler: () => ({ status: 200, headers: new Headers(), body: "sts" }) };
    const gateway = make({ routes: [sts], cors: [{ allowed_origins: ["https://app.example"], allowed_methods: ["POST"], allowed_headers: ["content-type"] }] });
    const preflight = plain(await gateway.handle(gatewayRequest("OPTIONS", "/.sts", { origin: "https://app.example", "access-control-request-method": "POST", "access-control-request-headers": "content-type" })));
    expect([preflight.status, preflight.headers.get("access-control-allow-origin"), preflight.body]).toEqual([200, "https://app.example", null]);
    const answered = plain(await gateway.handle(gatewayRequest("POST", "/.sts", { origin: "https://app.example" })));
    expect([answered.body, answered.headers.get("access-control-allow-origin")]).toEqual(["sts", "https://app.example"]);
    const stranger = plain(await gateway.handle(gatewayRequest("POST", "/.sts", { origin: "https://evil.example" })));
    expect([stranger.body, stranger.headers.get("access-control-allow-origin")]).toEqual(["sts", null]);
    // Without an Origin, OPTIONS is the route's as any method is.
    expect(plain(await gateway.handle(gatewayRequest("OPTIONS", "/.sts"))).body).toBe("sts");
  });

  it("falls through a declining route to the next route, then to S3", async () => {
    const seen: { path: string; requestId: string; host: string }[] = [];
    const declining: Route = {
      method: "*",
      path: /^\/(sts)?$/,
      handler: (_request, context) => {
        seen.push({ path: context.path, requestId: context.requestId, host: context.url.host });
        return undefined;
      },
    };
    const sts: Route = { method: "POST", path: "/", handler: () => ({ status: 200, headers: new Headers(), body: "sts" }) };
    const gateway = make({ routes: [declining, sts] });
    expect(plain(await gateway.handle(gatewayRequest("POST", "/?Action=AssumeRole"))).body).toBe("sts");
    const listing = plain(await gateway.handle(gatewayRequest("GET", "/")));
    expect(listing.status).toBe(200);
    expect(text(listing.body)).toContain("<ListAllMyBucketsResult");
    // POST / went to the exact route first; GET / only matched the declining pattern.
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ path: "/", host: "localhost:8080" });
    expect(seen[0]!.requestId).toBe(listing.headers.get("x-amz-request-id"));
  });

  it("hands :name segments to the handler, decoded, and lets exact paths win over parameters whatever the order", async () => {
    const answer = (body: string) => ({ status: 200, headers: new Headers(), body });
    const gateway = make({
      routes: [
        { method: "GET", path: "/tiles/:layer/:z", handler: (_request, context) => answer(`tile ${JSON.stringify(context.params)}`) },
        { method: "GET", path: "/tiles/latest/0", handler: () => answer("exact") },
        { method: "*", path: "/things/:id", handler: (_request, context) => (context.params.id === "skip" ? undefined : answer(`thing ${context.params.id}`)) },
      ],
    });
    expect(plain(await gateway.handle(gatewayRequest("GET", "/tiles/roads%20v2/7"))).body).toBe('tile {"layer":"roads v2","z":"7"}');
    expect(plain(await gateway.handle(gatewayRequest("GET", "/tiles/latest/0"))).body).toBe("exact");
    expect(plain(await gateway.handle(gatewayRequest("DELETE", "/things/42"))).body).toBe("thing 42");
    // A parameter is one non-empty segment; a declining route falls through to S3; a bad escape does not match.
    for (const target of ["/tiles/roads/7/extra", "/tiles//7", "/things/skip", "/things/%E0%A4%A"]) {
      const response = plain(await gateway.handle(gatewayRequest("GET", target)));
      expect(response.status, target).not.toBe(200);
    }
  });

  it("names the code of an error document a route renders itself (STS's) for the request line, as the gateway's own", async () => {
    const sts: Route = { method: "POST", path: "/sts", handler: () => ({ status: 403, headers: new Headers({ "content-type": "text/xml" }), body: "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code></Error></ErrorResponse>" }) };
    const result = await make({ routes: [sts] }).handle(gatewayRequest("POST", "/sts"));
    expect(requestLineOf(result.context, { status: 403, bytesSent: 0 }).errorCode).toBe("AccessDenied");
    // SlowDown is load shed as designed: not a failure, also where only the context names it (a HEAD's answer).
    expect([isFailure({ status: 503, bytesSent: 0 }, { errorCode: "SlowDown" }), isFailure({ status: 503, bytesSent: 0 }, { errorCode: "ServiceUnavailable" })]).toEqual([false, true]);
  });

  it("refuses a path naming the same parameter twice when the gateway is created", () => {
    expect(() => make({ routes: [{ method: "GET", path: "/a/:x/:x", handler: () => undefined }] })).toThrow("route /a/:x/:x: parameter :x appears twice");
  });
});

describe("request ids and Server-Timing", () => {
  it("puts the same x-amz-request-id in the header and the error document, distinct per request", async () => {
    const gateway = make();
    const first = plain(await gateway.handle(gatewayRequest("GET", "/data/ok/file")));
    const second = plain(await gateway.handle(gatewayRequest("GET", "/data/ok/file")));
    const id = first.headers.get("x-amz-request-id")!;
    expect(id).toMatch(/^[0-9A-F]{16}$/);
    expect(childText(parseXml(text(first.body)), "RequestId")).toBe(id);
    expect(second.headers.get("x-amz-request-id")).not.toBe(id);
  });

  it("draws ids 16 uppercase hex digits long and distinct, across the draws that supply them", () => {
    // 512 ids come from one random draw: this spans several.
    const ids = Array.from({ length: 2000 }, () => newRequestId());
    expect(ids.filter((id) => !/^[0-9A-F]{16}$/.test(id))).toEqual([]);
    expect(new Set(ids).size).toBe(ids.length);
    // Every hex digit turns up in every position (a digit table or offset mistake would leave some out).
    for (let position = 0; position < 16; position++) expect(new Set(ids.map((id) => id[position])).size).toBe(16);
  });

  it("stamps native results and their errors", async () => {
    const gateway = make();
    const result = await gateway.handle(gatewayRequest("GET", "/public/page.html"));
    if (result.type !== "native") throw new Error("expected native");
    const ok = await result.execute(null, new AbortController().signal);
    expect(ok.headers.get("x-amz-request-id")).toBe(result.context.requestId);
    expect(ok.headers.get("server-timing")).toMatch(/total;dur=.*dispatch;dur=.*backend;dur=/);
    const missing = await gateway.handle(gatewayRequest("GET", "/public/missing"));
    if (missing.type !== "native") throw new Error("expected native");
    const failed = await missing.execute(null, new AbortController().signal);
    expect(failed.status).toBe(404);
    const root = parseXml(text(failed.body));
    expect(childText(root, "Code")).toBe("NoSuchKey");
    expect(childText(root, "Resource")).toBe("/public/missing");
    expect(childText(root, "RequestId")).toBe(missing.context.requestId);
  });

  it("renders execution errors with result.errorResponse", async () => {
    const result = await make().handle(gatewayRequest("GET", "/public/page.html"));
    const response = result.errorResponse(new S3Error("IncompleteBody"));
    expect(response.status).toBe(400);
    expect(response.headers.get("x-amz-request-id")).toBe(result.context.requestId);
    expect(childText(parseXml(text(response.body)), "Resource")).toBe("/public/page.html");
  });

  it("leaves Server-Timing out with serverTiming: false", async () => {
    const gateway = make({ serverTiming: false, routes: [healthRoute()] });
    const responses = [
      plain(await gateway.handle(gatewayRequest("GET", "/healthz"))),
      plain(await gateway.handle(gatewayRequest("GET", "/"))),
      plain(await gateway.handle(gatewayRequest("GET", "/nope"))),
    ];
    const native = await gateway.handle(gatewayRequest("GET", "/public/page.html"));
    if (native.type !== "native") throw new Error("expected native");
    responses.push(await native.execute(null, new AbortController().signal), native.errorResponse(new Error("x")));
    for (const response of responses) {
      expect(response.headers.has("server-timing")).toBe(false);
      expect(response.headers.get("x-amz-request-id")).toMatch(/^[0-9A-F]{16}$/);
    }
  });
});

describe("error rendering", () => {
  it("keeps 5xx messages generic and reports the cause to onError", async () => {
    backend.listObjects = () => Promise.reject(new Error("db password hunter2 at /var/secret"));
    const response = plain(await make().handle(gatewayRequest("GET", "/public")));
    expect(response.status).toBe(500);
    const body = text(response.body);
    expect(childText(parseXml(body), "Code")).toBe("InternalError");
    expect(childText(parseXml(body), "Message")).toBe("We encountered an internal error. Please try again.");
    expect(body).not.toContain("hunter2");
    expect(errors).toHaveLength(1);
  });

  it("hides the message of a 5xx S3Error and of a native failure", async () => {
    backend.listObjects = () => Promise.reject(new S3Error("ServiceUnavailable", { message: "endpoint 10.0.0.7 refused" }));
    const unavailable = text(plain(await make().handle(gatewayRequest("GET", "/public"))).body);
    expect(unavailable).not.toContain("10.0.0.7");
    expect(childText(parseXml(unavailable), "Message")).toBe("Service is unable to handle request.");
    backend.prepareOverride = async () => ({ type: "native", execute: () => Promise.reject(new Error("disk /dev/sda1 failed")) });
    const result = await make().handle(gatewayRequest("GET", "/public/page.html"));
    if (result.type !== "native") throw new Error("expected native");
    const failed = await result.execute(null, new AbortController().signal);
    expect(failed.status).toBe(500);
    expect(text(failed.body)).not.toContain("sda1");
  });

  it("answers a native failure caused by a refused body with the body's error, not reported as internal", async () => {
    backend.prepareOverride = async () => ({ type: "native", execute: () => Promise.reject(new TypeError("the stream errored")) });
    const result = await make().handle(gatewayRequest("GET", "/public/page.html"));
    if (result.type !== "native") throw new Error("expected native");
    const refused = await result.execute(null, new AbortController().signal, () => new S3Error("BadDigest"));
    expect(refused.status).toBe(400);
    expect(childText(parseXml(text(refused.body)), "Code")).toBe("BadDigest");
    expect(errors).toHaveLength(0);
    // With a body that did not fail, the same failure is internal and reported.
    const internal = await result.execute(null, new AbortController().signal, () => undefined);
    expect(internal.status).toBe(500);
    expect(errors).toHaveLength(1);
  });

  it("keeps 4xx messages", async () => {
    const body = text(plain(await make().handle(gatewayRequest("GET", "/public/a/../b"))).body);
    expect(childText(parseXml(body), "Message")).toBe('Object keys with a "." or ".." path segment are not allowed.');
  });

  it("sends HEAD errors without a body", async () => {
    const gateway = make();
    for (const target of ["/nope", "/data", "/data/ok/file", "/nope/key"]) {
      const response = plain(await gateway.handle(gatewayRequest("HEAD", target)));
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.body).toBeNull();
      expect(response.headers.has("content-type")).toBe(false);
      expect(response.headers.get("x-amz-request-id")).toMatch(/^[0-9A-F]{16}$/);
    }
    const head = await gateway.handle(gatewayRequest("HEAD", "/public/missing"));
    if (head.type !== "native") throw new Error("expected native");
    const missing = await head.execute(null, new AbortController().signal);
    expect(missing.status).toBe(404);
    expect(missing.body).toBeNull();
  });

  it("sends 304 without a body", async () => {
    const result = await make().handle(gatewayRequest("GET", "/public/page.html", { "if-none-match": '"etag-3"' }));
    if (result.type !== "native") throw new Error("expected native");
    const response = await result.execute(null, new AbortController().signal);
    expect(response.status).toBe(304);
    expect(response.body).toBeNull();
  });

  it("answers HeadBucket 200 for usable buckets and 403 otherwise", async () => {
    const gateway = make();
    expect(plain(await gateway.handle(gatewayRequest("HEAD", "/public"))).status).toBe(200);
    expect(plain(await gateway.handle(await signed({ method: "HEAD", path: "/data" }))).status).toBe(200);
    expect(plain(await gateway.handle(gatewayRequest("HEAD", "/data"))).status).toBe(403);
  });
});
