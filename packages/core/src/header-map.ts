/**
 * `HeaderMap`: the `Headers` interface over one plain record of lowercase names. WHATWG `Headers` validates, lower-
 * cases and sorts on every operation; on the hot path a request built them about six times over. Header names and
 * values that reach a HeaderMap come from HTTP parsers (node:http, undici, fetch) that already refused what HTTP
 * forbids, or from our own code, so it checks nothing and keeps insertion order.
 */

/**
 * Header records are objects whose prototype holds nothing, so a header named `constructor` or `__proto__` is just
 * a header. `Object.create(null)` gives the same safety but makes a dictionary-mode object: several times slower to
 * build and read, and larger, for the handful of headers a request has. Instances of an empty constructor over a
 * frozen null-prototype object stay fast-mode.
 */
function HeaderRecord(this: Record<string, string>): void {}
HeaderRecord.prototype = Object.freeze(Object.create(null) as object);

/** An empty record for header names (no inherited properties; see `HeaderRecord`). */
export function createHeaderRecord(): Record<string, string> {
  return new (HeaderRecord as unknown as new () => Record<string, string>)();
}

type Init = Headers | Iterable<readonly [string, string]> | Record<string, string | undefined> | undefined;

function* entriesOf(record: Record<string, string>): HeadersIterator<[string, string]> {
  for (const name in record) yield [name, record[name]!];
}

/** A `Headers` over a plain record; `record` can be handed to node:http's `writeHead` or to undici as it is. */
export class HeaderMap implements Headers {
  /** Lowercase name → value, repeated values joined with `", "` as `Headers` does. Read-only for callers. */
  readonly record: Record<string, string>;

  /** Copies `init` (a `Headers`, a HeaderMap, name/value pairs or a record whose undefined values are skipped). */
  constructor(init?: Init) {
    this.record = createHeaderRecord();
    if (init === undefined) return;
    if (init instanceof HeaderMap) {
      for (const name in init.record) this.record[name] = init.record[name]!;
    } else if (typeof (init as Iterable<unknown>)[Symbol.iterator] === "function") {
      for (const [name, value] of init as Iterable<readonly [string, string]>) this.append(name, value);
    } else {
      const record = init as Record<string, string | undefined>;
      for (const name in record) {
        const value = record[name];
        if (value !== undefined) this.append(name, value);
      }
    }
  }

  /**
   * Wraps a record whose names are already lowercase, without copying it: the HeaderMap owns it from now on. The
   * Node adapter builds request headers this way in one pass over `rawHeaders`.
   */
  static adopt<M extends HeaderMap>(this: new () => M, record: Record<string, string>): M {
    // (`this`: a subclass's `adopt` makes one of its own.)
    const map = new this();
    (map as { record: Record<string, string> }).record = record;
    return map;
  }

  append(name: string, value: string): void {
    const lower = name.toLowerCase();
    const previous = this.record[lower];
    this.record[lower] = previous === undefined ? value : `${previous}, ${value}`;
  }

  delete(name: string): void {
    // Deleting a name that was never set is the common case (framing headers of plain uploads).
    if (this.record[name] !== undefined) delete this.record[name];
    else if (this.record[name.toLowerCase()] !== undefined) delete this.record[name.toLowerCase()];
  }

  get(name: string): string | null {
    // Callers pass lowercase literals; the second lookup serves everyone else.
    return this.record[name] ?? this.record[name.toLowerCase()] ?? null;
  }

  getSetCookie(): string[] {
    const value = this.record["set-cookie"];
    return value === undefined ? [] : [value];
  }

  has(name: string): boolean {
    return this.record[name] !== undefined || this.record[name.toLowerCase()] !== undefined;
  }

  set(name: string, value: string): void {
    this.record[name.toLowerCase()] = value;
  }

  forEach(callback: (value: string, key: string, parent: Headers) => void, thisArg?: unknown): void {
    const record = this.record;
    if (thisArg === undefined) for (const name in record) callback(record[name]!, name, this);
    else for (const name in record) callback.call(thisArg, record[name]!, name, this);
  }

  entries(): HeadersIterator<[string, string]> {
    return entriesOf(this.record);
  }

  *keys(): HeadersIterator<string> {
    for (const name in this.record) yield name;
  }

  *values(): HeadersIterator<string> {
    for (const name in this.record) yield this.record[name]!;
  }

  [Symbol.iterator](): HeadersIterator<[string, string]> {
    return entriesOf(this.record);
  }
}

/** The record of a `Headers`-like object: a HeaderMap's own, or a fresh copy. For runtimes' native HTTP clients. */
export function headerRecord(headers: Headers): Record<string, string> {
  if (headers instanceof HeaderMap) return headers.record;
  const out: Record<string, string> = {};
  headers.forEach((value, name) => {
    out[name] = value;
  });
  return out;
}
