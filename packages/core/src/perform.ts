/**
 * Performing an admitted request: its operation on the bucket's backend (or on the registry, for the bucket-level
 * ones), answered now when the backend answers now (a GET through a presigned URL the backend still holds).
 */
import type { Authentication } from "./authenticate.js";
import type { ResponsePlan } from "./dispatch.js";
import { HeaderMap } from "./header-map.js";
import { keyPrefixOf } from "./keys.js";
import { checkCustomerKeys } from "./object-settings.js";
import { checkObjectWriteHeaders } from "./object-write-headers.js";
import type { MaybePromise } from "./maybe-promise.js";
import type { RequestContext } from "./middleware.js";
import { aclTaken, checkObjectAcl, renderAcl } from "./operations/acl.js";
import { bucketCreated, bucketInfo, checkBucketConfiguration } from "./operations/bucket.js";
import { isBucketSettingOperation, readBucketSetting } from "./operations/bucket-settings.js";
import type { CorsRule } from "./cors.js";
import { copyObject, type BucketResolver, type CrossCopy } from "./operations/copy.js";
import { deleteObjects } from "./operations/delete-objects.js";
import { listBuckets, listObjects, type Owner } from "./operations/list.js";
import { listMultipartUploads } from "./operations/list-uploads.js";
import { listObjectVersions } from "./operations/list-versions.js";
import { listParts } from "./operations/list-parts.js";
import { abortMultipartUpload, completeMultipartUpload, createMultipartUpload } from "./operations/multipart.js";
import { prepareObject, uploadParameters, type PreparedObject } from "./operations/object.js";
import { preparePartRead } from "./operations/object-parts.js";
import { parseTagging, renderEmptyTagging, renderTagging, writeTagging } from "./operations/object-tagging.js";
import { uploadPartCopy } from "./operations/upload-part-copy.js";
import { headRequestHeaders, renderObjectAttributes, requestedAttributes } from "./operations/object-attributes.js";
import type { BodyPlan } from "./request-body.js";
import type { GatewayRequest, ParsedS3Request } from "./s3-request.js";
import type { Backend, BucketConfig, BucketRegistry, ObjectDispatch, ObjectOperation, PlainResponse } from "./types.js";
import type { BackendTransport } from "./types/transport.js";
import { answerPatiently, type KeepAliveBody, type KeepAliveSettings } from "./keep-alive.js";
import { toS3Error } from "./errors.js";
import { errorResponse } from "./responses.js";
import type { UploadIdCodec } from "./upload-ids.js";
import { readSignedBody } from "./xml-body.js";

/** What dispatch comes to: a complete response, or a backend call for the runtime. */
export type Dispatched<B> = PlainResponse<KeepAliveBody> | (ObjectDispatch<B> & BodyPlan & ResponsePlan);

/** What performing needs from its gateway. */
export interface PerformSettings<B> {
  /** The bucket registry (ListBuckets). */
  buckets: BucketRegistry;
  /** Owner shown in listings. */
  owner: Owner;
  /** When the gateway started (ListBuckets' creation dates). */
  createdAt: Date;
  /** Cap for the XML bodies of CompleteMultipartUpload and DeleteObjects. */
  maxXmlBody: number;
  /** Largest PutObject / UploadPart body accepted. */
  maxUploadBytes: number | undefined;
  /** Binds the upload ids handed out to their bucket and key. */
  uploadIds: UploadIdCodec;
  /** The backend serving a bucket configuration. */
  backendFor(bucket: BucketConfig): Backend<B>;
  /** Resolves bucket names (the source of CopyObject and UploadPartCopy). */
  resolveBucket: BucketResolver;
  /** The runtime's transport: copies between stores that cannot copy between each other stream through it. */
  transport: BackendTransport<B> | undefined;
  /** When long copies and completions start their answer (undefined: they answer once done). */
  keepAlive: KeepAliveSettings | undefined;
  /** Told of internal errors that end a started answer (the gateway's `onError`). */
  onError: ((error: unknown, context: RequestContext) => void) | undefined;
  /** The gateway's CORS rules, for buckets without rules of their own (GetBucketCors). */
  cors: CorsRule[] | undefined;
}

/** Whether a request says it has a body (a length other than 0, or chunked). */
function carriesBody(headers: Headers): boolean {
  const length = headers.get("content-length");
  return (length !== null && length.trim() !== "0") || headers.has("transfer-encoding");
}

/** A prepared object operation as dispatch answers it: the backend's dispatch, with the body's plan when it has one. */
function dispatchOf<B>(prepared: MaybePromise<PreparedObject<B>>): MaybePromise<Dispatched<B>> {
  if (prepared instanceof Promise) return prepared.then(dispatchOf);
  const { bodyEncoding, bodyChecks } = prepared;
  if (!bodyEncoding && !bodyChecks) return prepared.dispatch;
  return { ...prepared.dispatch, ...(bodyEncoding && { bodyEncoding }), ...(bodyChecks && { bodyChecks }) };
}

