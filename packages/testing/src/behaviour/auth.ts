/**
 * Authentication and authorization as clients see them: anonymous rules, bad signatures, presigned URLs (and the
 * headers a presigner moves into them).
 */
import { CopyObjectCommand, GetObjectCommand, PutObjectCommand, HeadObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { describe, expect, it } from "vitest";
import { errorCode, handSignedGet, rawRequest, sdkClient, signedRawRequest } from "./clients.js";
import { BACKENDS, BUCKETS, type World } from "./setup.js";
import { cleanEnv, mustRun, requireTool, succeeds } from "../clients/tools.js";

/** boto3 signing with Signature Version 2 (`signature_version="s3"`), path style: a write, then both listings. */
const BOTO3_SIGV2 = `
import json, sys
import boto3
from botocore.config import Config
a = json.loads(sys.argv[1])
s3 = boto3.client("s3", endpoint_url=a["endpoint"], region_name="us-east-1", aws_access_key_id=a["id"], aws_secret_access_key=a["secret"],
    config=Config(signature_version="s3", retries={"total_max_attempts": 1}, s3={"addressing_style": "path"}))
s3.put_object(Bucket=a["bucket"], Key="sigv2/boto3.txt", Body=b"signed with v2")
v1 = [o["Key"] for o in s3.list_objects(Bucket=a["bucket"], Prefix="sigv2/").get("Contents", [])]
v2 = [o["Key"] for o in s3.list_objects_v2(Bucket=a["bucket"], Prefix="sigv2/").get("Contents", [])]
body = s3.get_object(Bucket=a["bucket"], Key="sigv2/boto3.txt")["Body"].read().decode()
print(json.dumps({"v1": v1, "v2": v2, "body": body}))
`;

/**
 * boto3's SigV2 presigned PUTs, sent with urllib as a script would: botocore moves Content-Type and Content-MD5 into
 * the query, and urllib sends a form type of its own. Prints each status and the stored object's type.
 */
const BOTO3_SIGV2_PRESIGNED = `
import base64, hashlib, json, sys, urllib.error, urllib.request
import boto3
from botocore.config import Config
a = json.loads(sys.argv[1])
s3 = boto3.client("s3", endpoint_url=a["endpoint"], region_name="us-east-1", aws_access_key_id=a["id"], aws_secret_access_key=a["secret"],
    config=Config(signature_version="s3", retries={"total_max_attempts": 1}, s3={"addressing_style": "path"}))
def put(url, body):
    try:
        return urllib.request.urlopen(urllib.request.Request(url, data=body, method="PUT")).status
    except urllib.error.HTTPError as error:
        return error.code
typed = s3.generate_presigned_url("put_object", Params={"Bucket": a["bucket"], "Key": "sigv2/typed.csv", "ContentType": "text/csv"}, ExpiresIn=60)
md5 = base64.b64encode(hashlib.md5(b"the signed body").digest()).decode()
digested = s3.generate_presigned_url("put_object", Params={"Bucket": a["bucket"], "Key": "sigv2/digested.txt", "ContentMD5": md5}, ExpiresIn=60)
out = {"typed": put(typed, b"a,b;1,2"), "wrongBody": put(digested, b"another body"), "signedBody": put(digested, b"the signed body")}
out["type"] = s3.head_object(Bucket=a["bucket"], Key="sigv2/typed.csv")["ContentType"]
print(json.dumps(out))
`;

/** Registers authentication and authorization tests. */
export function authBehaviour(world: () => World): void {
  describe("anonymous access", () => {
    it("may read and list anonymous buckets, never write", async () => {
      const admin = sdkClient(world(), world().admin);
      const anonymous = sdkClient(world());
      for (const bucket of [BUCKETS.publicS3, BUCKETS.publicNative]) {
        await admin.send(new PutObjectCommand({ Bucket: bucket, Key: "readme.txt", Body: "public" }));
        const got = await anonymous.send(new GetObjectCommand({ Bucket: bucket, Key: "readme.txt" }));
        expect(await got.Body!.transformToString()).toBe("public");
        expect((await anonymous.send(new HeadObjectCommand({ Bucket: bucket, Key: "readme.txt" }))).ContentLength).toBe(6);
        const listing = await anonymous.send(new ListObjectsV2Command({ Bucket: bucket }));
        expect(listing.Contents!.map((object) => object.Key)).toContain("readme.txt");
        await expect(anonymous.send(new PutObjectCommand({ Bucket: bucket, Key: "graffiti.txt", Body: "x" }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 403 } });
        const deleted = await rawRequest(world().endpoint, { method: "DELETE", path: `/${bucket}/readme.txt` });
        expect(deleted.status).toBe(403);
        expect(errorCode(deleted.text)).toBe("AccessDenied");
      }
    });

    it("may not touch private buckets", async () => {
      const response = await rawRequest(world().endpoint, { method: "GET", path: `/${BUCKETS.s3}/anything.txt` });
      expect(response.status).toBe(403);
      expect(errorCode(response.text)).toBe("AccessDenied");
      expect(response.headers["content-type"]).toBe("application/xml");
    });
  });

  describe("signatures", () => {
    const path = `/${BUCKETS.native}/auth/target.txt`;
    const get = (credentials: { accessKeyId: string; secretAccessKey: string }, signingDate?: Date) =>
      signedRawRequest(world().endpoint, credentials, { method: "GET", path, headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" }, ...(signingDate && { signingDate }) });

    it("rejects a wrong secret, an unknown key, a disabled key and an expired key", async () => {
      const wrongSecret = await get({ accessKeyId: world().admin.accessKeyId, secretAccessKey: "not-the-secret" });
      expect([wrongSecret.status, errorCode(wrongSecret.text)]).toEqual([403, "SignatureDoesNotMatch"]);
      expect(wrongSecret.text).not.toContain(world().admin.secretAccessKey);
      const unknown = await get({ accessKeyId: "AKIANOBODY000000000", secretAccessKey: "x" });
      expect([unknown.status, errorCode(unknown.text)]).toEqual([403, "InvalidAccessKeyId"]);
      const disabled = await get(world().disabled);
      expect([disabled.status, errorCode(disabled.text)]).toEqual([403, "AccessDenied"]);
      const expired = await get(world().expired);
      expect([expired.status, errorCode(expired.text)]).toEqual([403, "AccessDenied"]);
    });

    it("rejects requests signed too far from now", async () => {
      const skewed = await get(world().admin, new Date(Date.now() - 20 * 60 * 1000));
      expect([skewed.status, errorCode(skewed.text)]).toEqual([403, "RequestTimeTooSkewed"]);
    });

    it("rejects a malformed Authorization header and tampered requests", async () => {
      const malformed = await rawRequest(world().endpoint, { method: "GET", path, headers: { authorization: "AWS4-HMAC-SHA256 Credential=nonsense", "x-amz-date": "20240101T000000Z" } });
      expect(malformed.status).toBe(400);
      expect(errorCode(malformed.text)).toBe("AuthorizationHeaderMalformed");
      // A header named twice in SignedHeaders: no signer sends that (a presigned URL's list is refused the same).
      const amzDate = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
      const credential = `${world().admin.accessKeyId}/${amzDate.slice(0, 8)}/us-east-1/s3/aws4_request`;
      const repeated = await rawRequest(world().endpoint, {
        method: "GET",
        path,
        headers: { authorization: `AWS4-HMAC-SHA256 Credential=${credential}, SignedHeaders=host;host;x-amz-date, Signature=${"0".repeat(64)}`, "x-amz-date": amzDate },
      });
      expect([repeated.status, errorCode(repeated.text)]).toEqual([400, "AuthorizationHeaderMalformed"]);
      const query = `X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=${encodeURIComponent(credential)}&X-Amz-Date=${amzDate}&X-Amz-Expires=60&X-Amz-SignedHeaders=host%3Bhost&X-Amz-Signature=${"0".repeat(64)}`;
      const presigned = await rawRequest(world().endpoint, { method: "GET", path: `${path}?${query}` });
      expect([presigned.status, errorCode(presigned.text)]).toEqual([400, "AuthorizationQueryParametersError"]);
    });

    it("refuses a credential scope for another service and a calendar-invalid x-amz-date, as S3 does", async () => {
      await sdkClient(world(), world().admin).send(new PutObjectCommand({ Bucket: BUCKETS.native, Key: "auth/target.txt", Body: "x" }));
      const now = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
      // The control: signed by hand exactly like the refused requests below, this one is served.
      const good = await handSignedGet(world().endpoint, world().admin, path, { amzDate: now });
      expect(good.status).toBe(200);
      const sts = await handSignedGet(world().endpoint, world().admin, path, { amzDate: now, service: "sts" });
      expect([sts.status, errorCode(sts.text)]).toEqual([400, "AuthorizationHeaderMalformed"]);
      expect(sts.text).toContain("incorrect service &quot;sts&quot;");
      // Second 60 of the current minute: Date.UTC would quietly read it as the next minute.
      const invalid = await handSignedGet(world().endpoint, world().admin, path, { amzDate: `${now.slice(0, 13)}60Z` });
      expect([invalid.status, errorCode(invalid.text)]).toEqual([403, "AccessDenied"]);
      const presigned = new URL(await getSignedUrl(sdkClient(world(), world().admin), new GetObjectCommand({ Bucket: BUCKETS.native, Key: "auth/target.txt" }), { expiresIn: 60 }));
      const wrongService = presigned.search.replace(/%2Fs3%2Faws4_request/, "%2Fsts%2Faws4_request");
      const refused = await rawRequest(world().endpoint, { method: "GET", path: `${presigned.pathname}${wrongService}` });
      expect([refused.status, errorCode(refused.text)]).toEqual([400, "AuthorizationQueryParametersError"]);
    });

    it("keeps a scoped key inside its prefixes", async () => {
      const limited = sdkClient(world(), world().limited);
      await limited.send(new PutObjectCommand({ Bucket: BUCKETS.native, Key: "allowed/mine.txt", Body: "x" }));
      await expect(limited.send(new PutObjectCommand({ Bucket: BUCKETS.native, Key: "allowed-not/x.txt", Body: "x" }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 403 } });
      await expect(limited.send(new GetObjectCommand({ Bucket: BUCKETS.s3Other, Key: "x" }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 403 } });
    });

    it("answers NoSuchBucket for unknown buckets", async () => {
      const admin = sdkClient(world(), world().admin);
      await expect(admin.send(new GetObjectCommand({ Bucket: "no-such-bucket", Key: "x" }))).rejects.toMatchObject({ name: "NoSuchBucket", $metadata: { httpStatusCode: 404 } });
    });
  });

  describe.each(BACKENDS)("presigned URLs on the %s backend", (_kind, bucket) => {
    it("accepts GET and PUT URLs made by the AWS SDK presigner, and refuses them once expired or tampered", async () => {
      const admin = sdkClient(world(), world().admin);
      const putUrl = await getSignedUrl(admin, new PutObjectCommand({ Bucket: bucket, Key: "presigned/file.txt" }), { expiresIn: 60 });
      const put = await fetch(putUrl, { method: "PUT", body: "presigned body" });
      expect(put.status).toBe(200);
      const getUrl = await getSignedUrl(admin, new GetObjectCommand({ Bucket: bucket, Key: "presigned/file.txt" }), { expiresIn: 60 });
      const got = await fetch(getUrl);
      expect(got.status).toBe(200);
      expect(await got.text()).toBe("presigned body");
      const tampered = await fetch(getUrl.replace("presigned/file.txt", "presigned/other.txt"));
      expect(tampered.status).toBe(403);
      expect(errorCode(await tampered.text())).toBe("SignatureDoesNotMatch");
      const old = await getSignedUrl(admin, new GetObjectCommand({ Bucket: bucket, Key: "presigned/file.txt" }), { expiresIn: 1, signingDate: new Date(Date.now() - 60_000) });
      const expired = await fetch(old);
      expect(expired.status).toBe(403);
      expect(await expired.text()).toContain("Request has expired");
      const tooLong = await fetch(getUrl.replace(/X-Amz-Expires=\d+/, "X-Amz-Expires=604801"));
      expect(tooLong.status).toBe(400);
    });

    it("takes the headers the presigner moved into the URL: a PUT's metadata, a copy's source (never its empty-body checksum)", async () => {
      const admin = sdkClient(world(), world().admin);
      const putUrl = await getSignedUrl(admin, new PutObjectCommand({ Bucket: bucket, Key: "presigned/meta.txt", Metadata: { colour: "blue" } }), { expiresIn: 60 });
      expect(new URL(putUrl).searchParams.get("x-amz-meta-colour")).toBe("blue");
      // (The SDK's URL also carries the CRC32 of an empty body: the body sent is not held to it.)
      const put = await fetch(putUrl, { method: "PUT", body: "presigned with metadata" });
      expect(put.status).toBe(200);
      const head = await admin.send(new HeadObjectCommand({ Bucket: bucket, Key: "presigned/meta.txt" }));
      expect(head.Metadata).toEqual({ colour: "blue" });
      // A presigned copy copies: taken as a PUT without its x-amz-copy-source, it stored an empty object.
      const copyUrl = await getSignedUrl(admin, new CopyObjectCommand({ Bucket: bucket, Key: "presigned/copied.txt", CopySource: `${bucket}/presigned/meta.txt` }), { expiresIn: 60 });
      expect(new URL(copyUrl).searchParams.get("x-amz-copy-source")).toBe(`${bucket}/presigned/meta.txt`);
      const copied = await fetch(copyUrl, { method: "PUT" });
      expect([copied.status, await copied.text()]).toEqual([200, expect.stringContaining("<CopyObjectResult")]);
      const got = await admin.send(new GetObjectCommand({ Bucket: bucket, Key: "presigned/copied.txt" }));
      expect([await got.Body!.transformToString(), got.Metadata]).toEqual(["presigned with metadata", { colour: "blue" }]);
    });
  });

  it("serves boto3 signing with Signature Version 2: writes, both listings of a path-style bucket, reads", async () => {
    requireTool("boto3 (PATH)", () => succeeds("python3", ["-c", "import boto3"]), "pip install boto3 (the machine image's pyenv python3 has it)");
    const payload = { endpoint: world().endpoint, id: world().admin.accessKeyId, secret: world().admin.secretAccessKey, bucket: BUCKETS.native };
    const output = await mustRun("python3", ["-c", BOTO3_SIGV2, JSON.stringify(payload)], { env: cleanEnv({ AWS_CONFIG_FILE: "/dev/null", AWS_SHARED_CREDENTIALS_FILE: "/dev/null" }), timeoutMs: 60_000 });
    expect(JSON.parse(output)).toEqual({ v1: ["sigv2/boto3.txt"], v2: ["sigv2/boto3.txt"], body: "signed with v2" });
  }, 60_000);

  it("takes the Content-Type and Content-MD5 boto3's SigV2 presigner signed into the URL over what the uploader sends", async () => {
    requireTool("boto3 (PATH)", () => succeeds("python3", ["-c", "import boto3"]), "pip install boto3 (the machine image's pyenv python3 has it)");
    const payload = { endpoint: world().endpoint, id: world().admin.accessKeyId, secret: world().admin.secretAccessKey, bucket: BUCKETS.native };
    const output = await mustRun("python3", ["-c", BOTO3_SIGV2_PRESIGNED, JSON.stringify(payload)], { env: cleanEnv({ AWS_CONFIG_FILE: "/dev/null", AWS_SHARED_CREDENTIALS_FILE: "/dev/null" }), timeoutMs: 60_000 });
    // The stored type is the signed one (urllib sent application/x-www-form-urlencoded); the signed MD5 holds the body.
    expect(JSON.parse(output)).toEqual({ typed: 200, wrongBody: 400, signedBody: 200, type: "text/csv" });
  }, 60_000);
}
