/**
 * The S3 backend's small signed requests, checked without a server: a fake runtime records what the backend sends
 * and answers with canned XML. The real signers of both builds are checked against core's SigV4 verifier.
 */
import { createHash } from "node:crypto";
import { Query, S3Error } from "@multistore/core";
import type { CompletedPart, ObjectRequest } from "@multistore/core/backend";
import { checkSignatureTime, parseAuthorizationHeader, parsePresignedQuery, verifySigV4 } from "@multistore/core/sigv4";
import { MockAgent } from "undici";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createS3Backend as createNodeBackend } from "../src/node.js";
import type { S3BackendOptions } from "../src/options.js";
import { createS3BackendWith } from "../src/s3-backend-base.js";
import type { S3Runtime, S3Signer } from "../src/transport.js";
import { createS3Backend as createWorkerBackend } from "../src/worker.js";

interface Sent {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: string;
}
type Reply = { status?: number; text?: string; headers?: Record<string, string> } | Error;

const OPTIONS: S3BackendOptions = { bucket_name: "data", region: "eu-west-1", access_key_id: "AKIDEXAMPLE", secret_access_key: "secret" };
const XML = '<?xml version="1.0" encoding="UTF-8"?>\n';
const sha256Hex = (text: string) => createHash("sha256").update(text).digest("hex");

/** Signs nothing: headers gain a marker `authorization` (object URLs are presigned by core in every build). */
const fakeSigner: S3Signer = {
  async sign(request, payloadHash) {
    return { ...request.headers, "x-amz-content-sha256": payloadHash, authorization: "FAKE" };
  },
};

/** A backend on a fake runtime that records requests and answers with `reply`. */
function fakeBackend(reply: (request: Sent) => Reply = () => ({}), options: Partial<S3BackendOptions> = {}, md5 = true) {
  const sent: Sent[] = [];
  const runtime: S3Runtime = {
    createSigner: () => fakeSigner,
    async send(method, url, headers, body) {
      const request: Sent = { method, url: new URL(url), headers, ...(body && { body: new TextDecoder().decode(body) }) };
      sent.push(request);
      const answer = reply(request);
      if (answer instanceof Error) throw answer;
      return { status: answer.status ?? 200, headers: new Headers(answer.headers), text: answer.text ?? "" };
    },
    ...(md5 && { md5Base64: (bytes: Uint8Array) => createHash("md5").update(bytes).digest("base64") }),
  };
  return { backend: createS3BackendWith({ ...OPTIONS, ...options }, runtime), sent };
}

const completeResult = `${XML}<CompleteMultipartUploadResult><Bucket>data</Bucket><Key>k</Key><ETag>"abc-2"</ETag></CompleteMultipartUploadResult>`;
const errorDocument = (code: string) => `${XML}<Error><Code>${code}</Code><Message>m</Message></Error>`;

