/**
 * The request path answers without promise turns when every lookup answers now, and the same way when lookups answer
 * later (promises, other thenables) or throw: the same results, the same refusals, never a rejected `handle`.
 */
import { createHash, createHmac, createSecretKey, type KeyObject } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { authenticate } from "../src/authenticate.js";
import { settledOrPromise } from "../src/maybe-promise.js";
import { createGateway, S3Error, useCryptoPrimitives, type BucketConfig, type CryptoPrimitives, type GatewayResult, type StoredCredential } from "../src/index.js";
import { splitTarget } from "../src/s3-request.js";
import { bucket, credential, gatewayRequest, MemoryBackend, text } from "./helpers/memory-backend.js";
import { NOW, presign, signWithHeader } from "./helpers/sign.js";

const BUCKETS = [bucket("public", { anonymous_access: true }), bucket("data")];
const CREDENTIALS = [credential("AKIDSYNC", [{ bucket: "data", prefixes: [], actions: ["get_object"] }]), credential("AKIDOTHER", [{ bucket: "data", prefixes: [], actions: ["get_object"] }])];
const reader = { accessKeyId: "AKIDSYNC", secretAccessKey: "AKIDSYNC-secret" };
const stranger = { accessKeyId: "AKIDNOBODY", secretAccessKey: "AKIDNOBODY-secret" };

/** A thenable that is not a native promise (as some libraries' are). */
function thenable<T>(value: T): PromiseLike<T> {
  // biome-ignore lint/suspicious/noThenProperty: a thenable that is not a promise is what these tests are about.
  return { then: (resolve, reject) => Promise.resolve(value).then(resolve, reject) };
}

type Answer = <T>(value: T) => T | Promise<T> | PromiseLike<T>;
const ANSWERS: [string, Answer][] = [
  ["now", (value) => value],
  ["with a promise", (value) => Promise.resolve(value)],
  ["with another thenable", (value) => thenable(value)],
];

function gatewayAnswering(answer: Answer, backend = new MemoryBackend()) {
  return createGateway<Uint8Array>({
    buckets: {
      getBucket: (name) => answer(BUCKETS.find((entry) => entry.name === name)) as BucketConfig | undefined,
      listBuckets: () => BUCKETS,
    },
    credentials: { getCredential: (id) => answer(CREDENTIALS.find((entry) => entry.access_key_id === id)) as StoredCredential | undefined },
    backends: { memory: () => backend },
    now: () => NOW,
  });
}

function outcome(result: GatewayResult<Uint8Array>): string {
  if (result.type !== "response") return result.type;
  return `${result.response.status} ${/<Code>([^<]+)<\/Code>/.exec(text(result.response.body))?.[1] ?? ""}`;
}

function nodePrimitives(): CryptoPrimitives {
  return {
    sha256: (data) => createHash("sha256").update(data).digest(),
    importHmacKey: (raw) => createSecretKey(raw),
    hmacSha256: (key, data) => createHmac("sha256", key as KeyObject).update(data).digest(),
    sha256Hex: (value) => createHash("sha256").update(value).digest("hex"),
    hmacSha256Hex: (key, value) => createHmac("sha256", key as KeyObject).update(value).digest("hex"),
  };
}

afterEach(() => useCryptoPrimitives());

describe.each(ANSWERS)("registries answering %s", (_name, answer) => {
  it("serve, refuse and fail exactly as the others do", async () => {
    const gateway = gatewayAnswering(answer);
    const run = async (target: string, headers: Headers | Record<string, string> = {}) => outcome(await gateway.handle(gatewayRequest("GET", target, headers)));
    const signed = await signWithHeader(reader, { method: "GET", path: "/data/a.txt" });
    const presigned = await presign(reader, { method: "GET", path: "/data/a.txt" });
    const unknown = await signWithHeader(stranger, { method: "GET", path: "/data/a.txt" });
    const tampered = new Headers(signed.headers);
    tampered.set("authorization", signed.headers.get("authorization")!.replace(/.$/, (last) => (last === "0" ? "1" : "0")));
    const outcomes = {
      anonymous: await run("/public/a.txt"),
      signed: await run(signed.target, signed.headers),
      presigned: await run(presigned.target, presigned.headers),
      presignedAgain: await run(presigned.target, presigned.headers),
      unknownBucket: await run("/nothing/a.txt"),
      unknownKey: await run(unknown.target, unknown.headers),
      tampered: await run(signed.target, tampered),
      anonymousOnPrivate: await run("/data/a.txt"),
    };
    expect(outcomes).toEqual({
      anonymous: "native",
      signed: "native",
      presigned: "native",
      presignedAgain: "native",
      unknownBucket: "404 NoSuchBucket",
      unknownKey: "403 InvalidAccessKeyId",
      tampered: "403 SignatureDoesNotMatch",
      anonymousOnPrivate: "403 AccessDenied",
    });
  });
});

