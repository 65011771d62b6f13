/** Rate limits and bandwidth quotas over the in-memory store, on a clock the test moves. */
import { describe, expect, it } from "vitest";
import type { Identity, RequestContext, RequestOutcome, S3Operation } from "@multistore/core";
import { createLimiter, createMemoryStore, type LimiterOptions } from "../src/index.js";
import { stalledOnce } from "./stalled-store.js";

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const anonymous: Identity = { type: "anonymous" };
const alice: Identity = { type: "credential", accessKeyId: "AKIDALICE", principalName: "alice", scopes: [] };
const bob: Identity = { type: "credential", accessKeyId: "AKIDBOB", principalName: "bob", scopes: [] };

function context(identity: Identity, extra: Partial<RequestContext> = {}): RequestContext {
  return { requestId: "r", method: "GET", headers: new Headers(), startedAt: T0, identity, bucket: "data", key: "k", operation: "GetObject", admitted: true, ...extra };
}

function outcome(bytesSent: number, bytesReceived = 0): RequestOutcome {
  return { status: 200, bytesSent, bytesReceived, durationMs: 1, served: "forward" };
}

function setup(options: Omit<LimiterOptions, "store">) {
  const clock = { now: T0 };
  const now = () => clock.now;
  return { clock, limiter: createLimiter({ ...options, store: createMemoryStore({ now }), now }) };
}

describe("request rate limits", () => {
  it("refuses the request past the limit in a window with SlowDown, until the window ends", async () => {
    const { clock, limiter } = setup({ rateLimits: [{ scope: "source_ip", requests: 2, window_secs: 10 }] });
    const caller = context(anonymous, { sourceIp: "192.0.2.1" });
    expect(await limiter.check(caller, { bytesIn: 0 })).toBeUndefined();
    clock.now += 3000;
    expect(await limiter.check(caller, { bytesIn: 0 })).toBeUndefined();
    expect(await limiter.check(caller, { bytesIn: 0 })).toEqual({ code: "SlowDown", retryAfterSecs: 7, message: "Please reduce your request rate." });
    // Another address has its own counter.
    expect(await limiter.check(context(anonymous, { sourceIp: "192.0.2.2" }), { bytesIn: 0 })).toBeUndefined();
    clock.now += 7000;
    expect(await limiter.check(caller, { bytesIn: 0 })).toBeUndefined();
  });

  it("counts source_ip for anonymous callers only, principal for authenticated ones only", async () => {
    const { limiter } = setup({ rateLimits: [{ scope: "source_ip", requests: 1 }, { scope: "principal", requests: 1 }] });
    const signed = context(alice, { sourceIp: "192.0.2.1" });
    expect(await limiter.check(signed, { bytesIn: 0 })).toBeUndefined();
    expect((await limiter.check(signed, { bytesIn: 0 }))?.code).toBe("SlowDown");
    expect(await limiter.check(context(bob, { sourceIp: "192.0.2.1" }), { bytesIn: 0 })).toBeUndefined();
    const open = context(anonymous, { sourceIp: "192.0.2.1" });
    expect(await limiter.check(open, { bytesIn: 0 })).toBeUndefined();
    expect((await limiter.check(open, { bytesIn: 0 }))?.code).toBe("SlowDown");
    // No address known: no source_ip counter to hold it against.
    expect(await limiter.check(context(anonymous), { bytesIn: 0 })).toBeUndefined();
    expect(await limiter.check(context(anonymous), { bytesIn: 0 })).toBeUndefined();
  });

  it("applies a rule to its bucket and principal only; a bucket scope counts every caller together", async () => {
    const { limiter } = setup({ rateLimits: [{ scope: "bucket", bucket: "hot", requests: 2 }, { scope: "principal", principal: "bob", requests: 1 }] });
    expect(await limiter.check(context(alice, { bucket: "hot" }), { bytesIn: 0 })).toBeUndefined();
    expect(await limiter.check(context(anonymous, { bucket: "hot", sourceIp: "192.0.2.9" }), { bytesIn: 0 })).toBeUndefined();
    expect((await limiter.check(context(alice, { bucket: "hot" }), { bytesIn: 0 }))?.code).toBe("SlowDown");
    for (let index = 0; index < 5; index++) expect(await limiter.check(context(alice), { bytesIn: 0 })).toBeUndefined();
    expect(await limiter.check(context(bob), { bytesIn: 0 })).toBeUndefined();
    expect((await limiter.check(context(bob), { bytesIn: 0 }))?.code).toBe("SlowDown");
    // ListBuckets names no bucket: a bucket-scoped rule has nothing to count.
    expect(await limiter.check(context(alice, { bucket: undefined as never }), { bytesIn: 0 })).toBeUndefined();
  });
});