describe("multipart control requests", () => {
  it("completes with the parts in order, their checksums and the client's write conditions", async () => {
    const { backend, sent } = fakeBackend(() => ({ text: completeResult, headers: { "x-amz-version-id": "v1" } }));
    const parts: CompletedPart[] = [
      { partNumber: 1, etag: '"e1"', checksums: { ChecksumSHA256: "c2hhMQ==" } },
      { partNumber: 2, etag: "e2&<x>", checksums: { ChecksumCRC32: "AAAAAA==" } },
      { partNumber: 5, etag: '"e5"' },
    ];
    const result = await backend.completeMultipartUpload("dir/my key", "up/1+2", parts, new Headers({ "if-none-match": "*", "x-amz-meta-x": "no" }));
    expect(result.etag).toBe('"abc-2"');
    expect(result.headers?.get("x-amz-version-id")).toBe("v1");
    const [request] = sent;
    expect(request!.method).toBe("POST");
    expect(request!.url.pathname).toBe("/dir/my%20key");
    expect(request!.url.searchParams.get("uploadId")).toBe("up/1+2");
    expect(request!.headers["if-none-match"]).toBe("*");
    expect(request!.headers["x-amz-meta-x"]).toBeUndefined();
    expect(request!.headers["x-amz-content-sha256"]).toBe(sha256Hex(request!.body!));
    expect(request!.body).toBe(
      "<CompleteMultipartUpload>" +
        "<Part><PartNumber>1</PartNumber><ETag>&quot;e1&quot;</ETag><ChecksumSHA256>c2hhMQ==</ChecksumSHA256></Part>" +
        "<Part><PartNumber>2</PartNumber><ETag>e2&amp;&lt;x&gt;</ETag><ChecksumCRC32>AAAAAA==</ChecksumCRC32></Part>" +
        "<Part><PartNumber>5</PartNumber><ETag>&quot;e5&quot;</ETag></Part>" +
        "</CompleteMultipartUpload>",
    );
    await backend.completeMultipartUpload("k", "u", parts, new Headers({ "if-match": '"old"' }));
    expect(sent[1]!.headers["if-match"]).toBe('"old"');
    expect(sent[1]!.headers["if-none-match"]).toBeUndefined();
  });

  it("treats a 200 whose body is an <Error> document as a failure", async () => {
    const { backend } = fakeBackend(() => ({ status: 200, text: errorDocument("InternalError") }));
    await expect(backend.completeMultipartUpload("k", "u", [{ partNumber: 1, etag: '"e"' }], new Headers())).rejects.toMatchObject({
      code: "ServiceUnavailable",
      status: 503,
    });
  });

  it("passes the backend's InvalidPart and PreconditionFailed through", async () => {
    for (const [status, code] of [[400, "InvalidPart"], [412, "PreconditionFailed"], [404, "NoSuchUpload"]] as const) {
      const { backend } = fakeBackend(() => ({ status, text: errorDocument(code) }));
      await expect(backend.completeMultipartUpload("k", "u", [], new Headers())).rejects.toMatchObject({ code, status });
    }
  });

  it("aborts with DELETE ?uploadId=", async () => {
    const { backend, sent } = fakeBackend(() => ({ status: 204 }));
    await backend.abortMultipartUpload("a/b c", "id=1&x");
    expect(sent).toHaveLength(1);
    expect(sent[0]!.method).toBe("DELETE");
    expect(sent[0]!.url.pathname).toBe("/a/b%20c");
    expect([...sent[0]!.url.searchParams]).toEqual([["uploadId", "id=1&x"]]);
    expect(sent[0]!.body).toBeUndefined();
  });

  it("starts an upload with the content headers but without body-describing ones", async () => {
    const text = `${XML}<InitiateMultipartUploadResult><UploadId>u-1</UploadId></InitiateMultipartUploadResult>`;
    const { backend, sent } = fakeBackend(() => ({ text }));
    const headers = new Headers({ "content-type": "text/plain", "x-amz-meta-a": "1", "content-length": "0", "content-md5": "x" });
    expect(await backend.createMultipartUpload("k", headers)).toEqual({ uploadId: "u-1" });
    expect(sent[0]!.method).toBe("POST");
    expect(sent[0]!.url.searchParams.has("uploads")).toBe(true);
    expect(sent[0]!.headers).toMatchObject({ "content-type": "text/plain", "x-amz-meta-a": "1" });
    expect(sent[0]!.headers["content-md5"]).toBeUndefined();
  });
});

describe("batch delete", () => {
  const deleteResult = `${XML}<DeleteResult><Deleted><Key>a&amp;b</Key></Deleted><Error><Key>x</Key><Code>AccessDenied</Code><Message>no</Message></Error></DeleteResult>`;

  it("sends a Delete document with escaped keys, a SHA-256 checksum and Content-MD5", async () => {
    const { backend, sent } = fakeBackend(() => ({ text: deleteResult }));
    const result = await backend.deleteObjects(["a&b", "<x>", "it's \"q\""]);
    expect(result).toEqual({ deleted: ["a&b"], errors: [{ key: "x", code: "AccessDenied", message: "no" }] });
    const [request] = sent;
    expect(request!.method).toBe("POST");
    expect(request!.url.pathname).toBe("/");
    expect(request!.url.searchParams.has("delete")).toBe(true);
    expect(request!.body).toBe(
      "<Delete><Quiet>false</Quiet><Object><Key>a&amp;b</Key></Object><Object><Key>&lt;x&gt;</Key></Object>" +
        "<Object><Key>it&apos;s &quot;q&quot;</Key></Object></Delete>",
    );
    const body = Buffer.from(request!.body!);
    expect(request!.headers["x-amz-checksum-sha256"]).toBe(createHash("sha256").update(body).digest("base64"));
    expect(request!.headers["content-md5"]).toBe(createHash("md5").update(body).digest("base64"));
    expect(request!.headers["content-type"]).toBe("application/xml");
  });

  it("leaves out Content-MD5 when the runtime has no MD5", async () => {
    const { backend, sent } = fakeBackend(() => ({ text: deleteResult }), {}, false);
    await backend.deleteObjects(["k"]);
    expect(sent[0]!.headers["content-md5"]).toBeUndefined();
    expect(sent[0]!.headers["x-amz-checksum-sha256"]).toMatch(/^[A-Za-z0-9+/]{43}=$/);
  });
});