describe("handleNow", () => {
  it("answers the result itself when every lookup answers now, else a promise of the same result", async () => {
    // A backend that presigns now, as the S3 backend does with static keys.
    const presigning = new MemoryBackend();
    presigning.prepareObject = ((request: { key: string }) => ({ type: "forward", method: "GET", url: `http://backend.invalid/${request.key}`, headers: new Headers() })) as unknown as MemoryBackend["prepareObject"];
    for (const [name, answer] of ANSWERS) {
      const resolved = gatewayAnswering(answer, presigning).handleNow!(gatewayRequest("GET", "/public/a.txt"));
      expect({ name, promise: resolved instanceof Promise }).toEqual({ name, promise: name !== "now" });
      expect(outcome(await resolved)).toBe("forward");
    }
    // An error response is a result too, answered now.
    const refused = gatewayAnswering((value) => value).handleNow!(gatewayRequest("GET", "/nothing/a.txt"));
    expect(refused).not.toBeInstanceOf(Promise);
    expect(outcome(refused as GatewayResult<Uint8Array>)).toBe("404 NoSuchBucket");
  });

  it("says whether finishing a result runs after-middleware", async () => {
    const plain = await gatewayAnswering((value) => value).handle(gatewayRequest("GET", "/public/a.txt"));
    expect(plain.afterHooks).toBe(false);
    const after: string[] = [];
    const watched = createGateway<Uint8Array>({
      buckets: { getBucket: (name) => BUCKETS.find((entry) => entry.name === name), listBuckets: () => BUCKETS },
      credentials: { getCredential: () => undefined },
      backends: { memory: () => new MemoryBackend() },
      middleware: [{ name: "watch", after: (context) => void after.push(context.operation ?? "") }],
      now: () => NOW,
    });
    const result = await watched.handle(gatewayRequest("GET", "/public/a.txt"));
    expect(result.afterHooks).toBe(true);
    await result.finish({ status: 200, bytesSent: 1 });
    expect(after).toEqual(["GetObject"]);
  });
});

describe("failures thrown now", () => {
  it("become error responses, never a rejected handle", async () => {
    const reported: unknown[] = [];
    const broken = createGateway<Uint8Array>({
      buckets: {
        getBucket: () => {
          throw new Error("registry down");
        },
        listBuckets: () => [],
      },
      credentials: { getCredential: () => undefined },
      backends: { memory: () => new MemoryBackend() },
      onError: (error) => reported.push(error),
    });
    const pending = broken.handle(gatewayRequest("GET", "/public/a.txt"));
    expect(pending).toBeInstanceOf(Promise);
    expect(outcome(await pending)).toBe("500 InternalError");
    expect(reported).toEqual([expect.objectContaining({ message: "registry down" })]);

    const refusing = new MemoryBackend();
    refusing.prepareObject = () => {
      throw new S3Error("InvalidArgument", { message: "refused now" });
    };
    expect(outcome(await gatewayAnswering((value) => value, refusing).handle(gatewayRequest("GET", "/public/a.txt")))).toBe("400 InvalidArgument");

    // Even setting a request up (a clock that fails) is a rejection, not a throw out of handle.
    let reads = 0;
    const clockless = createGateway<Uint8Array>({
      buckets: { getBucket: () => undefined, listBuckets: () => [] },
      credentials: { getCredential: () => undefined },
      backends: {},
      now: () => {
        if (reads++ > 0) throw new Error("clock stopped");
        return NOW;
      },
    });
    let settled: Promise<unknown> | undefined;
    expect(() => {
      settled = clockless.handle(gatewayRequest("GET", "/public/a.txt"));
    }).not.toThrow();
    await expect(settled).rejects.toThrow("clock stopped");
  });
});

