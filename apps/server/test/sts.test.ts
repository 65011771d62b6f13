/** STS on the Node server: OIDC tokens from a local issuer → temporary credentials → S3 over an fs bucket. */
import { execFile, spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { promisify } from "node:util";
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { AssumeRoleWithWebIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { parseConfig } from "@multistore/config";
import { createSessionTokenSealer, generateSessionTokenKey, newAccessKeyId, newSecretAccessKey, type SealedCredential } from "@multistore/sts";
import { startOidcIssuer, type OidcIssuer } from "@multistore/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger, createMultistoreServer, type MultistoreServer } from "../src/index.js";

let idp: OidcIssuer;
let root: string;
let server: MultistoreServer;
let endpoint: string;
const logs: string[] = [];
// The server runs with both keys (key1 seals, both unseal), as while rotating.
const key1 = generateSessionTokenKey();
const key2 = generateSessionTokenKey();

function config(issuer: string) {
  const scope = { bucket: "data", prefixes: ["users/{sub}/"], actions: ["get_object", "put_object", "head_object", "list_bucket"] };
  return parseConfig({
    buckets: [
      { name: "data", backend_type: "fs", anonymous_access: false, allowed_roles: ["reader"], backend_options: { root: join(root, "data") } },
      { name: "other", backend_type: "fs", anonymous_access: false, allowed_roles: [], backend_options: { root: join(root, "other") } },
    ],
    roles: [
      { role_id: "reader", name: "Reader", trusted_oidc_issuers: [issuer], required_audiences: ["multistore"], subject_conditions: ["user-*"], max_session_duration_secs: 7200, allowed_scopes: [scope, { bucket: "other", actions: ["get_object", "put_object"] }] },
    ],
  });
}

async function startServer(sessionTokenKeys?: string[]) {
  const logger = createLogger("info", new Writable({ write: (chunk, _, done) => (logs.push(String(chunk)), done()) }));
  const started = createMultistoreServer({ config: config(idp.issuer), logger, ...(sessionTokenKeys && { sessionTokenKeys }), sts: { allowInsecureIssuers: true } });
  const { port } = await started.listen(0, "127.0.0.1");
  return { server: started, endpoint: `http://127.0.0.1:${port}` };
}

beforeAll(async () => {
  idp = await startOidcIssuer();
  root = await mkdtemp(join(tmpdir(), "multistore-sts-"));
  ({ server, endpoint } = await startServer([key1, key2]));
});
afterAll(async () => {
  await server?.close();
  await idp?.close();
  await rm(root, { recursive: true, force: true });
});

const sts = (path = "") => new STSClient({ endpoint: endpoint + path, region: "us-east-1", maxAttempts: 1 });
async function assume(token: string, extra: { DurationSeconds?: number; path?: string } = {}) {
  const { path, ...rest } = extra;
  return (await sts(path).send(new AssumeRoleWithWebIdentityCommand({ RoleArn: "arn:aws:iam::000000000000:role/reader", RoleSessionName: "test", WebIdentityToken: token, ...rest }))).Credentials!;
}
async function failure(token: string) {
  return assume(token).then(() => "accepted", (error: { name: string; $metadata?: { httpStatusCode?: number } }) => `${error.name} ${error.$metadata?.httpStatusCode}`);
}
function s3(credentials: { AccessKeyId?: string; SecretAccessKey?: string; SessionToken?: string }) {
  return new S3Client({ endpoint, region: "us-east-1", forcePathStyle: true, maxAttempts: 1, credentials: { accessKeyId: credentials.AccessKeyId!, secretAccessKey: credentials.SecretAccessKey!, sessionToken: credentials.SessionToken! } });
}
const denied = (promise: Promise<unknown>) => promise.then(() => "allowed", (error: { name: string }) => error.name);
const deniedWithStatus = (promise: Promise<unknown>) =>
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

describe("STS on the Node server", () => {
  it("issues credentials to an SDK STS client (POST /) that work with the AWS SDK within their scope only", async () => {
    const credentials = await assume(await idp.mint({ sub: "user-1" }));
    expect(credentials.AccessKeyId).toMatch(/^STSPRXY[A-Z0-9]{13}$/);
    expect(credentials.Expiration).toBeInstanceOf(Date);
    const client = s3(credentials);
    await client.send(new PutObjectCommand({ Bucket: "data", Key: "users/user-1/hello.txt", Body: "hello" }));
    const got = await client.send(new GetObjectCommand({ Bucket: "data", Key: "users/user-1/hello.txt" }));
    expect(await got.Body!.transformToString()).toBe("hello");
    const listed = await client.send(new ListObjectsV2Command({ Bucket: "data", Prefix: "users/user-1/" }));
    expect(listed.Contents?.map((object) => object.Key)).toEqual(["users/user-1/hello.txt"]);
    expect(await denied(client.send(new PutObjectCommand({ Bucket: "data", Key: "users/user-2/x", Body: "x" })))).toBe("AccessDenied");
    expect(await denied(client.send(new ListObjectsV2Command({ Bucket: "data", Prefix: "users/" })))).toBe("AccessDenied");
    // The role's scope names bucket "other", but the bucket does not list the role in allowed_roles.
    expect(await denied(client.send(new PutObjectCommand({ Bucket: "other", Key: "x", Body: "x" })))).toBe("AccessDenied");
  });

  it("fills templates per token: another subject gets its own prefix", async () => {
    const client = s3(await assume(await idp.mint({ sub: "user-2" })));
    await client.send(new PutObjectCommand({ Bucket: "data", Key: "users/user-2/mine.txt", Body: "two" }));
    expect(await denied(client.send(new GetObjectCommand({ Bucket: "data", Key: "users/user-1/hello.txt" })))).toBe("AccessDenied");
  });

  it("serves the STS path, the query form and the form POST", async () => {
    expect((await assume(await idp.mint(), { path: "/.sts" })).AccessKeyId).toMatch(/^STSPRXY/);
    const params = async () => new URLSearchParams({ Action: "AssumeRoleWithWebIdentity", Version: "2011-06-15", RoleArn: "reader", RoleSessionName: "raw", WebIdentityToken: await idp.mint() });
    const query = await fetch(`${endpoint}/.sts?${await params()}`);
    expect(query.status).toBe(200);
    expect(await query.text()).toMatch(/<AccessKeyId>STSPRXY[A-Z0-9]{13}<\/AccessKeyId>/);
    const form = await fetch(`${endpoint}/.sts`, { method: "POST", body: await params() });
    expect(form.status).toBe(200);
    const big = await fetch(`${endpoint}/`, { method: "POST", body: new URLSearchParams({ Action: "AssumeRoleWithWebIdentity", Padding: "x".repeat(70_000) }) });
    expect([big.status, /<Code>(\w+)<\/Code>/.exec(await big.text())?.[1]]).toEqual([413, "RequestEntityTooLarge"]);
    // A form POST / without an Action is not STS: S3 answers it.
    const notSts = await fetch(`${endpoint}/`, { method: "POST", body: new URLSearchParams({ a: "b" }) });
    expect(await notSts.text()).not.toContain("ErrorResponse");
  });

  it("clamps DurationSeconds to [900, max_session_duration_secs]", async () => {
    for (const [requested, expected] of [[60, 900], [1800, 1800], [43200, 7200]]) {
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
    expect(idp.fetches.jwks).toBe(before + 1);
  });

  it("refuses bad tokens with STS error codes", async () => {
    const t = Math.floor(Date.now() / 1000);
    // What the role refuses (its issuers, audiences, subjects, keys) answers as an unknown role: roles cannot be probed.
    expect(await failure(await idp.mint({ iss: "https://untrusted.example" }))).toBe("AccessDenied 403");
    expect(await failure(await idp.mint({ aud: "someone-else" }))).toBe("AccessDenied 403");
    expect(await failure(await idp.mint({ sub: "admin" }))).toBe("AccessDenied 403");
    expect(await failure(await idp.mint({ iat: t - 7200, exp: t - 3600 }))).toBe("ExpiredTokenException 400");
    expect(await failure(await idp.mint({ nbf: t + 3600 }))).toBe("InvalidIdentityTokenException 400");
    expect(await failure(await idp.mint({}, { key: await idp.strangerKey() }))).toBe("AccessDenied 403");
    expect(await failure(await idp.mint({}, { alg: "none" }))).toBe("InvalidIdentityTokenException 400");
    expect(await failure(await idp.mint({}, { alg: "HS256" }))).toBe("InvalidIdentityTokenException 400");
    expect(await failure(await idp.mint({}, { kid: "unknown-kid" }))).toBe("AccessDenied 403");
    expect(await failure("not.a.jwt")).toBe("InvalidIdentityTokenException 400");
  });

  it("refuses tampered session tokens (403) and a wrong secret", async () => {
    const credentials = await assume(await idp.mint());
    const token = credentials.SessionToken!;
    const flipped = token.slice(0, 20) + (token[20] === "A" ? "B" : "A") + token.slice(21);
    expect(await denied(s3({ ...credentials, SessionToken: flipped }).send(new GetObjectCommand({ Bucket: "data", Key: "users/user-1/hello.txt" })))).toBe("InvalidToken");
    expect(await denied(s3({ ...credentials, SecretAccessKey: "wrong" }).send(new GetObjectCommand({ Bucket: "data", Key: "users/user-1/hello.txt" })))).toBe("SignatureDoesNotMatch");
    const other = await assume(await idp.mint());
    expect(await denied(s3({ ...credentials, AccessKeyId: other.AccessKeyId }).send(new GetObjectCommand({ Bucket: "data", Key: "users/user-1/hello.txt" })))).toBe("InvalidAccessKeyId");
  });

  it("checks sealed session tokens: expiry, key rotation (the second key unseals) and foreign keys", async () => {
    const get = (credentials: Awaited<ReturnType<typeof sealedCredentials>>) =>
      s3(credentials).send(new GetObjectCommand({ Bucket: "data", Key: "users/user-1/sealed.txt" }));
    const expired = await sealedCredentials([key1], new Date(Date.now() - 60_000));
    expect(await deniedWithStatus(get(expired))).toBe("ExpiredToken 400");
    const rotated = await sealedCredentials([key2], new Date(Date.now() + 600_000));
    await s3(rotated).send(new PutObjectCommand({ Bucket: "data", Key: "users/user-1/sealed.txt", Body: "sealed" }));
    expect(await (await get(rotated)).Body!.transformToString()).toBe("sealed");
    const foreign = await sealedCredentials([generateSessionTokenKey()], new Date(Date.now() + 600_000));
    expect(await deniedWithStatus(get(foreign))).toBe("InvalidToken 403");
  });

  it("works with `aws sts assume-role-with-web-identity --endpoint-url`", async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, AWS_CONFIG_FILE: "/dev/null", AWS_SHARED_CREDENTIALS_FILE: "/dev/null", AWS_EC2_METADATA_DISABLED: "true" };
    for (const name of ["AWS_CA_BUNDLE", "AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"]) delete env[name];
    const args = ["sts", "assume-role-with-web-identity", "--endpoint-url", endpoint, "--region", "us-east-1", "--output", "json",
      "--role-arn", "arn:aws:iam::000000000000:role/reader", "--role-session-name", "cli", "--duration-seconds", "900", "--web-identity-token", await idp.mint({ sub: "user-1" })];
    const { stdout } = await promisify(execFile)("aws", args, { env, timeout: 60_000 });
    const result = JSON.parse(stdout) as { Credentials: { AccessKeyId: string; SecretAccessKey: string; SessionToken: string }; SubjectFromWebIdentityToken: string };
    expect(result.SubjectFromWebIdentityToken).toBe("user-1");
    const got = await s3(result.Credentials).send(new GetObjectCommand({ Bucket: "data", Key: "users/user-1/hello.txt" }));
    expect(await got.Body!.transformToString()).toBe("hello");
  });
});

describe("STS disabled (no SESSION_TOKEN_KEY)", () => {
  it("logs that STS is off, answers STS forms with an STS error saying so, and refuses session tokens", async () => {
    const credentials = await assume(await idp.mint());
    const disabled = await startServer();
    try {
      expect(logs.some((line) => line.includes("STS disabled: SESSION_TOKEN_KEY is not set"))).toBe(true);
      const form = await fetch(`${disabled.endpoint}/.sts`, { method: "POST", body: new URLSearchParams({ Action: "AssumeRoleWithWebIdentity" }) });
      expect(form.status).toBe(400);
      expect(await form.text()).toContain("<Code>InvalidAction</Code>");
      const client = new S3Client({ endpoint: disabled.endpoint, region: "us-east-1", forcePathStyle: true, maxAttempts: 1, credentials: { accessKeyId: credentials.AccessKeyId!, secretAccessKey: credentials.SecretAccessKey!, sessionToken: credentials.SessionToken! } });
      expect(await denied(client.send(new GetObjectCommand({ Bucket: "data", Key: "users/user-1/hello.txt" })))).toBe("InvalidToken");
    } finally {
      await disabled.server.close();
    }
  });

  it("the CLI exits 2 on a malformed SESSION_TOKEN_KEY without printing it", async () => {
    const bad = Buffer.alloc(16, 9).toString("base64");
    await writeFile(join(root, "empty.json"), "{}");
    const result = spawnSync(process.execPath, [join(import.meta.dirname, "../dist/cli.js"), "--listen", "127.0.0.1:0", "--config", join(root, "empty.json")], {
      env: { ...process.env, SESSION_TOKEN_KEY: bad }, encoding: "utf8", timeout: 30_000,
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("SESSION_TOKEN_KEY: key 1 is not base64 of 32 bytes");
    expect(result.stderr).not.toContain(bad);
  });
});
