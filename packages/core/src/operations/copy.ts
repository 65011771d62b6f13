/** CopyObject: the source is authorized as a read, the destination as a write; the backend copies server-side. */
import type { MaybePromise } from "../maybe-promise.js";
import { keyPrefixOf } from "../keys.js";
import { authorize } from "../authorize.js";
import { isS3Error, S3Error } from "../errors.js";
import { forwardedRequestHeaders } from "../headers.js";
import { checkCopyChangesObject, copyChangesObject, keepsObjectSettings } from "../object-settings.js";
import { checksumElements, copyChecksumAlgorithm } from "../checksums/copy-checksums.js";
import { xmlResponse, xmlDate } from "../responses.js";
import { parseCopySource } from "../s3-request.js";
import { xmlElement } from "../xml.js";
import type { Backend, BucketConfig, Identity, PlainResponse, WriteResult } from "../types.js";
import type { BackendTransport } from "../types/transport.js";
import { checkDestinationConditions } from "./destination-conditions.js";
import { streamedCopy } from "./streamed-copy.js";

/** A bucket's configuration and the backend serving it. */
export interface ResolvedBucket {
  /** The bucket's configuration, as the registry answered it. */
  bucket: BucketConfig;
  /** The backend serving it. */
  backend: Backend<unknown>;
}

/** Resolves a bucket name (now when the registry answers now); throws NoSuchBucket. */
export type BucketResolver = (name: string) => MaybePromise<ResolvedBucket>;

/**
 * A backend's `NoSuchKey` for a copy's source, naming the key as the client did: the backend's names the source by
 * its backend key, which holds the bucket's `backend_prefix` (not the client's to see).
 */
export function inClientTerms(clientKey: string): (error: unknown) => never {
  return (error) => {
    if (isS3Error(error) && error.code === "NoSuchKey") throw new S3Error("NoSuchKey", { details: { Key: clientKey }, cause: error });
    throw error;
  };
}

/**
 * Authorizes CopyObject (UploadPartCopy): the source as a read, the destination (`bucket`/`key`) as a write (a part
 * upload). Throws when refused; resolves to the source's bucket and backend.
 */
export async function authorizeCopy(bucket: BucketConfig, key: string, copySource: string, identity: Identity, resolve: BucketResolver, write: "put_object" | "upload_part" = "put_object"): Promise<ResolvedBucket> {
  const source = parseCopySource(copySource);
  const resolved = await resolve(source.bucket);
  authorize(identity, source.versionId === undefined ? "get_object" : "get_object_version", resolved.bucket, { key: source.key });
  authorize(identity, write, bucket, { key });
  return resolved;
}

/**
 * Whether the gateway streams a copy from `source` into `destination` (see `streamedCopy`): their stores cannot copy
 * between each other, or (a part copy) the destination has no part copy of its own.
 */
export function streamsCopy(source: Backend<unknown>, destination: Backend<unknown>, part: boolean): boolean {
  return source.copyDomain !== destination.copyDomain || (part && destination.uploadPartCopy === undefined);
}

/**
 * How a copy between stores that cannot copy between each other is streamed: the runtime's transport (absent: such
 * copies answer 501 unless both backends are native) and the client's request signal.
 */
export interface CrossCopy {
  /** The runtime's transport for the gateway's own backend requests. */
  transport: BackendTransport<unknown> | undefined;
  /** Aborted when the client's request ends. */
  signal: AbortSignal;
  /** The gateway's cap on one write (`maxUploadBytes`), which a streamed copy's bytes count against. */
  maxUploadBytes: number | undefined;
  /** Told the bytes a streamed copy moved (see `StreamedCopy.onStreamed`). */
  onStreamed?: ((bytes: number) => void) | undefined;
}

/** Runs CopyObject into `destination`/`key` (authorized by `authorizeCopy`). */
export async function copyObject(
  destination: { bucket: BucketConfig; backend: Backend<unknown> },
  key: string,
  headers: Headers,
  /** `x-amz-copy-source`, or what a target mapping made of it. */
  copySource: string,
  resolve: BucketResolver,
  cross: CrossCopy,
): Promise<PlainResponse<never>> {
  const source = parseCopySource(copySource);
  const { bucket: sourceBucket, backend: sourceBackend } = await resolve(source.bucket);
  const sourceKey = keyPrefixOf(sourceBucket) + source.key;
  const destinationKey = keyPrefixOf(destination.bucket) + key;
  if (sourceBucket.name === destination.bucket.name && sourceKey === destinationKey && source.versionId === undefined) checkCopyChangesObject(headers);
  const withinStore = !streamsCopy(sourceBackend, destination.backend, false);
  const algorithm = copyChecksumAlgorithm(headers, { storeComputes: withinStore && keepsObjectSettings(destination.backend) });
  // A copy must keep the checksum it names: a store that keeps none in that algorithm cannot make one (S3's answer
  // where a copy cannot be given what it asks).
  const kept = destination.backend.keptChecksums;
  if (algorithm !== undefined && kept !== undefined && !kept.includes(algorithm)) {
    throw new S3Error("NotImplemented", { message: `Objects of ${destination.backend.kind} buckets keep no ${algorithm.toUpperCase()} checksum.` });
  }
  let copied: Promise<WriteResult>;
  if (withinStore) {
    const forwarded = forwardedRequestHeaders(headers, { copy: true, settings: keepsObjectSettings(destination.backend) });
    // The store is asked in S3's spelling of the algorithm, whatever case the client used.
    const named = forwarded.get("x-amz-checksum-algorithm");
    if (named !== null) forwarded.set("x-amz-checksum-algorithm", named.trim().toUpperCase());
    copied = destination.backend.copyObject({
      sourceBackend,
      sourceKey,
      ...(source.versionId !== undefined && { sourceVersionId: source.versionId }),
      key: destinationKey,
      headers: forwarded,
      // What makes a copy onto itself a change (encryption, say) may not be among the headers the store is sent; a
      // store may also see one where the gateway does not (a version "null", two buckets on one store path).
      ...(copyChangesObject(headers) && { changesObject: true }),
    });
  } else {
    // The stores cannot copy between each other: the gateway streams the source into the destination, unless its
    // write conditions refuse it as things stand.
    const target = { backend: destination.backend, bucket: destination.bucket.name, key: destinationKey, clientKey: key };
    await checkDestinationConditions(target, headers, cross.transport, cross.signal);
    copied = streamedCopy({
      transport: cross.transport,
      source: { backend: sourceBackend, bucket: sourceBucket.name, key: sourceKey, ...(source.versionId !== undefined && { versionId: source.versionId }) },
      destination: { backend: destination.backend, bucket: destination.bucket.name, key: destinationKey },
      headers,
      checksumAlgorithm: algorithm,
      signal: cross.signal,
      maxUploadBytes: cross.maxUploadBytes,
      onStreamed: cross.onStreamed,
    });
  }
  const result = await copied.catch(inClientTerms(source.key));
  const response = xmlResponse(
    "CopyObjectResult",
    xmlElement("LastModified", xmlDate(result.lastModified ?? new Date())) + xmlElement("ETag", result.etag) + checksumElements(result.checksums, result.checksumType),
  );
  result.headers?.forEach((value, name) => response.headers.set(name, value));
  return response;
}
