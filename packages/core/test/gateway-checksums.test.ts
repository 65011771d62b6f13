/** What the gateway tells runtimes and backends about body checks, checksum headers and checksum mode. */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createGateway, type GatewayResult } from "../src/index.js";
import type { ObjectRequest } from "../src/backend.js";
import { EMPTY_SHA256 } from "../src/sigv4/canonical-request.js";
import { bucket, credential, gatewayRequest, MemoryBackend, text } from "./helpers/memory-backend.js";
import { NOW, presign, signWithHeader } from "./helpers/sign.js";

const BUCKETS = [bucket("data")];
const CREDENTIALS = [credential("AKIDWRITER", [{ bucket: "data", prefixes: [], actions: ["put_object", "upload_part", "get_object", "head_object"] }])];
const writer = { accessKeyId: "AKIDWRITER", secretAccessKey: "AKIDWRITER-secret" };

function setup() {
  const backend = new MemoryBackend();
  const gateway = createGateway<Uint8Array>({
    buckets: { getBucket: (name) => BUCKETS.find((b) => b.name === name), listBuckets: () => BUCKETS },
    credentials: { getCredential: (id) => CREDENTIALS.find((c) => c.access_key_id === id) },
    backends: { memory: () => backend },
    now: () => NOW,
  });
  const requests = () => backend.callsTo("prepareObject").map(([request]) => request as ObjectRequest);
  return { backend, gateway, requests };
}

const native = (result: GatewayResult<Uint8Array>) => {
  if (result.type !== "native") throw new Error(`expected a native result, got ${result.type}`);
  return result;
};

describe("body checks handed to the runtime", () => {
  it("carries a signed hex x-amz-content-sha256 and header checksums, and forwards the checksum header", async () => {
    const { gateway, requests } = setup();
    const body = "checked body";
    const sha = createHash("sha256").update(body).digest("hex");
    const signed = await signWithHeader(writer, { method: "PUT", path: "/data/a.txt", headers: { "content-length": String(body.length), "x-amz-content-sha256": sha, "x-amz-checksum-sha256": createHash("sha256").update(body).digest("base64") } });
    const result = native(await gateway.handle(gatewayRequest("PUT", signed.target, signed.headers, body)));
    expect(result.bodyChecks).toMatchObject({ sha256Hex: sha, headerChecksums: [{ algorithm: "sha256" }] });
    const [request] = requests();
    expect(request!.headers.get("x-amz-checksum-sha256")).toBe(createHash("sha256").update(body).digest("base64"));
    // The verified values reach the backend through the request once the runtime has verified the body.
    result.bodyChecks!.verified["x-amz-checksum-sha256"] = "v";
    expect(request!.verifiedChecksums?.()).toEqual({ "x-amz-checksum-sha256": "v" });
  });

  it("refuses an empty body whose declared hash differs before dispatching anything", async () => {
    const { gateway, requests } = setup();
    const signed = await signWithHeader(writer, { method: "PUT", path: "/data/empty.txt", headers: { "content-length": "0", "x-amz-content-sha256": "a".repeat(64) } });
    const result = await gateway.handle(gatewayRequest("PUT", signed.target, signed.headers));
    expect(result.type).toBe("response");
    if (result.type !== "response") return;
    expect(result.response.status).toBe(400);
    expect(text(result.response.body)).toContain("<Code>XAmzContentSHA256Mismatch</Code>");
    expect(requests()).toEqual([]);
  });

  it("accepts an empty body whose hash matches, with no check left for the runtime's stream", async () => {
    const { gateway } = setup();
    const signed = await signWithHeader(writer, { method: "PUT", path: "/data/empty.txt", headers: { "content-length": "0", "x-amz-content-sha256": EMPTY_SHA256 } });
    expect(native(await gateway.handle(gatewayRequest("PUT", signed.target, signed.headers))).bodyChecks?.sha256Hex).toBe(EMPTY_SHA256);
  });

  it("refuses malformed checksum headers with 400 InvalidRequest", async () => {
    const { gateway } = setup();
    const signed = await signWithHeader(writer, { method: "PUT", path: "/data/a.txt", headers: { "content-length": "1", "x-amz-checksum-crc32": "nope" } });
    const result = await gateway.handle(gatewayRequest("PUT", signed.target, signed.headers, "x"));
    expect(result.type === "response" && text(result.response.body)).toContain("<Code>InvalidRequest</Code>");
  });

  it("checks the body of a presigned URL signed with a hex x-amz-content-sha256 header against it, as S3 does", async () => {
    const { gateway } = setup();
    const body = "presigned body";
    const sha = createHash("sha256").update(body).digest("hex");
    const signed = await presign(writer, { method: "PUT", path: "/data/p.txt" }, 3600, sha);
    expect(signed.headers.get("x-amz-content-sha256")).toBe(sha);
    const result = native(await gateway.handle(gatewayRequest("PUT", signed.target, { ...Object.fromEntries(signed.headers), "content-length": String(body.length) }, body)));
    expect(result.bodyChecks).toMatchObject({ sha256Hex: sha });
    // Without the header, the same URL was signed for another payload hash than UNSIGNED-PAYLOAD: refused.
    const { "x-amz-content-sha256": _dropped, ...withoutHeader } = Object.fromEntries(signed.headers);
    const refused = await gateway.handle(gatewayRequest("PUT", signed.target, { ...withoutHeader, "content-length": String(body.length) }, body));
    expect(refused.type === "response" && text(refused.response.body)).toContain("<Code>SignatureDoesNotMatch</Code>");
  });

  it("does not check presigned URLs' query checksums (S3 presigned URLs do not support them)", async () => {
    const { gateway } = setup();
    const signed = await presign(writer, { method: "PUT", path: "/data/p.txt", query: { "x-amz-checksum-crc32": "AAAAAA==", "x-amz-sdk-checksum-algorithm": "CRC32" } });
    const result = native(await gateway.handle(gatewayRequest("PUT", signed.target, { ...Object.fromEntries(signed.headers), "content-length": "4" }, "body")));
    expect(result.bodyChecks).toBeUndefined();
  });
});

describe("checksum mode", () => {
  it("passes x-amz-checksum-mode from the header or from a presigned URL's query to the backend", async () => {
    const { gateway, requests } = setup();
    const header = await signWithHeader(writer, { method: "GET", path: "/data/a.txt", headers: { "x-amz-checksum-mode": "ENABLED" } });
    await gateway.handle(gatewayRequest("GET", header.target, header.headers));
    const query = await presign(writer, { method: "HEAD", path: "/data/a.txt", query: { "x-amz-checksum-mode": "ENABLED" } });
    await gateway.handle(gatewayRequest("HEAD", query.target, query.headers));
    expect(requests().map((request) => request.headers.get("x-amz-checksum-mode"))).toEqual(["ENABLED", "ENABLED"]);
  });
});
