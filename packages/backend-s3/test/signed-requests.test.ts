/**
 * The S3 backend's signed requests, checked without a server: the real signers of both builds (presigned object URLs,
 * header-signed listings) are checked against core's SigV4 verifier.
 */
import { Query } from "@multistore/core";
import type { ObjectRequest } from "@multistore/core/backend";
import { checkSignatureTime, parseAuthorizationHeader, parsePresignedQuery, verifySigV4 } from "@multistore/core/sigv4";
import { MockAgent } from "undici";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createS3Backend as createNodeBackend } from "../src/node.js";
import { createS3Backend as createWorkerBackend } from "../src/worker.js";
import { OPTIONS, XML } from "./helpers/fake-runtime.js";

describe("presigned object URLs of both builds", () => {
  const builds = [["node", createNodeBackend], ["worker", createWorkerBackend]] as const;
  const request: ObjectRequest = {
    operation: "GetObject",
    key: "dir/a b+c%25(ü)*!'~.txt",
    headers: new Headers({ range: "bytes=0-9", "if-none-match": '"etag"', "x-amz-checksum-mode": "ENABLED" }),
    responseOverrides: { "response-content-disposition": "attachment; filename*=UTF-8''a%20b.txt", "response-cache-control": "no-cache" },
  } as ObjectRequest;

  for (const endpoint of [undefined, "http://127.0.0.1:9000"]) {
    it(`verify with core's verifySigV4 (${endpoint ?? "virtual-hosted"})`, async () => {
      const targets: string[] = [];
      for (const [build, create] of builds) {
        const backend = create({ ...OPTIONS, session_token: "token/+=", ...(endpoint && { endpoint }) });
        const dispatch = await backend.prepareObject({ ...request, headers: new Headers(request.headers) });
        if (dispatch.type !== "forward") throw new Error("expected a forward dispatch");
        const url = new URL(dispatch.url);
        const rawQuery = url.search.slice(1);
        const claim = parsePresignedQuery(new Query(rawQuery));
        expect(claim, build).toMatchObject({ accessKeyId: "AKIDEXAMPLE", region: "eu-west-1", service: "s3", expires: 300, sessionToken: "token/+=" });
        checkSignatureTime(claim, Date.now());
        const headers: [string, string][] = [["host", url.host], ...dispatch.headers];
        // The host and x-amz-* headers are signed; range and conditions travel unsigned, as S3 allows.
        expect(claim.signedHeaders, build).toEqual(["host", "x-amz-checksum-mode"]);
        expect(dispatch.headers.get("range"), build).toBe("bytes=0-9");
        expect(dispatch.headers.get("if-none-match"), build).toBe('"etag"');
        await expect(verifySigV4(claim, { method: "GET", rawPath: url.pathname, rawQuery, headers, payloadHash: "UNSIGNED-PAYLOAD" }, "secret"), build).resolves.toBeDefined();
        // A changed signed header breaks the signature.
        const tampered = headers.map(([name, value]): [string, string] => [name, name === "x-amz-checksum-mode" ? "DISABLED" : value]);
        await expect(verifySigV4(claim, { method: "GET", rawPath: url.pathname, rawQuery, headers: tampered, payloadHash: "UNSIGNED-PAYLOAD" }, "secret")).rejects.toMatchObject({ code: "SignatureDoesNotMatch" });
        const overrides = new Query(rawQuery);
        expect(overrides.get("response-content-disposition"), build).toBe(request.responseOverrides!["response-content-disposition"]);
        targets.push(`${url.origin}${decodeURIComponent(url.pathname)}`);
      }
      expect(targets[0]).toBe(targets[1]);
    });
  }
});

describe("presigned URL reuse", () => {
  afterEach(() => {
    vi.useRealTimers();
  });
  const get = (headers: Record<string, string>, key = "k") =>
    ({ operation: "GetObject", key, headers: new Headers(headers) }) as ObjectRequest;
  const urlOf = async (backend: ReturnType<typeof createNodeBackend>, request: ObjectRequest) => {
    const dispatch = await backend.prepareObject(request);
    if (dispatch.type !== "forward") throw new Error("expected a forward dispatch");
    return dispatch.url;
  };

  it("reuses one URL for every range of an object for half its lifetime, then signs a new one", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.parse("2026-12-04T10:00:00Z"));
    const backend = createNodeBackend({ ...OPTIONS, presign_ttl_secs: "300" });
    const first = await urlOf(backend, get({ range: "bytes=0-9" }));
    expect(await urlOf(backend, get({ range: "bytes=10-19" }))).toBe(first);
    // A URL still held is answered now: the gateway forwards without waiting a promise turn.
    const held = backend.prepareObject(get({ range: "bytes=20-29" }));
    expect(held).not.toBeInstanceOf(Promise);
    expect(held).toMatchObject({ type: "forward", url: first });
    vi.setSystemTime(Date.parse("2026-12-04T10:02:29Z"));
    expect(await urlOf(backend, get({}))).toBe(first);
    vi.setSystemTime(Date.parse("2026-12-04T10:02:31Z"));
    const renewed = await urlOf(backend, get({}));
    expect(renewed).not.toBe(first);
    expect(new URL(renewed).searchParams.get("X-Amz-Date")).toBe("20261204T100231Z");
  });

  it("signs anew for another key, method, query or x-amz-* header", async () => {
    const backend = createNodeBackend(OPTIONS);
    const base = await urlOf(backend, get({}));
    expect(await urlOf(backend, get({}, "other"))).not.toBe(base);
    expect(await urlOf(backend, { ...get({}), operation: "HeadObject" })).not.toBe(base);
    expect(await urlOf(backend, { ...get({}), versionId: "v1" })).not.toBe(base);
    expect(await urlOf(backend, get({ "x-amz-checksum-mode": "ENABLED" }))).not.toBe(base);
  });
});

