/**
 * Counters in Cloudflare Durable Objects (`@multistore/metering/durable-object`): every isolate of a Worker
 * deployment counts in the same objects, so a limit holds across the whole fleet. `MeteringCounters` is the Durable
 * Object class (export it from the Worker's entry and bind it, e.g. as `METERING`); `createDurableObjectStore` is the
 * `CounterStore` the Worker's limiter uses. Web-standard APIs only: no Node built-in, no `cloudflare:` module, so this
 * file also loads (and is tested) on Node with a fake namespace.
 */
import { readAtMost } from "@multistore/core/runtime";
import type { CounterStore, CounterUpdate } from "./types.js";

/** The part of a Durable Object's storage (its key-value API) that `MeteringCounters` uses. */
export interface MeteringStorage {
  get<T>(keys: string[]): Promise<Map<string, T>>;
  put<T>(entries: Record<string, T>): Promise<void>;
  delete(keys: string[]): Promise<number>;
  list<T>(options?: { startAfter?: string; limit?: number }): Promise<Map<string, T>>;
  getAlarm(): Promise<number | null>;
  setAlarm(scheduledTime: number): Promise<void>;
}

/** The part of a Durable Object's state (`ctx`) that `MeteringCounters` uses. */
export interface MeteringObjectState {
  storage: MeteringStorage;
}

/** A stub of one Durable Object: what `createDurableObjectStore` calls. */
export interface MeteringObjectStub {
  fetch(input: string, init?: RequestInit): Promise<Response>;
}

/** The Durable Object namespace binding of `MeteringCounters` (e.g. `env.METERING`), as far as the store uses it. */
export interface MeteringNamespace<Id = unknown> {
  idFromName(name: string): Id;
  get(id: Id): MeteringObjectStub;
}

/** Options of `createDurableObjectStore`. */
export interface DurableObjectStoreOptions {
  /** How many objects the counters are spread over (default 16, at most 1024). */
  shards?: number | undefined;
}

/** Most updates in one request to an object (also the most keys the storage API takes in one call). */
export const MAX_UPDATES_PER_REQUEST = 128;
/** Largest request body an object reads: 128 updates with keys of the longest length fit with room to spare. */
export const MAX_BODY_BYTES = 128 * 1024;
/** Longest counter key, in characters (the storage API takes keys up to 2 KiB of UTF-8). */
export const MAX_KEY_LENGTH = 512;
/** Longest counter life (the limiter's windows are at most 31 days). */
const MAX_TTL_SECS = 31 * 86400;
/** Expired counters are swept at most this often: one sweep lists every counter of the object. */
const SWEEP_INTERVAL_MS = 60_000;
/** Counters listed per page while sweeping (bounds the object's memory). */
const SWEEP_PAGE = 1000;

/** A counter as stored: its value and when it stops counting (ms since epoch). */
interface StoredCounter {
  value: number;
  expiresAt: number;
}

/** A request body the object refuses. */
class BadRequest extends Error {
  constructor(
    message: string,
    readonly status: number
  ) {
    super(message);
  }
}

/** Reads at most `limit` bytes of a body as text; more is refused whatever `content-length` says. */
async function readBounded(request: Request, limit: number): Promise<string> {
  const declared = Number(request.headers.get("content-length") ?? 0);
  if (declared > limit) throw new BadRequest(`the body is larger than ${limit} bytes`, 413);
  if (request.body === null) return "";
  const bytes = await readAtMost(request.body, limit);
  if (bytes === undefined) throw new BadRequest(`the body is larger than ${limit} bytes`, 413);
  return new TextDecoder().decode(bytes);
}

