/**
 * The reads of a bucket's settings that browsers of buckets (s3cmd `info`, MinIO's `mc stat`, Cyberduck, S3 Browser)
 * and audit scripts (`aws s3api get-bucket-encryption`) make. A bucket's settings here are its configuration: its
 * CORS rules are the ones the gateway applies, and what Multistore does not configure is answered as S3 answers for
 * a bucket where it was never set (its `404` code, or the empty document), rather than `501`, which tools report as a
 * failure. Setting them stays `501`: buckets are configured, not changed through S3.
 */
import type { CorsRule } from "../cors.js";
import { S3Error } from "../errors.js";
import { encryptsAtRest } from "../object-settings.js";
import { xmlResponse } from "../responses.js";
import type { BucketConfig, BucketEncryption, PlainResponse } from "../types.js";
import { escapeXml, XML_DECLARATION } from "../xml.js";

/** The bucket setting reads, by the sub-resource of their GET. */
const SETTINGS = {
  accelerate: "GetBucketAccelerateConfiguration",
  cors: "GetBucketCors",
  encryption: "GetBucketEncryption",
  lifecycle: "GetBucketLifecycleConfiguration",
  logging: "GetBucketLogging",
  notification: "GetBucketNotificationConfiguration",
  "object-lock": "GetObjectLockConfiguration",
  ownershipControls: "GetBucketOwnershipControls",
  policy: "GetBucketPolicy",
  policyStatus: "GetBucketPolicyStatus",
  publicAccessBlock: "GetPublicAccessBlock",
  replication: "GetBucketReplication",
  requestPayment: "GetBucketRequestPayment",
  tagging: "GetBucketTagging",
  website: "GetBucketWebsite",
} as const;

/**
 * The sub-resources whose GET reads a bucket's settings: these, and `location`, `versioning` and `acl` (read with
 * the bucket's own operations). A target mapping tells a namespace's bucket-level reads by them.
 */
export const BUCKET_SETTING_SUBRESOURCES: readonly string[] = Object.keys(SETTINGS);

/** A read of a bucket's settings (see the module comment). */
export type BucketSettingOperation = (typeof SETTINGS)[keyof typeof SETTINGS];

/** The setting a bucket's GET with `subresource` reads, if it reads one. */
export function bucketSettingOperation(subresource: string | undefined): BucketSettingOperation | undefined {
  return subresource !== undefined && Object.hasOwn(SETTINGS, subresource) ? SETTINGS[subresource as keyof typeof SETTINGS] : undefined;
}

const OPERATIONS = new Set<string>(Object.values(SETTINGS));

/** Whether `operation` reads a bucket's settings. */
export function isBucketSettingOperation(operation: string): operation is BucketSettingOperation {
  return OPERATIONS.has(operation);
}

/** The settings whose reads answer a document even when nothing was set (or when the configuration says). */
type AnsweredSetting = "GetBucketLogging" | "GetBucketNotificationConfiguration" | "GetBucketAccelerateConfiguration" | "GetBucketRequestPayment" | "GetBucketOwnershipControls";

/** What S3 answers for a setting never made: its `404` code and message. */
const NOT_SET: Record<Exclude<BucketSettingOperation, AnsweredSetting>, [code: string, message: string]> = {
  GetBucketCors: ["NoSuchCORSConfiguration", "The CORS configuration does not exist"],
  GetBucketEncryption: ["ServerSideEncryptionConfigurationNotFoundError", "The server side encryption configuration was not found"],
  GetBucketLifecycleConfiguration: ["NoSuchLifecycleConfiguration", "The lifecycle configuration does not exist"],
  GetBucketPolicy: ["NoSuchBucketPolicy", "The bucket policy does not exist"],
  // S3 tells a policy's status only: without a policy there is none (anonymous access shows in GetBucketAcl).
  GetBucketPolicyStatus: ["NoSuchBucketPolicy", "The bucket policy does not exist"],
  GetBucketReplication: ["ReplicationConfigurationNotFoundError", "The replication configuration was not found"],
  GetBucketTagging: ["NoSuchTagSet", "The TagSet does not exist"],
  GetBucketWebsite: ["NoSuchWebsiteConfiguration", "The specified bucket does not have a website configuration"],
  GetObjectLockConfiguration: ["ObjectLockConfigurationNotFoundError", "Object Lock configuration does not exist for this bucket"],
  GetPublicAccessBlock: ["NoSuchPublicAccessBlockConfiguration", "The public access block configuration was not found"],
};

/** The bucket a setting is read of. */
export interface SettingsOf {
  /** Its configuration as the registry has it (CORS rules and anonymous access, as the gateway applies them). */
  config: BucketConfig;
  /** The kind of store that serves it (a middleware may have swapped in another configuration). */
  store: string;
  /** Whether that store says it encrypts every object at rest (see `Backend.encryptsAtRest`); else its kind tells. */
  encryptsAtRest?: boolean | undefined;
  /** Its name as the client gave it. */
  shownName: string;
  /** Asks the store for the bucket's default encryption, where it can tell (see `Backend.getBucketEncryption`). */
  encryption?: (() => Promise<BucketEncryption | undefined>) | undefined;
}

