/**
 * What after-middleware and the request line learn about a finished request: bytes received (the client's body as
 * read, aws-chunked framing included) and bytes sent, for native (fs) and forwarded (S3) buckets.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { parseConfig } from "@multistore/config";
import type { Middleware, RequestContext, RequestOutcome } from "@multistore/core";
import { encodedForm, formData, presignedForm, startRecordingOrigin, type RecordingOrigin } from "@multistore/testing";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createLogger, createMultistoreServer, type MultistoreServer } from "../src/index.js";

const KEY = { accessKeyId: "AKIAOUTCOME00000001", secretAccessKey: "outcome-secret-000000000000000000000001" };

describe("request outcomes (after-middleware and the request line)", () => {
  let gateway: MultistoreServer;
  let origin: RecordingOrigin;
  let root: string;
  let client: S3Client;
  let gatewayEndpoint: string;
  const outcomes: { context: RequestContext; outcome: RequestOutcome }[] = [];
  const lines: Record<string, unknown>[] = [];
  let stored: Map<string, Buffer>;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "multistore-outcome-"));
    origin = await startRecordingOrigin();
    stored = origin.stored;
    const endpoint = origin.endpoint;
    const config = parseConfig({
      buckets: [
        { name: "files", backend_type: "fs", anonymous_access: false, backend_options: { root } },
        { name: "remote", backend_type: "s3", anonymous_access: false, backend_options: { endpoint, region: "us-east-1", bucket_name: "b", skip_signature: "true", force_path_style: "true" } },
      ],
      roles: [],
      credentials: [{ access_key_id: KEY.accessKeyId, secret_access_key: KEY.secretAccessKey, principal_name: "counter", created_at: "2024-01-01T00:00:00Z", enabled: true, allowed_scopes: [{ bucket: "*", prefixes: [], actions: ["get_object", "put_object"] }] }],
    });
    const recorder: Middleware = { name: "recorder", after: (context, outcome) => void outcomes.push({ context, outcome }) };
    gateway = createMultistoreServer({ config, logger: createLogger("info", { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) }), middleware: [recorder] });
    const address = await gateway.listen(0, "127.0.0.1");
    gatewayEndpoint = `http://127.0.0.1:${address.port}`;
    client = new S3Client({ endpoint: gatewayEndpoint, region: "us-east-1", forcePathStyle: true, credentials: KEY, maxAttempts: 1 });
  }, 60_000);

  afterAll(async () => {
    await gateway?.close();
    await origin?.close();
    await rm(root, { recursive: true, force: true });
  });

  /** The outcome of the last request for `key` with `operation`, once its after-hook ran. */
  async function outcomeOf(operation: string, key: string): Promise<RequestOutcome> {
    return vi.waitFor(
      () => {
        const found = outcomes.findLast((entry) => entry.context.operation === operation && entry.context.key === key);
        if (!found) throw new Error(`no outcome for ${operation} ${key}`);
        return found.outcome;
      },
      { timeout: 2000, interval: 20 },
    );
  }

  it.each([
    ["files", "native"],
    ["remote", "forward"],
  ])("counts a plain upload's bytes received and a download's bytes sent (%s bucket, %s)", async (bucket, served) => {
    const body = Buffer.alloc(300_000, 7);
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: `plain-${bucket}`, Body: body, ContentLength: body.length }));
    expect(await outcomeOf("PutObject", `plain-${bucket}`)).toMatchObject({ status: 200, bytesReceived: body.length, bytesSent: 0 });
    const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: `plain-${bucket}` }));
    expect((await got.Body!.transformToByteArray()).length).toBe(body.length);
    const download = await outcomeOf("GetObject", `plain-${bucket}`);
    expect(download).toMatchObject({ status: 200, bytesSent: body.length, served });
    expect(download.bytesReceived).toBeUndefined();
    expect(lines.findLast((line) => line.operation === "PutObject" && line.bucket === bucket)).toMatchObject({ bytesReceived: body.length });
  });

  it.each(["files", "remote"])("counts a form upload's whole body as received, its fields before the file included (%s bucket)", async (bucket) => {
    const form = await presignedForm(gatewayEndpoint, KEY, { bucket, key: `form-${bucket}`, fields: { "x-ignore-padding": "p".repeat(20_000) } });
    const { body, contentType } = await encodedForm(formData(form, { bytes: new Uint8Array(150_000).fill(3) }));
    const posted = await fetch(form.url, { method: "POST", headers: { "content-type": contentType }, body });
    expect(posted.status).toBe(204);
    expect(await outcomeOf("PutObject", `form-${bucket}`)).toMatchObject({ status: 204, bytesReceived: body.length });
  });

  it("tells middleware the client's address: the peer, or with trusted proxies the forwarded client", async () => {
    await client.send(new GetObjectCommand({ Bucket: "files", Key: "plain-files" }));
    expect(outcomes.findLast((entry) => entry.context.operation === "GetObject")!.context.sourceIp).toBe("127.0.0.1");
    const seen: (string | undefined)[] = [];
    const config = parseConfig({ buckets: [{ name: "open", backend_type: "fs", anonymous_access: true, backend_options: { root } }], roles: [], credentials: [] });
    const proxied = createMultistoreServer({
      config,
      logger: createLogger("silent"),
      trustedProxies: "127.0.0.0/8",
      limits: { anonymousRequestsPerAddress: 1 },
      middleware: [{ name: "seen", before: (context) => void seen.push(context.sourceIp) }],
    });
    const { port } = await proxied.listen(0, "127.0.0.1");
    try {
      const get = (forwardedFor: string) => fetch(`http://127.0.0.1:${port}/open/plain-files`, { headers: { "x-forwarded-for": forwardedFor } });
      expect((await get("198.51.100.1, 203.0.113.7")).status).toBe(200);
      expect(seen).toEqual(["203.0.113.7"]);
      // The anonymous cap (1 here) counts each forwarded client on its own, not the proxy as one.
      const [first, second] = await Promise.all([get("203.0.113.8"), get("203.0.113.9")]);
      expect([first.status, second.status]).toEqual([200, 200]);
      await Promise.all([first.arrayBuffer(), second.arrayBuffer()]);
    } finally {
      await proxied.close();
    }
  });

  it("counts an aws-chunked upload as read from the wire, framing included", async () => {
    const body = Buffer.alloc(200_000, 9);
    // A stream of unknown length makes the SDK send aws-chunked with a trailing checksum.
    const { Readable } = await import("node:stream");
    await client.send(new PutObjectCommand({ Bucket: "remote", Key: "chunked", Body: Readable.from([body.subarray(0, 100_000), body.subarray(100_000)]), ContentLength: body.length, ChecksumAlgorithm: "CRC32" }));
    expect(stored.get("/b/chunked")?.length).toBe(body.length);
    const outcome = await outcomeOf("PutObject", "chunked");
    expect(outcome.status).toBe(200);
    expect(outcome.bytesReceived).toBeGreaterThan(body.length);
    expect(outcome.bytesReceived).toBeLessThan(body.length + 1000);
  });

  it("says when the gateway answered by itself", async () => {
    await expect(client.send(new GetObjectCommand({ Bucket: "files", Key: "../escape" }))).rejects.toThrow();
    const refused = outcomes.findLast((entry) => entry.context.method === "GET");
    expect(refused?.outcome).toMatchObject({ status: 400, served: "response" });
  });
});