describe("backend failures", () => {
  it("turns the backend refusing the gateway's credentials into 503 ServiceUnavailable", async () => {
    for (const code of ["SignatureDoesNotMatch", "InvalidAccessKeyId"]) {
      const { backend } = fakeBackend(() => ({ status: 403, text: errorDocument(code) }));
      const failure = await backend.deleteObjects(["k"]).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(S3Error);
      expect(failure).toMatchObject({ code: "ServiceUnavailable", status: 503 });
    }
  });

  it("answers 503 when the backend is unreachable", async () => {
    const { backend } = fakeBackend(() => new TypeError("fetch failed"));
    await expect(backend.listObjects({ prefix: "", maxKeys: 10 })).rejects.toMatchObject({ code: "ServiceUnavailable", status: 503 });
    await expect(backend.abortMultipartUpload("k", "u")).rejects.toMatchObject({ code: "ServiceUnavailable" });
  });

  it("answers 503 for an unparseable or incomplete backend document", async () => {
    await expect(fakeBackend(() => ({ text: "<ListBucketResult" })).backend.listObjects({ prefix: "", maxKeys: 1 })).rejects.toMatchObject({ code: "ServiceUnavailable" });
    await expect(fakeBackend(() => ({ text: `${XML}<CompleteMultipartUploadResult/>` })).backend.completeMultipartUpload("k", "u", [], new Headers())).rejects.toMatchObject({ code: "ServiceUnavailable" });
  });
});

describe("listing", () => {
  const listResult =
    `${XML}<ListBucketResult><EncodingType>url</EncodingType><IsTruncated>true</IsTruncated><NextContinuationToken>t+/=</NextContinuationToken>` +
    "<Contents><Key>dir/a+b%2Bc%26%C3%BC</Key><LastModified>2024-01-02T03:04:05.000Z</LastModified><ETag>&quot;e&quot;</ETag><Size>3</Size></Contents>" +
    "<CommonPrefixes><Prefix>dir/sub%20x/</Prefix></CommonPrefixes></ListBucketResult>";

  it("asks for list-type=2 with encoding-type=url and decodes the keys", async () => {
    const { backend, sent } = fakeBackend(() => ({ text: listResult }));
    const result = await backend.listObjects({ prefix: "dir/", delimiter: "/", maxKeys: 50, startAfter: "dir/a" });
    const query = sent[0]!.url.searchParams;
    expect(sent[0]!.method).toBe("GET");
    expect(Object.fromEntries(query)).toEqual({ "list-type": "2", "encoding-type": "url", "max-keys": "50", prefix: "dir/", delimiter: "/", "start-after": "dir/a" });
    expect(result.objects).toEqual([{ key: "dir/a b+c&ü", lastModified: new Date("2024-01-02T03:04:05.000Z"), etag: '"e"', size: 3, storageClass: "STANDARD" }]);
    expect(result.commonPrefixes).toEqual(["dir/sub x/"]);
    expect(result).toMatchObject({ isTruncated: true, nextContinuationToken: "t+/=" });
    await backend.listObjects({ prefix: "", maxKeys: 5, continuationToken: "t+/=", startAfter: "ignored" });
    expect(Object.fromEntries(sent[1]!.url.searchParams)).toEqual({ "list-type": "2", "encoding-type": "url", "max-keys": "5", "continuation-token": "t+/=" });
  });

  it("keeps keys as they are when the backend did not url-encode them", async () => {
    const text = `${XML}<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>a+b%20</Key><Size>1</Size></Contents></ListBucketResult>`;
    const result = await fakeBackend(() => ({ text })).backend.listObjects({ prefix: "", maxKeys: 1 });
    expect(result.objects.map((object) => object.key)).toEqual(["a+b%20"]);
    expect(result.isTruncated).toBe(false);
  });
});

