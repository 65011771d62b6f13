/** Gateway listings: ListBuckets filtering and ListObjects V1/V2 rendering, limits and backend prefixes. */
import { beforeEach, describe, expect, it } from "vitest";
import { ACTIONS, createGateway, type GatewayResult, type TemporaryCredential } from "../src/index.js";
import { childElements, childText, parseXml, type XmlElement } from "../src/backend.js";
import { bucket, credential, gatewayRequest, MemoryBackend, text } from "./helpers/memory-backend.js";
import { NOW, signWithHeader, type Signer, type UnsignedRequest } from "./helpers/sign.js";

const BUCKETS = [
  bucket("public", { anonymous_access: true, backend_prefix: "pub/" }),
  // Written without its "/": listings strip "tenant-a/" all the same.
  bucket("data", { backend_prefix: "tenant-a" }),
  bucket("other"),
  bucket("etl-only", { allowed_roles: ["etl"] }),
];
const CREDENTIALS = [
  credential("AKIDREADER", [{ bucket: "data", prefixes: ["reports"], actions: ["list_bucket", "get_object"] }]),
  credential("AKIDADMIN", [{ bucket: "*", prefixes: [], actions: [...ACTIONS] }]),
];
const as = (id: string): Signer => ({ accessKeyId: id, secretAccessKey: `${id}-secret` });
const ROLE: TemporaryCredential = {
  accessKeyId: "ASIAROLE",
  secretAccessKey: "role-secret",
  principalName: "role/etl",
  expiresAt: new Date(NOW + 3600_000),
  scopes: [{ bucket: "*", prefixes: [], actions: ["list_bucket"] }],
  roleId: "etl",
};

let backend: MemoryBackend;
let gateway: ReturnType<typeof createGateway<Uint8Array>>;

beforeEach(() => {
  backend = new MemoryBackend();
  for (const key of [
    "tenant-a/reports/2024/q1.csv",
    "tenant-a/reports/2024/q2.csv",
    "tenant-a/reports/summary.txt",
    "tenant-a/reports-secret/x",
    "tenant-a/readme",
    "tenant-a/sp ace/a+b&c€.txt",
    "tenant-b/reports/leak",
    "pub/index.html",
    "pub/img/logo.png",
  ]) backend.put(key, key);
  gateway = createGateway<Uint8Array>({
    buckets: { getBucket: (name) => BUCKETS.find((b) => b.name === name), listBuckets: () => BUCKETS },
    credentials: { getCredential: (id) => CREDENTIALS.find((c) => c.access_key_id === id) },
    temporaryCredentials: { resolve: async (token) => (token === "role-token" ? ROLE : undefined) },
    backends: { memory: () => backend },
    now: () => NOW,
  });
});

async function send(request: UnsignedRequest, signer?: Signer) {
  const signed = signer ? await signWithHeader(signer, request) : { target: request.path, headers: new Headers(request.headers) };
  const target = signer ? signed.target : request.query ? `${request.path}?${new URLSearchParams(request.query).toString().replace(/\+/g, "%20")}` : request.path;
  return gateway.handle(gatewayRequest(request.method, target, signed.headers));
}

function document(result: GatewayResult<Uint8Array>): { status: number; root: XmlElement; body: string } {
  expect(result.type).toBe("response");
  if (result.type !== "response") throw new Error("not a response");
  const body = text(result.response.body);
  return { status: result.response.status, root: parseXml(body), body };
}

const list = (query: Record<string, string>, path = "/data"): UnsignedRequest => ({ method: "GET", path, query });
const keys = (root: XmlElement) => childElements(root, "Contents").map((item) => childText(item, "Key"));
const prefixes = (root: XmlElement) => childElements(root, "CommonPrefixes").map((item) => childText(item, "Prefix"));

