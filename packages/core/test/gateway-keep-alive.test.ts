/**
 * CopyObject, UploadPartCopy and CompleteMultipartUpload that take long: answered 200 at once past `keepAlive.afterMs`,
 * kept alive with whitespace, and ended with the result or the error's document (its request id and resource).
 * Quick ones keep their own answers.
 */
import { beforeEach, describe, expect, it, vi } from "vitest";
import { childText, parseXml } from "../src/backend.js";
import { isKeepAliveBody, S3Error, type GatewayResult, type KeepAliveBody } from "../src/index.js";
import { gatewayRequest, type MemoryBackend } from "./helpers/memory-backend.js";
import { as, objectsGateway, response, sha256 } from "./helpers/objects-gateway.js";
import { signWithHeader, type UnsignedRequest } from "./helpers/sign.js";

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const COPY: UnsignedRequest = { method: "PUT", path: "/data/dst/copy", headers: { "x-amz-copy-source": "/other/src/k", "x-amz-content-sha256": "UNSIGNED-PAYLOAD" } };

let local: MemoryBackend;
let send: ReturnType<typeof objectsGateway>["send"];
let gateway: ReturnType<typeof objectsGateway>["gateway"];
let errors: unknown[];

beforeEach(() => {
  errors = [];
  ({ local, send, gateway } = objectsGateway(undefined, undefined, { keepAlive: { afterMs: 400, everyMs: 100 }, onError: (error) => errors.push(error) }));
});

/** Makes the local backend's `method` wait `ms` before doing what it does (or failing with `error`). */
function slow(method: "copyObject" | "uploadPartCopy" | "completeMultipartUpload", ms: number, error?: Error): void {
  const original = (local[method] as (...args: unknown[]) => Promise<unknown>).bind(local);
  (local as unknown as Record<string, unknown>)[method] = async (...args: unknown[]) => {
    await delay(ms);
    if (error) throw error;
    return original(...args);
  };
}

/** A kept-alive response read whole: its headers, its chunks and the document they make. */
async function keptAlive(result: GatewayResult<Uint8Array>) {
  if (result.type !== "response") throw new Error(`expected a response, got ${result.type}`);
  const body = result.response.body;
  expect(isKeepAliveBody(body)).toBe(true);
  const chunks: string[] = [];
  for await (const chunk of body as KeepAliveBody) chunks.push(new TextDecoder().decode(chunk));
  const text = chunks.join("");
  return { status: result.response.status, headers: result.response.headers, chunks, text, root: parseXml(text), body: body as KeepAliveBody };
}

