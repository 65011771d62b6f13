/**
 * How the S3 backend addresses a bucket (endpoint, path or virtual-hosted style, key and query encoding) and which
 * options it accepts, checked without a server on a fake runtime.
 */
import type { ObjectRequest } from "@multistore/core/backend";
import { describe, expect, it } from "vitest";
import type { S3BackendOptions } from "../src/options.js";
import { fakeBackend, XML } from "./helpers/fake-runtime.js";

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
    // A region names the host when no endpoint is set, and the signing scope: nothing that would change either's shape.
    [{ region: "evil.com#", endpoint: undefined }, "region must be a region name"],
    [{ region: "x@evil.com", endpoint: undefined }, "region must be a region name"],
    [{ region: "us-east-1/evil" }, "region must be a region name"],
    [{ region: "us east 1" }, "region must be a region name"],
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
