/** STS on the Worker (workerd via miniflare): OIDC tokens from a local issuer → temporary credentials → S3 over R2. */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { AssumeRoleWithWebIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { createSessionTokenSealer, generateSessionTokenKey, newAccessKeyId, newSecretAccessKey, type SealedCredential } from "@multistore/sts";
import { startOidcIssuer, type OidcIssuer } from "@multistore/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWorker, type WorkerHandle } from "./helpers/worker-harness.js";

let idp: OidcIssuer;
let worker: WorkerHandle;
const logs: string[] = [];
// The Worker runs with both keys (key1 seals, both unseal), as while rotating.
const key1 = generateSessionTokenKey();
const key2 = generateSessionTokenKey();

function config(issuer: string) {
  const scope = { bucket: "data", prefixes: ["users/{sub}/"], actions: ["get_object", "put_object", "head_object", "list_bucket"] };
  return {
    buckets: [
      { name: "data", backend_type: "r2", anonymous_access: false, allowed_roles: ["reader"], backend_options: { binding: "DATA" } },
      { name: "other", backend_type: "r2", anonymous_access: false, allowed_roles: [], backend_options: { binding: "OTHER" } },
    ],
    roles: [
      { role_id: "reader", name: "Reader", trusted_oidc_issuers: [issuer], required_audiences: ["multistore"], subject_conditions: ["user-*"], max_session_duration_secs: 7200, allowed_scopes: [scope, { bucket: "other", actions: ["get_object", "put_object"] }] },
    ],
  };
}

const start = (bindings: Record<string, unknown>, proxyConfig: object = config(idp.issuer)) =>
  startWorker({ bindings: { PROXY_CONFIG: JSON.stringify(proxyConfig), STS_ALLOW_INSECURE_ISSUERS: "true", ...bindings }, r2Buckets: ["DATA", "OTHER"], onLog: (line) => logs.push(line) });

beforeAll(async () => {
  idp = await startOidcIssuer();
  worker = await start({ SESSION_TOKEN_KEY: `${key1},${key2}` });
});
afterAll(async () => {
  await worker?.close();
  await idp?.close();
});

const sts = (path = "") => new STSClient({ endpoint: worker.endpoint + path, region: "us-east-1", maxAttempts: 1 });
async function assume(token: string, extra: { DurationSeconds?: number; path?: string } = {}) {
  const { path, ...rest } = extra;
  return (await sts(path).send(new AssumeRoleWithWebIdentityCommand({ RoleArn: "reader", RoleSessionName: "worker", WebIdentityToken: token, ...rest }))).Credentials!;
}
const failure = (token: string) =>
  assume(token).then(() => "accepted", (error: { name: string; $metadata?: { httpStatusCode?: number } }) => `${error.name} ${error.$metadata?.httpStatusCode}`);
function s3(credentials: { AccessKeyId?: string; SecretAccessKey?: string; SessionToken?: string }, endpoint = worker.endpoint) {
  return new S3Client({ endpoint, region: "us-east-1", forcePathStyle: true, maxAttempts: 1, credentials: { accessKeyId: credentials.AccessKeyId!, secretAccessKey: credentials.SecretAccessKey!, sessionToken: credentials.SessionToken! } });
}
const outcome = (promise: Promise<unknown>) => promise.then(() => "allowed", (error: { name: string }) => error.name);
const outcomeWithStatus = (promise: Promise<unknown>) =>
  promise.then(() => "allowed", (error: { name: string; $metadata?: { httpStatusCode?: number } }) => `${error.name} ${error.$metadata?.httpStatusCode}`);

/** Credentials sealed by the test itself (not minted by STS), for expiry and key checks on S3 requests. */
async function sealedCredentials(keys: string[], expiresAt: Date) {
  const AccessKeyId = newAccessKeyId();
  const SecretAccessKey = newSecretAccessKey();
  const scopes: SealedCredential["scopes"] = [{ bucket: "data", prefixes: ["users/user-1/"], actions: ["get_object", "put_object"] }];
  const SessionToken = await createSessionTokenSealer({ keys }).seal({
    accessKeyId: AccessKeyId, secretAccessKey: SecretAccessKey, principalName: "assumed-role/reader/sealed", expiresAt, scopes, roleId: "reader", subject: "user-1",
  });
  return { AccessKeyId, SecretAccessKey, SessionToken };
}

describe("STS on the Worker", () => {
  it("issues credentials to an SDK STS client (POST /) that work on R2 within their scope only", async () => {
    const credentials = await assume(await idp.mint({ sub: "user-1" }));
    expect(credentials.AccessKeyId).toMatch(/^STSPRXY[A-Z0-9]{13}$/);
    const client = s3(credentials);
    await client.send(new PutObjectCommand({ Bucket: "data", Key: "users/user-1/hello.txt", Body: "hello" }));
    const got = await client.send(new GetObjectCommand({ Bucket: "data", Key: "users/user-1/hello.txt" }));
    expect(await got.Body!.transformToString()).toBe("hello");
    const listed = await client.send(new ListObjectsV2Command({ Bucket: "data", Prefix: "users/user-1/" }));
    expect(listed.Contents?.map((object) => object.Key)).toEqual(["users/user-1/hello.txt"]);
    expect(await outcome(client.send(new PutObjectCommand({ Bucket: "data", Key: "users/user-2/x", Body: "x" })))).toBe("AccessDenied");
    expect(await outcome(client.send(new PutObjectCommand({ Bucket: "other", Key: "x", Body: "x" })))).toBe("AccessDenied");
    const other = s3(await assume(await idp.mint({ sub: "user-2" })));
    expect(await outcome(other.send(new GetObjectCommand({ Bucket: "data", Key: "users/user-1/hello.txt" })))).toBe("AccessDenied");
  });

  it("serves the STS path, the query form and the form POST", async () => {
    expect((await assume(await idp.mint(), { path: "/.sts" })).AccessKeyId).toMatch(/^STSPRXY/);
    const params = async () => new URLSearchParams({ Action: "AssumeRoleWithWebIdentity", Version: "2011-06-15", RoleArn: "arn:aws:iam::000000000000:role/reader", RoleSessionName: "raw", WebIdentityToken: await idp.mint() });
    const query = await fetch(`${worker.endpoint}/.sts?${await params()}`);
    expect([query.status, /<AccessKeyId>(STSPRXY\w+)</.test(await query.text())]).toEqual([200, true]);
    const form = await fetch(`${worker.endpoint}/.sts`, { method: "POST", body: await params() });
    expect(form.status).toBe(200);
    await form.text();
  });

  it("refuses STS form bodies over 64 KiB", async () => {
    for (const path of ["/", "/.sts"]) {
      const big = await fetch(`${worker.endpoint}${path}`, { method: "POST", body: new URLSearchParams({ Action: "AssumeRoleWithWebIdentity", Padding: "x".repeat(70_000) }) });
      expect([big.status, /<Code>(\w+)<\/Code>/.exec(await big.text())?.[1]], path).toEqual([413, "RequestEntityTooLarge"]);
    }
  });

  it("clamps DurationSeconds to [900, max_session_duration_secs]", async () => {
    for (const [requested, expected] of [[60, 900], [43200, 7200]]) {
      const before = Date.now();
      const { Expiration } = await assume(await idp.mint(), { DurationSeconds: requested });
      expect(Math.abs(Expiration!.getTime() - before - expected! * 1000), String(requested)).toBeLessThan(3000);
    }
  });

  // Before the unknown-kid case below: that one uses up the refetch allowed per issuer per 30 s.
  it("picks up rotated issuer keys (unknown kid → JWKS refetch)", async () => {
    await assume(await idp.mint());
    const before = idp.fetches.jwks;
    await idp.rotateKeys();
    expect((await assume(await idp.mint())).AccessKeyId).toMatch(/^STSPRXY/);
    expect((await assume(await idp.mint({}, { alg: "ES256" }))).AccessKeyId).toMatch(/^STSPRXY/);
    // One refetch for the new kid; the second new kid comes from that same refetched set.
    expect(idp.fetches.jwks).toBe(before + 1);
  });

  it("refuses bad tokens with STS error codes", async () => {
    const t = Math.floor(Date.now() / 1000);
    const invalid = "InvalidIdentityTokenException 400";
    // What the role refuses (its issuers, audiences, subjects, keys) answers as an unknown role: roles cannot be probed.
    expect(await failure(await idp.mint({ iss: "https://untrusted.example" }))).toBe("AccessDenied 403");
    expect(await failure(await idp.mint({ aud: "someone-else" }))).toBe("AccessDenied 403");
    expect(await failure(await idp.mint({ sub: "admin" }))).toBe("AccessDenied 403");
    expect(await failure(await idp.mint({ iat: t - 7200, exp: t - 3600 }))).toBe("ExpiredTokenException 400");
    expect(await failure(await idp.mint({ nbf: t + 3600 }))).toBe(invalid);
    expect(await failure(await idp.mint({}, { key: await idp.strangerKey() }))).toBe("AccessDenied 403");
    expect(await failure(await idp.mint({}, { alg: "none" }))).toBe(invalid);
    expect(await failure(await idp.mint({}, { alg: "HS256" }))).toBe(invalid);
    expect(await failure(await idp.mint({}, { kid: "unknown-kid" }))).toBe("AccessDenied 403");
  });

  it("refuses tampered session tokens with 403", async () => {
    const credentials = await assume(await idp.mint());
    const token = credentials.SessionToken!;
    const flipped = token.slice(0, 20) + (token[20] === "A" ? "B" : "A") + token.slice(21);
    const error = await s3({ ...credentials, SessionToken: flipped }).send(new GetObjectCommand({ Bucket: "data", Key: "users/user-1/hello.txt" })).catch((caught: { name: string; $metadata: { httpStatusCode: number } }) => caught);
    expect(error).toMatchObject({ name: "InvalidToken", $metadata: { httpStatusCode: 403 } });
  });

  it("checks sealed session tokens: expiry, key rotation (the second key unseals) and foreign keys", async () => {
    const get = (credentials: Awaited<ReturnType<typeof sealedCredentials>>) =>
      s3(credentials).send(new GetObjectCommand({ Bucket: "data", Key: "users/user-1/sealed.txt" }));
    const expired = await sealedCredentials([key1], new Date(Date.now() - 60_000));
    expect(await outcomeWithStatus(get(expired))).toBe("ExpiredToken 400");
    const rotated = await sealedCredentials([key2], new Date(Date.now() + 600_000));
    await s3(rotated).send(new PutObjectCommand({ Bucket: "data", Key: "users/user-1/sealed.txt", Body: "sealed" }));
    expect(await (await get(rotated)).Body!.transformToString()).toBe("sealed");
    const foreign = await sealedCredentials([generateSessionTokenKey()], new Date(Date.now() + 600_000));
    expect(await outcomeWithStatus(get(foreign))).toBe("InvalidToken 403");
  });

  it("works with `aws sts assume-role-with-web-identity --endpoint-url`", async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, AWS_CONFIG_FILE: "/dev/null", AWS_SHARED_CREDENTIALS_FILE: "/dev/null", AWS_EC2_METADATA_DISABLED: "true" };
    for (const name of ["AWS_CA_BUNDLE", "AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"]) delete env[name];
    const args = ["sts", "assume-role-with-web-identity", "--endpoint-url", worker.endpoint, "--region", "us-east-1", "--output", "json",
      "--role-arn", "arn:aws:iam::000000000000:role/reader", "--role-session-name", "cli", "--web-identity-token", await idp.mint({ sub: "user-1" })];
    const { stdout } = await promisify(execFile)("aws", args, { env, timeout: 60_000 });
    const { Credentials } = JSON.parse(stdout) as { Credentials: { AccessKeyId: string; SecretAccessKey: string; SessionToken: string } };
    const got = await s3(Credentials).send(new GetObjectCommand({ Bucket: "data", Key: "users/user-1/hello.txt" }));
    expect(await got.Body!.transformToString()).toBe("hello");
  });
});

