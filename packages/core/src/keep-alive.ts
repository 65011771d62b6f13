/**
 * Long copies and multipart completions answered the way S3 answers them. A CopyObject of gigabytes between stores,
 * or a completion that joins many parts, can take minutes; a client waiting that long for a status line gives up
 * (boto3 after 60 s of silence, the Java SDK after 30 s) and retries work that is still running. S3 answers such
 * requests `200 OK` at once and sends whitespace until its result is ready, then the result document, or an error
 * document in that 200 answer (every SDK reads an error out of a 200 answer to these three operations).
 *
 * The gateway waits `afterMs` first: most copies and completions end sooner, and get their usual answer, with its
 * real status and every header (a version id). Past that the answer starts: the XML declaration, a space every
 * `everyMs` (whitespace after the declaration keeps the document well-formed), then the result's root element.
 */
import { LONG_CONTROL_TIMEOUT_MS } from "./control-answer.js";
import { HeaderMap } from "./header-map.js";
import type { PlainResponse } from "./types.js";

/** When a long answer starts, and how often it sends a byte. */
export interface KeepAliveSettings {
  /** How long the gateway waits for the outcome before it answers 200 and keeps the answer alive (ms). */
  afterMs: number;
  /** How often a space is sent while the outcome is still to come (ms). */
  everyMs: number;
}

/** The gateway's default: under every common client's and proxy's read timeout (30 s and more). */
export const DEFAULT_KEEP_ALIVE: KeepAliveSettings = { afterMs: 10_000, everyMs: 10_000 };

/** An error as the document that ends a kept-alive answer. */
export interface RenderedFailure {
  /** The S3 error code. */
  code: string;
  /** The status the error would have had (the answer's is 200): what a log tells failures by. */
  status: number;
  /** The error document (its XML declaration is dropped: the answer has sent one). */
  body: string;
}

/** An error that ended an answer already started as 200. */
export interface LateFailure {
  /** Its S3 error code. */
  code: string;
  /** The status it would have had. */
  status: number;
  /** The error (for logs; never shown to clients beyond its document). */
  error: unknown;
}

/** How a kept-alive answer ended. */
export interface KeepAliveEnd {
  /** Whether its last byte was handed to the runtime (false: the client stopped reading first). */
  complete: boolean;
  /** Set when the work failed after the answer started: the error in the 200 answer. */
  failure?: LateFailure;
}

const encoder = new TextEncoder();
const DECLARATION = encoder.encode('<?xml version="1.0" encoding="UTF-8"?>\n');
const SPACE = encoder.encode(" ");
const LEADING_DECLARATION = /^\s*<\?xml[^>]*\?>\s*/;
const BRAND = Symbol.for("multistore.keep-alive-body");

/**
 * The body of an answer kept alive: an async iterable of byte chunks a runtime streams as they come, and `ended`,
 * which says how it ended (for the request line: an error inside a 200 answer is still logged as that error).
 * Read once. Stopping it (`return()`, as a runtime does when the client leaves) stops its timer at once. It ends
 * when its work does: the work's own waits are bounded (a backend's copy by `LONG_CONTROL_TIMEOUT_MS`, a copy
 * streamed between stores by its silences), and a bound of its own here would end the answer while the work still
 * ran, and wrote what the client was told failed.
 */
export class KeepAliveBody implements AsyncIterableIterator<Uint8Array> {
  /** Marks the class across copies of this module (see `isKeepAliveBody`). */
  readonly [BRAND] = true;
  /** Resolves once the body is over: its last chunk taken, or the reading stopped. */
  readonly ended: Promise<KeepAliveEnd>;
  private resolveEnded!: (end: KeepAliveEnd) => void;
  private failure: LateFailure | undefined;
  private document: Uint8Array | undefined;
  private state: "declaration" | "waiting" | "over" = "declaration";
  private timer: ReturnType<typeof setTimeout> | undefined;
  private wake: (() => void) | undefined;
  /** The last chunk asked for: a `next()` made before it came waits for it (chunks are handed out in order, once). */
  private previous: Promise<unknown> = Promise.resolve();

