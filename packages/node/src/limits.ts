/**
 * What keeps one tenant or one caller from taking the server away from everyone else:
 *   - each bucket has its own backend connection pool (undici Agent) and at most `bucketConnections` backend
 *     requests in flight; more wait in a bounded FIFO queue, and past `bucketQueueMs` get 503 SlowDown;
 *   - every backend wait is bounded: connect, response headers, and the idle time between body bytes;
 *   - anonymous callers have at most `anonymousRequestsPerAddress` requests in flight per source address.
 * A client that stops sending or reading for `idleTimeoutMs` loses its connection and its backend request
 * (forward.ts, body-idle.ts).
 */
import { S3Error } from "@multistore/core";
import { Agent } from "undici";

/** The server's limits; every wait has a bound. */
export interface ServerLimits {
  /** Connecting to a backend (ms). */
  connectTimeoutMs: number;
  /** A backend's response headers, from when the request was sent (ms). */
  headersTimeoutMs: number;
  /** Silence in a body, either way: backend to us, client to us, us to a client that does not read (ms). */
  idleTimeoutMs: number;
  /** Backend requests in flight per bucket (its pool's connections). */
  bucketConnections: number;
  /** How long a request may wait for one of its bucket's connections before 503 SlowDown (ms). */
  bucketQueueMs: number;
  /** Requests in flight per source address for anonymous callers (0: no cap). */
  anonymousRequestsPerAddress: number;
}

/** The defaults: 10 s to connect, 30 s for headers, 30 s of silence, 64 connections per bucket, 32 anonymous. */
export const DEFAULT_LIMITS: ServerLimits = {
  connectTimeoutMs: 10_000,
  headersTimeoutMs: 30_000,
  idleTimeoutMs: 30_000,
  bucketConnections: 64,
  bucketQueueMs: 10_000,
  anonymousRequestsPerAddress: 32,
};

function slowDown(message: string): S3Error {
  return new S3Error("SlowDown", { message, headers: { "retry-after": "1" } });
}

/** A counting semaphore with a bounded FIFO queue: `acquire` resolves with a release function, or rejects in time. */
export class Slots {
  private inUse = 0;
  private readonly waiting: { grant: () => void; timer: ReturnType<typeof setTimeout> }[] = [];

  constructor(
    private readonly capacity: number,
    private readonly maxWaiting = 4096,
  ) {}

  /** A free slot's release function, or undefined when every slot is taken (without waiting or queueing). */
  tryAcquire(): (() => void) | undefined {
    if (this.inUse >= this.capacity) return undefined;
    this.inUse++;
    return this.releaser();
  }

  /**
   * A slot; waits at most `timeoutMs`, then rejects with SlowDown (as it does when the queue is full). `signal` ends
   * the wait early (the caller went away), rejecting with its reason.
   */
  acquire(timeoutMs: number, signal?: AbortSignal): Promise<() => void> {
    const free = this.tryAcquire();
    if (free !== undefined) return Promise.resolve(free);
    if (this.waiting.length >= this.maxWaiting) return Promise.reject(slowDown("Too many requests are waiting for this bucket's backend."));
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const leave = (error: unknown) => {
        const index = this.waiting.indexOf(entry);
        if (index !== -1) this.waiting.splice(index, 1);
        clearTimeout(entry.timer);
        signal?.removeEventListener("abort", aborted);
        reject(error);
      };
      const aborted = () => leave(signal!.reason);
      const entry = {
        grant: () => {
          signal?.removeEventListener("abort", aborted);
          resolve(this.releaser());
        },
        timer: setTimeout(() => leave(slowDown("This bucket's backend is busy; try again.")), timeoutMs),
      };
      signal?.addEventListener("abort", aborted, { once: true });
      this.waiting.push(entry);
    });
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) {
        clearTimeout(next.timer);
        next.grant();
      } else this.inUse--;
    };
  }

  /** Requests holding a slot (for tests and diagnostics). */
  get active(): number {
    return this.inUse;
  }
}

/** Per-bucket backend pools and slots. */
export class BucketPools {
  private readonly pools = new Map<string, { agent: Agent; slots: Slots }>();

  constructor(private readonly limits: ServerLimits) {}

  private poolOf(bucket: string) {
    let pool = this.pools.get(bucket);
    if (!pool) {
      const { connectTimeoutMs, headersTimeoutMs, idleTimeoutMs, bucketConnections } = this.limits;
      pool = {
        agent: new Agent({
          keepAliveTimeout: 10_000,
          connections: bucketConnections,
          connect: { timeout: connectTimeoutMs },
          headersTimeout: headersTimeoutMs,
          bodyTimeout: idleTimeoutMs,
        }),
        slots: new Slots(bucketConnections),
      };
      this.pools.set(bucket, pool);
    }
    return pool;
  }

  /** The connection pool of a bucket's backend requests. */
  dispatcher(bucket: string): Agent {
    return this.poolOf(bucket).agent;
  }

  /** One of the bucket's backend slots if one is free now (no promise, no queue), else undefined. */
  tryAcquire(bucket: string): (() => void) | undefined {
    return this.poolOf(bucket).slots.tryAcquire();
  }

  /** Waits (bounded, or until `signal` aborts) for one of the bucket's backend slots. */
  acquire(bucket: string, signal?: AbortSignal): Promise<() => void> {
    return this.poolOf(bucket).slots.acquire(this.limits.bucketQueueMs, signal);
  }

  /** Closes every pool. */
  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((pool) => pool.agent.close()));
  }
}

const NOT_COUNTED = () => {};

/** Requests in flight per source address; `enter` refuses past the cap. */
export class AddressCounter {
  private readonly counts = new Map<string, number>();

  constructor(private readonly cap: number) {}

  /** Counts a request in; throws SlowDown when the address already has `cap` in flight. Returns the leave function. */
  enter(address: string): () => void {
    // No cap, nothing to count: the counts serve the cap alone.
    if (this.cap <= 0) return NOT_COUNTED;
    const count = this.counts.get(address) ?? 0;
    if (count >= this.cap) throw slowDown("Too many anonymous requests from your address at once.");
    this.counts.set(address, count + 1);
    let left = false;
    return () => {
      if (left) return;
      left = true;
      const now = (this.counts.get(address) ?? 1) - 1;
      if (now <= 0) this.counts.delete(address);
      else this.counts.set(address, now);
    };
  }
}