describe("addressing", () => {
  const objectUrl = async (options: Partial<S3BackendOptions>, key = "dir/a b.txt") => {
    const { backend } = fakeBackend(undefined, options);
    const dispatch = await backend.prepareObject({ operation: "GetObject", key, headers: new Headers() } as ObjectRequest);
    if (dispatch.type !== "forward") throw new Error("expected a forward dispatch");
    const url = new URL(dispatch.url);
    return `${url.origin}${url.pathname}`;
  };
  const listUrl = async (options: Partial<S3BackendOptions>) => {
    const { backend, sent } = fakeBackend(() => ({ text: `${XML}<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>` }), options);
    await backend.listObjects({ prefix: "", maxKeys: 1 });
    return `${sent[0]!.url.origin}${sent[0]!.url.pathname}`;
  };

  it("derives the endpoint from the region and uses virtual-hosted style by default", async () => {
    expect(await objectUrl({})).toBe("https://data.s3.eu-west-1.amazonaws.com/dir/a%20b.txt");
    expect(await listUrl({})).toBe("https://data.s3.eu-west-1.amazonaws.com/");
  });

  it("uses path style when forced, for dotted bucket names and for IP or localhost endpoints", async () => {
    expect(await objectUrl({ force_path_style: "true" })).toBe("https://s3.eu-west-1.amazonaws.com/data/dir/a%20b.txt");
    expect(await listUrl({ force_path_style: "true" })).toBe("https://s3.eu-west-1.amazonaws.com/data");
    expect(await objectUrl({ bucket_name: "my.dotted.bucket" })).toBe("https://s3.eu-west-1.amazonaws.com/my.dotted.bucket/dir/a%20b.txt");
    expect(await objectUrl({ endpoint: "http://127.0.0.1:9000" })).toBe("http://127.0.0.1:9000/data/dir/a%20b.txt");
    expect(await objectUrl({ endpoint: "http://localhost:9000" })).toBe("http://localhost:9000/data/dir/a%20b.txt");
  });

  it("addresses a custom endpoint path-style unless told otherwise, AWS endpoints virtual-hosted", async () => {
    expect(await objectUrl({ endpoint: "https://storage.example.com" })).toBe("https://storage.example.com/data/dir/a%20b.txt");
    expect(await listUrl({ endpoint: "http://localhost:9000" })).toBe("http://localhost:9000/data");
    expect(await objectUrl({ endpoint: "https://storage.example.com", virtual_hosted_style_request: "true" })).toBe("https://data.storage.example.com/dir/a%20b.txt");
    expect(await objectUrl({ endpoint: "https://s3.us-west-2.amazonaws.com" })).toBe("https://data.s3.us-west-2.amazonaws.com/dir/a%20b.txt");
    expect(await objectUrl({ virtual_hosted_style_request: "false" })).toBe("https://s3.eu-west-1.amazonaws.com/data/dir/a%20b.txt");
    expect(() => fakeBackend(undefined, { force_path_style: "true", virtual_hosted_style_request: "true" })).toThrow("contradict each other");
  });

  it("keeps a custom endpoint's host and base path", async () => {
    expect(await objectUrl({ endpoint: "https://storage.example.com", virtual_hosted_style_request: "true" })).toBe("https://data.storage.example.com/dir/a%20b.txt");
    expect(await objectUrl({ endpoint: "https://example.com/s3/", force_path_style: "true" })).toBe("https://example.com/s3/data/dir/a%20b.txt");
    expect(await listUrl({ endpoint: "https://example.com/s3", force_path_style: "true" })).toBe("https://example.com/s3/data");
  });

  it("encodes each key byte once, keeps slashes and empty segments, and refuses dot segments", async () => {
    expect(await objectUrl({ force_path_style: "true" }, "a//b/.c/ü+%*")).toBe("https://s3.eu-west-1.amazonaws.com/data/a//b/.c/%C3%BC%2B%25%2A");
    // URL parsing would turn these into another key, or (path style) a key of another bucket.
    for (const key of ["a/./b", "../other/key", "a/.."]) {
      await expect(objectUrl({ force_path_style: "true" }, key), key).rejects.toMatchObject({ code: "InvalidArgument" });
    }
  });

  it("sends query values RFC 3986-encoded, a space as %20", async () => {
    const { backend, sent } = fakeBackend(() => ({ text: `${XML}<ListBucketResult/>` }));
    await backend.listObjects({ prefix: "a b+c*(!)'~", maxKeys: 1 });
    expect(sent[0]!.url.search).toBe("?list-type=2&max-keys=1&encoding-type=url&prefix=a%20b%2Bc%2A%28%21%29%27~");
  });
});

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