  constructor(
    work: Promise<PlainResponse<unknown>>,
    private readonly everyMs: number,
    render: (error: unknown) => RenderedFailure,
  ) {
    this.ended = new Promise((resolve) => {
      this.resolveEnded = resolve;
    });
    work.then(
      (response) => this.settle(typeof response.body === "string" ? response.body : ""),
      (error: unknown) => {
        const rendered = render(error);
        this.failure = { code: rendered.code, status: rendered.status, error };
        this.settle(rendered.body);
      },
    );
  }

  /** The error inside the 200 answer, once the work failed after the answer started (read it once the body ended). */
  get lateFailure(): LateFailure | undefined {
    return this.failure;
  }

  /** The body itself: it is read once. */
  [Symbol.asyncIterator](): this {
    return this;
  }

  /** The next chunk: the declaration, a space after each `everyMs` of waiting, then the outcome's document. */
  next(): Promise<IteratorResult<Uint8Array>> {
    const chunk = this.previous.then(() => this.step());
    this.previous = chunk;
    return chunk;
  }

  /** Stops the body (the client left): no more timers; the work goes on until its own signal stops it. */
  return(): Promise<IteratorResult<Uint8Array>> {
    if (this.state !== "over") this.finish(false);
    return Promise.resolve({ done: true, value: undefined });
  }

  private step(): Promise<IteratorResult<Uint8Array>> | IteratorResult<Uint8Array> {
    if (this.state === "over") return { done: true, value: undefined };
    if (this.state === "declaration") {
      this.state = "waiting";
      return { done: false, value: DECLARATION };
    }
    if (this.document !== undefined) return this.last();
    return new Promise((resolve) => {
      this.timer = setTimeout(() => {
        this.wake = undefined;
        resolve({ done: false, value: SPACE });
      }, this.everyMs);
      this.wake = () => {
        clearTimeout(this.timer);
        resolve(this.state === "over" ? { done: true, value: undefined } : this.last());
      };
    });
  }

  private last(): IteratorResult<Uint8Array> {
    const document = this.document!;
    this.finish(true);
    return { done: false, value: document };
  }

  private settle(document: string): void {
    this.document = encoder.encode(document.replace(LEADING_DECLARATION, ""));
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private finish(complete: boolean): void {
    this.state = "over";
    clearTimeout(this.timer);
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
    this.resolveEnded({ complete, ...(this.failure !== undefined && { failure: this.failure }) });
  }
}

/** Whether a response body is a `KeepAliveBody` (of any copy of core). */
export function isKeepAliveBody(body: unknown): body is KeepAliveBody {
  return typeof body === "object" && body !== null && (body as { [BRAND]?: boolean })[BRAND] === true;
}

/**
 * The answer to a long operation: its own when `work` settles within `settings.afterMs` (a failure then rejects, as
 * ever), else a 200 XML answer whose body (`KeepAliveBody`) keeps the connection alive until the outcome. Without
 * settings, `work` itself.
 */
export function answerPatiently(work: Promise<PlainResponse<never>>, settings: KeepAliveSettings | undefined, render: (error: unknown) => RenderedFailure): Promise<PlainResponse<KeepAliveBody>> {
  if (settings === undefined) return work;
  return new Promise((resolve, reject) => {
    let started = false;
    const timer = setTimeout(() => {
      started = true;
      const headers = new HeaderMap();
      headers.set("content-type", "application/xml");
      resolve({ status: 200, headers, body: new KeepAliveBody(work, settings.everyMs, render) });
    }, settings.afterMs);
    work.then(
      (response) => {
        if (started) return;
        clearTimeout(timer);
        resolve(response);
      },
      (error: unknown) => {
        if (started) return;
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** Checks `createGateway`'s `keepAlive` option: whole milliseconds, at least 1. */
export function keepAliveSettings(option: Partial<KeepAliveSettings> | false | undefined): KeepAliveSettings | undefined {
  if (option === false) return undefined;
  // A field given as undefined keeps its default.
  const settings = { afterMs: option?.afterMs ?? DEFAULT_KEEP_ALIVE.afterMs, everyMs: option?.everyMs ?? DEFAULT_KEEP_ALIVE.everyMs };
  for (const name of ["afterMs", "everyMs"] as const) {
    const value = settings[name];
    if (!Number.isInteger(value) || value < 1 || value > LONG_CONTROL_TIMEOUT_MS) {
      throw new TypeError(`keepAlive.${name} must be a whole number of milliseconds from 1 to ${LONG_CONTROL_TIMEOUT_MS}, got ${String(value)}`);
    }
  }
  return settings;
}