describe("ListBuckets", () => {
  const names = (root: XmlElement) => childElements(root.children.find((c) => c.name === "Buckets")!, "Bucket").map((b) => childText(b, "Name"));

  it("shows anonymous callers only anonymous_access buckets", async () => {
    const { status, root } = document(await send({ method: "GET", path: "/" }));
    expect(status).toBe(200);
    expect(root.name).toBe("ListAllMyBucketsResult");
    expect(names(root)).toEqual(["public"]);
    expect(childText(root.children.find((c) => c.name === "Owner")!, "ID")).toBe("multistore-proxy");
  });

  it("shows a credential the buckets its scopes name, plus public ones", async () => {
    expect(names(document(await send({ method: "GET", path: "/" }, as("AKIDREADER"))).root)).toEqual(["public", "data"]);
    expect(names(document(await send({ method: "GET", path: "/" }, as("AKIDADMIN"))).root)).toEqual(["public", "data", "other", "etl-only"]);
  });

  it("applies allowed_roles to role credentials", async () => {
    const role: Signer = { accessKeyId: "ASIAROLE", secretAccessKey: "role-secret", sessionToken: "role-token" };
    expect(names(document(await send({ method: "GET", path: "/" }, role)).root)).toEqual(["public", "etl-only"]);
  });
});

