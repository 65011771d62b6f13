/** A namespace's writes: DeleteObjects across its buckets, multipart answers under the client's names, uploads listings. */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createGateway, type BucketConfig, type TargetMapping } from "../src/index.js";
import { childElements, childText, parseXml, type XmlElement } from "../src/backend.js";
import { bucket, credential, gatewayRequest, MemoryBackend, text } from "./helpers/memory-backend.js";
import { plain } from "./helpers/results.js";
import { NOW, signWithHeader } from "./helpers/sign.js";

/** `/ns/<name>/<key>` is key `<key>` of bucket `ns.<name>`; `POST /ns?delete` and `GET /ns?uploads` are the namespace's. */
const mapping: TargetMapping = {
  map(method, rawPath, query) {
    const [namespace, name, ...rest] = rawPath.slice(1).split("/");
    if (namespace !== "ns") return undefined;
    if (name) return { rawPath: `/ns.${name}/${rest.join("/")}`, resource: rawPath, shown: { name: "ns", keyPrefix: `${name}/` } };
    return { rawPath: "/ns", resource: "/ns", namespace: { name: "ns", bucketPrefix: "ns.", separator: ".", segments: method === "POST" && query.has("delete") ? 1 : undefined } };
  },
};

const KEY = { accessKeyId: "AKIDWRITER", secretAccessKey: "AKIDWRITER-secret" };
const CREDENTIALS = [
  credential("AKIDWRITER", [
    { bucket: "ns.alpha", prefixes: [], actions: ["delete_object", "create_multipart_upload", "complete_multipart_upload", "upload_part", "list_bucket"] },
    { bucket: "ns.beta", prefixes: ["mine/"], actions: ["delete_object"] },
  ]),
];

function make(backends: Record<string, MemoryBackend>, onError?: (error: unknown) => void) {
  const buckets: BucketConfig[] = Object.keys(backends).map((name) => bucket(name, { backend_options: { name } }));
  return createGateway<Uint8Array>({
    buckets: { getBucket: (name) => buckets.find((b) => b.name === name), listBuckets: () => buckets },
    credentials: { getCredential: (id) => CREDENTIALS.find((c) => c.access_key_id === id) },
    backends: { memory: (config) => backends[String(config.backend_options.name)]! },
    now: () => NOW,
    targetMapping: mapping,
    ...(onError && { onError }),
  });
}

async function send(gateway: ReturnType<typeof make>, method: string, path: string, query: Record<string, string>, body = "") {
  const hash = createHash("sha256").update(body).digest("hex");
  const signed = await signWithHeader(KEY, { method, path, query, headers: { "x-amz-content-sha256": hash, "content-length": String(Buffer.byteLength(body)) } });
  const result = plain(await gateway.handle(gatewayRequest(method, signed.target, signed.headers, body)));
  return { status: result.status, root: parseXml(text(result.body)) };
}

const deleteBody = (keys: string[]) => `<Delete>${keys.map((key) => `<Object><Key>${key}</Key></Object>`).join("")}</Delete>`;
const errorsOf = (root: XmlElement) => childElements(root, "Error").map((error) => [childText(error, "Key"), childText(error, "Code")]);
const deletedOf = (root: XmlElement) => childElements(root, "Deleted").map((item) => childText(item, "Key"));

describe("a namespace's DeleteObjects", () => {
  it("deletes each key from the bucket its first segments name, authorized there, and names keys as the client did", async () => {
    const alpha = new MemoryBackend();
    const beta = new MemoryBackend();
    const body = deleteBody(["alpha/a.txt", "alpha/dir/b.txt", "beta/mine/c", "beta/theirs/d", "gamma/e", "alpha", "alpha/", "/x"]);
    const { status, root } = await send(make({ "ns.alpha": alpha, "ns.beta": beta }), "POST", "/ns", { delete: "" }, body);
    expect(status).toBe(200);
    expect(alpha.callsTo("deleteObjects")).toEqual([[["a.txt", "dir/b.txt"]]]);
    expect(beta.callsTo("deleteObjects")).toEqual([[["mine/c"]]]);
    expect(deletedOf(root)).toEqual(["alpha/a.txt", "alpha/dir/b.txt", "beta/mine/c"]);
    expect(errorsOf(root)).toEqual([
      ["alpha", "InvalidRequest"],
      ["alpha/", "InvalidRequest"],
      ["/x", "InvalidRequest"],
      ["beta/theirs/d", "AccessDenied"],
      ["gamma/e", "NoSuchBucket"],
    ]);
  });

  it("reports a failing bucket's keys as failed and still deletes the others' keys", async () => {
    const alpha = new MemoryBackend();
    const beta = new MemoryBackend();
    beta.deleteObjects = async () => {
      throw new Error("store exploded: secret detail");
    };
    const reported: unknown[] = [];
    const { status, root } = await send(make({ "ns.alpha": alpha, "ns.beta": beta }, (error) => reported.push(error)), "POST", "/ns", { delete: "" }, deleteBody(["beta/mine/x", "alpha/y"]));
    expect(status).toBe(200);
    expect(deletedOf(root)).toEqual(["alpha/y"]);
    expect(errorsOf(root)).toEqual([["beta/mine/x", "InternalError"]]);
    expect(JSON.stringify(errorsOf(root))).not.toContain("secret");
    expect(reported).toHaveLength(1);
  });

  it("refuses a malformed document as a bucket's DeleteObjects does", async () => {
    const { status, root } = await send(make({ "ns.alpha": new MemoryBackend() }), "POST", "/ns", { delete: "" }, "<Delete></Delete>");
    expect([status, childText(root, "Code")]).toEqual([400, "MalformedXML"]);
  });
});

describe("a namespace's multipart uploads", () => {
  it("names the bucket and key as the client did in CreateMultipartUpload's and CompleteMultipartUpload's answers", async () => {
    const alpha = new MemoryBackend();
    const gateway = make({ "ns.alpha": alpha });
    const created = await send(gateway, "POST", "/ns/alpha/dir/big.bin", { uploads: "" });
    expect([created.status, childText(created.root, "Bucket"), childText(created.root, "Key")]).toEqual([200, "ns", "alpha/dir/big.bin"]);
    expect(alpha.callsTo("createMultipartUpload")[0]![0]).toBe("dir/big.bin");
    const uploadId = childText(created.root, "UploadId")!;
    const complete = "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\"e\"</ETag></Part></CompleteMultipartUpload>";
    const completed = await send(gateway, "POST", "/ns/alpha/dir/big.bin", { uploadId }, complete);
    expect([completed.status, childText(completed.root, "Bucket"), childText(completed.root, "Key"), childText(completed.root, "Location")]).toEqual([200, "ns", "alpha/dir/big.bin", "/ns/alpha/dir/big.bin"]);
  });

  it("answers a listing of uploads above any bucket with NotImplemented, naming what works", async () => {
    const { status, root } = await send(make({ "ns.alpha": new MemoryBackend() }), "GET", "/ns", { uploads: "" });
    expect([status, childText(root, "Code")]).toEqual([501, "NotImplemented"]);
    expect(childText(root, "Message")).toContain("prefix");
  });
});
