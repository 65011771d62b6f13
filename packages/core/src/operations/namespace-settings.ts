/**
 * The bucket-level reads of a namespace itself (`GET /account?versioning` when `account:product` is configured):
 * bucket browsers (Cyberduck, s3cmd `info`, `mc stat`) and audit scripts read a bucket's settings when they open it,
 * and a namespace is a bucket to its clients. Answered once one of its buckets is the caller's to use, from what the
 * caller's buckets under it have in common: public access where one of them is anonymous, SSE-S3 where every one's
 * store encrypts at rest, the gateway's own CORS rules (a namespace has none of its own); what no bucket sets is
 * answered as for a bucket (see bucket-settings.ts).
 */
import type { CorsRule } from "../cors.js";
import { HeaderMap } from "../header-map.js";
import { encryptsAtRest } from "../object-settings.js";
import { renderAcl } from "./acl.js";
import { bucketInfoAnswer } from "./bucket.js";
import { bucketSetting, isBucketSettingOperation, type BucketSettingOperation } from "./bucket-settings.js";
import type { Owner } from "./list.js";
import type { Backend, BucketConfig, PlainResponse } from "../types.js";

/** A bucket-level read a namespace answers. */
export type NamespaceRead = "HeadBucket" | "GetBucketLocation" | "GetBucketVersioning" | "GetBucketAcl" | BucketSettingOperation;

/** Whether `operation` is a read a namespace answers as a bucket. */
export function isNamespaceRead(operation: string): operation is NamespaceRead {
  return operation === "HeadBucket" || operation === "GetBucketLocation" || operation === "GetBucketVersioning" || operation === "GetBucketAcl" || isBucketSettingOperation(operation);
}

/** What the answers need besides the buckets. */
export interface NamespaceReadContext {
  /** The namespace's name, as the client gave it. */
  name: string;
  /** The owner shown in its ACL. */
  owner: Owner;
  /** The gateway's CORS rules. */
  cors: readonly CorsRule[] | undefined;
  /** The backend serving a bucket (throws for a bucket this runtime does not serve). */
  backendFor(bucket: BucketConfig): Backend<unknown>;
}

/** Whether a bucket's store encrypts every object at rest; a bucket served nowhere here counts as not. */
function storeEncrypts(bucket: BucketConfig, backendFor: (bucket: BucketConfig) => Backend<unknown>): boolean {
  try {
    return encryptsAtRest(backendFor(bucket));
  } catch {
    return false;
  }
}

/** The answer to a bucket-level read of a namespace whose buckets `usable` the caller may use (at least one). */
export function readNamespace(operation: NamespaceRead, usable: readonly BucketConfig[], context: NamespaceReadContext): PlainResponse<never> {
  if (operation === "HeadBucket") return { status: 200, headers: new HeaderMap(), body: null };
  // The default location and versioning never enabled, as of every bucket here.
  if (operation === "GetBucketLocation" || operation === "GetBucketVersioning") return bucketInfoAnswer(operation);
  // What the answers read of a bucket's configuration: its anonymous access (and CORS rules, of which it has none).
  const config: BucketConfig = { name: context.name, backend_type: "namespace", anonymous_access: usable.some((bucket) => bucket.anonymous_access), backend_options: {} };
  if (operation === "GetBucketAcl") return renderAcl(context.owner, config);
  const encrypts = operation === "GetBucketEncryption" && usable.every((bucket) => storeEncrypts(bucket, context.backendFor));
  return bucketSetting(operation, { config, store: "namespace", encryptsAtRest: encrypts, shownName: context.name }, context.cors);
}
