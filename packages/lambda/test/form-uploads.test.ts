/**
 * Browser form uploads through the Lambda handlers: API Gateway hands over the whole body, whose fields the gateway
 * reads and whose file (what follows them) goes to the backend, on the buffered and the streaming handler alike.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { createFsBackend } from "@multistore/backend-fs";
import { createStaticRegistries, parseConfig } from "@multistore/config";
import { createGateway, type Gateway } from "@multistore/core";
import { encodedForm, formData, presignedForm } from "@multistore/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLambdaHandler, createLambdaStreamingHandler, type LambdaHttpEvent, type LambdaResponseStream } from "../src/index.js";
import { awslambda } from "./helpers/awslambda.js";

const DOMAIN = "abcdefghij.lambda-url.us-east-1.on.aws";
const KEY = { accessKeyId: "AKIALAMBDAFORM000001", secretAccessKey: "lambda-form-secret-00000000000000000000001" };

let root: string;
let gateway: Gateway<ReadableStream>;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "multistore-lambda-form-"));
  const registries = createStaticRegistries(
    parseConfig({
      buckets: [{ name: "uploads", backend_type: "fs", anonymous_access: false, backend_options: { root } }],
      roles: [],
      credentials: [{ access_key_id: KEY.accessKeyId, secret_access_key: KEY.secretAccessKey, principal_name: "former", created_at: "2024-01-01T00:00:00Z", enabled: true, allowed_scopes: [{ bucket: "uploads", prefixes: [], actions: ["put_object"] }] }],
    }),
  );
  gateway = createGateway<ReadableStream>({ buckets: registries.buckets, credentials: registries.credentials, backends: { fs: (bucket) => createFsBackend(bucket.backend_options) as never }, keepAlive: false });
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A Function URL event posting a form signed for `key`, with `file` and any fields sent after it. */
async function formEvent(key: string, file: string, after: Record<string, string> = {}): Promise<LambdaHttpEvent> {
  const form = await presignedForm(`https://${DOMAIN}`, KEY, { bucket: "uploads", key, fields: { success_action_status: "201" } });
  const { body, contentType } = await encodedForm(formData(form, { bytes: new TextEncoder().encode(file), filename: "f.txt" }, { after }));
  return {
    version: "2.0",
    rawPath: "/uploads",
    rawQueryString: "",
    headers: { host: DOMAIN, "content-type": contentType, "content-length": String(body.length) },
    requestContext: { domainName: DOMAIN, stage: "$default", http: { method: "POST", sourceIp: "192.0.2.9" } },
    body: Buffer.from(body).toString("base64"),
    isBase64Encoded: true,
  };
}

const text = (result: { body: string; isBase64Encoded: boolean }) => Buffer.from(result.body, result.isBase64Encoded ? "base64" : "utf8").toString();

/** The bytes a streamed invocation wrote. */
class Recorded extends Writable {
  chunks: Buffer[] = [];
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.chunks.push(chunk);
    callback();
  }
}

describe("form uploads on Lambda", () => {
  it("stores the form's file with the buffered handler and answers as the form asks", async () => {
    const lines: Record<string, unknown>[] = [];
    const handler = createLambdaHandler(gateway, { log: (line) => void lines.push(line) });
    const posted = await formEvent("forms/buffered.txt", "posted through a Function URL");
    const result = await handler(posted);
    // The whole form was received, its fields included.
    expect(lines.at(-1)).toMatchObject({ status: 201, bytesReceived: Buffer.from(posted.body!, "base64").length });
    expect(result.statusCode).toBe(201);
    expect(text(result)).toContain("<Key>forms/buffered.txt</Key>");
    expect(text(result)).toContain(`<Location>https://${DOMAIN}/uploads/forms/buffered.txt</Location>`);
    expect(readFileSync(join(root, "forms/buffered.txt"), "utf8")).toBe("posted through a Function URL");
    // A field after the file would have been stored inside it: refused, and nothing is written.
    const late = await handler(await formEvent("forms/late.txt", "file", { "x-ignore-late": "1" }));
    expect([late.statusCode, text(late)]).toEqual([400, expect.stringContaining("<Code>MalformedPOSTRequest</Code>")]);
    expect(() => readFileSync(join(root, "forms/late.txt"))).toThrow();
  });

  it("stores the form's file with the streaming handler", async () => {
    const handler = createLambdaStreamingHandler(gateway, { awslambda, log: () => {} }) as (event: LambdaHttpEvent, stream: LambdaResponseStream, context: unknown) => Promise<void>;
    const stream = new Recorded();
    await handler(await formEvent("forms/streamed.txt", "streamed form"), stream as unknown as LambdaResponseStream, {});
    expect(Buffer.concat(stream.chunks).toString()).toContain("<Key>forms/streamed.txt</Key>");
    expect(readFileSync(join(root, "forms/streamed.txt"), "utf8")).toBe("streamed form");
  });
});
