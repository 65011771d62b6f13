/**
 * What a copy tells middleware about its bytes: admission notes the source's bucket and whether the gateway streams
 * the copy (`context.copySource`); a streamed copy reports the bytes it moved (`outcome.bytesCopied`, the request
 * line's `bytesCopied`) once its write starts, whatever the write's answer; a copy the store makes by itself none.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { childText } from "../src/backend.js";
import { S3Error, type BackendTransport, type GatewayOptions, type GatewayResult, type Middleware, type RequestContext, type RequestOutcome, type TransportResponse } from "../src/index.js";
import { isKeepAliveBody } from "../src/keep-alive.js";
import { requestLineOf } from "../src/runtime.js";
import { gatewayRequest, type MemoryBackend } from "./helpers/memory-backend.js";
import { signWithHeader } from "./helpers/sign.js";
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

/** A gateway over fresh backends, `remote` forwarding through the transport, with `options` and a watching middleware. */
function start(options: Partial<GatewayOptions<Uint8Array>> = {}): void {
  seen = { before: [], after: [] };
  const watcher: Middleware = {
    name: "watcher",
    before: (context) => void seen.before.push(context.copySource === undefined ? undefined : { ...context.copySource }),
    after: (context, outcome) => void seen.after.push({ outcome, context }),
  };
  let remote: MemoryBackend;
  ({ local, remote, send } = objectsGateway(transport, undefined, { middleware: [watcher], ...options }));
  remote.prepareOverride = async (request) => ({ type: "forward", method: "GET", url: `https://remote.example/${request.key}`, headers: request.headers });
}

beforeEach(() => start());

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

  it("reports every byte once the destination's write started, whatever its answer: a refusal may come after reading them", async () => {
    for (const [failure, expected] of [
      [new S3Error("PreconditionFailed"), [412, "PreconditionFailed"]],
      [new S3Error("ServiceUnavailable"), [503, "ServiceUnavailable"]],
      [new Error("connection reset"), [503, "ServiceUnavailable"]],
    ] as const) {
      local.prepareOverride = async () => ({
        type: "native",
        execute: async () => {
          throw failure;
        },
      });
      seen.after = [];
      expect(await finished(await copy("/remote/r"))).toEqual(expected);
      expect(seen.after[0]!.outcome.bytesCopied, failure.message).toBe(6);
    }
    // A copy refused before its write (the source's conditions) moved nothing.
    seen.after = [];
    expect(await finished(await copy("/remote/r", { "x-amz-copy-source-if-match": '"other"' }))).toEqual([412, "PreconditionFailed"]);
    expect("bytesCopied" in seen.after[0]!.outcome).toBe(false);
  });

  it("checks a copy's write conditions on the destination before reading the source: a refused one moves nothing", async () => {
    const destination = (path: string, headers: Record<string, string>) => send({ method: "PUT", path, headers: { "x-amz-copy-source": "/remote/r", ...headers } }, as("AKIDWRITER"));
    for (const [path, headers, expected] of [
      ["/data/dst/existing", { "if-none-match": "*" }, [412, "PreconditionFailed"]],
      ["/data/dst/existing", { "if-match": '"other"' }, [412, "PreconditionFailed"]],
      ["/data/dst/new", { "if-none-match": "*" }, [200, undefined]],
      ["/data/dst/existing", { "if-match": '"etag-1"' }, [200, undefined]],
    ] as const) {
      seen.after = [];
      expect(await finished(await destination(path, headers)), `${path} ${JSON.stringify(headers)}`).toEqual(expected);
      expect(seen.after[0]!.outcome.bytesCopied).toBe(expected[0] === 200 ? 6 : undefined);
    }
    expect(new TextDecoder().decode(local.objects.get("tenant-a/dst/new")!.body)).toBe("remote");
    // If-Match on a key with no object: S3's NoSuchKey, naming the destination's key as the client did.
    seen.after = [];
    const missing = response(await destination("/data/dst/missing", { "if-match": '"etag-1"' }));
    expect([missing.status, childText(missing.root!, "Code"), childText(missing.root!, "Key")]).toEqual([404, "NoSuchKey", "dst/missing"]);
  });

  it("leaves a copy's write conditions to the store where the destination cannot be looked at", async () => {
    const written: string[] = [];
    local.prepareOverride = async (request) => {
      if (request.operation === "HeadObject") throw new S3Error("AccessDenied");
      return { type: "native", execute: async () => (written.push(request.key), { status: 200, headers: new Headers({ etag: '"copied"' }), body: null }) };
    };
    const answer = await send({ method: "PUT", path: "/data/dst/existing", headers: { "x-amz-copy-source": "/remote/r", "if-none-match": "*" } }, as("AKIDWRITER"));
    expect(await finished(answer)).toEqual([200, undefined]);
    expect(written).toEqual(["tenant-a/dst/existing"]);
  });

  it("reports the bytes of a long copy whose client left mid-write, when its outcome is reported at once", async () => {
    start({ keepAlive: { afterMs: 5, everyMs: 1000 } });
    let release!: () => void;
    const written = new Promise<void>((resolve) => (release = resolve));
    local.prepareOverride = async () => ({
      type: "native",
      execute: async () => {
        await written;
        return { status: 200, headers: new Headers({ etag: '"copied"' }), body: null };
      },
    });
    const result = await copy("/remote/r");
    const body = (result as { response: { body: unknown } }).response.body;
    if (!isKeepAliveBody(body)) throw new Error("expected a kept-alive answer");
    await body.next();
    // The client leaves: the runtime stops the answer and reports the outcome at once, the write still going on.
    await body.return();
    await result.finish({ status: 499, bytesSent: 0 });
    expect(seen.after[0]!.outcome.bytesCopied).toBe(6);
    release();
  });

  it("writes nothing, and reports no bytes, when the client left while the source was read", async () => {
    const client = new AbortController();
    const { gateway, remote, local: destination } = objectsGateway(transport, undefined, { middleware: [{ name: "watcher", after: (context, outcome) => void seen.after.push({ outcome, context }) }] });
    remote.prepareOverride = async (request) => {
      // The client leaves as the source is asked for.
      client.abort();
      return { type: "forward", method: "GET", url: `https://remote.example/${request.key}`, headers: request.headers };
    };
    const signed = await signWithHeader(as("AKIDCOPIER"), { method: "PUT", path: "/data/dst/k", headers: { "x-amz-copy-source": "/remote/r" } });
    const result = await gateway.handle({ ...gatewayRequest("PUT", signed.target, signed.headers), signal: client.signal });
    expect((await finished(result))[0]).toBe(503);
    expect("bytesCopied" in seen.after[0]!.outcome).toBe(false);
    expect(destination.objects.has("tenant-a/dst/k")).toBe(false);
  });

  it("notes no source for requests that copy nothing", async () => {
    expect((await send({ method: "GET", path: "/data/dst/existing" }, as("AKIDWRITER"))).type).toBe("native");
    expect(seen.before).toEqual([undefined]);
  });
});