describe("header-signed requests of both builds", () => {
  let agent: MockAgent | undefined;
  afterEach(async () => {
    await agent?.close();
    agent = undefined;
  });
  const listXml = `${XML}<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>`;
  const list = { prefix: "dir/a b+c(ü)*!'", delimiter: "/", maxKeys: 10, startAfter: "dir/a b~" };

  async function verifyCaptured(method: string, url: URL, headers: [string, string][]) {
    const all: [string, string][] = headers.some(([name]) => name === "host") ? headers : [["host", url.host], ...headers];
    const lookup = new Headers(all);
    const claim = parseAuthorizationHeader(lookup.get("authorization")!, lookup);
    checkSignatureTime(claim, Date.now());
    const parts = { method, rawPath: url.pathname, rawQuery: url.search.slice(1), headers: all, payloadHash: lookup.get("x-amz-content-sha256")! };
    await verifySigV4(claim, parts, "secret");
    return new Query(url.search.slice(1));
  }

  it("worker build (aws4fetch): the request as sent verifies", async () => {
    const captured: { url: URL; headers: [string, string][] }[] = [];
    const fakeFetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
      captured.push({ url: new URL(String(input)), headers: [...new Headers(init?.headers)] });
      return new Response(listXml);
    }) as typeof fetch;
    await createWorkerBackend({ ...OPTIONS, force_path_style: "true" }, { fetch: fakeFetch }).listObjects(list);
    const query = await verifyCaptured("GET", captured[0]!.url, captured[0]!.headers);
    expect(query.get("prefix")).toBe(list.prefix);
    expect(query.get("start-after")).toBe(list.startAfter);
  });

  it("node build (smithy + undici): the request as sent verifies", async () => {
    agent = new MockAgent();
    agent.disableNetConnect();
    const captured: { path: string; headers: [string, string][] }[] = [];
    agent
      .get("https://s3.eu-west-1.amazonaws.com")
      .intercept({ path: () => true, method: "GET" })
      .reply((options) => {
        const raw = options.headers;
        const headers: [string, string][] = Array.isArray(raw)
          ? raw.reduce<[string, string][]>((out, value, index) => (index % 2 === 0 ? [...out, [String(value).toLowerCase(), String(raw[index + 1])]] : out), [])
          : Object.entries((raw ?? {}) as Record<string, string>).map(([name, value]) => [name.toLowerCase(), String(value)]);
        captured.push({ path: options.path, headers });
        return { statusCode: 200, data: listXml };
      });
    await createNodeBackend({ ...OPTIONS, force_path_style: "true" }, { dispatcher: agent }).listObjects(list);
    const url = new URL(captured[0]!.path, "https://s3.eu-west-1.amazonaws.com");
    const query = await verifyCaptured("GET", url, captured[0]!.headers);
    expect(query.get("prefix")).toBe(list.prefix);
    expect(query.get("start-after")).toBe(list.startAfter);
  });
});

describe("part reads", () => {
  it("ask S3 for the part itself: partNumber is in the signed URL of GetObject and HeadObject, apart from other parts'", async () => {
    for (const create of [createNodeBackend, createWorkerBackend]) {
      const backend = create(OPTIONS);
      expect(backend.readsParts).toBe(true);
      const urls: string[] = [];
      for (const [operation, partNumber] of [["GetObject", 2], ["HeadObject", 2], ["GetObject", 3], ["GetObject", undefined]] as const) {
        const dispatch = await backend.prepareObject({ operation, key: "k", headers: new Headers(), ...(partNumber && { partNumber }) } as ObjectRequest);
        if (dispatch.type !== "forward") throw new Error("expected a forward dispatch");
        expect(dispatch.method).toBe(operation === "GetObject" ? "GET" : "HEAD");
        const url = new URL(dispatch.url);
        expect(url.searchParams.get("partNumber")).toBe(partNumber === undefined ? null : String(partNumber));
        const rawQuery = url.search.slice(1);
        const claim = parsePresignedQuery(new Query(rawQuery));
        await expect(verifySigV4(claim, { method: dispatch.method, rawPath: url.pathname, rawQuery, headers: [["host", url.host]], payloadHash: "UNSIGNED-PAYLOAD" }, "secret")).resolves.toBeDefined();
        urls.push(dispatch.url);
      }
      // A URL held for one part never serves another, nor the whole object.
      expect(new Set(urls).size).toBe(4);
    }
  });
});
