/**
 * Copies the gateway streams between stores, under quotas: charged as a download of the source's bucket and an upload
 * to the destination's, and refused where a quota they would be charged to is used up. A copy the store makes by
 * itself moves nothing through the gateway and is charged as any other request.
 */
import { describe, expect, it } from "vitest";
import type { Identity, RequestContext, RequestOutcome } from "@multistore/core";
import { createLimiter, createMemoryStore, type QuotaRule } from "../src/index.js";

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const alice: Identity = { type: "credential", accessKeyId: "AKIDALICE", principalName: "alice", scopes: [] };

/** A CopyObject by alice into `destination`, from `source`, streamed unless said otherwise. */
function copy(source: string, destination: string, streamed = true): RequestContext {
  return { requestId: "r", method: "PUT", headers: new Headers(), startedAt: T0, identity: alice, bucket: destination, key: "k", operation: "CopyObject", admitted: true, copySource: { bucket: source, streamed } };
}

const copied = (bytes: number | undefined): RequestOutcome => ({ status: 200, bytesSent: 250, bytesReceived: 0, durationMs: 1, served: "response", ...(bytes !== undefined && { bytesCopied: bytes }) });

function limiterWith(quotas: QuotaRule[]) {
  const store = createMemoryStore({ now: () => T0 });
  return { store, limiter: createLimiter({ quotas, store, now: () => T0 }) };
}

/** The counter of rule `id` for `value` (the limiter's key format, window index at T0). */
const counter = (id: string, value: string, window: number) => `multistore:${id}:${value}:${Math.floor(T0 / 1000 / window)}`;
const read = async (store: ReturnType<typeof createMemoryStore>, key: string) => (await store.add([{ key, amount: 0, ttlSecs: 60 }]))[0];

describe("a copy streamed between stores, under quotas", () => {
  it("is charged to the source bucket's egress and the destination bucket's ingress, and its answer as any response", async () => {
    const { store, limiter } = limiterWith([
      { id: "out", scope: "bucket", bytes: 10_000, window_secs: 60, direction: "egress" },
      { id: "in", scope: "bucket", bytes: 10_000, window_secs: 60, direction: "ingress" },
    ]);
    await limiter.record(copy("archive", "work"), copied(4000));
    expect(await read(store, counter("out", "archive", 60))).toBe(4000);
    expect(await read(store, counter("in", "work", 60))).toBe(4000);
    // The copy's answer (its XML document) is egress of the bucket it was sent to; nothing was read from there.
    expect(await read(store, counter("out", "work", 60))).toBe(250);
    expect(await read(store, counter("in", "archive", 60))).toBe(0);
  });

  it("is charged to a caller both ways, as reading the object and writing it again would be", async () => {
    const { store, limiter } = limiterWith([
      { id: "total", scope: "principal", bytes: 10_000, window_secs: 60 },
      { id: "out", scope: "principal", bytes: 10_000, window_secs: 60, direction: "egress" },
      { id: "narrow", scope: "principal", bucket: "archive", bytes: 10_000, window_secs: 60, direction: "total" },
    ]);
    await limiter.record(copy("archive", "work"), copied(1000));
    expect(await read(store, counter("total", "alice", 60))).toBe(2000 + 250);
    expect(await read(store, counter("out", "alice", 60))).toBe(1000 + 250);
    // A rule narrowed to the source's bucket counts the copy's read of it, not its write elsewhere.
    expect(await read(store, counter("narrow", "alice", 60))).toBe(1000);
  });

  it("refuses a copy whose source bucket's download quota, or destination bucket's upload quota, is used up", async () => {
    const { limiter } = limiterWith([
      { scope: "bucket", bucket: "archive", bytes: 1000, window_secs: 60, direction: "egress" },
      { scope: "bucket", bucket: "work", bytes: 1000, window_secs: 60, direction: "ingress" },
    ]);
    expect(await limiter.check(copy("archive", "work"), { bytesIn: 0 })).toBeUndefined();
    await limiter.record(copy("archive", "elsewhere"), copied(1000));
    expect(await limiter.check(copy("archive", "work"), { bytesIn: 0 })).toEqual({ code: "TooManyRequests", retryAfterSecs: 60, message: "The bandwidth quota of the bucket copied from is used up for the current 60-second window." });
    // A copy the store makes by itself moves nothing through the gateway: not refused, not charged.
    expect(await limiter.check(copy("archive", "work", false), { bytesIn: 0 })).toBeUndefined();
    await limiter.record(copy("elsewhere", "work"), copied(999));
    expect(await limiter.check(copy("other", "work"), { bytesIn: 0 })).toBeUndefined();
    await limiter.record(copy("elsewhere", "work"), copied(1));
    expect((await limiter.check(copy("other", "work"), { bytesIn: 0 }))?.message).toBe("The bandwidth quota of this bucket is used up for the current 60-second window.");
  });

  it("leaves the counters of a copy the store made by itself, and of a refused copy, as its answer alone leaves them", async () => {
    const { store, limiter } = limiterWith([{ id: "q", scope: "bucket", bytes: 10_000, window_secs: 60, direction: "total" }]);
    await limiter.record(copy("archive", "work", false), copied(undefined));
    await limiter.record({ ...copy("archive", "work"), admitted: undefined }, copied(500));
    expect([await read(store, counter("q", "archive", 60)), await read(store, counter("q", "work", 60))]).toEqual([0, 250]);
  });
});