describe("bandwidth quotas", () => {
  it("refuses with TooManyRequests once the bytes recorded reach the quota, until the window ends", async () => {
    const { clock, limiter } = setup({ quotas: [{ scope: "principal", bytes: 1000, window_secs: 3600 }] });
    expect(await limiter.check(context(alice), { bytesIn: 0 })).toBeUndefined();
    await limiter.record(context(alice), outcome(600));
    expect(await limiter.check(context(alice), { bytesIn: 0 })).toBeUndefined();
    await limiter.record(context(alice), outcome(400));
    const refusal = await limiter.check(context(alice), { bytesIn: 0 });
    expect(refusal).toMatchObject({ code: "TooManyRequests", retryAfterSecs: 3600 });
    expect(refusal!.message).toContain("bandwidth quota of this principal");
    expect(await limiter.check(context(bob), { bytesIn: 0 })).toBeUndefined();
    clock.now += 3600_000;
    expect(await limiter.check(context(alice), { bytesIn: 0 })).toBeUndefined();
  });

  it("refuses an upload whose declared size would pass the quota, and counts directions as configured", async () => {
    const { limiter } = setup({
      quotas: [
        { scope: "bucket", bytes: 1000, window_secs: 60, direction: "ingress" },
        { scope: "principal", bytes: 5000, window_secs: 60, direction: "egress" },
      ],
    });
    await limiter.record(context(alice), outcome(4000, 700));
    expect((await limiter.check(context(alice, { method: "PUT" }), { bytesIn: 301 }))?.code).toBe("TooManyRequests");
    const put = context(alice, { method: "PUT" });
    expect(await limiter.check(put, { bytesIn: 300 })).toBeUndefined();
    // The upload failed before its body came: what it reserved is given back.
    await limiter.record(put, outcome(0, 0));
    // Egress: 4000 of 5000 used, and what a GET will send is unknown beforehand: allowed.
    expect(await limiter.check(context(alice), { bytesIn: 0 })).toBeUndefined();
    await limiter.record(context(alice), outcome(1000));
    expect((await limiter.check(context(alice), { bytesIn: 0 }))?.code).toBe("TooManyRequests");
  });

  it("refuses, once a quota is used up, only requests that move bytes its way", async () => {
    const { limiter } = setup({
      quotas: [
        { scope: "bucket", bucket: "data", bytes: 1000, window_secs: 60, direction: "ingress" },
        { scope: "bucket", bucket: "out", bytes: 1000, window_secs: 60, direction: "egress" },
        { scope: "bucket", bucket: "both", bytes: 1000, window_secs: 60 },
      ],
    });
    for (const bucket of ["data", "out", "both"]) await limiter.record(context(alice, { bucket }), outcome(1000, 1000));
    const code = async (bucket: string, method: string, operation: S3Operation, bytesIn = 0) => (await limiter.check(context(alice, { bucket, method, operation }), { bytesIn }))?.code;
    // Uploads used up: another upload is refused; reads, deletes and finishing or aborting a multipart upload are not.
    expect(await code("data", "PUT", "PutObject", 10)).toBe("TooManyRequests");
    expect([await code("data", "GET", "GetObject"), await code("data", "HEAD", "HeadObject"), await code("data", "DELETE", "DeleteObject"), await code("data", "POST", "CompleteMultipartUpload"), await code("data", "DELETE", "AbortMultipartUpload")]).toEqual([undefined, undefined, undefined, undefined, undefined]);
    // Downloads used up: a GET is refused; a write or a HEAD is not.
    expect(await code("out", "GET", "GetObject")).toBe("TooManyRequests");
    expect([await code("out", "PUT", "PutObject", 10), await code("out", "HEAD", "HeadObject"), await code("out", "DELETE", "DeleteObject")]).toEqual([undefined, undefined, undefined]);
    // Both directions: either is refused, what moves no data is not.
    expect([await code("both", "GET", "GetObject"), await code("both", "PUT", "PutObject", 10), await code("both", "DELETE", "DeleteObject")]).toEqual(["TooManyRequests", "TooManyRequests", undefined]);
  });

  it("keeps the memory store's counters at 0 or more when giving back", async () => {
    const memory = createMemoryStore();
    expect(await memory.add([{ key: "lost", amount: -3, ttlSecs: 60 }, { key: "a", amount: 5, ttlSecs: 60 }, { key: "a", amount: -8, ttlSecs: 60 }, { key: "a", amount: 1, ttlSecs: 60 }])).toEqual([0, 5, 0, 1]);
  });

  it("gives back a reservation the store applied without confirming it (a stalled Redis), once the request ends", async () => {
    const clock = { now: T0 };
    const { store, totals } = stalledOnce(() => clock.now);
    const limiter = createLimiter({ quotas: [{ scope: "bucket", bytes: 10_000, window_secs: 60, direction: "ingress" }], store, now: () => clock.now });
    const put = context(alice, { method: "PUT", operation: "PutObject" });
    await expect(limiter.check(put, { bytesIn: 4000 })).rejects.toThrow("timed out");
    // Let through (the store failed open); 1000 bytes arrived.
    await limiter.record(put, outcome(0, 1000));
    expect(await totals()).toEqual([1000]);
  });

  it("reserves an upload's declared size when it is checked: uploads checked together cannot pass the quota together", async () => {
    const { clock, limiter } = setup({ quotas: [{ scope: "bucket", bytes: 3000, window_secs: 60, direction: "ingress" }] });
    const uploads = Array.from({ length: 10 }, () => context(alice, { method: "PUT", operation: "PutObject" }));
    const refusals = await Promise.all(uploads.map((upload) => limiter.check(upload, { bytesIn: 1000 })));
    expect(refusals.filter((refusal) => refusal === undefined)).toHaveLength(3);
    const admitted = uploads.filter((_, index) => refusals[index] === undefined);
    // Each is charged what arrived, its reservation given back: two complete uploads and one cut at 400 bytes.
    await limiter.record(admitted[0]!, outcome(0, 1000));
    await limiter.record(admitted[1]!, outcome(0, 1000));
    await limiter.record(admitted[2]!, outcome(0, 400));
    expect(await limiter.check(context(alice, { method: "PUT" }), { bytesIn: 601 })).toMatchObject({ code: "TooManyRequests" });
    const fits = context(alice, { method: "PUT" });
    expect(await limiter.check(fits, { bytesIn: 600 })).toBeUndefined();
    // An upload that outlives its window gives its reservation back to the window it took it from.
    clock.now += 60_000;
    await limiter.record(fits, outcome(0, 600));
    expect(await limiter.check(context(alice, { method: "PUT" }), { bytesIn: 2400 })).toBeUndefined();
    expect(await limiter.check(context(alice, { method: "PUT" }), { bytesIn: 1 })).toMatchObject({ code: "TooManyRequests" });
  });

  it("lets a used-up quota outrank a rate limit in the answer", async () => {
    const { limiter } = setup({ rateLimits: [{ scope: "principal", requests: 1, window_secs: 1 }], quotas: [{ scope: "principal", bytes: 10, window_secs: 60 }] });
    await limiter.record(context(alice), outcome(10));
    await limiter.check(context(alice), { bytesIn: 0 });
    expect((await limiter.check(context(alice), { bytesIn: 0 }))?.code).toBe("TooManyRequests");
  });
});

