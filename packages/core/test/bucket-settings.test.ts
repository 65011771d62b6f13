/** The reads of a bucket's settings: routing, the CORS document, and S3's answers for settings never made. */
import { describe, expect, it } from "vitest";
import { bucketSetting, bucketSettingOperation } from "../src/operations/bucket-settings.js";
import { parseS3Request } from "../src/s3-request.js";
import type { BucketConfig } from "../src/types.js";
import { thrown } from "./helpers/errors.js";

const bucket = (extra: Partial<BucketConfig> = {}): BucketConfig => ({ name: "photos", backend_type: "fs", anonymous_access: false, backend_options: {}, ...extra });

describe("bucket setting reads", () => {
  it("are the GETs of a bucket's setting sub-resources; the other methods stay 501", () => {
    expect(parseS3Request("GET", "/photos?cors", new Headers()).operation).toBe("GetBucketCors");
    expect(parseS3Request("GET", "/photos?publicAccessBlock", new Headers()).operation).toBe("GetPublicAccessBlock");
    expect(parseS3Request("GET", "/photos?object-lock", new Headers()).operation).toBe("GetObjectLockConfiguration");
    for (const method of ["PUT", "DELETE"]) expect(() => parseS3Request(method, "/photos?cors", new Headers())).toThrow(/not implemented/);
    expect(bucketSettingOperation("__proto__")).toBeUndefined();
    expect(bucketSettingOperation("inventory")).toBeUndefined();
  });

  it("render the bucket's CORS rules (its own before the gateway's), escaped", () => {
    const own = bucket({ cors_rules: [{ allowed_origins: ["https://a.example/?x=1&y=<2>"], allowed_methods: ["GET"], max_age_secs: 30 }] });
    const document = String(bucketSetting("GetBucketCors", own, "photos", [{ allowed_origins: ["*"], allowed_methods: ["PUT"] }]).body);
    expect(document).toContain("<CORSRule><AllowedMethod>GET</AllowedMethod><AllowedOrigin>https://a.example/?x=1&amp;y=&lt;2&gt;</AllowedOrigin><MaxAgeSeconds>30</MaxAgeSeconds></CORSRule>");
    expect(document).not.toContain("PUT");
    expect(String(bucketSetting("GetBucketCors", bucket(), "photos", [{ allowed_origins: ["*"], allowed_methods: ["PUT"] }]).body)).toContain("<AllowedMethod>PUT</AllowedMethod>");
  });

  it("answer a setting never made with S3's 404 code, naming the bucket as the client did", () => {
    expect(thrown(() => bucketSetting("GetBucketCors", bucket(), "shown", undefined))).toMatchObject({ code: "NoSuchCORSConfiguration", status: 404, details: { BucketName: "shown" } });
    expect(thrown(() => bucketSetting("GetBucketCors", bucket({ cors_rules: [] }), "shown", [{ allowed_origins: ["*"], allowed_methods: ["GET"] }]))).toMatchObject({ code: "NoSuchCORSConfiguration" });
    expect(thrown(() => bucketSetting("GetObjectLockConfiguration", bucket(), "shown", undefined))).toMatchObject({ code: "ObjectLockConfigurationNotFoundError", status: 404 });
    expect(String(bucketSetting("GetBucketPolicyStatus", bucket({ anonymous_access: true }), "shown", undefined).body)).toContain("<IsPublic>true</IsPublic>");
  });
});
