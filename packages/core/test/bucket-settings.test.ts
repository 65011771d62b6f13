/** The reads of a bucket's settings: routing, the CORS document, and S3's answers for settings never made. */
import { describe, expect, it } from "vitest";
import { bucketSetting, bucketSettingOperation, readBucketSetting } from "../src/operations/bucket-settings.js";
import { parseS3Request } from "../src/s3-request.js";
import type { BucketConfig } from "../src/types.js";
import { childText } from "../src/backend.js";
import { thrown } from "./helpers/errors.js";
import { as, objectsGateway, response } from "./helpers/objects-gateway.js";

const bucket = (extra: Partial<BucketConfig> = {}): BucketConfig => ({ name: "photos", backend_type: "fs", anonymous_access: false, backend_options: {}, ...extra });
const of = (config: BucketConfig, shownName: string, store = config.backend_type) => ({ config, store, shownName });

describe("bucket setting reads", () => {
  it("are the GETs of a bucket's setting sub-resources; the other methods stay 501", () => {
    const reads = {
      accelerate: "GetBucketAccelerateConfiguration", cors: "GetBucketCors", encryption: "GetBucketEncryption", lifecycle: "GetBucketLifecycleConfiguration",
      logging: "GetBucketLogging", notification: "GetBucketNotificationConfiguration", "object-lock": "GetObjectLockConfiguration",
      ownershipControls: "GetBucketOwnershipControls", policy: "GetBucketPolicy", policyStatus: "GetBucketPolicyStatus", publicAccessBlock: "GetPublicAccessBlock",
      replication: "GetBucketReplication", requestPayment: "GetBucketRequestPayment", tagging: "GetBucketTagging", website: "GetBucketWebsite",
    };
    for (const [subresource, operation] of Object.entries(reads)) {
      expect(parseS3Request("GET", `/photos?${subresource}`, new Headers()).operation).toBe(operation);
      for (const method of ["PUT", "DELETE", "HEAD", "POST"]) expect(() => parseS3Request(method, `/photos?${subresource}`, new Headers()), `${method} ${subresource}`).toThrow(/not implemented/);
    }
    // With another sub-resource, whichever comes first: no read of one setting answers for another.
    for (const query of ["cors&inventory", "inventory&cors", "cors&policy"]) expect(() => parseS3Request("GET", `/photos?${query}`, new Headers()), query).toThrow(/not implemented/);
    expect(parseS3Request("GET", "/photos/key?tagging", new Headers()).operation).toBe("GetObjectTagging");
    expect(bucketSettingOperation("__proto__")).toBeUndefined();
    expect(bucketSettingOperation("inventory")).toBeUndefined();
  });

  it("render the bucket's CORS rules (its own before the gateway's), escaped", () => {
    const own = bucket({ cors_rules: [{ allowed_origins: ["https://a.example/?x=1&y=<2>"], allowed_methods: ["GET"], max_age_secs: 30 }] });
    const document = String(bucketSetting("GetBucketCors", of(own, "photos"), [{ allowed_origins: ["*"], allowed_methods: ["PUT"] }]).body);
    expect(document).toContain("<CORSRule><AllowedMethod>GET</AllowedMethod><AllowedOrigin>https://a.example/?x=1&amp;y=&lt;2&gt;</AllowedOrigin><MaxAgeSeconds>30</MaxAgeSeconds></CORSRule>");
    expect(document).not.toContain("PUT");
    expect(String(bucketSetting("GetBucketCors", of(bucket(), "photos"), [{ allowed_origins: ["*"], allowed_methods: ["PUT"] }]).body)).toContain("<AllowedMethod>PUT</AllowedMethod>");
  });

  it("answer a setting never made with S3's 404 code, naming the bucket as the client did", () => {
    expect(thrown(() => bucketSetting("GetBucketCors", of(bucket(), "shown"), undefined))).toMatchObject({ code: "NoSuchCORSConfiguration", status: 404, details: { BucketName: "shown" } });
    expect(thrown(() => bucketSetting("GetBucketCors", of(bucket({ cors_rules: [] }), "shown"), [{ allowed_origins: ["*"], allowed_methods: ["GET"] }]))).toMatchObject({ code: "NoSuchCORSConfiguration" });
    expect(thrown(() => bucketSetting("GetObjectLockConfiguration", of(bucket(), "shown"), undefined))).toMatchObject({ code: "ObjectLockConfigurationNotFoundError", status: 404 });
    expect(thrown(() => bucketSetting("GetBucketPolicyStatus", of(bucket({ anonymous_access: true }), "shown"), undefined))).toMatchObject({ code: "NoSuchBucketPolicy", status: 404 });
  });

  it("answer what the configuration and the store mean where S3 answers a new bucket's settings", () => {
    const body = (operation: Parameters<typeof bucketSetting>[0], config: BucketConfig) => String(bucketSetting(operation, of(config, "photos"), undefined).body);
    expect(body("GetBucketOwnershipControls", bucket())).toContain("<ObjectOwnership>BucketOwnerEnforced</ObjectOwnership>");
    expect(body("GetPublicAccessBlock", bucket())).toContain("<BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>true</IgnorePublicAcls><BlockPublicPolicy>true</BlockPublicPolicy><RestrictPublicBuckets>true</RestrictPublicBuckets>");
    expect(thrown(() => bucketSetting("GetPublicAccessBlock", of(bucket({ anonymous_access: true }), "photos"), undefined))).toMatchObject({ code: "NoSuchPublicAccessBlockConfiguration" });
    for (const store of ["az", "gcs", "r2"]) expect(body("GetBucketEncryption", bucket({ backend_type: store }))).toContain("<SSEAlgorithm>AES256</SSEAlgorithm>");
    for (const store of ["s3", "fs"]) expect(thrown(() => bucketSetting("GetBucketEncryption", of(bucket({ backend_type: store }), "photos"), undefined))).toMatchObject({ code: "ServerSideEncryptionConfigurationNotFoundError" });
    // The store that serves the bucket decides, whatever configuration the registry holds (a middleware may swap it).
    expect(thrown(() => bucketSetting("GetBucketEncryption", of(bucket({ backend_type: "az" }), "photos", "fs"), undefined))).toMatchObject({ code: "ServerSideEncryptionConfigurationNotFoundError" });
    expect(body("GetBucketLogging", bucket())).toMatch(/<BucketLoggingStatus xmlns="http:\/\/doc\.s3\.amazonaws\.com\/2006-03-01"><\/BucketLoggingStatus>$/);
  });
});

