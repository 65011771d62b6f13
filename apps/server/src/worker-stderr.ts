/**
 * A cluster worker's standard error as the primary passes it on: each line prefixed with the worker's slot
 * (`[worker 2] `), so that what a worker writes there outside its JSON log lines (Node's warnings, the stack of a
 * crash) says which worker wrote it. Lines leave through a batched destination that never waits for its reader: the
 * primary hands out every connection, and a flood of worker output or a slow or stalled reader costs dropped lines,
 * never a stalled primary.
 */
import type { Readable } from "node:stream";
import { BatchedDestination, batchSizeFor } from "./log-destination.js";

/** The longest unfinished line held: longer ones are passed on in pieces, each prefixed. */
const MAX_PARTIAL_LINE = 16 * 1024;

let destination: BatchedDestination | undefined;

/**
 * Passes `source` (a worker's standard error) on to this process's standard error, every line prefixed. Resolves
 * once the worker's side has ended and all of it was passed on.
 */
export function passWorkerStderr(source: Readable, slot: number): Promise<void> {
  destination ??= new BatchedDestination(2, batchSizeFor(2, true), undefined, 0);
  const out = destination;
  const prefix = `[worker ${slot}] `;
  let partial = "";
  source.setEncoding("utf8");
  source.on("data", (chunk: string) => {
    const text = partial + chunk;
    const end = text.lastIndexOf("\n");
    partial = text.slice(end + 1);
    if (end !== -1) for (const line of text.slice(0, end).split("\n")) out.write(`${prefix}${line}\n`);
    while (partial.length > MAX_PARTIAL_LINE) {
      // Never between the two halves of a surrogate pair (an emoji would become two replacement characters).
      const cut = isHighSurrogate(partial.charCodeAt(MAX_PARTIAL_LINE - 1)) ? MAX_PARTIAL_LINE - 1 : MAX_PARTIAL_LINE;
      out.write(`${prefix}${partial.slice(0, cut)}\n`);
      partial = partial.slice(cut);
    }
  });
  // A broken pipe from a worker that died is its exit's business (logged by the primary), not an error here.
  source.on("error", () => undefined);
  return new Promise((resolve) => {
    source.once("close", () => {
      if (partial !== "") out.write(`${prefix}${partial}\n`);
      partial = "";
      resolve();
    });
  });
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
