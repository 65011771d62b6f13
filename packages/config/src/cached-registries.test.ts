import { describe, expect, it } from "vitest";
import type { BucketConfig, StoredCredential } from "@multistore/core";
import { createCachedRegistries, layeredRegistries } from "./index.js";

const bucket = (name: string, version = 1) => ({ name, backend_type: "fs", backend_options: { root: `/data/${version}` } }) as unknown as BucketConfig;

/** A source that counts lookups and can be made to fail. */
function source() {
  const calls: string[] = [];
  let failing = false;
  let version = 1;
  const known = new Set(["a", "b"]);
  const check = (what: string) => {
    calls.push(what);
    if (failing) throw new Error("source down");
  };
  return {
    calls,
    fail: (value: boolean) => void (failing = value),
    bump: () => void version++,
    registries: {
      buckets: {
        getBucket: async (name: string) => {
          check(`bucket ${name}`);
          return known.has(name) ? bucket(name, version) : undefined;
        },
        listBuckets: async () => {
          check("list");
          return [bucket("a", version), bucket("b", version)];
        },
      },
      credentials: {
        getCredential: async (id: string) => {
          check(`credential ${id}`);
          return id === "AKIA1" ? ({ access_key_id: id } as StoredCredential) : undefined;
        },
      },
      roles: async (id: string) => {
        check(`role ${id}`);
        return (id === "reader" ? { role_id: id } : undefined) as never;
      },
    },
  };
}

