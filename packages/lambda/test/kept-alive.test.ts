/**
 * A long CopyObject under Lambda, whose answers go out whole: a gateway that started a kept-alive answer (200, then
 * whitespace) has it read to its end, so the client gets one well-formed S3 answer (the result, or the error inside
 * the 200), logged with the error it carried. Both handlers, buffered and streaming.
 */
import { createServer, type Server } from "node:http";
import { PassThrough } from "node:stream";
import { createS3Backend } from "@multistore/backend-s3";
import { createStaticRegistries, parseConfig } from "@multistore/config";
import { createGateway, type Gateway } from "@multistore/core";
import { signedHeaders } from "@multistore/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLambdaHandler, createLambdaStreamingHandler, type LambdaHttpEvent, type LambdaResponseStream } from "../src/index.js";
import { awslambda } from "./helpers/awslambda.js";

const DOMAIN = "abcdefghij.lambda-url.us-east-1.on.aws";
const KEY = { accessKeyId: "AKIALAMBDALONG00001", secretAccessKey: "lambda-long-secret-000000000000000000001" };
const COPY_RESULT = `<?xml version="1.0" encoding="UTF-8"?>\n<CopyObjectResult><LastModified>2024-01-01T00:00:00.000Z</LastModified><ETag>"copied"</ETag></CopyObjectResult>`;

/** A signed CopyObject event into `bbb/key` from `aaa/source`. */
async function copyEvent(key: string, source: string): Promise<LambdaHttpEvent> {
  const path = `/bbb/${key}`;
  const headers = await signedHeaders(`https://${DOMAIN}`, KEY, { method: "PUT", path, headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD", "x-amz-copy-source": `/aaa/${source}` } });
  return {
    version: "2.0",
    rawPath: path,
    rawQueryString: "",
    headers: { host: DOMAIN, ...Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value])) },
    requestContext: { domainName: DOMAIN, http: { method: "PUT", sourceIp: "192.0.2.44" } },
  };
}

describe("Lambda: a long copy's kept-alive answer", () => {
  let store: Server;
  let gateway: Gateway<ReadableStream>;
  const lines: Record<string, unknown>[] = [];

  beforeAll(async () => {
    // The store copies slowly: its answer comes after 400 ms, a result or (for `fail/…` sources) a 500.
    store = createServer((request, response) => {
      request.resume();
      const failing = String(request.headers["x-amz-copy-source"] ?? "").includes("fail");
      setTimeout(() => {
        response.writeHead(failing ? 500 : 200, { "content-type": "application/xml" });
        response.end(failing ? `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InternalError</Code><Message>store failed</Message></Error>` : COPY_RESULT);
      }, 400);
    });
    await new Promise<void>((resolve) => store.listen(0, "127.0.0.1", resolve));
    const endpoint = `http://127.0.0.1:${(store.address() as { port: number }).port}`;
    const options = (bucket: string) => ({ endpoint, region: "us-east-1", bucket_name: bucket, access_key_id: "AKIASTORE0000000001", secret_access_key: "store-secret", force_path_style: "true" });
    const config = parseConfig({
      buckets: [
        { name: "aaa", backend_type: "s3", anonymous_access: false, backend_options: options("aaa") },
        { name: "bbb", backend_type: "s3", anonymous_access: false, backend_options: options("bbb") },
      ],
      roles: [],
      credentials: [{ access_key_id: KEY.accessKeyId, secret_access_key: KEY.secretAccessKey, principal_name: "copier", created_at: "2024-01-01T00:00:00Z", enabled: true, allowed_scopes: [{ bucket: "*", prefixes: [], actions: ["get_object", "put_object"] }] }],
    });
    const registries = createStaticRegistries(config);
    gateway = createGateway<ReadableStream>({ buckets: registries.buckets, credentials: registries.credentials, backends: { s3: (bucket) => createS3Backend(bucket.backend_options) as never }, keepAlive: { afterMs: 100, everyMs: 50 } });
  });

  afterAll(async () => {
    store?.closeAllConnections();
    await new Promise((resolve) => store?.close(resolve));
  });

  it("answers the buffered handler's copy with the whole kept-alive document", async () => {
    const handler = createLambdaHandler(gateway, { log: (line) => void lines.push(line) });
    const result = await handler(await copyEvent("ok.bin", "ok.bin"), {} as never);
    const text = Buffer.from(result.body, result.isBase64Encoded ? "base64" : "utf8").toString();
    expect(result.statusCode).toBe(200);
    expect(text).toMatch(/^<\?xml version="1\.0" encoding="UTF-8"\?>\n +<CopyObjectResult[^>]*><LastModified>[^<]+<\/LastModified><ETag>&quot;copied&quot;<\/ETag><\/CopyObjectResult>$/);
    expect(result.headers?.["content-length"]).toBe(String(Buffer.byteLength(text)));
    expect(lines.at(-1)).toMatchObject({ level: "info", status: 200, bytes: Buffer.byteLength(text) });
  });

  it("answers a copy that failed after its answer started with the error inside the 200, logged as that error", async () => {
    const handler = createLambdaHandler(gateway, { log: (line) => void lines.push(line) });
    const result = await handler(await copyEvent("failed.bin", "fail.bin"), {} as never);
    const text = Buffer.from(result.body, result.isBase64Encoded ? "base64" : "utf8").toString();
    expect(result.statusCode).toBe(200);
    expect(text).toMatch(/^<\?xml[^>]*\?>\n +<Error><Code>(InternalError|ServiceUnavailable)<\/Code>/);
    const code = /<Code>([^<]+)<\/Code>/.exec(text)![1];
    expect(lines.at(-1)).toMatchObject({ level: "error", status: 200, errorCode: code });
  });

  it("streams the streaming handler's copy as the same whole document", async () => {
    const handler = createLambdaStreamingHandler(gateway, { awslambda, log: (line) => void lines.push(line) }) as (event: LambdaHttpEvent, stream: LambdaResponseStream, context: unknown) => Promise<void>;
    const stream = new PassThrough();
    const chunks: Buffer[] = [];
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    await handler(await copyEvent("streamed.bin", "fail.bin"), stream as unknown as LambdaResponseStream, {});
    const all = Buffer.concat(chunks);
    const delimiter = all.indexOf(Buffer.alloc(8));
    const prelude = JSON.parse(all.subarray(0, delimiter).toString()) as { statusCode: number };
    expect(prelude.statusCode).toBe(200);
    expect(all.subarray(delimiter + 8).toString()).toMatch(/^<\?xml[^>]*\?>\n +<Error><Code>/);
    expect(lines.at(-1)).toMatchObject({ level: "error", status: 200 });
    expect(lines.at(-1)?.errorCode).toBeDefined();
  });
});
