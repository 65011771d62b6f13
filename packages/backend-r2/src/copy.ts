/**
 * CopyObject between R2 bindings of one Worker (the same binding or another). The binding has no server-side copy,
 * so the source is streamed into a put of the destination (sized, as R2 requires); the bytes pass through the
 * Worker once.
 */
import { S3Error } from "@multistore/core";
import { COPY_SOURCE_CONDITIONS, checkCopyChangesObject, copiedChecksums, copyChecksumAlgorithm, evaluateConditions, type Backend, type CopyRequest, type WriteResult } from "@multistore/core/backend";
import { sizedStream } from "./body.js";
import { toR2Conditional } from "./conditional.js";
import { checkKey, checkVersionId, noSuchKey } from "./keys.js";
import { customMetadataFrom, httpMetadataFrom } from "./metadata.js";
import { storedChecksums } from "./object-read.js";
import { shaOption, writeConditional, writeRefused } from "./object-write.js";
import { r2Call } from "./r2-errors.js";
import type { R2Bucket, R2Object, R2ObjectBody, R2PutOptions } from "./r2-types.js";
import { storageClassOption } from "./storage-class.js";

/** The binding behind each R2 backend made in this isolate, so a copy can read the source backend's bucket. */
export const r2Buckets = new WeakMap<Backend<ReadableStream>, R2Bucket>();

/** Every R2 binding a Worker holds can stream into every other one, so they share one copy domain. */
export function copyDomainOf(_bucket: R2Bucket): string {
  return "r2";
}

function bodyOf(object: R2Object | R2ObjectBody): ReadableStream | undefined {
  return "body" in object && object.body ? object.body : undefined;
}

function metadataDirective(headers: Headers): "COPY" | "REPLACE" {
  const directive = (headers.get("x-amz-metadata-directive") ?? "COPY").toUpperCase();
  if (directive !== "COPY" && directive !== "REPLACE") {
    throw new S3Error("InvalidArgument", {
      message: "Unknown metadata directive.",
      details: { ArgumentName: "x-amz-metadata-directive", ArgumentValue: directive },
    });
  }
  return directive;
}

/** Server-side copy (see `Backend.copyObject`). */
export async function copyObject(bucket: R2Bucket, request: CopyRequest<ReadableStream>): Promise<WriteResult> {
  const source = r2Buckets.get(request.sourceBackend);
  if (source === undefined) {
    throw new S3Error("NotImplemented", { message: "Copying between these buckets is not supported." });
  }
  const { headers, key, sourceKey } = request;
  checkKey(key);
  checkVersionId(request.sourceVersionId);
  const directive = metadataDirective(headers);
  const algorithm = copyChecksumAlgorithm(headers);
  // The class asked for; without one the bucket's default, as S3 gives a copy STANDARD whatever the source's.
  const storageClass = storageClassOption(headers);
  if (source === bucket && sourceKey === key) checkCopyChangesObject(headers, request.changesObject);
  // Destination conditions first: refusing costs nothing, and a list If-Match must be resolved before the read.
  const onlyIf = await writeConditional(bucket, key, headers);
  const sourceOnlyIf = toR2Conditional(headers, COPY_SOURCE_CONDITIONS);
  let object = await r2Call(() => source.get(sourceKey, sourceOnlyIf === undefined ? {} : { onlyIf: sourceOnlyIf }), { key: sourceKey });
  if (object === null) throw noSuchKey(sourceKey);
  const failed = () => new S3Error("PreconditionFailed", { details: { Condition: "x-amz-copy-source-if-*" } });
  let body = bodyOf(object);
  // Every failing copy-source condition is a 412, as S3 documents (never a 304).
  if (evaluateConditions(headers, COPY_SOURCE_CONDITIONS, object.etag, object.uploaded) !== undefined) {
    void body?.cancel().catch(() => undefined);
    throw failed();
  }
  if (body === undefined) {
    // R2 judged a condition differently from S3's rules: read the version they were evaluated against.
    const etag = object.etag;
    object = await r2Call(() => source.get(sourceKey, { onlyIf: { etagMatches: etag } }), { key: sourceKey });
    if (object === null) throw noSuchKey(sourceKey);
    body = bodyOf(object);
    if (body === undefined) throw failed();
  }
  const options: R2PutOptions =
    directive === "COPY"
      ? { httpMetadata: object.httpMetadata ?? {}, customMetadata: object.customMetadata ?? {} }
      : { httpMetadata: httpMetadataFrom(headers), customMetadata: customMetadataFrom(headers) };
  if (onlyIf !== undefined) options.onlyIf = onlyIf;
  Object.assign(options, storageClass);
  // The source's SHA (R2 keeps no other). A copy naming an algorithm the source lacks is refused: R2 cannot compute
  // one before its put, and the copy must keep the checksum it names.
  const kept = shaOption(new Headers(copiedChecksums(storedChecksums(object), algorithm)));
  if (algorithm !== undefined && Object.keys(kept.echo).length === 0) {
    void body.cancel().catch(() => undefined);
    throw new S3Error("NotImplemented", { message: `The copy source has no ${algorithm.toUpperCase()} checksum, which R2 cannot compute for its copy.` });
  }
  Object.assign(options, kept.option);
  const stream = sizedStream(body, object.size);
  const written = await r2Call(() => bucket.put(key, stream, options), { key });
  if (written === null) throw await writeRefused(bucket, key, headers);
  return { etag: written.httpEtag, lastModified: new Date(written.uploaded), ...(Object.keys(kept.echo).length > 0 && { checksums: kept.echo }) };
}
