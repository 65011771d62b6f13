/**
 * A kept-alive answer (a long copy or multipart completion, see core's `KeepAliveBody`) as a web Response: its chunks
 * streamed as they come, and how it ended, for the request line.
 */
import type { KeepAliveBody, LateFailure } from "@multistore/core/runtime";
import { bodyAsIs } from "./streams.js";

/** How a kept-alive answer ended: its bytes, whether the client took it all, and an error it carried. */
export interface KeptAliveEnd {
  /** Bytes handed to the client. */
  bytesSent: number;
  /** False when the client stopped reading first. */
  complete: boolean;
  /** The error inside the 200 answer, when the work failed after the answer started. */
  failure?: LateFailure;
}

/** The Response for a kept-alive answer, and a promise of how it ended. */
export function keptAliveResponse(status: number, headers: Headers, body: KeepAliveBody): { response: Response; ended: Promise<KeptAliveEnd> } {
  let bytesSent = 0;
  let end!: (complete: boolean) => void;
  // Resolved here, once the stream itself is over: the body's own `ended` comes before its last chunk is counted.
  const ended = new Promise<KeptAliveEnd>((resolve) => {
    end = (complete) => {
      const failure = body.lateFailure;
      resolve({ bytesSent, complete, ...(failure !== undefined && { failure }) });
    };
  });
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await body.next();
      if (next.done) {
        controller.close();
        end(true);
        return;
      }
      bytesSent += next.value.byteLength;
      controller.enqueue(next.value);
    },
    async cancel() {
      await body.return();
      end(false);
    },
  });
  // No Content-Length: the document's size is known only at its end.
  const sent = new Headers(headers);
  sent.delete("content-length");
  return { response: new Response(stream, bodyAsIs({ status, headers: sent })), ended };
}