/** The updates of a request body (`{"updates":[{key, amount, ttlSecs}, ...]}`), checked one by one. */
function parseUpdates(text: string): CounterUpdate[] {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new BadRequest("the body is not JSON", 400);
  }
  const updates = (body as { updates?: unknown } | null)?.updates;
  if (!Array.isArray(updates)) throw new BadRequest("the body has no updates array", 400);
  if (updates.length > MAX_UPDATES_PER_REQUEST) throw new BadRequest(`more than ${MAX_UPDATES_PER_REQUEST} updates`, 413);
  return updates.map((update: Partial<CounterUpdate> | null, index) => {
    const { key, amount, ttlSecs } = update ?? {};
    if (typeof key !== "string" || key.length === 0 || key.length > MAX_KEY_LENGTH) {
      throw new BadRequest(`updates[${index}].key must be a string of 1 to ${MAX_KEY_LENGTH} characters`, 400);
    }
    // (Negative: a reservation given back.)
    if (!Number.isSafeInteger(amount)) throw new BadRequest(`updates[${index}].amount must be an integer`, 400);
    if (!Number.isSafeInteger(ttlSecs) || ttlSecs! < 1 || ttlSecs! > MAX_TTL_SECS) {
      throw new BadRequest(`updates[${index}].ttlSecs must be an integer from 1 to ${MAX_TTL_SECS}`, 400);
    }
    return { key, amount: amount!, ttlSecs: ttlSecs! };
  });
}

/**
 * The Durable Object keeping the counters routed to it. Each counter is stored with the time it expires; an expired
 * one counts as absent and an alarm deletes it later. It answers `POST` with `{"updates":[...]}` by
 * `{"totals":[...]}` (a plain `fetch` handler: it needs no `cloudflare:workers` base class, so the module stays
 * portable).
 */
export class MeteringCounters {
  private readonly storage: MeteringStorage;
  /** Runs one batch or sweep at a time (see `serially`). */
  private queue: Promise<unknown> = Promise.resolve();
  /** Whether an alarm is known to be set, so most batches skip asking storage. */
  private sweepScheduled = false;

  /**
   * @param state the object's state (`ctx`); only its storage is used
   * @param _env the Worker's environment (unused)
   */
  constructor(state: MeteringObjectState, _env?: unknown) {
    this.storage = state.storage;
  }

  /** Applies a batch of updates: `POST` `{"updates":[...]}` → `{"totals":[...]}` (413 past the size bounds). */
  async fetch(request: Request): Promise<Response> {
    if (request.method !== "POST") return Response.json({ error: "use POST" }, { status: 405, headers: { allow: "POST" } });
    let updates: CounterUpdate[];
    try {
      updates = parseUpdates(await readBounded(request, MAX_BODY_BYTES));
    } catch (error) {
      if (error instanceof BadRequest) return Response.json({ error: error.message }, { status: error.status });
      throw error;
    }
    const totals = await this.serially(() => this.apply(updates));
    return Response.json({ totals });
  }

  /**
   * Deletes expired counters, then sets the next sweep while any counter is left. Each page is listed and pruned as
   * one serial step, so batches run between pages instead of waiting for the whole sweep (and a counter a batch
   * creates again in between is listed afresh, never deleted).
   */
  async alarm(): Promise<void> {
    const now = Date.now();
    let earliest = Number.POSITIVE_INFINITY;
    let startAfter: string | undefined;
    for (let more = true; more; ) {
      more = await this.serially(async () => {
        const page = await this.storage.list<StoredCounter>({ limit: SWEEP_PAGE, ...(startAfter !== undefined && { startAfter }) });
        const expired: string[] = [];
        for (const [key, counter] of page) {
          if (counter.expiresAt <= now) expired.push(key);
          else earliest = Math.min(earliest, counter.expiresAt);
          startAfter = key;
        }
        for (let start = 0; start < expired.length; start += MAX_UPDATES_PER_REQUEST) {
          await this.storage.delete(expired.slice(start, start + MAX_UPDATES_PER_REQUEST));
        }
        return page.size === SWEEP_PAGE;
      });
    }
    await this.serially(async () => {
      this.sweepScheduled = Number.isFinite(earliest);
      if (this.sweepScheduled) await this.storage.setAlarm(Math.max(earliest, now + SWEEP_INTERVAL_MS));
    });
  }