describe("ListObjects (V1)", () => {
  it("adds the backend prefix on the way in and strips it on the way out", async () => {
    const { status, root } = document(await send(list({ prefix: "reports/", delimiter: "/" }), as("AKIDADMIN")));
    expect(status).toBe(200);
    expect(root.name).toBe("ListBucketResult");
    expect(backend.callsTo("listObjects")[0]![0]).toMatchObject({ prefix: "tenant-a/reports/", delimiter: "/", maxKeys: 1000 });
    expect(keys(root)).toEqual(["reports/summary.txt"]);
    expect(prefixes(root)).toEqual(["reports/2024/"]);
    expect(childText(root, "Name")).toBe("data");
    expect(childText(root, "Prefix")).toBe("reports/");
    expect(childText(root, "Marker")).toBe("");
    expect(childText(root, "Delimiter")).toBe("/");
    expect(childText(root, "MaxKeys")).toBe("1000");
    expect(childText(root, "IsTruncated")).toBe("false");
    expect(childText(root, "NextMarker")).toBeUndefined();
    const item = childElements(root, "Contents")[0]!;
    expect(childText(item, "ETag")).toBe(`"etag-${"tenant-a/reports/summary.txt".length}"`);
    expect(childText(item, "Size")).toBe(String("tenant-a/reports/summary.txt".length));
    expect(childText(item, "LastModified")).toBe("2024-01-01T00:00:00.000Z");
    expect(childText(item, "StorageClass")).toBe("STANDARD");
    expect(childText(item.children.find((c) => c.name === "Owner")!, "ID")).toBe("multistore-proxy");
  });

  it("lists the whole (prefixed) bucket and nothing outside it", async () => {
    const { root } = document(await send(list({}), as("AKIDADMIN")));
    expect(keys(root)).toEqual([
      "readme",
      "reports/2024/q1.csv",
      "reports/2024/q2.csv",
      "reports/summary.txt",
      "reports-secret/x",
      "sp ace/a+b&c€.txt",
    ].sort((a, b) => (Buffer.from(a) < Buffer.from(b) ? -1 : 1)));
  });

  it("returns NextMarker (stripped) when truncated with a delimiter, and the next page skips the common prefix", async () => {
    const first = document(await send(list({ prefix: "reports/", delimiter: "/", "max-keys": "1" }), as("AKIDADMIN"))).root;
    expect(childText(first, "IsTruncated")).toBe("true");
    expect(prefixes(first)).toEqual(["reports/2024/"]);
    expect(childText(first, "NextMarker")).toBe("reports/2024/");
    const second = document(await send(list({ prefix: "reports/", delimiter: "/", marker: "reports/2024/" }), as("AKIDADMIN"))).root;
    expect(childText(second, "Marker")).toBe("reports/2024/");
    expect(prefixes(second)).toEqual([]);
    expect(keys(second)).toEqual(["reports/summary.txt"]);
    expect(backend.callsTo("listObjects")[1]![0]).toMatchObject({ startAfter: "tenant-a/reports/2024/\u{10FFFF}" });
  });

  it("omits NextMarker without a delimiter and passes marker as startAfter", async () => {
    const root = document(await send(list({ prefix: "reports/", "max-keys": "1", marker: "reports/2024/q1.csv" }), as("AKIDADMIN"))).root;
    expect(keys(root)).toEqual(["reports/2024/q2.csv"]);
    expect(childText(root, "IsTruncated")).toBe("true");
    expect(childText(root, "NextMarker")).toBeUndefined();
    expect(backend.callsTo("listObjects")[0]![0]).toMatchObject({ startAfter: "tenant-a/reports/2024/q1.csv", maxKeys: 1 });
  });

  it("url-encodes keys, prefixes and markers with encoding-type=url", async () => {
    const encoded = document(await send(list({ prefix: "sp ace/", marker: "sp ace/", "encoding-type": "url" }), as("AKIDADMIN"))).root;
    expect(keys(encoded)).toEqual(["sp%20ace/a%2Bb%26c%E2%82%AC.txt"]);
    expect(childText(encoded, "Prefix")).toBe("sp%20ace/");
    expect(childText(encoded, "Marker")).toBe("sp%20ace/");
    expect(childText(encoded, "EncodingType")).toBe("url");
    const plain = document(await send(list({ prefix: "sp ace/" }), as("AKIDADMIN")));
    expect(keys(plain.root)).toEqual(["sp ace/a+b&c€.txt"]);
    expect(plain.body).toContain("<Key>sp ace/a+b&amp;c€.txt</Key>");
    expect(childText(plain.root, "EncodingType")).toBeUndefined();
  });

  it("refuses echoed parameters XML cannot carry unless encoding-type=url", async () => {
    for (const [name, extra] of [["prefix", {}], ["delimiter", {}], ["start-after", { "list-type": "2" }], ["marker", {}]] as const) {
      for (const value of ["a\u0000b", "a\u0001", "\u001f", "x\uffff"]) {
        const { status, root } = document(await send(list({ ...extra, [name]: value }), as("AKIDADMIN")));
        expect([status, childText(root, "Code"), childText(root, "ArgumentName")], `${name}=${JSON.stringify(value)}`).toEqual([400, "InvalidArgument", name]);
      }
    }
    const encoded = document(await send(list({ prefix: "a\u0001", delimiter: "\u0002", "encoding-type": "url" }), as("AKIDADMIN")));
    expect([encoded.status, childText(encoded.root, "Prefix"), childText(encoded.root, "Delimiter")]).toEqual([200, "a%01", "%02"]);
    // Tab, line feed and carriage return are XML.
    expect(document(await send(list({ prefix: "a\tb\n" }), as("AKIDADMIN"))).status).toBe(200);
  });

  it("refuses an unknown encoding-type", async () => {
    const { status, root } = document(await send(list({ "encoding-type": "base64" }), as("AKIDADMIN")));
    expect(status).toBe(400);
    expect(childText(root, "Code")).toBe("InvalidArgument");
  });

  it("caps max-keys at 1000 and refuses invalid values", async () => {
    const capped = document(await send(list({ "max-keys": "5000" }), as("AKIDADMIN"))).root;
    expect(childText(capped, "MaxKeys")).toBe("1000");
    expect(backend.callsTo("listObjects")[0]![0]).toMatchObject({ maxKeys: 1000 });
    for (const value of ["abc", "-1", "1.5", ""]) {
      const { status, root } = document(await send(list({ "max-keys": value }), as("AKIDADMIN")));
      expect(status).toBe(400);
      expect(childText(root, "Code")).toBe("InvalidArgument");
    }
  });

  it("answers max-keys=0 without asking the backend", async () => {
    const root = document(await send(list({ "max-keys": "0" }), as("AKIDADMIN"))).root;
    expect(childText(root, "MaxKeys")).toBe("0");
    expect(keys(root)).toEqual([]);
    expect(childText(root, "IsTruncated")).toBe("false");
    expect(backend.callsTo("listObjects")).toHaveLength(0);
  });
});

