/**
 * A streamed copy's write conditions (`If-None-Match: *`, `If-Match`), checked against the destination before the
 * source is read: a copy they refuse moves nothing, and is charged nothing where usage is metered (a streamed copy's
 * bytes are charged once its write starts, see `RequestOutcome.bytesCopied`). The destination's store checks them
 * again as it writes, so an object written in between is still never overwritten against them.
 */
import { etagListMatches } from "../conditions.js";
import { isS3Error, S3Error } from "../errors.js";
import { HeaderMap } from "../header-map.js";
import type { Backend } from "../types.js";
import type { BackendTransport } from "../types/transport.js";
import { drop, run } from "./streamed-copy.js";

/** The destination of a copy: its backend, bucket (the transport's pool) and full backend key. */
export interface ConditionedDestination<B> {
  backend: Backend<B>;
  bucket: string;
  key: string;
}

/**
 * Refuses (`412 PreconditionFailed`) a copy whose write conditions the destination's current object fails. A
 * condition on an object that is not there (`If-Match`) is left to the store, which names it as S3 does.
 */
export async function checkDestinationConditions<B>(destination: ConditionedDestination<B>, headers: Headers, transport: BackendTransport<B> | undefined, signal: AbortSignal): Promise<void> {
  const ifNoneMatch = headers.get("if-none-match");
  const ifMatch = headers.get("if-match");
  if (ifNoneMatch === null && ifMatch === null) return;
  let etag: string | undefined;
  try {
    const dispatch = await destination.backend.prepareObject({ operation: "HeadObject", key: destination.key, headers: new HeaderMap() });
    const answer = await run(dispatch, null, transport, { bucket: destination.bucket, signal });
    drop(answer.body, transport);
    etag = answer.headers.get("etag") ?? undefined;
  } catch (error) {
    if (isS3Error(error) && error.status === 404) return;
    throw error;
  }
  if (etag === undefined) return;
  if (ifNoneMatch?.trim() === "*") throw new S3Error("PreconditionFailed", { details: { Condition: "If-None-Match" } });
  if (ifMatch !== null && !etagListMatches(ifMatch, etag)) throw new S3Error("PreconditionFailed", { details: { Condition: "If-Match" } });
}
