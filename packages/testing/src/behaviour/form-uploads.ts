/**
 * Browser form uploads (S3's POST Object) as web apps make them: the AWS SDK's `createPresignedPost` signs a policy,
 * and the form is posted as multipart/form-data with the file last. The file streams to every backend; the policy's
 * conditions, the signer's scopes and the form's framing are enforced before anything is stored.
 */
import { createHash, randomBytes } from "node:crypto";
import { connect } from "node:net";
import { GetObjectCommand, GetObjectTaggingCommand, HeadObjectCommand } from "@aws-sdk/client-s3";
import { Client as MinioClient } from "minio";
import { describe, expect, it } from "vitest";
import { cleanEnv, mustRun, requireTool, succeeds } from "../clients/tools.js";
import { encodedForm, formData, presignedForm, type FormOptions, type PresignedForm } from "../form-posts.js";
import { errorCode, sdkClient, type KeyPair } from "./clients.js";
import { BACKENDS, BUCKETS, type World } from "./setup.js";

const MiB = 1024 * 1024;

/**
 * boto3's `generate_presigned_post`, signed with Signature Version 4 and (Config(signature_version="s3")) 2, each
 * form posted with urllib3's multipart encoder; prints each answer's status and the object read back.
 */
const BOTO3_FORMS = `
import json, sys
import boto3, urllib3
from botocore.config import Config

a = json.loads(sys.argv[1])
out = {}
for version in ["s3v4", "s3"]:
    s3 = boto3.client("s3", endpoint_url=a["endpoint"], region_name="us-east-1", aws_access_key_id=a["id"], aws_secret_access_key=a["secret"],
                      config=Config(signature_version=version, s3={"addressing_style": "path"}, retries={"max_attempts": 1}))
    key = "form/boto3-%s/\${filename}" % version
    post = s3.generate_presigned_post(a["bucket"], key, Fields={"Content-Type": "text/csv"}, Conditions=[{"Content-Type": "text/csv"}, ["content-length-range", 1, 1024]], ExpiresIn=600)
    fields = dict(post["fields"])
    fields["file"] = ("report.csv", b"a,b\\n1,2\\n", "text/csv")
    answer = urllib3.PoolManager().request("POST", post["url"], fields=fields)
    stored = s3.get_object(Bucket=a["bucket"], Key="form/boto3-%s/report.csv" % version)
    out[version] = [answer.status, stored["Body"].read().decode(), stored["ContentType"]]
print(json.dumps(out))
`;

/** Posts a form: its fields in order, then the file (and `after`, fields a form should not send after it). */
function postForm(form: PresignedForm, file: Uint8Array, options: { filename?: string; extra?: Record<string, string>; origin?: string; after?: Record<string, string> } = {}): Promise<Response> {
  const body = formData(form, { bytes: file, ...(options.filename !== undefined && { filename: options.filename }) }, options);
  return fetch(form.url, { method: "POST", body, redirect: "manual", ...(options.origin && { headers: { origin: options.origin } }) });
}

/**
 * Sends `first` and then `second` on one connection (the second once the first's answer began) and resolves with
 * everything the connection carried until both answers arrived or it closed.
 */
function twoOnOneConnection(endpoint: string, first: Buffer, second: Buffer): Promise<string> {
  const url = new URL(endpoint);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    let received = "";
    let sentSecond = false;
    const timer = setTimeout(() => socket.destroy(), 15_000);
    socket.on("data", (chunk) => {
      received += chunk.toString("latin1");
      if (!sentSecond) {
        sentSecond = true;
        socket.write(second);
      }
      if ((received.match(/HTTP\/1\.1 /g) ?? []).length >= 2 && received.trimEnd().endsWith("</Error>")) socket.end();
    });
    socket.on("error", () => undefined);
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(received);
    });
    socket.once("connect", () => socket.write(first));
    socket.once("error", reject);
  });
}

