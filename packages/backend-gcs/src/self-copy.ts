/**
 * A copy of an object onto itself that keeps its metadata (a storage class or SSE-S3 asked on S3's side): S3 writes
 * the object again (its Last-Modified moves), and GCS copies an object onto itself only with REPLACE and the
 * metadata to keep. Here that is the object's own, with its storage class (unless another is asked; see
 * `copyObject`) and KMS key, read by one HEAD; the copy is pinned to the generation that HEAD saw, as source and as
 * destination, so the metadata and the bytes are of one version and a write landing in between is never overwritten
 * by the older one.
 */
import { isS3Error, S3Error } from "@multistore/core";
import { checkCopyChangesObject, hasWriteConditions, type CopyRequest } from "@multistore/core/backend";
import { keptObjectHeaders } from "./gcs-headers.js";
import { checkGcsResponse } from "./gcs-xml.js";
import { generationPrecondition } from "./preconditions.js";
import type { SmallResponse } from "./transport.js";

/**
 * The copy headers of a self-copy (see the module's comment), after `head(key)`: the directive, the pinned
 * generation, the object's own settings and the client's write conditions (checked against that HEAD).
 */
export async function selfCopyHeaders(request: CopyRequest<unknown>, head: (key: string) => Promise<SmallResponse>): Promise<Record<string, string>> {
  const { key, headers, changesObject } = request;
  checkCopyChangesObject(headers, changesObject);
  const response = await head(key);
  if (response.status === 404) throw new S3Error("NoSuchKey", { details: { Key: key } });
  checkGcsResponse(response.status, "");
  const etag = response.headers.get("etag");
  const generation = response.headers.get("x-goog-generation");
  if (!etag || !generation) throw new S3Error("ServiceUnavailable", { cause: new Error("GCS HEAD response without ETag or x-goog-generation") });
  return {
    "x-goog-metadata-directive": "REPLACE",
    "x-goog-copy-source-generation": generation,
    ...keptObjectHeaders(response.headers),
    "x-goog-if-generation-match": generation,
    // The client's If-Match is checked against the same HEAD (no second one that could see another version).
    ...(await generationPrecondition(headers, key, async () => ({ etag, generation }))),
  };
}

/** Whether the client named conditions on the copy's source (`x-amz-copy-source-if-*`), which GCS evaluates. */
function hasCopySourceConditions(headers: Headers): boolean {
  for (const name of headers.keys()) if (name.startsWith("x-amz-copy-source-if-")) return true;
  return false;
}

/**
 * What a failed self-copy answers: the object changed between its HEAD and its copy (the pinned generation is gone,
 * or another took its place) unless a condition of the client's (on the copy or its source) failed: `503`, which
 * every client retries.
 */
export function selfCopyFailure(error: unknown, headers: Headers): unknown {
  if (!isS3Error(error)) return error;
  const raced = error.code === "NoSuchKey" || (error.code === "PreconditionFailed" && !hasWriteConditions(headers) && !hasCopySourceConditions(headers));
  return raced ? new S3Error("ServiceUnavailable", { message: "The object changed while it was copied onto itself; retry.", cause: error }) : error;
}
