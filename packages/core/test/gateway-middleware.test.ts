/** Middleware: the onion around dispatch (`handle(context, next)`), its `before` short form and `after`. */
import { beforeEach, describe, expect, it, vi } from "vitest";
import {
  isPlainResponse,
  S3Error,
  type BucketConfig,
  type GatewayOptions,
  type Middleware,
  type RequestContext,
  type RequestOutcome,
} from "../src/index.js";
import { childText, parseXml } from "../src/backend.js";
import { bucket, gatewayRequest, MemoryBackend, text } from "./helpers/memory-backend.js";
import { executed, plain } from "./helpers/results.js";
import { BUCKETS, pipelineGateway, reader, signed } from "./helpers/pipeline-gateway.js";
import { NOW, signWithHeader } from "./helpers/sign.js";

/** A configuration a middleware can switch a bucket to: another backend instance, under a prefix. */
const ARCHIVE: BucketConfig = bucket("public", { anonymous_access: true, backend_prefix: "archive/", backend_options: { which: "archive" } });

let backend: MemoryBackend;
let archive: MemoryBackend;
let errors: unknown[];

beforeEach(() => {
  backend = new MemoryBackend();
  backend.put("ok/file", "content");
  backend.put("page.html", "<p>");
  archive = new MemoryBackend();
  archive.put("archive/page.html", "<p>old</p>");
  errors = [];
});

function make(options: Partial<GatewayOptions<Uint8Array>> = {}) {
  return pipelineGateway((config) => (config.backend_options.which === "archive" ? archive : backend), errors, options);
}

describe("before and after", () => {
  it("rejects in before with an S3Error (429 TooManyRequests) before the backend is asked", async () => {
    const limiter: Middleware = {
      name: "limiter",
      before: () => {
        throw new S3Error("TooManyRequests", { headers: { "retry-after": "3" } });
      },
    };
    const response = plain(await make({ middleware: [limiter] }).handle(gatewayRequest("GET", "/public/page.html")));
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("3");
    const root = parseXml(text(response.body));
    expect(childText(root, "Code")).toBe("TooManyRequests");
    expect(childText(root, "Resource")).toBe("/public/page.html");
    expect(backend.calls).toEqual([]);
  });

  it("rejects with 503 SlowDown on listings", async () => {
    const slow: Middleware = { name: "slow", before: () => Promise.reject(new S3Error("SlowDown")) };
    const response = plain(await make({ middleware: [slow] }).handle(gatewayRequest("GET", "/public")));
    expect(response.status).toBe(503);
    expect(childText(parseXml(text(response.body)), "Code")).toBe("SlowDown");
    expect(backend.callsTo("listObjects")).toEqual([]);
  });

  it("sees the operation, bucket, key and identity in before", async () => {
    const contexts: RequestContext[] = [];
    const gateway = make({ middleware: [{ name: "spy", before: (context) => void contexts.push({ ...context }) }] });
    const result = await gateway.handle(await signed({ method: "GET", path: "/data/ok/file" }));
    expect(result.type).toBe("native");
    expect(contexts).toHaveLength(1);
    expect(contexts[0]).toMatchObject({ method: "GET", operation: "GetObject", bucket: "data", key: "ok/file", startedAt: NOW });
    expect(contexts[0]!.identity).toMatchObject({ type: "credential", accessKeyId: "AKIDREADER" });
    expect(contexts[0]!.requestId).toBe(result.context.requestId);
  });

  it("does not run before for requests that fail authentication or authorization", async () => {
    const before = vi.fn();
    const gateway = make({ middleware: [{ name: "spy", before }] });
    expect(plain(await gateway.handle(gatewayRequest("GET", "/data/ok/file"))).status).toBe(403);
    expect(plain(await gateway.handle(await signed({ method: "GET", path: "/data/secret" }))).status).toBe(403);
    expect(plain(await gateway.handle(await signed({ method: "GET", path: "/data", query: { prefix: "secret/" } }))).status).toBe(403);
    const forged = await signWithHeader({ ...reader, secretAccessKey: "wrong" }, { method: "GET", path: "/data/ok/file" });
    expect(plain(await gateway.handle(gatewayRequest("GET", forged.target, forged.headers))).status).toBe(403);
    const copy = { method: "PUT", path: "/data/ok/copy", headers: { "x-amz-copy-source": "/data/ok/file" } };
    expect(plain(await gateway.handle(await signed(copy))).status).toBe(403);
    expect(before).not.toHaveBeenCalled();
  });

  it("runs before once for an authorized copy, and can stop it before the backend copies", async () => {
    const before = vi.fn((_context: RequestContext) => Promise.reject(new S3Error("TooManyRequests")));
    const copier = { accessKeyId: "AKIDCOPIER", secretAccessKey: "AKIDCOPIER-secret" };
    const copy = await signWithHeader(copier, { method: "PUT", path: "/data/ok/copy", headers: { "x-amz-copy-source": "/data/ok/file" } });
    const response = plain(await make({ middleware: [{ name: "limit", before }] }).handle(gatewayRequest("PUT", copy.target, copy.headers)));
    expect(response.status).toBe(429);
    expect(before).toHaveBeenCalledOnce();
    expect(before.mock.calls[0]![0]).toMatchObject({ operation: "CopyObject", key: "ok/copy" });
    expect(backend.callsTo("copyObject")).toEqual([]);
    const allowed = plain(await make().handle(gatewayRequest("PUT", copy.target, copy.headers)));
    expect(allowed.status).toBe(200);
    expect(backend.callsTo("copyObject")).toHaveLength(1);
  });

  it("observes status, bytes, identity and duration in after via result.finish", async () => {
    const observed: [RequestContext, RequestOutcome][] = [];
    let clock = NOW;
    const gateway = make({ now: () => clock, middleware: [{ name: "log", after: (context, outcome) => void observed.push([context, outcome]) }] });
    const result = await gateway.handle(await signed({ method: "GET", path: "/data/ok/file" }));
    clock += 250;
    await result.finish({ status: 200, bytesSent: 7, bytesReceived: 0 });
    expect(observed).toHaveLength(1);
    const [context, outcome] = observed[0]!;
    expect(context).toMatchObject({ operation: "GetObject", bucket: "data", key: "ok/file", identity: { principalName: "AKIDREADER-owner" } });
    expect(outcome).toEqual({ status: 200, bytesSent: 7, bytesReceived: 0, durationMs: 250, served: result.type });
    expect(["forward", "native"]).toContain(outcome.served);
  });

  it("reports after-middleware failures to onError without throwing, and still runs later middleware", async () => {
    const later = vi.fn();
    const failure = new Error("after failed");
    const gateway = make({ middleware: [{ name: "bad", after: () => Promise.reject(failure) }, { name: "later", after: later }] });
    const result = await gateway.handle(gatewayRequest("GET", "/public/page.html"));
    await expect(result.finish({ status: 200, bytesSent: 3 })).resolves.toBeUndefined();
    expect(errors).toEqual([failure]);
    expect(later).toHaveBeenCalledOnce();
  });
});