describe("createCachedRegistries", () => {
  it("answers from the cache within the TTL, then looks up again", async () => {
    let now = 0;
    const origin = source();
    const cached = createCachedRegistries(origin.registries, { ttlMs: 1000, now: () => now });
    expect(await cached.buckets!.getBucket("a")).toMatchObject({ name: "a", backend_options: { root: "/data/1" } });
    origin.bump();
    now = 999;
    expect(await cached.buckets!.getBucket("a")).toMatchObject({ backend_options: { root: "/data/1" } });
    now = 1000;
    expect(await cached.buckets!.getBucket("a")).toMatchObject({ backend_options: { root: "/data/2" } });
    expect(await cached.credentials!.getCredential("AKIA1")).toMatchObject({ access_key_id: "AKIA1" });
    expect(await cached.credentials!.getCredential("AKIA1")).toMatchObject({ access_key_id: "AKIA1" });
    expect(await cached.roles!("reader")).toMatchObject({ role_id: "reader" });
    expect(await cached.roles!("reader")).toMatchObject({ role_id: "reader" });
    expect(await cached.buckets!.listBuckets()).toHaveLength(2);
    expect(await cached.buckets!.listBuckets()).toHaveLength(2);
    expect(origin.calls).toEqual(["bucket a", "bucket a", "credential AKIA1", "role reader", "list"]);
  });

  it("remembers unknown names for the shorter negative TTL", async () => {
    let now = 0;
    const origin = source();
    const cached = createCachedRegistries(origin.registries, { ttlMs: 1000, negativeTtlMs: 100, now: () => now });
    for (let index = 0; index < 5; index++) expect(await cached.credentials!.getCredential("AKIAUNKNOWN")).toBeUndefined();
    now = 100;
    expect(await cached.credentials!.getCredential("AKIAUNKNOWN")).toBeUndefined();
    expect(origin.calls).toEqual(["credential AKIAUNKNOWN", "credential AKIAUNKNOWN"]);
  });

  it("shares one lookup between concurrent misses of a name", async () => {
    const origin = source();
    const cached = createCachedRegistries(origin.registries, { ttlMs: 1000 });
    const answers = await Promise.all(Array.from({ length: 20 }, () => cached.buckets!.getBucket("b")));
    expect(new Set(answers).size).toBe(1);
    expect(origin.calls).toEqual(["bucket b"]);
    const unshared = source();
    const separate = createCachedRegistries(unshared.registries, { ttlMs: 1000, shareInFlight: false });
    await Promise.all(Array.from({ length: 3 }, () => separate.buckets!.getBucket("b")));
    expect(unshared.calls).toEqual(["bucket b", "bucket b", "bucket b"]);
  });

  it("answers at once while the source keeps failing (a hanging service), asking it again in the background", async () => {
    let now = 0;
    let hanging = false;
    let release: (() => void) | undefined;
    const asked: string[] = [];
    const registries = {
      buckets: {
        getBucket: async (name: string) => {
          asked.push(name);
          if (hanging) {
            // A service that hangs until its timeout, then fails (unless it recovered meanwhile).
            await new Promise<void>((resolve) => {
              release = resolve;
            });
            if (hanging) throw new Error("timed out");
          }
          return bucket(name, asked.length);
        },
        listBuckets: async () => [],
      },
    };
    const cached = createCachedRegistries(registries, { ttlMs: 1000, staleIfErrorMs: 60_000, now: () => now });
    expect(await cached.buckets!.getBucket("a")).toMatchObject({ name: "a" });
    hanging = true;
    now = 2000;
    // The first lookup after expiry waits for the source's failure, then is answered stale.
    const first = cached.buckets!.getBucket("a");
    await new Promise((resolve) => setTimeout(resolve, 0));
    release!();
    expect(await first).toMatchObject({ backend_options: { root: "/data/1" } });
    // The next ones are answered at once, stale, while one lookup asks the source in the background.
    now = 3000;
    const second = cached.buckets!.getBucket("a");
    expect(second).not.toBeInstanceOf(Promise);
    expect(second).toMatchObject({ backend_options: { root: "/data/1" } });
    expect(cached.buckets!.getBucket("a")).toMatchObject({ backend_options: { root: "/data/1" } });
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(asked).toEqual(["a", "a", "a"]);
    // The source recovers: the background lookup's answer replaces the entry.
    hanging = false;
    release!();
    await new Promise((resolve) => setTimeout(resolve, 0));
    now = 3500;
    expect(await cached.buckets!.getBucket("a")).toMatchObject({ backend_options: { root: "/data/3" } });
    // Past the stale-if-error window nothing stale answers: the lookup waits for the source again.
    hanging = true;
    now = 100_000;
    const late = cached.buckets!.getBucket("a");
    expect(late).toBeInstanceOf(Promise);
    await new Promise((resolve) => setTimeout(resolve, 0));
    release!();
    await expect(late).rejects.toThrow("timed out");
  });

  it("answers from an expired entry while the source fails, for staleIfErrorMs, and says so", async () => {
    let now = 0;
    const origin = source();
    const stale: string[] = [];
    const cached = createCachedRegistries(origin.registries, { ttlMs: 1000, staleIfErrorMs: 5000, now: () => now, onStale: (error, what) => stale.push(`${what}: ${(error as Error).message}`) });
    expect(await cached.buckets!.getBucket("a")).toMatchObject({ name: "a" });
    origin.fail(true);
    now = 2000;
    expect(await cached.buckets!.getBucket("a")).toMatchObject({ name: "a" });
    expect(stale).toEqual(['bucket "a": source down']);
    now = 6001;
    await expect(cached.buckets!.getBucket("a")).rejects.toThrow("source down");
    // A name never seen has nothing stale to serve.
    await expect(cached.buckets!.getBucket("b")).rejects.toThrow("source down");
    // Nor one the source said was unknown, once that expired: it may exist by now (a 503 is retried, NoSuchBucket not).
    origin.fail(false);
    expect(await cached.buckets!.getBucket("nope")).toBeUndefined();
    origin.fail(true);
    now = 8000;
    await expect(cached.buckets!.getBucket("nope")).rejects.toThrow("source down");
    origin.fail(false);
    expect(await cached.buckets!.getBucket("a")).toMatchObject({ name: "a" });
  });

  it("recovers from a lookup that throws at once (a plain function), asking again on the next miss", async () => {
    let calls = 0;
    let failing = true;
    const cached = createCachedRegistries(
      {
        roles: (id: string) => {
          calls++;
          if (failing) throw new Error("lookup broke");
          return { role_id: id } as never;
        },
      },
      { ttlMs: 1000 },
    );
    await expect(Promise.resolve(cached.roles!("reader"))).rejects.toThrow("lookup broke");
    failing = false;
    expect(await cached.roles!("reader")).toMatchObject({ role_id: "reader" });
    expect(calls).toBe(2);
  });

  it("keeps at most maxEntries names, dropping the oldest", async () => {
    const origin = source();
    const cached = createCachedRegistries(origin.registries, { ttlMs: 60_000, maxEntries: 2 });
    for (const name of ["x1", "x2", "x3", "x1"]) await cached.buckets!.getBucket(name);
    expect(origin.calls).toEqual(["bucket x1", "bucket x2", "bucket x3", "bucket x1"]);
  });

  it("refuses durations that are not non-negative numbers, and leaves out registries it was not given", () => {
    expect(() => createCachedRegistries({}, { ttlMs: -1 })).toThrow("ttlMs must be a non-negative number");
    expect(() => createCachedRegistries({}, { ttlMs: 1, staleIfErrorMs: Number.NaN })).toThrow("staleIfErrorMs");
    expect(createCachedRegistries({ roles: () => undefined }, { ttlMs: 1 })).toEqual({ roles: expect.any(Function) });
  });
});

describe("layeredRegistries", () => {
  it("asks each source in turn, and lists each bucket name once (the first source's entry)", async () => {
    const first = { buckets: { getBucket: (name: string) => (name === "a" ? bucket("a", 1) : undefined), listBuckets: () => [bucket("a", 1)] }, roles: (id: string) => (id === "r1" ? ({ role_id: "r1" } as never) : undefined) };
    const second = source().registries;
    const layered = layeredRegistries(first, second);
    expect(await layered.buckets.getBucket("a")).toMatchObject({ backend_options: { root: "/data/1" } });
    expect(await layered.buckets.getBucket("b")).toMatchObject({ name: "b" });
    expect(await layered.buckets.getBucket("zzz")).toBeUndefined();
    expect((await layered.buckets.listBuckets()).map((entry) => entry.name)).toEqual(["a", "b"]);
    expect(await layered.credentials.getCredential("AKIA1")).toMatchObject({ access_key_id: "AKIA1" });
    expect(await layered.roles("r1")).toMatchObject({ role_id: "r1" });
    expect(await layered.roles("reader")).toMatchObject({ role_id: "reader" });
    expect(await layered.roles("none")).toBeUndefined();
  });
});