/**
 * The answer to a read of a bucket's settings (the caller is authorized): the store's own default encryption where it
 * tells it, else what the configuration and the store's kind mean. `globalCors`: the gateway's rules, which serve a
 * bucket without rules of its own.
 */
export function readBucketSetting(operation: BucketSettingOperation, of: SettingsOf, globalCors: readonly CorsRule[] | undefined): PlainResponse<never> | Promise<PlainResponse<never>> {
  if (operation === "GetBucketEncryption" && of.encryption !== undefined) return of.encryption().then((encryption) => encryptionAnswer(encryption, of.shownName));
  return bucketSetting(operation, of, globalCors);
}

/** The answer to a read of a bucket's settings that asks the store nothing (see `readBucketSetting`). */
export function bucketSetting(operation: BucketSettingOperation, of: SettingsOf, globalCors: readonly CorsRule[] | undefined): PlainResponse<never> {
  const bucket = of.config;
  switch (operation) {
    case "GetBucketCors": {
      const rules = bucket.cors_rules ?? globalCors ?? [];
      if (rules.length > 0) return xmlResponse("CORSConfiguration", rules.map(corsRuleXml).join(""));
      break;
    }
    // What a new S3 bucket answers, and what the gateway does: no ACLs, the bucket's owner owns every object.
    case "GetBucketOwnershipControls":
      return xmlResponse("OwnershipControls", "<Rule><ObjectOwnership>BucketOwnerEnforced</ObjectOwnership></Rule>");
    // A private bucket blocks public access (its ACL and policy cannot be changed through S3): S3's new-bucket answer.
    case "GetPublicAccessBlock":
      if (!bucket.anonymous_access) {
        const settings = ["BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"];
        return xmlResponse("PublicAccessBlockConfiguration", settings.map((name) => `<${name}>true</${name}>`).join(""));
      }
      break;
    // The store's own setting where it tells it (an S3-compatible store); SSE-S3 where the store encrypts at rest
    // whatever is asked.
    case "GetBucketEncryption":
      if (encryptsAtRest({ kind: of.store, encryptsAtRest: of.encryptsAtRest })) return encryptionAnswer({ algorithm: "AES256", bucketKeyEnabled: false }, of.shownName);
      break;
    // S3's logging document has a namespace of its own.
    case "GetBucketLogging":
      return { ...xmlResponse("BucketLoggingStatus", ""), body: `${XML_DECLARATION}<BucketLoggingStatus xmlns="http://doc.s3.amazonaws.com/2006-03-01"></BucketLoggingStatus>` };
    case "GetBucketNotificationConfiguration":
      return xmlResponse("NotificationConfiguration", "");
    case "GetBucketAccelerateConfiguration":
      return xmlResponse("AccelerateConfiguration", "");
    case "GetBucketRequestPayment":
      return xmlResponse("RequestPaymentConfiguration", "<Payer>BucketOwner</Payer>");
  }
  const [code, message] = NOT_SET[operation];
  throw new S3Error(code, { status: 404, message, details: { BucketName: of.shownName } });
}

/** GetBucketEncryption's answer: the rule, or S3's 404 for a bucket without one. The KMS key is not named. */
function encryptionAnswer(encryption: BucketEncryption | undefined, shownName: string): PlainResponse<never> {
  if (encryption === undefined) {
    const [code, message] = NOT_SET.GetBucketEncryption;
    throw new S3Error(code, { status: 404, message, details: { BucketName: shownName } });
  }
  const rule = `<ApplyServerSideEncryptionByDefault><SSEAlgorithm>${escapeXml(encryption.algorithm)}</SSEAlgorithm></ApplyServerSideEncryptionByDefault>`;
  return xmlResponse("ServerSideEncryptionConfiguration", `<Rule>${rule}<BucketKeyEnabled>${encryption.bucketKeyEnabled}</BucketKeyEnabled></Rule>`);
}

function corsRuleXml(rule: CorsRule): string {
  const elements = (name: string, values: readonly string[] | undefined) => (values ?? []).map((value) => `<${name}>${escapeXml(value)}</${name}>`).join("");
  return (
    `<CORSRule>${elements("AllowedHeader", rule.allowed_headers)}${elements("AllowedMethod", rule.allowed_methods)}${elements("AllowedOrigin", rule.allowed_origins)}` +
    `${elements("ExposeHeader", rule.expose_headers)}${rule.max_age_secs === undefined ? "" : `<MaxAgeSeconds>${rule.max_age_secs}</MaxAgeSeconds>`}</CORSRule>`
  );
}
