/** The JWKS cache's in-flight sharing: one fetch for concurrent callers by default, one per caller when unshared. */
import { describe, expect, it } from "vitest";
import { createJwksCache, type JwksCacheOptions } from "../src/index.js";

const ISSUER = "https://idp.example";

/**
 * A fake issuer behind a fake `fetch` that counts discovery and JWKS requests. `hangNext()` makes the next request
 * hang until `release()`, standing in for a fetch tied to another (Worker) request that never completes.
 */
function fakeIssuer() {
  const fetches = { discovery: 0, jwks: 0 };
  const held: Array<() => void> = [];
  let hang = false;
  const fetch = async (input: string | URL | Request) => {
    if (hang) {
      hang = false;
      await new Promise<void>((resolve) => held.push(resolve));
      return new Response("gone", { status: 503 });
    }
    const url = String(input);
    // A macrotask, so concurrent callers really overlap instead of finishing one by one.
    await new Promise((resolve) => setTimeout(resolve, 5));
    if (url === `${ISSUER}/.well-known/openid-configuration`) {
      fetches.discovery++;
      return Response.json({ issuer: ISSUER, jwks_uri: `${ISSUER}/jwks` });
    }
    if (url === `${ISSUER}/jwks`) {
      fetches.jwks++;
      return Response.json({ keys: [{ kty: "RSA", kid: `k${fetches.jwks}`, n: "AQAB", e: "AQAB" }] });
    }
    return new Response("no", { status: 404 });
  };
  return {
    fetches,
    hangNext: () => void (hang = true),
    release: () => held.splice(0).forEach((resolve) => resolve()),
    cache: (options: JwksCacheOptions = {}) => createJwksCache({ fetch: fetch as typeof globalThis.fetch, ...options }),
  };
}

/** Whether `promise` settles within `ms` (it must not when it waits on a fetch that hangs). */
const settlesWithin = (promise: Promise<unknown>, ms: number) =>
  Promise.race([promise.then(() => true, () => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms))]);

describe("JWKS cache in-flight sharing", () => {
  it("shares one fetch between concurrent callers by default, then serves them from the cache", async () => {
    const idp = fakeIssuer();
    const keys = idp.cache();
    const results = await Promise.all([keys.keys(ISSUER), keys.keys(ISSUER), keys.keys(ISSUER)]);
    expect(idp.fetches).toEqual({ discovery: 1, jwks: 1 });
    expect(results.map((result) => result.fresh)).toEqual([true, true, true]);
    expect(await keys.keys(ISSUER)).toMatchObject({ fresh: false, jwks: { keys: [{ kid: "k1" }] } });
    expect(idp.fetches.jwks).toBe(1);
  });

  it("unshared: each concurrent caller of a cold cache fetches for itself, and the result is still cached", async () => {
    const idp = fakeIssuer();
    const keys = idp.cache({ shareInFlight: false });
    const results = await Promise.all([keys.keys(ISSUER), keys.keys(ISSUER), keys.keys(ISSUER)]);
    expect(idp.fetches).toEqual({ discovery: 3, jwks: 3 });
    expect(results.map((result) => result.fresh)).toEqual([true, true, true]);
    expect(await keys.keys(ISSUER)).toMatchObject({ fresh: false });
    expect(idp.fetches.jwks).toBe(3);
  });

  it("unshared: a caller never waits on a fetch another caller started (shared: it does)", async () => {
    const unshared = fakeIssuer();
    const keys = unshared.cache({ shareInFlight: false });
    unshared.hangNext();
    const first = keys.keys(ISSUER);
    // The first caller's fetch never answers (its request is gone); the second caller must not depend on it.
    expect(await settlesWithin(keys.keys(ISSUER), 2000)).toBe(true);
    expect(await keys.keys(ISSUER)).toMatchObject({ fresh: false });
    expect(await settlesWithin(first, 50)).toBe(false);
    unshared.release();
    await first.catch(() => undefined);

    const shared = fakeIssuer();
    const sharing = shared.cache();
    shared.hangNext();
    const owner = sharing.keys(ISSUER);
    const waiter = sharing.keys(ISSUER);
    expect(await settlesWithin(waiter, 200)).toBe(false);
    shared.release();
    await Promise.all([owner, waiter].map((promise) => promise.catch(() => undefined)));
  });

  it("unshared: refetches for unknown kids are still limited to one per interval", async () => {
    let clock = 1_000_000;
    const idp = fakeIssuer();
    const keys = idp.cache({ shareInFlight: false, now: () => clock });
    await keys.keys(ISSUER);
    expect(await keys.refetch(ISSUER)).toMatchObject({ keys: [{ kid: "k2" }] });
    const again = await Promise.all([keys.refetch(ISSUER), keys.refetch(ISSUER)]);
    expect(again).toEqual([undefined, undefined]);
    expect(idp.fetches.jwks).toBe(2);
    clock += 30_000;
    expect(await keys.refetch(ISSUER)).toMatchObject({ keys: [{ kid: "k3" }] });
    expect(idp.fetches.jwks).toBe(3);
  });
});

describe("the JWKS cache against an issuer that misbehaves", () => {
  it("says a trickled document did not arrive in time, and an endless one is too large, each within its bound", async () => {
    const { startAnswerPeer } = await import("@multistore/testing");
    for (const [kind, message] of [
      ["trickle", "did not arrive in full (in time)"],
      ["endless", "is too large"],
    ] as const) {
      const peer = await startAnswerPeer(kind);
      try {
        const cache = createJwksCache({ timeoutMs: 500, allowInsecureIssuers: true });
        const started = performance.now();
        await expect(cache.keys(peer.url), kind).rejects.toMatchObject({ code: "IDPCommunicationError", message: expect.stringContaining(message) });
        expect(performance.now() - started, kind).toBeLessThan(3000);
      } finally {
        await peer.close();
      }
    }
  });
});
