/**
 * The client's body decoded (aws-chunked) and verified (hashes, checksums) on its way to a backend, read by hand
 * from the request: when a check fails mid-body the backend's stream errors at once, but the rest of what the
 * client sends is still read and dropped (bounded), so workerd keeps the connection and the client gets its 400
 * instead of a reset. core's `createRequestBodyStream` pipes the request into a TransformStream, whose failure
 * cancels the request body mid-send.
 */
import { S3Error } from "@multistore/core";
import { RequestBodyDecoder, type BodyPlan, type ChecksumFactories } from "@multistore/core/runtime";

/** Most bytes read and dropped after a failure; a longer body is left to the platform. */
const DRAIN_LIMIT = 16 * 1024 * 1024;

/** A decoded body, the error that stopped it, and the drain that follows a failure. */
export interface DecodedBody {
  /** What the backend reads. */
  body: ReadableStream<Uint8Array>;
  /** The error that stopped decoding (an S3Error for framing, signature and checksum failures). */
  failure(): unknown;
  /** Resolves once the rest of a failed body was read (or given up on); at once when nothing failed. */
  drained(): Promise<void>;
  /** Whether reading the client's body failed: the client went away mid-body. */
  brokenOff(): boolean;
  /** Bytes read from the client so far, framing included. */
  bytesIn(): number;
  /** Resolves once the backend has had all of the body, or it ended otherwise (failed, broke off, was cancelled). */
  ended(): Promise<void>;
}

/** Reads the rest of a body and drops it, up to DRAIN_LIMIT bytes (then cancels it). */
export async function dropRest(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
  let dropped = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      dropped += value.length;
      if (dropped > DRAIN_LIMIT) break;
    }
  } catch {
    return;
  }
  await reader.cancel().catch(() => undefined);
}

/** Decodes and verifies `source` as `plan` says. */
export function decodedBody(source: ReadableStream<Uint8Array>, plan: BodyPlan, factories: Partial<ChecksumFactories>): DecodedBody {
  const decoder = new RequestBodyDecoder(plan, factories);
  const reader = source.getReader();
  let failure: unknown;
  let brokenOff = false;
  let bytesIn = 0;
  let drained: Promise<void> = Promise.resolve();
  let end: () => void = () => undefined;
  const ended = new Promise<void>((resolve) => {
    end = resolve;
  });
  const fail = (error: unknown, controller: ReadableStreamDefaultController<Uint8Array>) => {
    failure ??= error;
    controller.error(error);
    drained = dropRest(reader);
    end();
  };
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        // Read until something can be handed on: a pull that enqueues nothing is not pulled again by workerd (a
        // held-back chunk or a chunk of framing only yields nothing).
        for (;;) {
          let chunk: ReadableStreamReadResult<Uint8Array>;
          try {
            chunk = await reader.read();
          } catch (error) {
            // The client went away mid-body: the backend's failure is that, not one of its own.
            failure ??= new S3Error("IncompleteBody", { message: "The client went away before sending its whole body.", cause: error });
            brokenOff = true;
            controller.error(error);
            end();
            return;
          }
          if (!chunk.done) bytesIn += chunk.value.length;
          try {
            const parts = chunk.done ? await decoder.finish() : await decoder.push(chunk.value);
            for (const part of parts) controller.enqueue(part);
            if (chunk.done) {
              controller.close();
              end();
              return;
            }
            if (parts.length > 0) return;
          } catch (error) {
            fail(error, controller);
            return;
          }
        }
      },
      cancel() {
        // The backend gave up on the body (it answered early): the client's connection must still be read to its end
        // (bounded). Not a failure of the body: the backend's answer says what happened.
        drained = dropRest(reader);
        end();
      },
    },
    // One chunk ahead: with a high-water mark of 0, workerd never pulls a stream that a fetch body reads.
    { highWaterMark: 1 },
  );
  return { body, failure: () => failure, drained: () => drained, brokenOff: () => brokenOff, bytesIn: () => bytesIn, ended: () => ended };
}
