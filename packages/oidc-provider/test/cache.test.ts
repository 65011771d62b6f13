/** The credential cache, counted: fresh hits, proactive background renewal, no waiting, cold concurrency, failures. */
import { describe, expect, it } from "vitest";
import { createCredentialCache } from "../src/index.js";
import { fakeClock } from "./helpers.js";

const LIFETIME = 3600_000;

/** A fetcher that counts calls and whose answers are held until released. */
function counter(clock: { now(): number }) {
  const pending: { resolve(): void; reject(error: Error): void }[] = [];
  let calls = 0;
  let holding = false;
  return {
    get calls() {
      return calls;
    },
    hold: () => void (holding = true),
    release() {
      holding = false;
      for (const entry of pending.splice(0)) entry.resolve();
    },
    failNext(error: Error) {
      for (const entry of pending.splice(0)) entry.reject(error);
    },
    fetch: async () => {
      const serial = ++calls;
      const issued = clock.now();
      if (holding) await new Promise<void>((resolve, reject) => pending.push({ resolve, reject }));
      return { value: `credential-${serial}`, expiresAt: issued + LIFETIME };
    },
  };
}

describe("createCredentialCache", () => {
  it("one fetch per credential lifetime", async () => {
    const clock = fakeClock();
    const cache = createCredentialCache<string>({ now: clock.now });
    const source = counter(clock);
    for (let minute = 0; minute < 58; minute++) {
      expect(await cache.get("k", source.fetch)).toBe("credential-1");
      clock.advance(60_000);
    }
    expect(source.calls).toBe(1);
  });

  it("renews proactively inside the 60 s window, once, while callers keep the old credential", async () => {
    const clock = fakeClock();
    const cache = createCredentialCache<string>({ now: clock.now });
    const source = counter(clock);
    await cache.get("k", source.fetch);
    clock.advance(LIFETIME - 61_000);
    expect(await cache.get("k", source.fetch)).toBe("credential-1");
    expect(source.calls).toBe(1);
    clock.advance(2_000); // 59 s before expiry
    source.hold();
    const during = await Promise.all(Array.from({ length: 20 }, () => cache.get("k", source.fetch)));
    expect(during.every((value) => value === "credential-1")).toBe(true);
    expect(source.calls).toBe(2); // single-flight
    source.release();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(await cache.get("k", source.fetch)).toBe("credential-2");
    expect(source.calls).toBe(2);
  });

  it("callers during a renewal never wait for it", async () => {
    const clock = fakeClock();
    const cache = createCredentialCache<string>({ now: clock.now });
    const source = counter(clock);
    await cache.get("k", source.fetch);
    clock.advance(LIFETIME - 30_000);
    source.hold(); // the renewal never answers during this test
    const answer = await Promise.race([cache.get("k", source.fetch), new Promise((resolve) => setTimeout(() => resolve("waited"), 50))]);
    expect(answer).toBe("credential-1");
    source.release();
  });

  it("cold keys: concurrent callers fetch concurrently, each with its own exchange", async () => {
    const clock = fakeClock();
    const cache = createCredentialCache<string>({ now: clock.now });
    const source = counter(clock);
    const values = await Promise.all([cache.get("k", source.fetch), cache.get("k", source.fetch), cache.get("k", source.fetch)]);
    expect(source.calls).toBe(3);
    expect(new Set(values).size).toBe(3);
    await cache.get("k", source.fetch);
    expect(source.calls).toBe(3);
  });

  it("an expired entry is fetched again by the caller; keys are independent", async () => {
    const clock = fakeClock();
    const cache = createCredentialCache<string>({ now: clock.now });
    const source = counter(clock);
    await cache.get("a", source.fetch);
    await cache.get("b", source.fetch);
    expect(source.calls).toBe(2);
    clock.advance(LIFETIME);
    expect(await cache.get("a", source.fetch)).toBe("credential-3");
  });

  it("a failed renewal keeps the old credential until it expires, retries after a pause, and is reported", async () => {
    const clock = fakeClock();
    const reported: unknown[] = [];
    const cache = createCredentialCache<string>({ now: clock.now, onRenewalError: (error) => reported.push(error) });
    let fail = false;
    let calls = 0;
    const fetch = async () => {
      calls++;
      if (fail) throw new Error("STS down");
      return { value: `credential-${calls}`, expiresAt: clock.now() + LIFETIME };
    };
    await cache.get("k", fetch);
    fail = true;
    clock.advance(LIFETIME - 50_000);
    expect(await cache.get("k", fetch)).toBe("credential-1");
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(reported).toHaveLength(1);
    expect(await cache.get("k", fetch)).toBe("credential-1");
    expect(calls).toBe(2); // backing off
    clock.advance(5_000);
    expect(await cache.get("k", fetch)).toBe("credential-1");
    expect(calls).toBe(3); // retried
    await new Promise((resolve) => setTimeout(resolve, 0));
    clock.advance(45_000); // expired now: the caller's own fetch fails
    await expect(cache.get("k", fetch)).rejects.toThrow("STS down");
  });

  it("a renewal that was dropped (a Worker ended) stops blocking renewals after renewalTimeoutMs", async () => {
    const clock = fakeClock();
    const cache = createCredentialCache<string>({ now: clock.now, renewalTimeoutMs: 10_000 });
    let calls = 0;
    const never = () => new Promise<never>(() => undefined);
    await cache.get("k", async () => ({ value: "first", expiresAt: clock.now() + LIFETIME }));
    const fetch = () => (++calls, never());
    clock.advance(LIFETIME - 59_000);
    await cache.get("k", fetch);
    clock.advance(9_000);
    await cache.get("k", fetch);
    expect(calls).toBe(1);
    clock.advance(1_000);
    await cache.get("k", fetch);
    expect(calls).toBe(2);
  });
});
