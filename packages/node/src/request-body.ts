/** Reading small request bodies (XML documents) with a hard cap. */
import type { IncomingMessage } from "node:http";
import { S3Error } from "@multistore/core";
import { GrowingBytes } from "@multistore/core/runtime";
import { continueBody } from "./expect-continue.js";

/** Request headers by lowercase name (core's `HeaderMap` and WHATWG `Headers` fit). */
export interface HeaderLookup {
  get(name: string): string | null | undefined;
}

/**
 * Reads the whole body, refusing more than `limit` bytes (by Content-Length up front, or while reading). Past the
 * limit the rest is discarded rather than the socket destroyed, so the client still receives the error document.
 * `headers`: the request's headers as already read (the gateway's), so that Content-Length is not looked up in
 * `request.headers`, which node:http would build for it (a second pass over every header); default `request.headers`.
 */
export function readLimited(request: IncomingMessage, limit: number, headers?: HeaderLookup): Promise<Uint8Array> {
  const tooLarge = () =>
    new S3Error("EntityTooLarge", { message: `The request body exceeds the ${limit}-byte limit for this operation.` });
  // A request without Content-Length or Transfer-Encoding has no body. node:http may have ended it already
  // (`optimizeEmptyRequests`), and then it emits no more events: there is nothing to wait for.
  if (request.readableEnded) return Promise.resolve(Buffer.alloc(0));
  const declared = Number((headers ? headers.get("content-length") : request.headers["content-length"]) ?? Number.NaN);
  if (declared > limit) {
    request.resume();
    return Promise.reject(tooLarge());
  }
  // The body will be read: a client waiting for 100 Continue may send it now (never one refused just above).
  continueBody(request);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
        return;
      }
      request.off("data", onData);
      request.off("end", onEnd);
      request.resume();
      reject(tooLarge());
    };
    const onEnd = () => resolve(Buffer.concat(chunks));
    // A client that left or stalled (and was cut) before the end sent an incomplete body: a 4xx, not a failure of
    // ours (the runtime logs the request as the client's departure).
    const cut = (error?: unknown) => {
      if (!request.readableEnded) reject(new S3Error("IncompleteBody", { message: "The request body ended before its end.", ...(error !== undefined && { cause: error }) }));
    };
    request.on("data", onData);
    request.once("end", onEnd);
    request.once("error", cut);
    request.once("close", () => cut());
    // A body paused after its head was read (`readHead`) would not flow again for a listener alone.
    request.resume();
  });
}

/** The bytes of each request's head `readHead` read: counted with the rest of its body as received. */
const headLengths = new WeakMap<IncomingMessage, number>();

/** How many bytes of `request`'s body `readHead` read as its head (0 when none were). */
export function headLengthOf(request: IncomingMessage): number {
  return headLengths.get(request) ?? 0;
}

/**
 * Reads the body up to the end of its head (`end` answers its length once the bytes read hold it, else -1) and puts
 * back what follows, for whoever streams the body next (a form upload's file, after its fields). Resolves with every
 * byte when the body ends first. When `end` throws, the rest of the body is read and dropped, so that the client
 * still receives the error document, and the promise rejects with what it threw.
 */
export function readHead(request: IncomingMessage, end: (bytes: Uint8Array) => number): Promise<Uint8Array> {
  if (request.readableEnded) return Promise.resolve(Buffer.alloc(0));
  continueBody(request);
  return new Promise((resolve, reject) => {
    const read = new GrowingBytes();
    const stop = () => {
      request.off("data", onData);
      request.off("end", onEnd);
      request.off("error", cut);
      request.off("close", onClose);
    };
    const onData = (chunk: Buffer) => {
      const buffered = read.append(chunk);
      let length: number;
      try {
        length = end(buffered);
      } catch (error) {
        stop();
        request.resume();
        reject(error);
        return;
      }
      if (length < 0) return;
      stop();
      headLengths.set(request, length);
      request.pause();
      if (length < buffered.length) request.unshift(Buffer.from(buffered.buffer, buffered.byteOffset + length, buffered.length - length));
      resolve(buffered.subarray(0, length));
    };
    const onEnd = () => {
      stop();
      resolve(read.bytes);
    };
    const cut = (error?: unknown) => {
      if (request.readableEnded) return;
      stop();
      reject(new S3Error("IncompleteBody", { message: "The request body ended before its end.", ...(error !== undefined && { cause: error }) }));
    };
    const onClose = () => cut();
    request.on("data", onData);
    request.once("end", onEnd);
    request.once("error", cut);
    request.once("close", onClose);
  });
}
