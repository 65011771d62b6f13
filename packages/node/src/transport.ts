/**
 * The gateway's own backend requests on Node (copies between stores: a source GET streamed into a destination PUT),
 * sent with undici through the pool of the bucket each is for, so they share its connections and bounds (connect,
 * headers, silence in a body).
 */
import type { Readable } from "node:stream";
import { HeaderMap, headerRecord, type BackendTransport } from "@multistore/core/runtime";
import type { Dispatcher } from "undici";
import { splitUrl } from "./forward.js";

/** Response headers as undici gives them (repeated names as arrays) in a `Headers`. */
function headersOf(raw: Record<string, string | string[] | undefined>): Headers {
  const headers = new HeaderMap();
  for (const name in raw) {
    const value = raw[name];
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(", ") : value);
  }
  return headers;
}

function ignore(): void {}

/**
 * Drops a body: destroyed, its error (undici's BodyReadable reports the abort it is destroyed with) heard here, where
 * an unheard 'error' event would end the process.
 */
function drop(body: Readable): void {
  body.on("error", ignore);
  body.destroy();
}

/** Reads at most `limit` bytes of `body` as text, then destroys it. */
async function readText(body: Readable, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      const bytes = typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer);
      chunks.push(bytes);
      size += bytes.length;
      if (size >= limit) break;
    }
  } finally {
    drop(body);
  }
  return Buffer.concat(chunks).subarray(0, limit).toString("utf8");
}

/** A bucket's backend slots (the runtime's `BucketPools`): a request holds one while it is in flight. */
export interface TransportSlots {
  /** A free slot's release function now, else undefined. */
  tryAcquire(bucket: string): (() => void) | undefined;
  /** Waits, bounded, for a slot (rejects with 503 SlowDown past the bucket's queue time, or when `signal` aborts). */
  acquire(bucket: string, signal?: AbortSignal): Promise<() => void>;
}

/**
 * Creates the transport: each request goes through `dispatcherFor(bucket)` (the runtime's per-bucket pools; any
 * undici dispatcher elsewhere), holding one of the bucket's `slots` (when given) from before it is sent until its
 * answer's body is done with. Slots keep the wait for a connection bounded: copies in opposite directions each hold a
 * source connection while they wait for the other bucket's, and undici's own queue has no bound.
 */
export function createNodeTransport(dispatcherFor: (bucket: string) => Dispatcher, slots?: TransportSlots): BackendTransport<Readable> {
  return {
    async send(request, body, options) {
      const { origin, path } = splitUrl(request.url);
      const release = slots ? (slots.tryAcquire(options.bucket) ?? (await slots.acquire(options.bucket, options.signal))) : undefined;
      try {
        const answer = await dispatcherFor(options.bucket).request({
          origin,
          path,
          method: request.method as Dispatcher.HttpMethod,
          headers: headerRecord(request.headers),
          body,
          signal: options.signal,
        });
        // Released once the body ended or was dropped (a stream closes either way).
        if (release) answer.body.once("close", release);
        return { status: answer.statusCode, headers: headersOf(answer.headers), body: answer.body };
      } catch (error) {
        release?.();
        throw error;
      }
    },
    text: readText,
    discard: drop,
  };
}
