/** ListObjectVersions: every object its one `null` version, paged by key-marker, under backend prefixes and scopes. */
import { describe, expect, it } from "vitest";
import { createGateway } from "../src/index.js";
import { childElements, childText, parseXml, type XmlElement } from "../src/backend.js";
import { bucket, credential, gatewayRequest, MemoryBackend, text } from "./helpers/memory-backend.js";
import { NOW, signWithHeader } from "./helpers/sign.js";

const backend = new MemoryBackend();
for (const key of ["vault/a.txt", "vault/dir/b.txt", "vault/dir/c.txt", "vault/e.txt", "vault/x/y.txt", "elsewhere/z"]) backend.put(key, key);
const buckets = [bucket("archive", { backend_prefix: "vault/" })];
const gateway = createGateway<Uint8Array>({
  buckets: { getBucket: (name) => buckets.find((b) => b.name === name), listBuckets: () => buckets },
  credentials: {
    getCredential: (id) =>
      [
        credential("AKIDLISTER", [{ bucket: "archive", prefixes: [], actions: ["list_bucket"] }]),
        credential("AKIDDIR", [{ bucket: "archive", prefixes: ["dir/"], actions: ["list_bucket"] }]),
      ].find((c) => c.access_key_id === id),
  },
  backends: { memory: () => backend },
  now: () => NOW,
});

async function versions(query: Record<string, string>, id = "AKIDLISTER"): Promise<{ status: number; root: XmlElement }> {
  const signed = await signWithHeader({ accessKeyId: id, secretAccessKey: `${id}-secret` }, { method: "GET", path: "/archive", query: { versions: "", ...query } });
  const result = await gateway.handle(gatewayRequest("GET", signed.target, signed.headers));
  if (result.type !== "response") throw new Error("expected a response");
  return { status: result.response.status, root: parseXml(text(result.response.body)) };
}

const listed = (root: XmlElement) => childElements(root, "Version").map((version) => [childText(version, "Key"), childText(version, "VersionId"), childText(version, "IsLatest")]);
const prefixes = (root: XmlElement) => childElements(root, "CommonPrefixes").map((item) => childText(item, "Prefix"));

describe("ListObjectVersions", () => {
  it("lists every object as its only version, null and latest, without the backend prefix", async () => {
    const { status, root } = await versions({});
    expect(status).toBe(200);
    expect(root.name).toBe("ListVersionsResult");
    expect(listed(root)).toEqual(["a.txt", "dir/b.txt", "dir/c.txt", "e.txt", "x/y.txt"].map((key) => [key, "null", "true"]));
    expect(childText(childElements(root, "Version")[0]!, "Size")).toBe(String("vault/a.txt".length));
    expect([childText(root, "Name"), childText(root, "IsTruncated"), childText(root, "KeyMarker"), childText(root, "NextKeyMarker")]).toEqual(["archive", "false", "", undefined]);
  });

  it("pages by key-marker (with version-id-marker null) and rolls up common prefixes", async () => {
    const first = (await versions({ "max-keys": "2", delimiter: "/" })).root;
    expect([listed(first), prefixes(first)]).toEqual([[["a.txt", "null", "true"]], ["dir/"]]);
    // The page ends at a common prefix: its marker names it, with no version.
    expect([childText(first, "IsTruncated"), childText(first, "NextKeyMarker"), childText(first, "NextVersionIdMarker")]).toEqual(["true", "dir/", undefined]);
    const second = (await versions({ "max-keys": "1", delimiter: "/", "key-marker": "dir/" })).root;
    expect([listed(second), childText(second, "NextKeyMarker"), childText(second, "NextVersionIdMarker")]).toEqual([[["e.txt", "null", "true"]], "e.txt", "null"]);
    const last = (await versions({ delimiter: "/", "key-marker": "e.txt", "version-id-marker": "null" })).root;
    expect([listed(last), prefixes(last), childText(last, "IsTruncated")]).toEqual([[], ["x/"], "false"]);
  });

  it("authorizes the prefix like a listing and refuses markers S3 refuses", async () => {
    expect(listed((await versions({ prefix: "dir/" }, "AKIDDIR")).root)).toEqual([["dir/b.txt", "null", "true"], ["dir/c.txt", "null", "true"]]);
    expect((await versions({}, "AKIDDIR")).status).toBe(403);
    const refused: Record<string, string>[] = [{ "version-id-marker": "null" }, { "key-marker": "a.txt", "version-id-marker": "3HL4kqtJlcpX" }];
    for (const query of refused) {
      const { status, root } = await versions(query);
      expect([status, childText(root, "Code")]).toEqual([400, "InvalidArgument"]);
    }
  });
});

describe("listings paged by markers on a backend that answers truncated pages without entries", () => {
  /** A backend whose first `empty` pages are truncated and empty (as the az backend's may be), then every key. */
  function sparse(empty: number) {
    const asked: { maxKeys: number; continuationToken?: string }[] = [];
    const backend = new MemoryBackend();
    for (const key of ["k1", "k2", "k3"]) backend.put(key, key);
    const list = backend.listObjects.bind(backend);
    backend.listObjects = async (request) => {
      asked.push({ maxKeys: request.maxKeys, ...(request.continuationToken !== undefined && { continuationToken: request.continuationToken }) });
      const served = Number(request.continuationToken ?? "0");
      if (served < empty) return { objects: [], commonPrefixes: [], isTruncated: true, nextContinuationToken: String(served + 1) };
      return list({ ...request, continuationToken: undefined } as never);
    };
    const configured = [bucket("sparse")];
    const sparseGateway = createGateway<Uint8Array>({
      buckets: { getBucket: (name) => configured.find((b) => b.name === name), listBuckets: () => configured },
      credentials: { getCredential: (id) => [credential("AKIDLISTER", [{ bucket: "*", prefixes: [], actions: ["list_bucket"] }])].find((c) => c.access_key_id === id) },
      backends: { memory: () => backend },
      now: () => NOW,
    });
    const send = async (query: Record<string, string>) => {
      const signed = await signWithHeader({ accessKeyId: "AKIDLISTER", secretAccessKey: "AKIDLISTER-secret" }, { method: "GET", path: "/sparse", query });
      const result = await sparseGateway.handle(gatewayRequest("GET", signed.target, signed.headers));
      if (result.type !== "response") throw new Error("expected a response");
      return { status: result.response.status, root: parseXml(text(result.response.body)) };
    };
    return { asked, send };
  }

  it("reads the continuation until entries come, cut to max-keys, so the page names where the next starts", async () => {
    const { asked, send } = sparse(3);
    const { root } = await send({ versions: "", "max-keys": "2" });
    expect([listed(root).map(([key]) => key), childText(root, "IsTruncated"), childText(root, "NextKeyMarker")]).toEqual([["k1", "k2"], "true", "k2"]);
    expect(asked).toEqual([{ maxKeys: 2 }, { maxKeys: 1000, continuationToken: "1" }, { maxKeys: 1000, continuationToken: "2" }, { maxKeys: 1000, continuationToken: "3" }]);
    // ListObjects V1 too (its next page starts after the last key).
    const v1 = (await sparse(2).send({ "max-keys": "1" })).root;
    expect([childElements(v1, "Contents").map((item) => childText(item, "Key")), childText(v1, "IsTruncated")]).toEqual([["k1"], "true"]);
  });

  it("refuses (503) rather than answer a truncated page with nothing to continue from", async () => {
    const { status, root } = await sparse(50).send({ versions: "" });
    expect([status, childText(root, "Code")]).toEqual([503, "ServiceUnavailable"]);
  });
});
