import { createServer, type IncomingMessage, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { S3Error } from "@multistore/core";
import { createCachedRegistries, createHttpRegistries } from "./index.js";

const BUCKETS: Record<string, unknown> = {
  data: { name: "data", backend_type: "s3", backend_options: { endpoint: "http://127.0.0.1:9000", bucket_name: "b", region: "eu-west-1" }, anonymous_access: true },
  broken: { name: "broken", backend_type: "s3", anonymous_access: false, backend_options: { bucket_name: "b", endpoint_url_typo: "http://x" } },
  liar: { name: "data", backend_type: "fs", anonymous_access: false, backend_options: { root: "/srv" } },
};
const CREDENTIALS: Record<string, unknown> = {
  AKIAREGISTRY0000001: { access_key_id: "AKIAREGISTRY0000001", secret_access_key: "registry-secret", principal_name: "alice", created_at: "2024-01-01T00:00:00Z", enabled: true, allowed_scopes: [{ bucket: "data", prefixes: [], actions: ["get_object"] }] },
};
const ROLES: Record<string, unknown> = {
  reader: { role_id: "reader", name: "Reader", trusted_oidc_issuers: ["https://issuer.example"], allowed_scopes: [{ bucket: "data", prefixes: [], actions: ["get_object"] }] },
};

describe("createHttpRegistries (against a local HTTP service)", () => {
  let server: Server;
  let url: string;
  const seen: IncomingMessage[] = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      seen.push(request);
      const path = decodeURIComponent(request.url!.replace(/^\/catalog\//, ""));
      const [section, name] = path.split("/") as [string, string | undefined];
      if (section === "slow") return; // never answers
      if (section === "fails") return void response.writeHead(500).end("database down");
      if (section === "garbage") return void response.writeHead(200, { "content-type": "application/json" }).end("{not json");
      if (section === "endless") {
        // A document that never ends, as fast as it is read.
        response.writeHead(200, { "content-type": "application/json" });
        const chunk = Buffer.alloc(1 << 20, 32);
        const pump = () => {
          while (!response.destroyed && response.write(chunk));
        };
        response.on("drain", pump);
        return void pump();
      }
      const table = section === "buckets" ? BUCKETS : section === "credentials" ? CREDENTIALS : section === "roles" ? ROLES : undefined;
      if (section === "buckets" && name === undefined) return void response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify([BUCKETS.data]));
      const document = table && name !== undefined ? table[name] : undefined;
      if (document === undefined) return void response.writeHead(404).end();
      response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(document));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}/catalog`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it("serves buckets, credentials and roles as the config file would, with its defaults; unknown names are undefined", async () => {
    const registries = createHttpRegistries({ url, headers: { authorization: "Bearer catalog-token" } });
    expect(await registries.buckets.getBucket("data")).toMatchObject({ name: "data", backend_type: "s3", anonymous_access: true, backend_options: { endpoint: "http://127.0.0.1:9000", bucket_name: "b", region: "eu-west-1" } });
    expect(await registries.buckets.getBucket("missing")).toBeUndefined();
    expect(await registries.buckets.listBuckets()).toEqual([expect.objectContaining({ name: "data" })]);
    expect(await registries.credentials.getCredential("AKIAREGISTRY0000001")).toMatchObject({ principal_name: "alice", enabled: true });
    expect(await registries.credentials.getCredential("AKIANOSUCHKEY000001")).toBeUndefined();
    expect(await registries.roles("reader")).toMatchObject({ role_id: "reader", max_session_duration_secs: expect.any(Number) });
    expect(await registries.roles("writer")).toBeUndefined();
    expect(seen.at(-1)!.headers.authorization).toBe("Bearer catalog-token");
    expect(seen.map((request) => request.url)).toContain("/catalog/credentials/AKIAREGISTRY0000001");
  });

  it("escapes names into one path segment", async () => {
    const registries = createHttpRegistries({ url: `${url}/` });
    expect(await registries.buckets.getBucket("../credentials/AKIAREGISTRY0000001")).toBeUndefined();
    expect(seen.at(-1)!.url).toBe("/catalog/buckets/..%2Fcredentials%2FAKIAREGISTRY0000001");
  });

  it("answers 503 ServiceUnavailable for a document that fails the schema or names another entry, an error status, bad JSON or no answer", async () => {
    const unavailable = async (lookup: Promise<unknown>, cause: RegExp) => {
      const error = await lookup.then(
        () => undefined,
        (failure: unknown) => failure,
      );
      expect(error).toBeInstanceOf(S3Error);
      expect(error).toMatchObject({ code: "ServiceUnavailable", status: 503 });
      expect(String((error as Error).cause)).toMatch(cause);
    };
    const registries = createHttpRegistries({ url, timeoutMs: 300 });
    await unavailable(Promise.resolve(registries.buckets.getBucket("broken")), /endpoint_url_typo/);
    await unavailable(Promise.resolve(registries.buckets.getBucket("liar")), /the document is for name "data"/);
    await unavailable(Promise.resolve(createHttpRegistries({ url: `${url}/fails`, timeoutMs: 300 }).buckets.getBucket("x")), /status 500/);
    await unavailable(Promise.resolve(createHttpRegistries({ url: `${url}/garbage`, timeoutMs: 300 }).buckets.listBuckets()), /JSON/);
    // Cut by its size, not by the (long) timeout.
    await unavailable(Promise.resolve(createHttpRegistries({ url: `${url}/endless`, timeoutMs: 60_000 }).buckets.listBuckets()), /answer over/);
    const started = Date.now();
    await unavailable(Promise.resolve(createHttpRegistries({ url: `${url}/slow`, timeoutMs: 300 }).credentials.getCredential("AKIA")), /timeout|aborted/i);
    expect(Date.now() - started).toBeLessThan(3000);
    await unavailable(Promise.resolve(createHttpRegistries({ url: "http://127.0.0.1:1/none", timeoutMs: 300 }).roles("reader")), /fetch failed|ECONNREFUSED/);
  });

  it("with a cache in front, a burst of requests reaches the service once, and a service outage is bridged by stale entries", async () => {
    let now = 0;
    let reachable = true;
    const fetcher: typeof fetch = (input, init) => (reachable ? fetch(input, init) : Promise.reject(new Error("connection refused")));
    const cached = createCachedRegistries(createHttpRegistries({ url, fetch: fetcher }), { ttlMs: 1000, now: () => now });
    const before = seen.length;
    const answers = await Promise.all(Array.from({ length: 50 }, () => cached.credentials!.getCredential("AKIAREGISTRY0000001")));
    expect(answers.every((answer) => answer?.principal_name === "alice")).toBe(true);
    expect(seen.length - before).toBe(1);
    reachable = false;
    now = 5000;
    expect(await cached.credentials!.getCredential("AKIAREGISTRY0000001")).toMatchObject({ principal_name: "alice" });
    await expect(Promise.resolve(cached.buckets!.getBucket("data"))).rejects.toMatchObject({ code: "ServiceUnavailable" });
  });

  it("refuses a url that is not http(s) and a timeout that is not positive, naming the option", () => {
    expect(() => createHttpRegistries({ url: "not a url" })).toThrow("url is not a URL");
    expect(() => createHttpRegistries({ url: "file:///etc/buckets" })).toThrow("url must be http(s)");
    // fetch would refuse every lookup (its error naming the URL, password and all); the message names neither.
    const withPassword = (() => {
      try {
        createHttpRegistries({ url: "https://user:hunter2@registry.internal/" });
      } catch (error) {
        return String(error);
      }
      return "";
    })();
    expect(withPassword).toContain("url must not hold a user or password");
    expect(withPassword).not.toContain("hunter2");
    expect(() => createHttpRegistries({ url, timeoutMs: 0 })).toThrow("timeoutMs must be a positive number");
    // Lookups are paths below the URL's: a query or fragment would send every one elsewhere.
    for (const withQuery of ["https://registry.internal/api/v1?key=abc", "https://registry.internal/api/v1#x", "https://registry.internal/api/v1?"]) {
      expect(() => createHttpRegistries({ url: withQuery }), withQuery).toThrow("url must not hold a query or fragment");
    }
  });

  it("asks for entries below the URL's path, with or without its trailing slash", async () => {
    for (const base of ["https://registry.internal/api/v1", "https://registry.internal/api/v1/"]) {
      const asked: string[] = [];
      const registries = createHttpRegistries({
        url: base,
        fetch: async (input) => {
          asked.push(new URL(String(input)).pathname);
          return new Response("not found", { status: 404 });
        },
      });
      expect(await registries.buckets!.getBucket("data")).toBeUndefined();
      expect(asked, base).toEqual(["/api/v1/buckets/data"]);
    }
  });
});