/** Registers form upload tests. */
export function formUploadBehaviour(world: () => World): void {
  const presign = (key: KeyPair, bucket: string, objectKey: string, options: Omit<FormOptions, "bucket" | "key"> = {}) => presignedForm(world(), key, { bucket, key: objectKey, ...options });
  const read = async (bucket: string, key: string) => {
    const object = await sdkClient(world(), world().admin).send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return { bytes: await object.Body!.transformToByteArray(), object };
  };
  const missing = (bucket: string, key: string) =>
    sdkClient(world(), world().admin)
      .send(new HeadObjectCommand({ Bucket: bucket, Key: key }))
      .then(
        () => false,
        (error: { $metadata?: { httpStatusCode?: number } }) => error.$metadata?.httpStatusCode === 404,
      );

  describe.each(BACKENDS)("form uploads on the %s backend", (kind, bucket) => {
    it("stores a file posted with the AWS SDK's presigned POST, with the form's headers, and answers 204", async () => {
      const post = await presign(world().admin, bucket, "form/${filename}", {
        conditions: [["content-length-range", 1, 10 * MiB], ["starts-with", "$Content-Type", "image/"]],
        fields: { "Content-Type": "image/png", "x-amz-meta-source": "browser form" },
      });
      const file = randomBytes(3 * MiB + 17);
      const answer = await postForm(post, file, { filename: "tile 1.png" });
      expect([answer.status, await answer.text()]).toEqual([204, ""]);
      const { bytes, object } = await read(bucket, "form/tile 1.png");
      expect(createHash("sha256").update(bytes).digest("hex")).toBe(createHash("sha256").update(file).digest("hex"));
      expect(object.ContentType).toBe("image/png");
      expect(object.Metadata).toEqual({ source: "browser form" });
      expect(answer.headers.get("etag")).toBe(object.ETag);
    });

    it("keeps the tags of a tagging field where the store keeps tags, and refuses them (501, nothing stored) elsewhere", async () => {
      const tagging = "<Tagging><TagSet><Tag><Key>source</Key><Value>form</Value></Tag></TagSet></Tagging>";
      const answer = await postForm(await presign(world().admin, bucket, "form/tagged.txt", { fields: { tagging } }), new TextEncoder().encode("tagged"));
      // (s3rver, behind the s3 kind, takes the tags of no write; R2, the Worker's native store, keeps none.)
      const keeps = kind === "az" || (kind === "native" && world().exceptions.nativeKeepsNoTags === undefined);
      if (kind === "s3") return expect(answer.status).toBe(204);
      expect(answer.status).toBe(keeps ? 204 : 501);
      if (!keeps) return expect(await missing(bucket, "form/tagged.txt")).toBe(true);
      const tags = await sdkClient(world(), world().admin).send(new GetObjectTaggingCommand({ Bucket: bucket, Key: "form/tagged.txt" }));
      expect(tags.TagSet).toEqual([{ Key: "source", Value: "form" }]);
    });

    it("refuses a form with fields after its file, and stores nothing", async () => {
      const post = await presign(world().admin, bucket, "form/late-field.bin");
      const answer = await postForm(post, randomBytes(64 * 1024), { after: { "x-ignore-late": "1" } });
      expect([answer.status, errorCode(await answer.text())]).toEqual([400, "MalformedPOSTRequest"]);
      // s3rver writes in place as bytes arrive (see the payload tests): only the other backends show there is nothing.
      if (kind !== "s3") expect(await missing(bucket, "form/late-field.bin")).toBe(true);
    });
  });

  describe("form uploads", () => {
    const bucket = BUCKETS.native;

    it("enforces the policy's conditions before the backend sees anything", async () => {
      const small = await presign(world().admin, bucket, "form/too-large.bin", { conditions: [["content-length-range", 0, 1024]] });
      const tooLarge = await postForm(small, randomBytes(2048));
      expect([tooLarge.status, errorCode(await tooLarge.text())]).toEqual([400, "EntityTooLarge"]);
      expect(await missing(bucket, "form/too-large.bin")).toBe(true);
      const typed = await presign(world().admin, bucket, "form/typed.bin", { conditions: [["starts-with", "$Content-Type", "image/"]] });
      const wrongType = await postForm(typed, randomBytes(10), { extra: { "Content-Type": "text/html" } });
      expect([wrongType.status, errorCode(await wrongType.text())]).toEqual([403, "AccessDenied"]);
      const extra = await postForm(await presign(world().admin, bucket, "form/extra.bin"), randomBytes(10), { extra: { "x-amz-meta-unsigned": "1" } });
      expect([extra.status, errorCode(await extra.text())]).toEqual([403, "AccessDenied"]);
      const expired = await presign(world().admin, bucket, "form/expired.bin", { expires: -1 });
      const late = await postForm(expired, randomBytes(10));
      expect([late.status, errorCode(await late.text())]).toEqual([403, "AccessDenied"]);
      const forged = await presign({ ...world().admin, secretAccessKey: "not-the-secret" }, bucket, "form/forged.bin");
      const refused = await postForm(forged, randomBytes(10));
      expect([refused.status, errorCode(await refused.text())]).toEqual([403, "SignatureDoesNotMatch"]);
      for (const key of ["typed", "extra", "expired", "forged"]) expect(await missing(bucket, `form/${key}.bin`)).toBe(true);
    });

    it("drops the rest of a refused form's body, so that its connection carries the next request", async () => {
      const form = await presign(world().admin, bucket, "form/refused.bin", { conditions: [["content-length-range", 0, 10]] });
      const { body, contentType } = await encodedForm(formData(form, { bytes: randomBytes(512 * 1024) }));
      const host = new URL(world().endpoint).host;
      const first = Buffer.concat([Buffer.from(`POST /${bucket} HTTP/1.1\r\nHost: ${host}\r\nContent-Type: ${contentType}\r\nContent-Length: ${body.length}\r\n\r\n`), body]);
      const second = Buffer.from(`GET /${bucket}/form/none HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
      const carried = await twoOnOneConnection(world().endpoint, first, second);
      expect(carried.match(/<Code>[^<]+<\/Code>/g)).toEqual(["<Code>EntityTooLarge</Code>", "<Code>AccessDenied</Code>"]);
    });

    it("authorizes the upload as the signer's PutObject of the key", async () => {
      const allowed = await postForm(await presign(world().limited, bucket, "allowed/form.txt"), new TextEncoder().encode("mine"));
      expect(allowed.status).toBe(204);
      const outside = await postForm(await presign(world().limited, bucket, "elsewhere/form.txt"), new TextEncoder().encode("not mine"));
      expect([outside.status, errorCode(await outside.text())]).toEqual([403, "AccessDenied"]);
      expect(await missing(bucket, "elsewhere/form.txt")).toBe(true);
      // A form without a policy is anonymous: a private bucket refuses it.
      const form = new FormData();
      form.append("key", "form/anonymous.txt");
      form.append("file", new Blob(["x"]));
      const anonymous = await fetch(`${world().endpoint}/${bucket}`, { method: "POST", body: form });
      expect([anonymous.status, errorCode(await anonymous.text())]).toEqual([403, "AccessDenied"]);
    });

    it("answers as the form asks: 201 with a document, or a 303 to its redirect; with CORS headers for an allowed origin", async () => {
      const created = await presign(world().admin, bucket, "form/created.txt", { fields: { success_action_status: "201" } });
      const answer = await postForm(created, new TextEncoder().encode("created"), { origin: "https://app.example.com" });
      expect(answer.status).toBe(201);
      expect(answer.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
      const document = await answer.text();
      expect(document).toContain("<Bucket>" + bucket + "</Bucket>");
      expect(document).toContain("<Key>form/created.txt</Key>");
      // An absolute URL, as the client addresses the gateway (a page on another origin resolves it against this one).
      expect(document).toContain(`<Location>${world().endpoint}/${bucket}/form/created.txt</Location>`);
      expect(answer.headers.get("location")).toBe(`${world().endpoint}/${bucket}/form/created.txt`);
      const redirect = await presign(world().admin, bucket, "form/redirect.txt", { fields: { success_action_redirect: "https://app.example.com/uploaded" } });
      const redirected = await postForm(redirect, new TextEncoder().encode("redirected"));
      expect(redirected.status).toBe(303);
      const location = new URL(redirected.headers.get("location")!);
      expect([location.origin + location.pathname, location.searchParams.get("key"), location.searchParams.get("bucket")]).toEqual(["https://app.example.com/uploaded", "form/redirect.txt", bucket]);
      expect(new TextDecoder().decode((await read(bucket, "form/redirect.txt")).bytes)).toBe("redirected");
    });

    it("takes the forms boto3's generate_presigned_post signs, with Signature Version 4 and 2", async () => {
      requireTool("boto3 (PATH)", () => succeeds("python3", ["-c", "import boto3, urllib3"]), "pip install boto3 (the machine image's pyenv python3 has it)");
      const payload = { endpoint: world().endpoint, id: world().admin.accessKeyId, secret: world().admin.secretAccessKey, bucket };
      const output = await mustRun("python3", ["-c", BOTO3_FORMS, JSON.stringify(payload)], { env: cleanEnv({ AWS_CONFIG_FILE: "/dev/null", AWS_SHARED_CREDENTIALS_FILE: "/dev/null" }), timeoutMs: 60_000 });
      expect(JSON.parse(output)).toEqual({ s3v4: [204, "a,b\n1,2\n", "text/csv"], s3: [204, "a,b\n1,2\n", "text/csv"] });
    }, 60_000);

    it("takes the form minio-js's presignedPostPolicy signs, with its metadata and content conditions", async () => {
      const endpoint = new URL(world().endpoint);
      const minio = new MinioClient({ endPoint: endpoint.hostname, port: Number(endpoint.port), useSSL: false, accessKey: world().admin.accessKeyId, secretKey: world().admin.secretAccessKey, region: "us-east-1", pathStyle: true });
      const policy = minio.newPostPolicy();
      policy.setBucket(bucket);
      policy.setKey("form/minio.txt");
      policy.setExpires(new Date(Date.now() + 600_000));
      policy.setContentType("text/plain");
      policy.setContentLengthRange(1, 1024);
      policy.setUserMetaData({ origin: "minio-js" });
      const { postURL, formData: fields } = await minio.presignedPostPolicy(policy);
      const answer = await postForm({ url: postURL, fields: fields as Record<string, string> }, new TextEncoder().encode("posted by minio-js"));
      expect(answer.status).toBe(204);
      const { bytes, object } = await read(bucket, "form/minio.txt");
      expect([new TextDecoder().decode(bytes), object.ContentType, object.Metadata]).toEqual(["posted by minio-js", "text/plain", { origin: "minio-js" }]);
    });

    it("verifies a checksum field against the file, storing nothing on a mismatch", async () => {
      const file = randomBytes(100 * 1024);
      const wrong = createHash("sha256").update("something else").digest("base64");
      const post = await presign(world().admin, bucket, "form/checksum.bin", { fields: { "x-amz-checksum-sha256": wrong } });
      const refused = await postForm(post, file);
      expect([refused.status, errorCode(await refused.text())]).toEqual([400, "BadDigest"]);
      expect(await missing(bucket, "form/checksum.bin")).toBe(true);
      const right = createHash("sha256").update(file).digest("base64");
      const accepted = await postForm(await presign(world().admin, bucket, "form/checksum.bin", { fields: { "x-amz-checksum-sha256": right } }), file);
      expect(accepted.status).toBe(204);
    });
  });
}
