/**
 * A client's body on its way to the backend: de-framed when it is aws-chunked, verified when it must match a hash or
 * checksum (the last chunk held back until it does), counted, and watched for a client that goes away mid-body.
 */
import { decodedLengthOf, needsBodyDecoding, withKnownLength, type BodyPlan } from "@multistore/core/runtime";
import { S3Error } from "@multistore/core";
import { decodedBody, dropRest } from "./decoded-body.js";
import { nativeChecksumFactories } from "./digest.js";
import { lengthKeepingStream } from "./streams.js";

/**
 * The client's body, de-framed when it is aws-chunked and verified when it must match a hash or checksum (the last
 * chunk held back until it does), with its declared length kept, as backends need it. `ended` resolves once the
 * backend has had all of it (or it ended otherwise): from then on only the backend's answer is awaited.
 */
export function clientBody(request: Request, result: BodyPlan, sized: boolean, upload: Upload) {
  const settled = () => Promise.resolve();
  // A body the gateway read already (a small document: PutObjectAcl's, whose backend request is a HEAD) is not sent on.
  if (!request.body || request.bodyUsed || request.method === "GET" || request.method === "HEAD") return { body: null, failure: () => undefined, drained: settled, ended: settled };
  const declared = request.headers.get("content-length");
  const declaredLength = declared !== null && /^\d+$/.test(declared) ? Number(declared) : undefined;
  if (!needsBodyDecoding(result)) {
    const body = relayUpload(request.body, declaredLength, upload);
    // A backend whose body broke off because the client left failed for that reason, not one of its own.
    const failure = () => (upload.left ? new S3Error("IncompleteBody", { message: "The client went away before sending its whole body." }) : undefined);
    return { body, failure, drained: settled, ended: upload.settled! };
  }
  const decoding = decodedBody(request.body, result, nativeChecksumFactories());
  upload.settled = async () => {
    upload.left ||= decoding.brokenOff();
  };
  // A form upload's fields were read before its file (`headBytes`): they were received too.
  upload.bytesIn = () => (upload.headBytes ?? 0) + decoding.bytesIn();
  const length = decodedLengthOf(result, declaredLength);
  // fetch needs the length to send Content-Length; native backends size streams themselves.
  return { body: sized && length !== undefined ? withKnownLength(decoding.body, length) : decoding.body, failure: decoding.failure, drained: decoding.drained, ended: decoding.ended };
}

/** What became of the client's body. */
export interface Upload {
  /** The client went away before its body was complete (known once `settled` resolved). */
  left: boolean;
  /** Body bytes read from the client (framing included), once a body was read; for the log and after-middleware. */
  bytesIn?: () => number;
  /** Bytes of the body's head the gateway read itself (a form upload's fields), before the rest was streamed. */
  headBytes?: number;
  /** For a body that was sent on: resolves once `left` is known. */
  settled?: () => Promise<void>;
  /**
   * For a relayed body whose backend failed (and may never read it): stops relaying, reading the rest of the
   * client's body and dropping it (bounded), so that `settled` does not wait on a stream nobody reads.
   */
  release?: () => void;
}

/**
 * The client's body on its way to the backend, its length kept. Read here rather than handed over as it is: when an
 * upload fails, only a read of the client's body tells a client that went away (`upload.left`) from a backend that
 * failed (workerd's native pipes report both with the same error).
 */
function relayUpload(source: ReadableStream<Uint8Array>, length: number | undefined, upload: Upload): ReadableStream<Uint8Array> {
  const { readable, writable } = lengthKeepingStream(length);
  const reader = source.getReader();
  const writer = writable.getWriter();
  let bytesIn = 0;
  let released = false;
  upload.bytesIn = () => (upload.headBytes ?? 0) + bytesIn;
  upload.release = () => {
    if (released) return;
    released = true;
    void writer.abort(new Error("the backend failed")).catch(() => undefined);
  };
  const pumped = (async () => {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (error) {
        upload.left = true;
        await writer.abort(error).catch(() => undefined);
        return;
      }
      try {
        if (chunk.done) return await writer.close();
        bytesIn += chunk.value.length;
        await writer.write(chunk.value);
      } catch (error) {
        // Released (the backend failed): the rest is read and dropped, so the client gets the answer, not a reset.
        if (released) return await dropRest(reader);
        // The backend stopped reading (it failed, or answered early).
        await reader.cancel(error).catch(() => undefined);
        return;
      }
    }
  })();
  upload.settled = () => pumped;
  return readable;
}

