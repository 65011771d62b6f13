/**
 * The bucket-level calls clients make around their object calls: buckets are configured, not created, so
 * CreateBucket on a bucket the caller may write answers as S3 does for the bucket's owner (rclone and s3cmd create
 * the bucket before an upload), DeleteBucket is refused, and GetBucketLocation / GetBucketVersioning describe what
 * Multistore serves (one location; versioning never enabled).
 */
import { canUseBucket, isAllowed } from "../authorize.js";
import { S3Error } from "../errors.js";
import { HeaderMap } from "../header-map.js";
import { xmlResponse } from "../responses.js";
import { clientXmlText, parseClientXml } from "../xml.js";
import type { BucketConfig, BucketRegistry, Identity, PlainResponse } from "../types.js";

/** The bucket calls answered before a bucket is resolved (an unconfigured bucket is refused, not "no such"). */
export type BucketLifecycleOperation = "CreateBucket" | "DeleteBucket";

/** The bucket calls answered from a resolved bucket. */
export type BucketInfoOperation = "GetBucketLocation" | "GetBucketVersioning";

/**
 * Authorizes CreateBucket and DeleteBucket: CreateBucket is allowed on a configured bucket the caller may write to
 * and refused with `403 AccessDenied` otherwise (an unconfigured bucket cannot be created); DeleteBucket is always
 * refused (buckets are configured).
 */
export async function authorizeBucketLifecycle(operation: BucketLifecycleOperation, name: string, buckets: BucketRegistry, identity: Identity): Promise<void> {
  if (operation === "DeleteBucket") throw new S3Error("AccessDenied", { message: "Buckets are configured, not deleted, through Multistore." });
  const bucket = await buckets.getBucket(name);
  if (!bucket || !isAllowed(identity, "put_object", bucket, { bucketOnly: true })) throw new S3Error("AccessDenied");
}

/**
 * Checks CreateBucket's body: nothing, or a `CreateBucketConfiguration` (aws-cli and rclone send one with a
 * location). Anything else is `400 MalformedXML`, as on S3: a PUT of data taken for a CreateBucket (a key ending in
 * `/` under a path mapping, `/noaa/goes16/`) must not answer 200 and drop what it carried.
 */
export function checkBucketConfiguration(body: Uint8Array): void {
  if (body.length === 0) return;
  parseClientXml(clientXmlText(body), "CreateBucketConfiguration");
}

/** CreateBucket's answer once authorized: `200` with `Location: /<bucket>` (S3's answer to the owner in us-east-1). */
export function bucketCreated(name: string): PlainResponse<never> {
  return { status: 200, headers: new HeaderMap({ location: `/${name}` }), body: null };
}

/** GetBucketLocation (the default location, us-east-1: an empty constraint) and GetBucketVersioning (never enabled). */
export function bucketInfo(operation: BucketInfoOperation, bucket: BucketConfig, identity: Identity): PlainResponse<never> {
  if (!canUseBucket(identity, bucket)) throw new S3Error("AccessDenied");
  return bucketInfoAnswer(operation);
}

/** What `bucketInfo` answers once the caller may use the bucket (or a namespace of buckets). */
export function bucketInfoAnswer(operation: BucketInfoOperation): PlainResponse<never> {
  return operation === "GetBucketLocation" ? xmlResponse("LocationConstraint", "") : xmlResponse("VersioningConfiguration", "");
}