describe("handle(context, next)", () => {
  it("runs in registration order as an onion, with before hooks in their place", async () => {
    const order: string[] = [];
    const layer = (name: string): Middleware => ({
      name,
      before: () => void order.push(`${name}:before`),
      async handle(_context, next) {
        order.push(`${name}:in`);
        const answer = await next();
        order.push(`${name}:out`);
        return answer;
      },
    });
    const checker: Middleware = { name: "checker", before: () => void order.push("checker:before") };
    const result = await make({ middleware: [layer("outer"), checker, layer("inner")] }).handle(gatewayRequest("GET", "/public/page.html"));
    expect(result.type).toBe("native");
    expect(order).toEqual(["outer:before", "outer:in", "checker:before", "inner:before", "inner:in", "inner:out", "outer:out"]);
    expect(text((await executed(result)).body)).toBe("<p>");
  });

  it("answers by itself without calling next: the backend is never asked, the answer is stamped, after sees it", async () => {
    const outcomes: RequestOutcome[] = [];
    const limiter: Middleware = {
      name: "limiter",
      handle: async () => ({ status: 429, headers: new Headers({ "retry-after": "7", "content-type": "text/plain" }), body: "slow down" }),
      after: (_context, outcome) => void outcomes.push(outcome),
    };
    const result = await make({ middleware: [limiter] }).handle(gatewayRequest("GET", "/public/page.html"));
    const response = plain(result);
    expect([response.status, response.headers.get("retry-after"), text(response.body)]).toEqual([429, "7", "slow down"]);
    expect(response.headers.get("x-amz-request-id")).toBe(result.context.requestId);
    expect(backend.calls).toEqual([]);
    await result.finish({ status: 429, bytesSent: 9 });
    expect(outcomes).toMatchObject([{ status: 429, bytesSent: 9, served: "response" }]);
  });

  it("accepts an answer whose headers are a plain record", async () => {
    const teapot: Middleware = { name: "teapot", handle: async () => ({ status: 418, headers: { "x-why": "tea" } as unknown as Headers, body: null }) };
    const response = plain(await make({ middleware: [teapot] }).handle(gatewayRequest("GET", "/public/page.html")));
    expect([response.status, response.headers.get("x-why")]).toEqual([418, "tea"]);
  });

  it("replaces the bucket's configuration before next: the request is served from the replacement", async () => {
    const seen: (BucketConfig | undefined)[] = [];
    const reroute: Middleware = {
      name: "reroute",
      handle(context, next) {
        seen.push(context.bucketConfig);
        if (context.headers.get("x-archive") === "1") context.bucketConfig = ARCHIVE;
        return next();
      },
    };
    const gateway = make({ middleware: [reroute] });
    const current = await executed(await gateway.handle(gatewayRequest("GET", "/public/page.html")));
    const old = await executed(await gateway.handle(gatewayRequest("GET", "/public/page.html", { "x-archive": "1" })));
    expect([text(current.body), text(old.body)]).toEqual(["<p>", "<p>old</p>"]);
    expect(archive.callsTo("prepareObject")).toEqual([[expect.objectContaining({ key: "archive/page.html" })]]);
    expect(seen).toEqual([BUCKETS[0], BUCKETS[0]]);
  });

  it("serves a replacement under the registry's name and authorization: a listing keeps working and names the client's bucket", async () => {
    const mirror: BucketConfig = bucket("mirror", { anonymous_access: false, backend_prefix: "archive/", backend_options: { which: "archive" } });
    archive.put("archive/old.html", "<p>old</p>");
    const reroute: Middleware = { name: "reroute", handle: (context, next) => ((context.bucketConfig = mirror), next()) };
    const listing = plain(await make({ middleware: [reroute] }).handle(gatewayRequest("GET", "/public", { "x-test": "1" })));
    expect(listing.status).toBe(200);
    const root = parseXml(text(listing.body));
    expect([childText(root, "Name"), text(listing.body).includes("<Key>old.html</Key>")]).toEqual(["public", true]);
  });

  it("sees the gateway's own answers (listings, errors) and backend calls through next", async () => {
    const kinds: string[] = [];
    const spy: Middleware = {
      name: "spy",
      async handle(_context, next) {
        const answer = await next();
        kinds.push(isPlainResponse(answer) ? `response ${answer.status}` : answer.type);
        return answer;
      },
    };
    const gateway = make({ middleware: [spy] });
    await gateway.handle(gatewayRequest("GET", "/public/page.html"));
    await gateway.handle(gatewayRequest("GET", "/public"));
    await gateway.handle(await signed({ method: "HEAD", path: "/data" }));
    expect(kinds).toEqual(["native", "response 200", "response 200"]);
  });

  it("adds context.responseHeaders to every kind of response", async () => {
    const stamp: Middleware = {
      name: "stamp",
      handle(context, next) {
        context.responseHeaders = new Headers({ "x-ratelimit-remaining": "41" });
        if (context.key === "refuse") throw new S3Error("SlowDown");
        return next();
      },
    };
    const gateway = make({ middleware: [stamp] });
    const native = await executed(await gateway.handle(gatewayRequest("GET", "/public/page.html")));
    const listing = plain(await gateway.handle(gatewayRequest("GET", "/public")));
    const refused = plain(await gateway.handle(gatewayRequest("GET", "/public/refuse")));
    expect([native.status, listing.status, refused.status]).toEqual([200, 200, 503]);
    for (const response of [native, listing, refused]) expect(response.headers.get("x-ratelimit-remaining")).toBe("41");
  });

  it("sees the request's headers and the client's address", async () => {
    const contexts: RequestContext[] = [];
    const spy: Middleware = { name: "spy", handle: (context, next) => (contexts.push(context), next()) };
    await make({ middleware: [spy] }).handle({ ...gatewayRequest("GET", "/public/page.html", { "user-agent": "rclone/v1.68" }), clientAddress: "192.0.2.7" });
    expect(contexts[0]!.headers.get("user-agent")).toBe("rclone/v1.68");
    expect(contexts[0]!.sourceIp).toBe("192.0.2.7");
  });

  it("answers 500 (and reports it) when a middleware calls next twice or resolves to nothing", async () => {
    const twice: Middleware = { name: "twice", handle: async (_context, next) => (await next(), next()) };
    const nothing = { name: "nothing", handle: async () => undefined } as unknown as Middleware;
    for (const middleware of [twice, nothing]) {
      errors = [];
      const response = plain(await make({ middleware: [middleware] }).handle(gatewayRequest("GET", "/public/page.html")));
      expect(response.status).toBe(500);
      expect(childText(parseXml(text(response.body)), "Code")).toBe("InternalError");
      expect(text(response.body)).not.toContain(middleware.name);
      expect(String(errors[0])).toContain(`middleware "${middleware.name}"`);
    }
  });

  it("never runs for a refused request", async () => {
    const handle = vi.fn((_context: RequestContext, next: () => Promise<unknown>) => next());
    const gateway = make({ middleware: [{ name: "spy", handle: handle as Middleware["handle"] }] });
    expect(plain(await gateway.handle(gatewayRequest("GET", "/data/ok/file"))).status).toBe(403);
    expect(plain(await gateway.handle(await signed({ method: "GET", path: "/data/secret" }))).status).toBe(403);
    expect(plain(await gateway.handle(gatewayRequest("DELETE", "/public"))).status).toBe(403);
    expect(handle).not.toHaveBeenCalled();
  });
});