  /**
   * The object runs on one thread, and its input gates already keep one handler's storage reads and writes
   * together; chaining the batches makes "read, add, write" atomic across every await as well (including the
   * sweep's paged listing, which must not delete a counter a batch just created again).
   */
  private serially<T>(task: () => Promise<T>): Promise<T> {
    const result = this.queue.then(task, task);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async apply(updates: readonly CounterUpdate[]): Promise<number[]> {
    const now = Date.now();
    const stored = await this.storage.get<StoredCounter>([...new Set(updates.map((update) => update.key))]);
    const live = new Map<string, StoredCounter>();
    for (const [key, counter] of stored) if (counter.expiresAt > now) live.set(key, counter);
    const changed = new Map<string, StoredCounter>();
    const totals = updates.map(({ key, amount, ttlSecs }) => {
      const counter = live.get(key);
      // A give-back (a negative amount) never takes a counter below 0, nor creates one (see CounterStore.add).
      if (amount === 0 || (amount < 0 && counter === undefined)) return counter?.value ?? 0;
      // A fresh object per change: storage may hand out (and cache) the objects it returned.
      const next = { value: Math.max(0, (counter?.value ?? 0) + amount), expiresAt: counter?.expiresAt ?? now + ttlSecs * 1000 };
      live.set(key, next);
      changed.set(key, next);
      return next.value;
    });
    if (changed.size > 0) {
      await this.storage.put(Object.fromEntries(changed));
      await this.scheduleSweep(now);
    }
    return totals;
  }

  private async scheduleSweep(now: number): Promise<void> {
    if (this.sweepScheduled) return;
    // A pending alarm sweeps the counters written since (it lists them all), so only a missing one is set.
    if ((await this.storage.getAlarm()) === null) await this.storage.setAlarm(now + SWEEP_INTERVAL_MS);
    this.sweepScheduled = true;
  }
}

/** FNV-1a over the key's UTF-16 code units: fast, stable across isolates and releases, and well spread. */
function shardOf(key: string, shards: number): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < key.length; index++) {
    hash ^= key.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % shards;
}

/**
 * Creates a counter store over `MeteringCounters` objects. Keys are spread by hash over a fixed set of objects
 * (`shards`) rather than one object per key: the limiter's keys carry their window, so one object per key would
 * create a new object every window, and a new object's first request (placing it) is slow next to the store's
 * timeout; a few long-lived objects stay warm, and each takes about a thousand requests a second, so 16 of them carry
 * a busy deployment (raise `shards` for more). The shard count is part of the objects' names: changing it starts
 * from empty counters (the old objects sweep theirs) instead of mixing two layouts. One request per object and
 * call; totals come back in the order of the updates.
 */
export function createDurableObjectStore(namespace: MeteringNamespace, options: DurableObjectStoreOptions = {}): CounterStore {
  const shards = options.shards ?? 16;
  if (!Number.isSafeInteger(shards) || shards < 1 || shards > 1024) throw new Error("shards must be an integer from 1 to 1024");
  if (typeof namespace?.idFromName !== "function" || typeof namespace.get !== "function") {
    throw new Error("createDurableObjectStore needs a Durable Object namespace binding (of the MeteringCounters class)");
  }

  async function send(shard: number, updates: CounterUpdate[]): Promise<number[]> {
    const stub = namespace.get(namespace.idFromName(`multistore-metering-${shard}-of-${shards}`));
    const response = await stub.fetch("https://metering.invalid/add", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ updates }),
    });
    if (!response.ok) throw new Error(`the metering Durable Object answered ${response.status}: ${(await response.text()).slice(0, 200)}`);
    const totals = ((await response.json()) as { totals?: unknown }).totals;
    if (!Array.isArray(totals) || totals.length !== updates.length || !totals.every((total) => typeof total === "number")) {
      throw new Error("the metering Durable Object answered without a total per update");
    }
    return totals as number[];
  }

  return {
    async add(updates: readonly CounterUpdate[]): Promise<number[]> {
      const positionsByShard = new Map<number, number[]>();
      updates.forEach((update, position) => {
        const shard = shardOf(update.key, shards);
        const positions = positionsByShard.get(shard);
        if (positions === undefined) positionsByShard.set(shard, [position]);
        else positions.push(position);
      });
      const totals = new Array<number>(updates.length).fill(0);
      const requests: Promise<void>[] = [];
      for (const [shard, positions] of positionsByShard) {
        for (let start = 0; start < positions.length; start += MAX_UPDATES_PER_REQUEST) {
          const batch = positions.slice(start, start + MAX_UPDATES_PER_REQUEST);
          requests.push(send(shard, batch.map((position) => updates[position]!)).then((results) => batch.forEach((position, index) => (totals[position] = results[index]!))));
        }
      }
      await Promise.all(requests);
      return totals;
    },
  };
}
