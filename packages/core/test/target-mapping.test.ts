/** Target mappings in the gateway: listings shown as the client named them, namespaces listed, signatures on the signed path. */
import { describe, expect, it, vi } from "vitest";
import { createGateway, Query, S3Error, type GatewayOptions, type TargetMapping } from "../src/index.js";
import { childText, parseXml } from "../src/backend.js";
import { stripViewPrefix } from "../src/target-mapping.js";
import { bucket, credential, gatewayRequest, MemoryBackend, text } from "./helpers/memory-backend.js";
import { mappedGateway } from "./helpers/mapped-gateway.js";
import { executed, plain } from "./helpers/results.js";
import { NOW, signWithHeader } from "./helpers/sign.js";

/** `/ns/<name>/...` is bucket `ns.<name>`; a listing of `/ns` with prefix `<name>/...` lists that bucket. */
const mapping: TargetMapping = {
  map(method, rawPath, query) {
    const [namespace, name, ...rest] = rawPath.slice(1).split("/");
    if (namespace !== "ns") return undefined;
    if (name) return { rawPath: `/ns.${name}${rest.length > 0 ? `/${rest.join("/")}` : ""}`, resource: rawPath };
    const prefix = query.get("prefix") ?? "";
    const slash = prefix.indexOf("/");
    if (method === "GET" && slash > 0) return { rawPath: `/ns.${prefix.slice(0, slash)}`, resource: "/ns", listing: { name: "ns", keyPrefix: prefix.slice(0, slash + 1) } };
    return { resource: "/ns", namespace: { name: "ns", bucketPrefix: "ns.", separator: "." } };
  },
};

const BUCKETS = [bucket("ns.alpha"), bucket("ns.beta"), bucket("ns.hidden")];
const CREDENTIALS = [credential("AKIDMAPPED", [{ bucket: "ns.alpha", prefixes: [], actions: ["get_object", "list_bucket"] }, { bucket: "ns.beta", prefixes: [], actions: ["list_bucket"] }])];
const key = { accessKeyId: "AKIDMAPPED", secretAccessKey: "AKIDMAPPED-secret" };

function make(backend: MemoryBackend, buckets = BUCKETS, extra: Partial<GatewayOptions<Uint8Array>> = {}) {
  return mappedGateway({ mapping, buckets, credentials: CREDENTIALS, backend }, extra);
}

async function send(gateway: ReturnType<typeof make>, path: string, query: Record<string, string> = {}) {
  const signed = await signWithHeader(key, { method: "GET", path, query });
  return gateway.handle(gatewayRequest("GET", signed.target, signed.headers));
}

