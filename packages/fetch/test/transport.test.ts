/**
 * The fetch transport outside workerd (Node's fetch, as on Lambda): a copy between two stores streamed through it,
 * bodies sent with their length (never chunked), error documents read within a limit, and a silent backend cut.
 */
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { createS3Backend } from "@multistore/backend-s3";
import { createStaticRegistries, parseConfig } from "@multistore/config";
import { createGateway } from "@multistore/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signedHeaders, startRecordingOrigin, type RecordingOrigin } from "@multistore/testing";
import { createFetchHandler, createFetchTransport } from "../src/index.js";

const KEY = { accessKeyId: "AKIAFETCHTRANSPORT01", secretAccessKey: "fetch-transport-secret-000000000000000001" };
const stream = (text: string) => new ReadableStream<Uint8Array>({ start: (controller) => (controller.enqueue(new TextEncoder().encode(text)), controller.close()) });

describe("createFetchTransport on Node's fetch", () => {
  let server: Server;
  let endpoint: string;
  const received: { headers: IncomingHttpHeaders; body: string }[] = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      if (request.url === "/silent") return;
      if (request.url === "/stall-body") return void response.writeHead(200, { "content-length": "1000" }).write("ten bytes.");
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        received.push({ headers: request.headers, body: Buffer.concat(chunks).toString() });
        if (request.url === "/error") response.writeHead(403, { "content-type": "application/xml" }).end(`<Error><Code>AccessDenied</Code>${"x".repeat(10_000)}</Error>`);
        else response.writeHead(200, { etag: '"ok"', "x-amz-meta-a": "1" }).end("answer");
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it("sends a body with its Content-Length, not chunked, and answers the store's status, headers and body", async () => {
    const transport = createFetchTransport();
    const signal = new AbortController().signal;
    const answer = await transport.send({ method: "PUT", url: `${endpoint}/put`, headers: new Headers({ "content-length": "5" }) }, stream("hello"), { bucket: "b", signal });
    expect([answer.status, answer.headers.get("etag"), answer.headers.get("x-amz-meta-a")]).toEqual([200, '"ok"', "1"]);
    expect(await new Response(answer.body).text()).toBe("answer");
    expect(received.at(-1)).toMatchObject({ body: "hello", headers: { "content-length": "5" } });
    expect(received.at(-1)!.headers["transfer-encoding"]).toBeUndefined();
  });

  it("reads at most the limit of an error document", async () => {
    const transport = createFetchTransport();
    const answer = await transport.send({ method: "GET", url: `${endpoint}/error`, headers: new Headers() }, null, { bucket: "b", signal: new AbortController().signal });
    const text = await transport.text(answer.body!, 100);
    expect([answer.status, text.length, text.startsWith("<Error><Code>AccessDenied</Code>")]).toEqual([403, 100, true]);
  });

  it("bounds silence, not duration: a slow body that keeps coming is sent, one that stops is cut", async () => {
    const transport = createFetchTransport(fetch, 300);
    const signal = new AbortController().signal;
    /** 12 chunks, one every `everyMs`; with `stallAfter`, silence after that many. */
    const slow = (everyMs: number, stallAfter = Number.POSITIVE_INFINITY) => {
      let sent = 0;
      return new ReadableStream<Uint8Array>({
        async pull(controller) {
          if (sent === stallAfter) return new Promise<void>(() => undefined);
          await new Promise((resolve) => setTimeout(resolve, everyMs));
          controller.enqueue(new Uint8Array(100).fill(65));
          if (++sent === 12) controller.close();
        },
      });
    };
    const answer = await transport.send({ method: "PUT", url: `${endpoint}/slow`, headers: new Headers({ "content-length": "1200" }) }, slow(100), { bucket: "b", signal });
    expect([answer.status, received.at(-1)!.body.length]).toEqual([200, 1200]);
    const started = Date.now();
    await expect(transport.send({ method: "PUT", url: `${endpoint}/stalled`, headers: new Headers({ "content-length": "1200" }) }, slow(10, 3), { bucket: "b", signal })).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("fails an answer's body once a read of it waits the bound for a store gone silent", async () => {
    const transport = createFetchTransport(fetch, 300);
    const answer = await transport.send({ method: "GET", url: `${endpoint}/stall-body`, headers: new Headers() }, null, { bucket: "b", signal: new AbortController().signal });
    const reader = answer.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe("ten bytes.");
    const started = Date.now();
    await expect(reader.read()).rejects.toThrow(/sent nothing for 300 ms/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("cuts a backend that sends no headers within the bound", async () => {
    const transport = createFetchTransport(fetch, 200);
    const started = Date.now();
    await expect(transport.send({ method: "GET", url: `${endpoint}/silent`, headers: new Headers() }, null, { bucket: "b", signal: new AbortController().signal })).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe("a copy between two stores on the fetch runtime", () => {
  let one: RecordingOrigin;
  let two: RecordingOrigin;
  let handler: ReturnType<typeof createFetchHandler>;

  beforeAll(async () => {
    [one, two] = await Promise.all([startRecordingOrigin(), startRecordingOrigin()]);
    const options = (origin: RecordingOrigin) => ({ endpoint: origin.endpoint, region: "us-east-1", bucket_name: "b", skip_signature: "true", force_path_style: "true" });
    const registries = createStaticRegistries(
      parseConfig({
        buckets: [
          { name: "one", backend_type: "s3", anonymous_access: false, backend_options: options(one) },
          { name: "two", backend_type: "s3", anonymous_access: false, backend_options: options(two) },
        ],
        roles: [],
        credentials: [{ access_key_id: KEY.accessKeyId, secret_access_key: KEY.secretAccessKey, principal_name: "copier", created_at: "2024-01-01T00:00:00Z", enabled: true, allowed_scopes: [{ bucket: "*", prefixes: [], actions: ["get_object", "put_object"] }] }],
      }),
    );
    const gateway = createGateway<ReadableStream>({ buckets: registries.buckets, credentials: registries.credentials, backends: { s3: (bucket) => createS3Backend(bucket.backend_options) as never }, transport: createFetchTransport() });
    handler = createFetchHandler(gateway, { log: () => undefined });
  });

  afterAll(async () => {
    await Promise.all([one?.close(), two?.close()]);
  });

  it("streams the source of one endpoint into the other", async () => {
    const bytes = Buffer.alloc(300_000, "copied ");
    one.stored.set("/b/source.bin", bytes);
    const headers = await signedHeaders("http://gateway.test", KEY, { method: "PUT", path: "/two/copy.bin", headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD", "x-amz-copy-source": "/one/source.bin" } });
    const copied = await handler(new Request("http://gateway.test/two/copy.bin", { method: "PUT", headers }));
    expect([copied.status, await copied.text()]).toEqual([200, expect.stringContaining("<ETag>&quot;stored&quot;</ETag>")]);
    expect(two.stored.get("/b/copy.bin")?.equals(bytes)).toBe(true);
  });
});