describe("STS on the Worker without SESSION_TOKEN_KEY", () => {
  it("is a configuration error when the config has roles: every request answers 500 naming SESSION_TOKEN_KEY", async () => {
    const credentials = await assume(await idp.mint());
    const missing = await start({});
    try {
      for (const request of [fetch(`${missing.endpoint}/data/users/user-1/hello.txt`), fetch(`${missing.endpoint}/.sts`, { method: "POST", body: new URLSearchParams({ Action: "AssumeRoleWithWebIdentity" }) })]) {
        const response = await request;
        const text = await response.text();
        expect(response.status).toBe(500);
        expect(text).toContain("SESSION_TOKEN_KEY is not set, but PROXY_CONFIG defines roles");
      }
      expect(await outcomeWithStatus(s3(credentials, missing.endpoint).send(new GetObjectCommand({ Bucket: "data", Key: "users/user-1/hello.txt" })))).toBe("InternalError 500");
    } finally {
      await missing.close();
    }
  });

  it("without roles, logs once that STS is off and refuses session tokens", async () => {
    const credentials = await assume(await idp.mint());
    const noRoles = { ...config(idp.issuer), roles: [] };
    noRoles.buckets = noRoles.buckets.map((bucket) => ({ ...bucket, allowed_roles: [] }));
    const disabled = await start({}, noRoles);
    try {
      for (let index = 0; index < 2; index++) {
        expect(await outcome(s3(credentials, disabled.endpoint).send(new GetObjectCommand({ Bucket: "data", Key: "users/user-1/hello.txt" })))).toBe("InvalidToken");
      }
      // workerd's log lines come through a pipe: waited for, then a moment more for any repeat.
      await expect.poll(() => logs.filter((line) => line.includes("STS disabled: SESSION_TOKEN_KEY is not set")).length, { timeout: 10_000 }).toBeGreaterThan(0);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const off = logs.filter((line) => line.includes("STS disabled: SESSION_TOKEN_KEY is not set"));
      expect(off).toHaveLength(1);
      expect(off[0]).toContain('"level":"info"');
    } finally {
      await disabled.close();
    }
  });

  it("a malformed key is a configuration error that does not echo the key", async () => {
    const bad = Buffer.alloc(8, 1).toString("base64");
    const broken = await start({ SESSION_TOKEN_KEY: bad });
    try {
      const response = await fetch(`${broken.endpoint}/data/x`);
      const text = await response.text();
      expect(response.status).toBe(500);
      expect(text).toContain("SESSION_TOKEN_KEY: key 1 is not base64 of 32 bytes");
      expect(text).not.toContain(bad);
    } finally {
      await broken.close();
    }
  });
});