describe("a bucket's encryption told by its store", () => {
  it("answers the store's algorithm and bucket key, or S3's 404 where it has none set or will not say", async () => {
    const asked = (encryption: { algorithm: string; bucketKeyEnabled: boolean } | undefined) => ({ ...of(bucket({ backend_type: "s3" }), "shown", "s3"), encryption: async () => encryption });
    const kms = await readBucketSetting("GetBucketEncryption", asked({ algorithm: "aws:kms", bucketKeyEnabled: true }), undefined);
    expect(String(kms.body)).toContain("<Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>aws:kms</SSEAlgorithm></ApplyServerSideEncryptionByDefault><BucketKeyEnabled>true</BucketKeyEnabled></Rule>");
    await expect(readBucketSetting("GetBucketEncryption", asked(undefined), undefined)).rejects.toMatchObject({ code: "ServerSideEncryptionConfigurationNotFoundError", status: 404, details: { BucketName: "shown" } });
    // The store is asked about its encryption only.
    expect(String((readBucketSetting("GetBucketOwnershipControls", asked(undefined), undefined) as { body: unknown }).body)).toContain("BucketOwnerEnforced");
  });
});

describe("GetBucketEncryption through the gateway", () => {
  it("asks the serving store where it tells its encryption, and answers by its kind where it does not", async () => {
    const { local, send } = objectsGateway();
    const read = async () => response(await send({ method: "GET", path: "/data", query: { encryption: "" } }, as("AKIDWRITER")));
    expect([(await read()).status, childText((await read()).root!, "Code")]).toEqual([404, "ServerSideEncryptionConfigurationNotFoundError"]);
    // A store that says it encrypts at rest (an fs root with encrypted_at_rest).
    Object.defineProperty(local, "encryptsAtRest", { value: true });
    const atRest = await read();
    expect([atRest.status, atRest.body]).toEqual([200, expect.stringContaining("<SSEAlgorithm>AES256</SSEAlgorithm>")]);
    local.getBucketEncryption = async () => ({ algorithm: "aws:kms:dsse", bucketKeyEnabled: false });
    const told = await read();
    expect([told.status, told.body]).toEqual([200, expect.stringContaining("<SSEAlgorithm>aws:kms:dsse</SSEAlgorithm>")]);
  });
});
