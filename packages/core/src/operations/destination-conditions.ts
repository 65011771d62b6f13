/**
 * A streamed copy's write conditions (`If-None-Match: *`, `If-Match`), checked against the destination before the
 * source is read: a copy they refuse moves nothing, and is charged nothing where usage is metered (a streamed copy's
 * bytes are charged once its write starts, see `RequestOutcome.bytesCopied`). The destination's store checks them
 * again as it writes, so an object written in between is still never overwritten against them.
 */
import { checkWriteConditions } from "../conditions.js";
import { isS3Error } from "../errors.js";
import { HeaderMap } from "../header-map.js";
import type { Backend } from "../types.js";
import type { BackendTransport } from "../types/transport.js";
import { drop, run } from "./streamed-copy.js";

/** The destination of a copy: its backend, bucket (the transport's pool), full backend key and the client's key. */
export interface ConditionedDestination<B> {
  backend: Backend<B>;
  bucket: string;
  key: string;
  /** The key as the client named it (what a `NoSuchKey` names). */
  clientKey: string;
}

/**
 * Refuses a copy whose write conditions the destination's current object (or its absence) fails, as S3 does:
 * `412 PreconditionFailed`, or `404 NoSuchKey` for `If-Match` on a key with no object. Where the destination cannot
 * be looked at (credentials that may only write, say), the store's own check decides.
 */
export async function checkDestinationConditions<B>(destination: ConditionedDestination<B>, headers: Headers, transport: BackendTransport<B> | undefined, signal: AbortSignal): Promise<void> {
  if (!headers.has("if-none-match") && !headers.has("if-match")) return;
  let etag: string | undefined;
  try {
    const dispatch = await destination.backend.prepareObject({ operation: "HeadObject", key: destination.key, headers: new HeaderMap() });
    const answer = await run(dispatch, null, transport, { bucket: destination.bucket, signal });
    drop(answer.body, transport);
    etag = answer.headers.get("etag") ?? undefined;
    if (etag === undefined) return;
  } catch (error) {
    if (!isS3Error(error) || error.code !== "NoSuchKey") return;
  }
  checkWriteConditions(headers, destination.clientKey, etag);
}
