/** UploadPartCopy between fs backends: the source's bytes (or a range of them) streamed into the upload as a part. */
import type { Readable } from "node:stream";
import { S3Error } from "@multistore/core";
import { checkCopyRange, checkCopySourceConditions, type PartCopyRequest, type WriteResult } from "@multistore/core/backend";
import { copyEnds } from "./copy.js";
import { uploadPart } from "./multipart.js";
import { openObject } from "./object-read.js";
import type { FsLayout } from "./paths.js";

/** Copies the source range into part `partNumber` of the upload (see `Backend.uploadPartCopy`). */
export async function uploadPartCopy(layout: FsLayout, request: PartCopyRequest<Readable>): Promise<WriteResult> {
  const { sourceLayout, source, destination } = copyEnds(layout, request);
  const opened = await openObject(sourceLayout, source);
  if (opened === undefined) throw new S3Error("NoSuchKey", { details: { Key: request.sourceKey } });
  let handleOwned = true;
  try {
    checkCopySourceConditions(request.headers, opened.etag, opened.lastModified);
    const { start, end, length } = checkCopyRange(request.range, opened.size);
    // An empty source (or folder marker) has no bytes to read; otherwise the stream closes the handle when it ends.
    const body = opened.handle === undefined || length === 0 ? null : opened.handle.createReadStream({ start, end, autoClose: true });
    handleOwned = body === null;
    try {
      const part = await uploadPart(layout, destination, request.uploadId, request.partNumber, new Headers({ "content-length": String(length) }), body, new AbortController().signal);
      return { etag: part.headers.get("etag")!, lastModified: new Date() };
    } finally {
      // Refused before it was read (an unknown upload): destroying the stream closes the handle.
      body?.destroy();
    }
  } finally {
    if (handleOwned) await opened.handle?.close();
  }
}