describe("with synchronous primitives", () => {
  it("authenticates a repeated header-signed or presigned request without a promise", async () => {
    useCryptoPrimitives(nodePrimitives());
    const sources = { credentials: { getCredential: (id: string) => CREDENTIALS.find((entry) => entry.access_key_id === id) }, now: () => NOW };
    const requestOf = (signed: { target: string; headers: Headers }) => {
      const { rawPath, query } = splitTarget(signed.target);
      return { method: "GET", rawPath, query, headers: signed.headers };
    };
    for (const signed of [await signWithHeader(reader, { method: "GET", path: "/data/b.txt" }), await presign(reader, { method: "GET", path: "/data/b.txt" })]) {
      // The first derives the day's signing key (asynchronously, once); the next has everything at hand.
      await authenticate(requestOf(signed), sources);
      const again = authenticate(requestOf(signed), sources);
      expect(again).not.toBeInstanceOf(Promise);
      expect(again).toMatchObject({ identity: { type: "credential", accessKeyId: "AKIDSYNC" } });
    }
    // A wrong signature is refused now, not later.
    const signed = await signWithHeader(reader, { method: "GET", path: "/data/b.txt" });
    const tampered = new Headers(signed.headers);
    tampered.set("authorization", signed.headers.get("authorization")!.replace(/.$/, (last) => (last === "0" ? "1" : "0")));
    expect(() => authenticate(requestOf({ target: signed.target, headers: tampered }), sources)).toThrow(expect.objectContaining({ code: "SignatureDoesNotMatch" }));
  });
});

describe("lookups remembered from the last request", () => {
  it.each([
    ["WebCrypto", undefined],
    ["synchronous primitives", nodePrimitives()],
  ])("never carry one request's key, day or header list to another (%s)", async (_name, primitives) => {
    if (primitives) useCryptoPrimitives(primitives);
    const sources = { credentials: { getCredential: (id: string) => CREDENTIALS.find((entry) => entry.access_key_id === id) }, now: () => NOW };
    const other = { accessKeyId: "AKIDOTHER", secretAccessKey: "AKIDOTHER-secret" };
    const variants = [
      await signWithHeader(reader, { method: "GET", path: "/data/c.txt" }),
      await signWithHeader(other, { method: "GET", path: "/data/c.txt" }),
      await signWithHeader(reader, { method: "GET", path: "/data/c.txt", headers: { "x-amz-meta-a": "1" } }),
      await signWithHeader(reader, { method: "GET", path: "/data/c.txt", date: NOW - 86_400_000 + 600_000 }),
      await signWithHeader(other, { method: "GET", path: "/data/c.txt", headers: { range: "bytes=0-1" } }),
    ];
    const check = async (signed: { target: string; headers: Headers }) => {
      const { rawPath, query } = splitTarget(signed.target);
      try {
        const auth = await authenticate({ method: "GET", rawPath, query, headers: signed.headers }, { ...sources, now: () => Date.parse(signed.headers.get("x-amz-date")!.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, "$1-$2-$3T$4:$5:$6Z")) });
        return auth.identity.type === "credential" ? auth.identity.accessKeyId : "anonymous";
      } catch (error) {
        return (error as S3Error).code;
      }
    };
    // Each in turn, twice over: every lookup meets a different last one.
    const verified: string[] = [];
    for (const round of [1, 2]) for (const signed of variants) verified.push(`${round}:${await check(signed)}`);
    expect(verified).toEqual([1, 2].flatMap((round) => ["AKIDSYNC", "AKIDOTHER", "AKIDSYNC", "AKIDSYNC", "AKIDOTHER"].map((id) => `${round}:${id}`)));
    // One request's signature under another's key, day or signed headers does not verify.
    const crossed = (from: { headers: Headers }, onto: { target: string; headers: Headers }) => {
      const headers = new Headers(onto.headers);
      headers.set("authorization", onto.headers.get("authorization")!.replace(/Signature=[0-9a-f]+/, from.headers.get("authorization")!.match(/Signature=[0-9a-f]+/)![0]));
      return { target: onto.target, headers };
    };
    expect(await check(crossed(variants[0]!, variants[1]!))).toBe("SignatureDoesNotMatch");
    expect(await check(crossed(variants[0]!, variants[2]!))).toBe("SignatureDoesNotMatch");
    expect(await check(crossed(variants[0]!, variants[3]!))).toBe("SignatureDoesNotMatch");
    expect(await check(variants[0]!)).toBe("AKIDSYNC");
  });
});

describe("settledOrPromise", () => {
  it("passes values and native promises through and adopts other thenables", async () => {
    const native = Promise.resolve(1);
    expect(settledOrPromise(native)).toBe(native);
    const config = { name: "a" };
    expect(settledOrPromise(config)).toBe(config);
    expect(settledOrPromise(undefined)).toBeUndefined();
    const adopted = settledOrPromise(thenable(2));
    expect(adopted).toBeInstanceOf(Promise);
    await expect(adopted).resolves.toBe(2);
  });
});