describe("a gateway with a target mapping", () => {
  it("verifies the signature on the path the client signed, then serves the mapped bucket", async () => {
    const backend = new MemoryBackend();
    backend.put("dir/file.txt", "mapped");
    const result = await send(make(backend), "/ns/alpha/dir/file.txt");
    expect(result.context).toMatchObject({ bucket: "ns.alpha", key: "dir/file.txt" });
    expect(result.type).toBe("native");
  });

  it("shows a mapped bucket's listing under the client's names, start keys included", async () => {
    const backend = new MemoryBackend();
    for (const name of ["a.txt", "b.txt", "c/d.txt"]) backend.put(name, "x");
    const root = parseXml(text(plain(await send(make(backend), "/ns", { "list-type": "2", prefix: "alpha/", delimiter: "/", "start-after": "alpha/a.txt" })).body));
    expect(childText(root, "Name")).toBe("ns");
    expect(childText(root, "Prefix")).toBe("alpha/");
    expect(childText(root, "StartAfter")).toBe("alpha/a.txt");
    expect(text(plain(await send(make(backend), "/ns", { "list-type": "2", prefix: "alpha/", delimiter: "/" })).body)).toMatch(/<Key>alpha\/a\.txt<\/Key>.*<Key>alpha\/b\.txt<\/Key>.*<Prefix>alpha\/c\/<\/Prefix>/);
    expect(backend.callsTo("listObjects").map(([request]) => (request as { prefix: string; startAfter?: string }).startAfter)).toEqual(["a.txt", undefined]);
  });

  it("lists the namespace as the buckets the caller may use, and answers NoSuchBucket for an empty one", async () => {
    const listing = plain(await send(make(new MemoryBackend()), "/ns", { "list-type": "2", delimiter: "/" }));
    expect([...text(listing.body).matchAll(/<Prefix>([^<]*)<\/Prefix>/g)].map((match) => match[1])).toEqual(["", "alpha/", "beta/"]);
    const filtered = plain(await send(make(new MemoryBackend()), "/ns", { "list-type": "2", prefix: "b", delimiter: "/" }));
    expect([...text(filtered.body).matchAll(/<Prefix>([^<]*)<\/Prefix>/g)].map((match) => match[1])).toEqual(["b", "beta/"]);
  });

  it("shows a bucket whose last segment holds the separator at the path the mapping reaches it by, in order", async () => {
    // separator "-", one segment below the namespace: `acme-logs-2024` is reached at /acme/logs-2024/..., not /acme/logs/2024/.
    const dashed: TargetMapping = { map: () => ({ resource: "/acme", namespace: { name: "acme", bucketPrefix: "acme-", separator: "-", segments: 1 } }) };
    const stores: Record<string, MemoryBackend> = { "acme-logs": new MemoryBackend(), "acme-logs-2024": new MemoryBackend() };
    for (const key of ["2024/old", "a", "z"]) stores["acme-logs"]!.put(key, "x");
    for (const key of ["x", "y"]) stores["acme-logs-2024"]!.put(key, "x");
    const buckets = [bucket("acme-logs"), bucket("acme-logs-2024")];
    const credentials = [credential("AKIDMAPPED", [{ bucket: "*", prefixes: [], actions: ["list_bucket"] }])];
    const gateway = createGateway<Uint8Array>({
      buckets: { getBucket: (name) => buckets.find((b) => b.name === name), listBuckets: () => buckets },
      credentials: { getCredential: (id) => credentials.find((c) => c.access_key_id === id) },
      backends: { memory: (config) => stores[config.name]! },
      now: () => NOW,
      targetMapping: dashed,
    });
    const keysOf = async (query: Record<string, string>) => [...text(plain(await send(gateway as never, "/acme", query)).body).matchAll(/<(?:Key|Prefix)>([^<]*)<\//g)].map((match) => match[1]);
    expect(await keysOf({ "list-type": "2" })).toEqual(["", "logs-2024/x", "logs-2024/y", "logs/2024/old", "logs/a", "logs/z"]);
    expect(await keysOf({ "list-type": "2", delimiter: "/" })).toEqual(["", "logs-2024/", "logs/"]);
    // Pages of two, across both buckets, lose nothing.
    const first = parseXml(text(plain(await send(gateway as never, "/acme", { "list-type": "2", "max-keys": "2" })).body));
    const second = await keysOf({ "list-type": "2", "max-keys": "5", "continuation-token": childText(first, "NextContinuationToken")! });
    expect(second).toEqual(["", "logs/2024/old", "logs/a", "logs/z"]);
  });

  it("checks a namespace listing's parameters as a bucket's listing does", async () => {
    const gateway = make(new MemoryBackend());
    const answer = async (query: Record<string, string>) => {
      const result = plain(await send(gateway, "/ns", { "list-type": "2", delimiter: "/", ...query }));
      return { status: result.status, root: parseXml(text(result.body)) };
    };
    for (const query of [{ "encoding-type": "bogus" }, { "continuation-token": "" }, { "continuation-token": "!!" }] as Record<string, string>[]) {
      const refused = await answer(query);
      expect([refused.status, childText(refused.root, "Code")], JSON.stringify(query)).toEqual([400, "InvalidArgument"]);
    }
    const none = await answer({ "max-keys": "0" });
    expect([childText(none.root, "IsTruncated"), childText(none.root, "KeyCount")]).toEqual(["false", "0"]);
    const encoded = await answer({ "encoding-type": "url", prefix: "b" });
    expect([childText(encoded.root, "EncodingType"), childText(encoded.root, "Prefix")]).toEqual(["url", "b"]);
  });

  it("lists every key of the namespace without a delimiter, across buckets in key order, paged", async () => {
    const stores: Record<string, MemoryBackend> = { "ns.alpha": new MemoryBackend(), "ns.beta": new MemoryBackend(), "ns.hidden": new MemoryBackend() };
    for (const name of ["a.txt", "c/d.txt"]) stores["ns.alpha"]!.put(name, "x");
    stores["ns.beta"]!.put("pre/x.txt", "xy");
    stores["ns.hidden"]!.put("secret.txt", "x");
    const buckets = [bucket("ns.alpha"), bucket("ns.beta", { backend_prefix: "pre/" }), bucket("ns.hidden")];
    const gateway = make(new MemoryBackend(), buckets, { backends: { memory: (config) => stores[config.name]! } });
    const listing = async (query: Record<string, string>) => {
      const answer = plain(await send(gateway, "/ns", query));
      const root = parseXml(text(answer.body));
      return { status: answer.status, root, keys: [...text(answer.body).matchAll(/<Key>([^<]*)<\/Key>/g)].map((match) => match[1]!), body: text(answer.body) };
    };
    // Every key the caller may list, under its bucket's path; no common prefix (S3 rolls nothing up without one).
    const all = await listing({ "list-type": "2" });
    expect(all.keys).toEqual(["alpha/a.txt", "alpha/c/d.txt", "beta/x.txt"]);
    expect(all.body).not.toContain("<CommonPrefixes>");
    expect([childText(all.root, "KeyCount"), childText(all.root, "IsTruncated")]).toEqual(["3", "false"]);
    // Pages of one key, continued across buckets.
    const seen: string[] = [];
    let token: string | undefined;
    for (let page = 0; page < 5; page++) {
      const next = await listing({ "list-type": "2", "max-keys": "1", ...(token && { "continuation-token": token }) });
      seen.push(...next.keys);
      token = childText(next.root, "NextContinuationToken");
      if (childText(next.root, "IsTruncated") === "false") break;
    }
    expect([seen, token]).toEqual([["alpha/a.txt", "alpha/c/d.txt", "beta/x.txt"], undefined]);
    const two = await listing({ "list-type": "2", "max-keys": "2" });
    expect([two.keys, childText(two.root, "IsTruncated")]).toEqual([["alpha/a.txt", "alpha/c/d.txt"], "true"]);
    // A page that ends with the last listable key says nothing follows (the hidden bucket is not the caller's to list).
    const three = await listing({ "list-type": "2", "max-keys": "3" });
    expect([three.keys.length, childText(three.root, "IsTruncated")]).toEqual([3, "false"]);
    expect((await listing({ "list-type": "2", prefix: "be" })).keys).toEqual(["beta/x.txt"]);
    expect((await listing({ "list-type": "2", "start-after": "alpha/a.txt" })).keys).toEqual(["alpha/c/d.txt", "beta/x.txt"]);
    expect((await listing({ marker: "alpha/c/d.txt" })).keys).toEqual(["beta/x.txt"]);
    const none = await listing({ "list-type": "2", "max-keys": "0" });
    expect([none.keys, childText(none.root, "IsTruncated")]).toEqual([[], "false"]);
    const bad = await listing({ "list-type": "2", "continuation-token": "!!" });
    expect([bad.status, childText(bad.root, "Code")]).toEqual([400, "InvalidArgument"]);
  });

  it("pages a namespace listing with max-keys and continuation tokens (V2) or markers (V1)", async () => {
    const gateway = make(new MemoryBackend());
    const prefixesOf = (body: unknown) => [...text(body as never).matchAll(/<CommonPrefixes><Prefix>([^<]*)<\/Prefix>/g)].map((match) => match[1]);
    const first = parseXml(text(plain(await send(gateway, "/ns", { "list-type": "2", delimiter: "/", "max-keys": "1" })).body));
    expect([childText(first, "IsTruncated"), childText(first, "KeyCount")]).toEqual(["true", "1"]);
    const token = childText(first, "NextContinuationToken")!;
    const second = plain(await send(gateway, "/ns", { "list-type": "2", delimiter: "/", "max-keys": "1", "continuation-token": token }));
    expect([prefixesOf(second.body), childText(parseXml(text(second.body)), "IsTruncated")]).toEqual([["beta/"], "false"]);
    const v1 = parseXml(text(plain(await send(gateway, "/ns", { delimiter: "/", "max-keys": "1" })).body));
    expect(childText(v1, "NextMarker")).toBe("alpha/");
    expect(prefixesOf(plain(await send(gateway, "/ns", { delimiter: "/", marker: "alpha/" })).body)).toEqual(["beta/"]);
  });

  it("admits a namespace listing before middleware: a refused one never reaches it", async () => {
    const seen: string[] = [];
    const gateway = make(new MemoryBackend(), BUCKETS, { middleware: [{ name: "spy", before: (context) => void seen.push(context.requestId) }] });
    // Anonymous: no bucket of the namespace is open to it.
    expect(plain(await gateway.handle(gatewayRequest("GET", "/ns?list-type=2"))).status).toBe(403);
    expect(seen).toEqual([]);
  });

  it("applies the mapped bucket's own CORS rules to a preflight and a request of the namespace", async () => {
    const corsBuckets = [bucket("ns.alpha", { anonymous_access: true, cors_rules: [{ allowed_origins: ["https://alpha.example"], allowed_methods: ["GET"] }] })];
    const gateway = make(new MemoryBackend(), corsBuckets, { cors: [{ allowed_origins: ["https://global.example"], allowed_methods: ["GET"] }] });
    const preflight = plain(await gateway.handle(gatewayRequest("OPTIONS", "/ns/alpha/file.txt", { origin: "https://alpha.example", "access-control-request-method": "GET" })));
    expect([preflight.status, preflight.headers.get("access-control-allow-origin")]).toEqual([200, "https://alpha.example"]);
    const refused = plain(await gateway.handle(gatewayRequest("OPTIONS", "/ns/alpha/file.txt", { origin: "https://global.example", "access-control-request-method": "GET" })));
    expect(refused.status).toBe(403);
  });

  it("maps a CORS request once, for its bucket's rules and its parsing, whether it is served, refused or unmappable", async () => {
    // `/ns/bad/...` cannot be mapped: the mapping throws, and the request is refused after authentication.
    const spied: TargetMapping = {
      map(method, rawPath, query) {
        if (rawPath.startsWith("/ns/bad/")) throw new S3Error("InvalidRequest", { message: "unmappable" });
        return mapping.map(method, rawPath, query);
      },
    };
    const map = vi.spyOn(spied, "map");
    const rules = (origin: string) => [{ allowed_origins: [origin], allowed_methods: ["GET"] }];
    const corsBuckets = [bucket("ns.alpha", { anonymous_access: true, cors_rules: rules("https://alpha.example") }), bucket("ns.beta", { cors_rules: rules("https://beta.example") })];
    const backend = new MemoryBackend();
    backend.put("file.txt", "x");
    const gateway = make(backend, corsBuckets, { targetMapping: spied, cors: rules("https://global.example") });
    const cases = [
      { path: "/ns/alpha/file.txt", origin: "https://alpha.example", status: 200 },
      { path: "/ns/beta/file.txt", origin: "https://beta.example", status: 403 },
      { path: "/ns/bad/file.txt", origin: "https://global.example", status: 400 },
    ];
    for (const { path, origin, status } of cases) {
      map.mockClear();
      const result = await gateway.handle(gatewayRequest("GET", path, { origin }));
      const response = result.type === "native" ? await executed(result) : plain(result);
      expect([response.status, response.headers.get("access-control-allow-origin"), map.mock.calls.length]).toEqual([status, origin, 1]);
    }
    expect(text(plain(await gateway.handle(gatewayRequest("GET", "/ns/bad/file.txt", { origin: "https://global.example" }))).body)).toContain("unmappable");
  });

  it("maps start keys outside a view to its start or its end", () => {
    const view = { name: "ns", keyPrefix: "m/" };
    expect([stripViewPrefix(view, "m/k"), stripViewPrefix(view, "a"), stripViewPrefix(view, "z"), stripViewPrefix(undefined, "m/k")]).toEqual(["k", "", "\u{10FFFF}", "m/k"]);
    expect(new Query("prefix=m%2F").get("prefix")).toBe("m/");
  });
});
