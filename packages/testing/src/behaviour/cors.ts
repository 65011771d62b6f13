/** CORS as browsers use it: preflights (also for presigned PUTs) answered without authentication, headers on responses. */
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { describe, expect, it } from "vitest";
import { errorCode, sdkClient } from "./clients.js";
import { BUCKETS, type World } from "./setup.js";

/** The global rules the suite configures (a bucket with its own rules: `BUCKETS.publicS3`). */
export const CORS_RULES = [
  {
    allowed_origins: ["https://app.example.com", "https://*.example.org"],
    allowed_methods: ["GET", "PUT", "HEAD", "DELETE", "POST"],
    allowed_headers: ["*"],
    expose_headers: ["ETag", "x-amz-request-id", "Content-Range"],
    max_age_secs: 600,
  },
];

/** The public S3 bucket's own rules: any origin, reads only. */
export const PUBLIC_BUCKET_CORS_RULES = [{ allowed_origins: ["*"], allowed_methods: ["GET", "HEAD"] }];

/** Registers CORS tests. */
export function corsBehaviour(world: () => World): void {
  const preflight = (path: string, origin: string, method: string, headers = "content-type") =>
    fetch(`${world().endpoint}${path}`, {
      method: "OPTIONS",
      headers: { origin, "access-control-request-method": method, "access-control-request-headers": headers },
    });

  describe("CORS", () => {
    it("answers the preflight of a presigned PUT without authentication", async () => {
      const url = new URL(await getSignedUrl(sdkClient(world(), world().admin), new PutObjectCommand({ Bucket: BUCKETS.native, Key: "cors/upload.txt" }), { expiresIn: 60 }));
      const response = await preflight(url.pathname + url.search, "https://app.example.com", "PUT");
      expect(response.status).toBe(200);
      expect(response.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
      expect(response.headers.get("access-control-allow-methods")).toContain("PUT");
      expect(response.headers.get("access-control-allow-headers")).toBe("content-type");
      expect(response.headers.get("access-control-max-age")).toBe("600");
      expect(response.headers.get("vary")).toContain("Origin");
      const upload = await fetch(url, { method: "PUT", body: "from a browser", headers: { origin: "https://app.example.com" } });
      expect(upload.status).toBe(200);
      expect(upload.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
      expect(upload.headers.get("access-control-expose-headers")).toBe("ETag, x-amz-request-id, Content-Range");
    });

    it("matches wildcard origins and refuses others", async () => {
      const wildcard = await preflight(`/${BUCKETS.s3}/x`, "https://deep.example.org", "GET");
      expect(wildcard.status).toBe(200);
      expect(wildcard.headers.get("access-control-allow-origin")).toBe("https://deep.example.org");
      const refused = await preflight(`/${BUCKETS.s3}/x`, "https://evil.example.com", "GET");
      expect(refused.status).toBe(403);
      expect(errorCode(await refused.text())).toBe("AccessForbidden");
      expect(refused.headers.get("access-control-allow-origin")).toBeNull();
    });

    it("puts CORS headers on reads and on errors for allowed origins only", async () => {
      await sdkClient(world(), world().admin).send(new PutObjectCommand({ Bucket: BUCKETS.publicNative, Key: "cors/read.txt", Body: "x" }));
      const allowed = await fetch(`${world().endpoint}/${BUCKETS.publicNative}/cors/read.txt`, { headers: { origin: "https://app.example.com" } });
      expect(allowed.status).toBe(200);
      expect(allowed.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
      expect(allowed.headers.get("access-control-expose-headers")).toContain("ETag");
      const denied = await fetch(`${world().endpoint}/${BUCKETS.native}/cors/secret.txt`, { headers: { origin: "https://app.example.com" } });
      expect(denied.status).toBe(403);
      expect(denied.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
      const foreign = await fetch(`${world().endpoint}/${BUCKETS.publicNative}/cors/read.txt`, { headers: { origin: "https://evil.example.com" } });
      expect(foreign.headers.get("access-control-allow-origin")).toBeNull();
      const sameOrigin = await fetch(`${world().endpoint}/${BUCKETS.publicNative}/cors/read.txt`);
      expect(sameOrigin.headers.get("access-control-allow-origin")).toBeNull();
    });

    it("applies a bucket's own rules instead of the global ones", async () => {
      const read = await preflight(`/${BUCKETS.publicS3}/anything`, "https://anyone.test", "GET", "");
      expect(read.status).toBe(200);
      expect(read.headers.get("access-control-allow-origin")).toBe("*");
      expect(read.headers.get("vary") ?? "").not.toContain("Origin");
      const write = await preflight(`/${BUCKETS.publicS3}/anything`, "https://app.example.com", "PUT", "");
      expect(write.status).toBe(403);
      // The rule allows no request headers, so a preflight asking for one is refused.
      expect((await preflight(`/${BUCKETS.publicS3}/anything`, "https://anyone.test", "GET", "x-custom")).status).toBe(403);
    });
  });
}