describe("what is counted", () => {
  it("charges admitted requests only: a refused request's error document does not drain a quota", async () => {
    const { limiter } = setup({ quotas: [{ scope: "bucket", bytes: 100, window_secs: 60 }] });
    const refused = context(anonymous, { sourceIp: "192.0.2.1" });
    delete refused.admitted;
    for (let index = 0; index < 5; index++) await limiter.record(refused, outcome(300));
    expect(await limiter.check(context(alice), { bytesIn: 0 })).toBeUndefined();
  });

  it("counts a role's temporary credentials together, whatever session name each was given", async () => {
    const { limiter } = setup({ rateLimits: [{ scope: "principal", requests: 1, window_secs: 60 }] });
    const session = (name: string): Identity => ({ type: "credential", accessKeyId: `ASIA${name}`, principalName: `assumed-role/reader/${name}`, scopes: [], roleId: "reader" });
    expect(await limiter.check(context(session("s1")), { bytesIn: 0 })).toBeUndefined();
    expect((await limiter.check(context(session("s2")), { bytesIn: 0 }))?.code).toBe("SlowDown");
  });
});

describe("whether bytes sent are charged", () => {
  it("says so only for requests an egress or total quota applies to", () => {
    const { limiter } = setup({
      rateLimits: [{ scope: "source_ip", requests: 10, window_secs: 60 }],
      quotas: [
        { scope: "bucket", bucket: "data", bytes: 100, window_secs: 60, direction: "egress" },
        { scope: "principal", principal: "bob", bytes: 100, window_secs: 60, direction: "ingress" },
      ],
    });
    expect(limiter.chargesBytesSent!(context(alice))).toBe(true);
    expect(limiter.chargesBytesSent!(context(alice, { bucket: "other" }))).toBe(false);
    expect(limiter.chargesBytesSent!(context(bob, { bucket: "other" }))).toBe(false);
    expect(setup({ rateLimits: [{ scope: "bucket", requests: 1, window_secs: 1 }] }).limiter.chargesBytesSent!(context(alice))).toBe(false);
    expect(setup({ quotas: [{ scope: "principal", bytes: 1, window_secs: 1 }] }).limiter.chargesBytesSent!(context(bob))).toBe(true);
  });
});