describe("long answers kept alive", () => {
  it("answers a quick copy as ever, and a long one 200 at once with whitespace, then its result", async () => {
    const quick = response(await send(COPY, as("AKIDCOPIER")));
    expect(quick.status).toBe(200);
    expect(typeof quick.body).toBe("string");
    slow("copyObject", 1200);
    const started = performance.now();
    const result = await send(COPY, as("AKIDCOPIER"));
    // The answer started before the copy ended.
    expect(performance.now() - started).toBeLessThan(1100);
    const long = await keptAlive(result);
    expect(long.status).toBe(200);
    expect(long.headers.get("content-type")).toBe("application/xml");
    expect(long.headers.get("x-amz-request-id")).toBe(result.context.requestId);
    expect(long.chunks.slice(1, -1).join("")).toMatch(/^ +$/);
    expect(long.root.name).toBe("CopyObjectResult");
    expect(childText(long.root, "ETag")).toBe(childText(quick.root!, "ETag"));
    expect(local.objects.has("tenant-a/dst/copy")).toBe(true);
  });

  it("ends a long copy that fails with the error's document inside the 200, request id and resource included", async () => {
    slow("copyObject", 700, new S3Error("ServiceUnavailable", { message: "The source store broke off." }));
    const result = await send(COPY, as("AKIDCOPIER"));
    const long = await keptAlive(result);
    expect(long.status).toBe(200);
    expect(long.root.name).toBe("Error");
    expect(childText(long.root, "Code")).toBe("ServiceUnavailable");
    expect(childText(long.root, "Resource")).toBe("/data/dst/copy");
    expect(childText(long.root, "RequestId")).toBe(result.context.requestId);
    expect(long.body.lateFailure).toMatchObject({ code: "ServiceUnavailable", status: 503 });
    expect(errors).toEqual([]);
  });

  it("reports an internal failure of a long answer to onError, and never shows its cause", async () => {
    slow("copyObject", 700, new Error("secret-token-in-a-stack"));
    const long = await keptAlive(await send(COPY, as("AKIDCOPIER")));
    expect(childText(long.root, "Code")).toBe("InternalError");
    expect(long.text).not.toContain("secret-token");
    expect(errors).toHaveLength(1);
    expect(long.body.lateFailure).toMatchObject({ code: "InternalError", status: 500 });
  });

  it("keeps a long multipart completion alive, counting from when its document was read", async () => {
    const created = response(await send({ method: "POST", path: "/data/big/file.bin", query: { uploads: "" } }, as("AKIDWRITER")));
    const uploadId = childText(created.root!, "UploadId")!;
    const document = `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"a"</ETag></Part></CompleteMultipartUpload>`;
    const complete: UnsignedRequest = { method: "POST", path: "/data/big/file.bin", query: { uploadId }, headers: { "x-amz-content-sha256": sha256(document) } };
    // A client slow to send its document, and a quick completion: its own answer.
    const signed = await signWithHeader(as("AKIDWRITER"), complete);
    const request = gatewayRequest("POST", signed.target, signed.headers, document);
    const readBody = request.readBody;
    request.readBody = async (limit) => {
      await delay(700);
      return readBody(limit);
    };
    const quick = response(await gateway.handle(request));
    expect([quick.status, quick.root!.name]).toEqual([200, "CompleteMultipartUploadResult"]);
    // A completion that takes long.
    slow("completeMultipartUpload", 700);
    const long = await keptAlive(await send(complete, as("AKIDWRITER"), document));
    expect(long.root.name).toBe("CompleteMultipartUploadResult");
    expect(childText(long.root, "Key")).toBe("big/file.bin");
  });

  it("keeps a long part copy alive", async () => {
    const created = response(await send({ method: "POST", path: "/data/dst/assembled", query: { uploads: "" } }, as("AKIDWRITER")));
    const uploadId = childText(created.root!, "UploadId")!;
    slow("uploadPartCopy", 700);
    const request: UnsignedRequest = { method: "PUT", path: "/data/dst/assembled", query: { uploadId, partNumber: "1" }, headers: { "x-amz-copy-source": "/data/dst/existing", "x-amz-content-sha256": "UNSIGNED-PAYLOAD" } };
    const long = await keptAlive(await send(request, as("AKIDWRITER")));
    expect(long.root.name).toBe("CopyPartResult");
  });

  it("answers long operations once done when keepAlive is false (past the default's 10 s too)", async () => {
    vi.useFakeTimers();
    try {
      const waiting = objectsGateway(undefined, undefined, { keepAlive: false });
      const original = waiting.local.copyObject.bind(waiting.local);
      let copying = false;
      waiting.local.copyObject = async (request) => {
        copying = true;
        await delay(15_000);
        return original(request);
      };
      const pending = waiting.send(COPY, as("AKIDCOPIER"));
      // Signing runs off the clock: the copy's wait starts once it did.
      await vi.waitFor(() => expect(copying).toBe(true));
      await vi.advanceTimersByTimeAsync(16_000);
      const answer = response(await pending);
      expect([answer.status, answer.root!.name]).toEqual([200, "CopyObjectResult"]);
    } finally {
      vi.useRealTimers();
    }
  });

  it("refuses keepAlive settings that are no whole number of milliseconds", () => {
    expect(() => objectsGateway(undefined, undefined, { keepAlive: { everyMs: 0 } })).toThrow(/keepAlive\.everyMs/);
  });
});
