/**
 * What a copy tells middleware about its bytes: admission notes the source's bucket and whether the gateway streams
 * the copy (`context.copySource`); a streamed copy reports the bytes it moved (`outcome.bytesCopied`, the request
 * line's `bytesCopied`), a copy the store makes by itself none. A write refused with a 4xx moved nothing; one cut short
 * reports them all.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { childText } from "../src/backend.js";
import { S3Error, type BackendTransport, type GatewayResult, type Middleware, type RequestContext, type RequestOutcome, type TransportResponse } from "../src/index.js";
import { requestLineOf } from "../src/runtime.js";
import type { MemoryBackend } from "./helpers/memory-backend.js";
import { as, objectsGateway, response } from "./helpers/objects-gateway.js";

/** A transport serving the remote bucket's `r` (6 bytes) and its first 3 bytes. */
const transport: BackendTransport<Uint8Array> = {
  async send(request) {
    if (request.method !== "GET" || request.url !== "https://remote.example/r") throw new Error(`unexpected ${request.method} ${request.url}`);
    const range = request.headers.get("range");
    const answer = (status: number, headers: Record<string, string>, body: string): TransportResponse<Uint8Array> => ({ status, headers: new Headers(headers), body: new TextEncoder().encode(body) });
    const common = { etag: '"remote-etag"', "last-modified": "Mon, 01 Jan 2024 00:00:00 GMT" };
    return range === "bytes=0-2" ? answer(206, { ...common, "content-length": "3", "content-range": "bytes 0-2/6" }, "rem") : answer(200, { ...common, "content-length": "6" }, "remote");
  },
  async text(body, limit) {
    return new TextDecoder().decode(body.subarray(0, limit));
  },
  discard() {},
};

let local: MemoryBackend;
let send: ReturnType<typeof objectsGateway>["send"];
/** What the middleware saw: the context before dispatch (copied), and each outcome with its context. */
let seen: { before: RequestContext["copySource"][]; after: { outcome: RequestOutcome; context: RequestContext }[] };

beforeEach(() => {
  seen = { before: [], after: [] };
  const watcher: Middleware = {
    name: "watcher",
    before: (context) => void seen.before.push(context.copySource === undefined ? undefined : { ...context.copySource }),
    after: (context, outcome) => void seen.after.push({ outcome, context }),
  };
  let remote: MemoryBackend;
  ({ local, remote, send } = objectsGateway(transport, undefined, { middleware: [watcher] }));
  remote.prepareOverride = async (request) => ({ type: "forward", method: "GET", url: `https://remote.example/${request.key}`, headers: request.headers });
});

/** Sends `request` and finishes it as a runtime would; answers its status and code. */
async function finished(result: GatewayResult<Uint8Array>): Promise<[number, string | undefined]> {
  const { status, root } = response(result);
  await result.finish({ status, bytesSent: 0 });
  return [status, status >= 300 ? childText(root!, "Code") : undefined];
}

const copy = (source: string, headers: Record<string, string> = {}) => send({ method: "PUT", path: "/data/dst/k", headers: { "x-amz-copy-source": source, ...headers } }, as("AKIDCOPIER"));

describe("a copy's bytes, as middleware sees them", () => {
  it("notes a streamed copy's source at admission and reports the bytes it moved, in the outcome and the request line", async () => {
    expect(await finished(await copy("/remote/r"))).toEqual([200, undefined]);
    expect(seen.before).toEqual([{ bucket: "remote", streamed: true }]);
    const [{ outcome, context }] = seen.after as [{ outcome: RequestOutcome; context: RequestContext }];
    expect(outcome.bytesCopied).toBe(6);
    expect(requestLineOf(context, { status: 200, bytesSent: 0 })).toMatchObject({ bytes: 0, bytesCopied: 6 });
  });

  it("reports none for a copy the store makes by itself, nor on the request line", async () => {
    expect(await finished(await copy("/other/src/k"))).toEqual([200, undefined]);
    expect(seen.before).toEqual([{ bucket: "other", streamed: false }]);
    const [{ outcome, context }] = seen.after as [{ outcome: RequestOutcome; context: RequestContext }];
    expect("bytesCopied" in outcome).toBe(false);
    expect("bytesCopied" in requestLineOf(context, { status: 200, bytesSent: 0 })).toBe(false);
  });

  it("reports a part copy's range, streamed into a part", async () => {
    const created = await send({ method: "POST", path: "/data/dst/k", query: { uploads: "" } }, as("AKIDWRITER"));
    const uploadId = childText(response(created).root!, "UploadId")!;
    const part = await send({ method: "PUT", path: "/data/dst/k", query: { partNumber: "1", uploadId }, headers: { "x-amz-copy-source": "/remote/r", "x-amz-copy-source-range": "bytes=0-2" } }, as("AKIDWRITER"));
    expect(await finished(part)).toEqual([200, undefined]);
    expect(seen.before.at(-1)).toEqual({ bucket: "remote", streamed: true });
    expect(seen.after.at(-1)!.outcome.bytesCopied).toBe(3);
  });

  it("reports nothing when the destination refuses the write (a 4xx), and every byte when it fails on the way", async () => {
    for (const [failure, expected, copied] of [
      [new S3Error("PreconditionFailed"), [412, "PreconditionFailed"], undefined],
      [new S3Error("ServiceUnavailable"), [503, "ServiceUnavailable"], 6],
      [new Error("connection reset"), [503, "ServiceUnavailable"], 6],
    ] as const) {
      local.prepareOverride = async () => ({
        type: "native",
        execute: async () => {
          throw failure;
        },
      });
      seen.after = [];
      expect(await finished(await copy("/remote/r", { "if-none-match": "*" }))).toEqual(expected);
      expect(seen.after[0]!.outcome.bytesCopied, failure.message).toBe(copied);
    }
  });

  it("notes no source for requests that copy nothing", async () => {
    expect((await send({ method: "GET", path: "/data/dst/existing" }, as("AKIDWRITER"))).type).toBe("native");
    expect(seen.before).toEqual([undefined]);
  });
});
