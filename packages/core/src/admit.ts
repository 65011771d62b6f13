/**
 * Admission: whether an authenticated caller may make a parsed request, decided (and its bucket resolved) before any
 * middleware or backend sees it.
 */
import { authorize, canUseBucket, isAllowed } from "./authorize.js";
import { S3Error } from "./errors.js";
import { authorizeBucketLifecycle } from "./operations/bucket.js";
import { isBucketSettingOperation } from "./operations/bucket-settings.js";
import { authorizeCopy, streamsCopy, type BucketResolver, type ResolvedBucket } from "./operations/copy.js";
import type { RequestContext } from "./middleware.js";
import type { MaybePromise } from "./maybe-promise.js";
import type { ParsedS3Request } from "./s3-request.js";
import { stripViewPrefix } from "./target-mapping.js";
import type { Action, BucketConfig, BucketRegistry, Identity, ObjectOperation } from "./types.js";

/** The action an object operation is authorized as. */
const OBJECT_ACTIONS: Record<ObjectOperation, Action> = {
  GetObject: "get_object",
  HeadObject: "head_object",
  PutObject: "put_object",
  DeleteObject: "delete_object",
  UploadPart: "upload_part",
};

/**
 * Authorizes a parsed request and resolves its bucket (undefined for requests on no one bucket): everything decided
 * before middleware runs. Refuses by throwing (now, or by rejecting the promise), so middleware never sees a refused
 * request. Answers now when the bucket registry does.
 */
export function admit(
  parsed: ParsedS3Request,
  identity: Identity,
  headers: Headers,
  buckets: BucketRegistry,
  resolveBucket: BucketResolver,
  /** Where a copy's source is noted (`RequestContext.copySource`). */
  context?: RequestContext,
): MaybePromise<BucketConfig | undefined> {
  const operation = parsed.operation;
  if (operation === "ListBuckets") return undefined;
  if (operation === "CreateBucket" || operation === "DeleteBucket") {
    return authorizeBucketLifecycle(operation, parsed.bucket!, buckets, identity).then(() => undefined);
  }
  const resolved = resolveBucket(parsed.bucket!);
  if (resolved instanceof Promise) return resolved.then((destination) => admitTo(destination, parsed, identity, headers, resolveBucket, context));
  return admitTo(resolved, parsed, identity, headers, resolveBucket, context);
}

/** Authorizes a copy: its source as a read, its destination as a write; notes its source on `context`. */
function admitCopy(destination: ResolvedBucket, parsed: ParsedS3Request, identity: Identity, headers: Headers, resolveBucket: BucketResolver, context: RequestContext | undefined): Promise<BucketConfig> {
  const part = parsed.operation === "UploadPartCopy";
  const copySource = parsed.copySource ?? headers.get("x-amz-copy-source") ?? "";
  return authorizeCopy(destination.bucket, parsed.key!, copySource, identity, resolveBucket, part ? "upload_part" : "put_object").then((source) => {
    if (context !== undefined) context.copySource = { bucket: source.bucket.name, streamed: streamsCopy(source.backend, destination.backend, part) };
    return destination.bucket;
  });
}

/** Authorizes a request on its resolved bucket. */
function admitTo(destination: ResolvedBucket, parsed: ParsedS3Request, identity: Identity, headers: Headers, resolveBucket: BucketResolver, context: RequestContext | undefined): MaybePromise<BucketConfig> {
  const bucket = destination.bucket;
  const { operation, query } = parsed;
  // The reads of the bucket's settings need what GetBucketAcl needs.
  if (parsed.key === undefined && isBucketSettingOperation(operation)) {
    if (!canUseBucket(identity, bucket)) throw new S3Error("AccessDenied");
    return bucket;
  }
  switch (operation) {
    case "HeadBucket":
    case "GetBucketLocation":
    case "GetBucketVersioning":
    case "GetBucketAcl":
      if (!canUseBucket(identity, bucket)) throw new S3Error("AccessDenied");
      break;
    case "ListMultipartUploads":
    case "ListObjects":
    case "ListObjectsV2":
    case "ListObjectVersions":
      authorize(identity, "list_bucket", bucket, { listPrefix: stripViewPrefix(parsed.listing, query.get("prefix") ?? "") });
      break;
    case "DeleteObjects":
      // Each key is authorized on its own by deleteObjects.
      if (identity.type === "anonymous") throw new S3Error("AccessDenied");
      break;
    case "CopyObject":
    case "UploadPartCopy":
      return admitCopy(destination, parsed, identity, headers, resolveBucket, context);
    case "PutObjectAcl":
    case "PutObjectTagging":
    case "DeleteObjectTagging":
      // Setting an object's ACL or tags is writing to it (S3's s3:PutObjectAcl, s3:PutObjectTagging). The answer
      // tells whether the object (or version) exists: a write-only caller must not learn that this way.
      authorize(identity, "put_object", bucket, { key: parsed.key! });
      authorize(identity, query.has("versionId") ? "get_object_version" : "head_object", bucket, { key: parsed.key! });
      break;
    case "CreateMultipartUpload":
      authorize(identity, "create_multipart_upload", bucket, { key: parsed.key! });
      break;
    case "CompleteMultipartUpload":
      authorize(identity, "complete_multipart_upload", bucket, { key: parsed.key! });
      break;
    case "AbortMultipartUpload":
      authorize(identity, "abort_multipart_upload", bucket, { key: parsed.key! });
      break;
    case "ListParts":
      // The uploader (who resumes) or anyone who may list the key: an upload is not shown to a caller who could
      // neither write nor see its key.
      if (!isAllowed(identity, "upload_part", bucket, { key: parsed.key! })) authorize(identity, "list_bucket", bucket, { listPrefix: parsed.key! });
      break;
    default: {
      // GetObjectAttributes, GetObjectTagging and GetObjectAcl need what GetObject needs (reading about an object).
      const reads = operation === "GetObjectAttributes" || operation === "GetObjectTagging" || operation === "GetObjectAcl";
      const action = reads ? "get_object" : OBJECT_ACTIONS[operation as ObjectOperation];
      const versioned = query.has("versionId") && (operation === "GetObject" || operation === "HeadObject" || reads);
      authorize(identity, versioned ? "get_object_version" : action, bucket, { key: parsed.key! });
    }
  }
  return bucket;
}