describe("ListObjectsV2", () => {
  it("pages with KeyCount and continuation tokens", async () => {
    const first = document(await send(list({ "list-type": "2", prefix: "reports/", "max-keys": "2" }), as("AKIDADMIN"))).root;
    expect(keys(first)).toEqual(["reports/2024/q1.csv", "reports/2024/q2.csv"]);
    expect(childText(first, "KeyCount")).toBe("2");
    expect(childText(first, "IsTruncated")).toBe("true");
    const token = childText(first, "NextContinuationToken")!;
    expect(token).toBeTruthy();
    expect(childText(first, "ContinuationToken")).toBeUndefined();
    expect(childText(first, "Marker")).toBeUndefined();
    expect(first.children.find((c) => c.name === "Contents")!.children.some((c) => c.name === "Owner")).toBe(false);

    const second = document(await send(list({ "list-type": "2", prefix: "reports/", "continuation-token": token }), as("AKIDADMIN"))).root;
    expect(keys(second)).toEqual(["reports/summary.txt"]);
    expect(childText(second, "ContinuationToken")).toBe(token);
    expect(childText(second, "KeyCount")).toBe("1");
    expect(childText(second, "IsTruncated")).toBe("false");
    expect(childText(second, "NextContinuationToken")).toBeUndefined();
  });

  it("counts common prefixes in KeyCount and echoes StartAfter", async () => {
    const root = document(await send(list({ "list-type": "2", delimiter: "/", "start-after": "readme", "fetch-owner": "true" }), as("AKIDADMIN"))).root;
    expect(prefixes(root)).toEqual(["reports-secret/", "reports/", "sp ace/"]);
    expect(keys(root)).toEqual([]);
    expect(childText(root, "KeyCount")).toBe("3");
    expect(childText(root, "StartAfter")).toBe("readme");
    expect(backend.callsTo("listObjects")[0]![0]).toMatchObject({ prefix: "tenant-a/", startAfter: "tenant-a/readme" });
  });

  it("shows the owner with fetch-owner=true", async () => {
    const root = document(await send(list({ "list-type": "2", prefix: "readme", "fetch-owner": "true" }), as("AKIDADMIN"))).root;
    expect(childElements(root, "Contents")[0]!.children.some((c) => c.name === "Owner")).toBe(true);
  });

  it("refuses an empty continuation token", async () => {
    const { status, root } = document(await send(list({ "list-type": "2", "continuation-token": "" }), as("AKIDADMIN")));
    expect(status).toBe(400);
    expect(childText(root, "Code")).toBe("InvalidArgument");
  });
});

describe("listing authorization", () => {
  it("lets a prefix-scoped caller list inside its prefix only", async () => {
    expect(document(await send(list({ prefix: "reports/" }), as("AKIDREADER"))).status).toBe(200);
    for (const prefix of ["", "reports", "report", "reports-secret/"]) {
      const { status, root } = document(await send(list({ prefix }), as("AKIDREADER")));
      expect(status).toBe(403);
      expect(childText(root, "Code")).toBe("AccessDenied");
    }
    expect(backend.callsTo("listObjects")).toHaveLength(1);
  });

  it("lets anonymous callers list public buckets only", async () => {
    const open = document(await send(list({}, "/public"))).root;
    expect(keys(open)).toEqual(["img/logo.png", "index.html"]);
    expect(document(await send(list({}))).status).toBe(403);
  });

  it("answers NoSuchBucket for unknown buckets", async () => {
    const { status, root } = document(await send(list({}, "/nope"), as("AKIDADMIN")));
    expect(status).toBe(404);
    expect(childText(root, "Code")).toBe("NoSuchBucket");
    expect(childText(root, "BucketName")).toBe("nope");
    expect(childText(root, "Resource")).toBe("/nope");
  });
});