describe("rules", () => {
  it("keep their counters under a stable id when rules are added before them", async () => {
    const clock = { now: T0 };
    const store = createMemoryStore({ now: () => clock.now });
    const quota = { scope: "bucket" as const, bytes: 100, window_secs: 60, id: "bandwidth:data" };
    await createLimiter({ store, quotas: [quota], now: () => clock.now }).record(context(alice), outcome(100));
    const reordered = createLimiter({ store, quotas: [{ scope: "principal", bytes: 1000, window_secs: 60 }, quota], now: () => clock.now });
    expect((await reordered.check(context(alice), { bytesIn: 0 }))?.code).toBe("TooManyRequests");
  });

  it("are checked at construction, naming the bad field", () => {
    const store = createMemoryStore();
    expect(() => createLimiter({ store, rateLimits: [{ scope: "ip" as never, requests: 1 }] })).toThrow("rate_limits[0].scope must be one of bucket, principal, source_ip");
    expect(() => createLimiter({ store, rateLimits: [{ scope: "bucket", requests: 1.5 }] })).toThrow("rate_limits[0].requests must be a positive integer");
    expect(() => createLimiter({ store, quotas: [{ scope: "bucket", bytes: 1, window_secs: 0 }] })).toThrow("quotas[0].window_secs must be an integer");
    expect(() => createLimiter({ store, quotas: [{ scope: "bucket", bytes: 1, window_secs: 5, direction: "up" as never }] })).toThrow("quotas[0].direction");
    expect(() => createLimiter({ store, quotas: [{ scope: "bucket", bytes: 1, window_secs: 5, id: "a" }, { scope: "bucket", bytes: 2, window_secs: 5, id: "a" }] })).toThrow('two rules share the id "a"');
  });
});

describe("the memory store", () => {
  it("keeps at most maxCounters counters, sweeping expired ones first", async () => {
    const clock = { now: T0 };
    const store = createMemoryStore({ now: () => clock.now, maxCounters: 2 });
    expect(await store.add([{ key: "a", amount: 1, ttlSecs: 1 }, { key: "b", amount: 2, ttlSecs: 60 }])).toEqual([1, 2]);
    clock.now += 1500;
    expect(await store.add([{ key: "c", amount: 3, ttlSecs: 60 }, { key: "b", amount: 0, ttlSecs: 60 }, { key: "a", amount: 0, ttlSecs: 1 }])).toEqual([3, 2, 0]);
    expect(await store.add([{ key: "d", amount: 1, ttlSecs: 60 }, { key: "b", amount: 0, ttlSecs: 60 }])).toEqual([1, 0]);
  });
});