/** The function performing admitted requests for a gateway. */
export function createPerform<B>(settings: PerformSettings<B>) {
  const { owner, createdAt, maxXmlBody, uploadIds, backendFor, resolveBucket } = settings;
  const transport = settings.transport as BackendTransport<unknown> | undefined;
  /** How a copy between stores is streamed for `request` (see `CrossCopy`). */
  const crossCopy = (request: GatewayRequest<B>, context: RequestContext): CrossCopy => ({
    transport,
    signal: request.signal ?? new AbortController().signal,
    maxUploadBytes: settings.maxUploadBytes,
    onStreamed: (bytes) => {
      // Admission noted the source; a middleware that replaced the bucket's configuration may have made a copy the
      // store would have made by itself a streamed one (or the other way round): what happened is what is reported.
      const source = context.copySource;
      if (source !== undefined) source.bytesCopied = bytes;
    },
  });
  /** A long operation's answer, kept alive once it takes long (an error then ends the 200 answer, rendered here). */
  const patiently = (work: Promise<PlainResponse<never>>, request: GatewayRequest<B>, parsed: ParsedS3Request, context: RequestContext) =>
    answerPatiently(work, settings.keepAlive, (error) => {
      const s3Error = toS3Error(error);
      if (s3Error.code === "InternalError") {
        try {
          settings.onError?.(error, context);
        } catch {
          // A failing error reporter must not break the answer.
        }
      }
      const body = errorResponse(s3Error, request.method, parsed.resource, context.requestId).body;
      return { code: s3Error.code, status: s3Error.status, body: typeof body === "string" ? body : "" };
    });

  /** Performs an admitted operation on the bucket configuration middleware left in the context. */
  return function perform(request: GatewayRequest<B>, parsed: ParsedS3Request, auth: Authentication, context: RequestContext, original: BucketConfig | undefined): MaybePromise<Dispatched<B>> {
    const identity = auth.identity;
    const { operation, query } = parsed;
    if (operation === "ListBuckets") return listBuckets(settings.buckets, identity, owner, createdAt);
    if (operation === "CreateBucket") {
      if (!carriesBody(request.headers)) return bucketCreated(parsed.bucket!);
      return readSignedBody((limit) => request.readBody(limit), auth.payloadHash, maxXmlBody, request.headers).then((body) => {
        checkBucketConfiguration(body);
        return bucketCreated(parsed.bucket!);
      });
    }
    const served = context.bucketConfig!;
    const backend = backendFor(served) as Backend<unknown>;
    // A configuration a middleware swapped in serves the request (backend, prefix); the caller stays authorized, and
    // named, as the registry's configuration said.
    const bucket = original === undefined || served === original ? served : { ...served, name: original.name, anonymous_access: original.anonymous_access, allowed_roles: original.allowed_roles };
    const key = parsed.key === undefined ? undefined : keyPrefixOf(bucket) + parsed.key;
    // Upload ids are bound to the bucket and key the client named, whatever configuration serves them.
    const bucketName = parsed.bucket!;
    // Answers name the bucket and key as the client did (`acme` and `data/k`, not the mapped `acme:data` and `k`).
    const shown = parsed.shown;
    const shownBucket = shown?.name ?? bucketName;
    const shownKey = shown === undefined || parsed.key === undefined ? parsed.key : shown.keyPrefix + parsed.key;
    if (parsed.key === undefined && isBucketSettingOperation(operation)) return readBucketSetting(operation, { config: original ?? served, store: backend.kind, encryptsAtRest: backend.encryptsAtRest, shownName: shownBucket, encryption: backend.getBucketEncryption?.bind(backend) }, settings.cors);
    switch (operation) {
      case "HeadBucket":
        return { status: 200, headers: new HeaderMap(), body: null };
      case "GetBucketLocation":
      case "GetBucketVersioning":
        return bucketInfo(operation, bucket, identity);
      case "GetBucketAcl":
        return renderAcl(owner, bucket);
      case "PutObjectAcl":
        return readSignedBody((limit) => request.readBody(limit), auth.payloadHash, maxXmlBody, request.headers).then((body) => {
          checkObjectAcl(owner, bucket, request.headers, body);
          // The object must exist (NoSuchKey otherwise): a head, answered 200 with no body.
          return Promise.resolve(prepareObject(backend as Backend<B>, "HeadObject", key!, new HeaderMap(), query, auth)).then((prepared) => ({ ...prepared.dispatch, renderHead: aclTaken }));
        });
      case "PutObjectTagging":
        return readSignedBody((limit) => request.readBody(limit), auth.payloadHash, maxXmlBody, request.headers).then((body) => writeTagging(backend as Backend<B>, key!, parseTagging(body), query, auth));
      case "DeleteObjectTagging":
        return writeTagging(backend as Backend<B>, key!, undefined, query, auth);
      case "GetObjectAcl":
        // The object must exist (NoSuchKey otherwise): a head, answered with its bucket's policy.
        return Promise.resolve(prepareObject(backend as Backend<B>, "HeadObject", key!, new HeaderMap(), query, auth)).then((prepared) => ({ ...prepared.dispatch, renderHead: () => renderAcl(owner, bucket) }));
      case "ListMultipartUploads":
        return listMultipartUploads(backend, { bucket, bucketName, ...(parsed.listing && { view: parsed.listing }) }, query, owner, uploadIds);
      case "ListObjects":
      case "ListObjectsV2":
        return listObjects(operation === "ListObjects" ? 1 : 2, bucket, backend, query, identity, owner, parsed.listing);
      case "ListObjectVersions":
        return listObjectVersions(bucket, backend, query, identity, owner, parsed.listing);
      case "DeleteObjects":
        return readSignedBody((limit) => request.readBody(limit), auth.payloadHash, maxXmlBody, request.headers).then((body) => deleteObjects(backend, bucket, identity, body));
      case "CopyObject":
        checkObjectWriteHeaders(request.headers, true, backend);
        return patiently(copyObject({ bucket, backend }, parsed.key!, request.headers, parsed.copySource ?? request.headers.get("x-amz-copy-source") ?? "", resolveBucket, crossCopy(request, context)), request, parsed, context);
      case "UploadPartCopy": {
        checkCustomerKeys(request.headers);
        const { partNumber } = uploadParameters(query);
        return uploadIds.unwrap(bucketName, parsed.key!, query.get("uploadId")!).then((uploadId) =>
          patiently(uploadPartCopy({ bucket, backend, key: parsed.key!, uploadId, partNumber }, request.headers, parsed.copySource ?? request.headers.get("x-amz-copy-source") ?? "", resolveBucket, crossCopy(request, context)), request, parsed, context),
        );
      }
      case "CreateMultipartUpload":
        checkObjectWriteHeaders(request.headers, false, backend);
        return createMultipartUpload(backend, shownBucket, shownKey!, key!, request.headers, (backendId) => uploadIds.wrap(bucketName, parsed.key!, backendId));
      case "CompleteMultipartUpload":
        // The body first: a refused id still leaves the client's document read, not cut off mid-send.
        // The answer is kept alive from when the document is read: a client still sending it gets no answer yet.
        return readSignedBody((limit) => request.readBody(limit), auth.payloadHash, maxXmlBody, request.headers, false).then(async (body) => {
          const uploadId = await uploadIds.unwrap(bucketName, parsed.key!, query.get("uploadId")!);
          return patiently(completeMultipartUpload(backend, shownBucket, shownKey!, key!, uploadId, body, request.headers), request, parsed, context);
        });
      case "GetObjectAttributes": {
        const attributes = requestedAttributes(request.headers, query);
        return Promise.resolve(prepareObject(backend as Backend<B>, "HeadObject", key!, headRequestHeaders(request.headers, attributes), query, auth)).then((prepared) => ({ ...prepared.dispatch, renderHead: (headers: Headers) => renderObjectAttributes(attributes, headers, backend.readsParts === true) }));
      }
      case "GetObjectTagging": {
        const versionId = query.get("versionId");
        if (backend.getObjectTagging) return backend.getObjectTagging(key!, versionId).then((tagging) => renderTagging(tagging.tags, tagging.versionId));
        return Promise.resolve(prepareObject(backend as Backend<B>, "HeadObject", key!, new HeaderMap(), query, auth)).then((prepared) => ({ ...prepared.dispatch, renderHead: renderEmptyTagging }));
      }
      case "ListParts": {
        const clientUploadId = query.get("uploadId")!;
        return uploadIds.unwrap(bucketName, parsed.key!, clientUploadId).then((uploadId) => listParts(backend, { bucket: shownBucket, clientKey: shownKey!, key: key!, clientUploadId, uploadId }, query));
      }
      case "AbortMultipartUpload":
        return uploadIds.unwrap(bucketName, parsed.key!, query.get("uploadId")!).then((uploadId) => abortMultipartUpload(backend, key!, uploadId));
      case "UploadPart":
        return uploadIds.unwrap(bucketName, parsed.key!, query.get("uploadId")!).then((uploadId) => dispatchOf(prepareObject(backend as Backend<B>, operation, key!, request.headers, query, auth, settings.maxUploadBytes, uploadId)));
      default:
        if ((operation === "GetObject" || operation === "HeadObject") && query.pairs.length > 0 && query.has("partNumber")) return preparePartRead(backend as Backend<B>, operation, key!, request.headers, query, auth);
        return dispatchOf(prepareObject(backend as Backend<B>, operation as ObjectOperation, key!, request.headers, query, auth, settings.maxUploadBytes));
    }
  };
}