describe("option validation", () => {
  const create = (options: Partial<S3BackendOptions>) => () => fakeBackend(undefined, options);
  it.each([
    [{ bucket_name: "" }, "bucket_name is required for backend_type = s3"],
    [{ endpoint: "not a url" }, "endpoint must be a URL (e.g. https://s3.example.com) for backend_type = s3"],
    [{ endpoint: "ftp://example.com" }, "endpoint must use http or https for backend_type = s3"],
    [{ secret_access_key: "" }, "access_key_id and secret_access_key must be set together for backend_type = s3"],
    [{ skip_signature: "yes" }, 'skip_signature must be "true" or "false" for backend_type = s3'],
    [{ force_path_style: "1" }, 'force_path_style must be "true" or "false" for backend_type = s3'],
    [{ presign_ttl_secs: "0" }, "presign_ttl_secs must be 1..604800 for backend_type = s3"],
    [{ presign_ttl_secs: "604801" }, "presign_ttl_secs must be 1..604800 for backend_type = s3"],
  ])("refuses %o", (options, message) => {
    expect(create(options)).toThrow(message);
  });

  it("reaches a bucket without credentials unsigned, as skip_signature does", async () => {
    const { backend, sent } = fakeBackend(() => ({ text: `${XML}<ListBucketResult/>` }), { access_key_id: undefined, secret_access_key: undefined });
    await backend.listObjects({ prefix: "", maxKeys: 1 });
    expect(sent[0]!.headers.authorization).toBeUndefined();
    const dispatch = await backend.prepareObject({ operation: "GetObject", key: "k", headers: new Headers() } as ObjectRequest);
    expect(dispatch.type === "forward" && new URL(dispatch.url).search).toBe("");
  });

  it("signs for us-east-1 when the bucket names no region", async () => {
    const { backend } = fakeBackend(undefined, { region: undefined });
    const dispatch = await backend.prepareObject({ operation: "GetObject", key: "k", headers: new Headers() } as ObjectRequest);
    const url = new URL(dispatch.type === "forward" ? dispatch.url : "");
    expect(url.host).toBe("data.s3.us-east-1.amazonaws.com");
    expect(url.searchParams.get("X-Amz-Credential")).toMatch(/\/us-east-1\/s3\/aws4_request$/);
  });

  it("accepts unsigned access and a custom presign lifetime", async () => {
    const { backend, sent } = fakeBackend(() => ({ text: `${XML}<ListBucketResult/>` }), { access_key_id: "", secret_access_key: "", skip_signature: "true", presign_ttl_secs: "60" });
    await backend.listObjects({ prefix: "", maxKeys: 1 });
    expect(sent[0]!.headers.authorization).toBeUndefined();
    expect(sent[0]!.headers["user-agent"]).toMatch(/^multistore\//);
    const signed = fakeBackend(undefined, { presign_ttl_secs: "60" }).backend;
    const dispatch = await signed.prepareObject({ operation: "GetObject", key: "k", headers: new Headers() } as ObjectRequest);
    expect(dispatch.type === "forward" && new URL(dispatch.url).searchParams.get("X-Amz-Expires")).toBe("60");
  });
});
