/**
 * AWS federation against a local STS that verifies the proxy's tokens with the proxy's published JWKS: the exchange,
 * the cache counted in exchanges (fake clock), and failures as actionable 503s.
 */
import { isS3Error, type BucketConfig } from "@multistore/core";
import { startStsEndpoint, type StsEndpoint } from "@multistore/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  assumeRoleWithWebIdentity,
  createFederatedCredentials,
  createOidcProvider,
  FederationError,
  roleSessionNameFor,
  type OidcProvider,
} from "../src/index.js";
import { fakeClock, rsaPem, serveRoutes } from "./helpers.js";

const ROLE = "arn:aws:iam::123456789012:role/multistore-backend";
const KEYS = { accessKeyId: "ASIATESTFEDERATED01", secretAccessKey: "federated-secret" };
const HOUR = 3600_000;

const clock = fakeClock();
let provider: OidcProvider;
let proxy: Awaited<ReturnType<typeof serveRoutes>>;
let sts: StsEndpoint;

function bucket(options: Record<string, string> = {}): BucketConfig {
  return {
    name: "federated",
    backend_type: "s3",
    anonymous_access: false,
    backend_options: { bucket_name: "real", region: "us-east-1", auth_type: "oidc", oidc_role_arn: ROLE, sts_endpoint: sts.endpoint, ...options },
  };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 20));

beforeAll(async () => {
  proxy = await serveRoutes(() => provider.routes);
  provider = createOidcProvider({ issuer: proxy.url, keys: [{ kid: "k1", pem: rsaPem() }], now: clock.now });
  sts = await startStsEndpoint({ issuer: proxy.url, roleArn: ROLE, credentials: KEYS, now: clock.now });
});
afterAll(async () => {
  await sts.close();
  await proxy.close();
});
afterEach(() => {
  sts.exchanges.length = 0;
  sts.failWith(undefined);
});

describe("assumeRoleWithWebIdentity", () => {
  it("exchanges a minted token for temporary credentials; the STS verified it against the proxy's JWKS", async () => {
    const token = await provider.mintToken({ subject: "s3-proxy", audience: "sts.amazonaws.com" });
    const credentials = await assumeRoleWithWebIdentity({ endpoint: sts.endpoint, roleArn: ROLE, roleSessionName: "s3-proxy", webIdentityToken: token });
    expect(credentials).toMatchObject(KEYS);
    expect(credentials.sessionToken).toMatch(/^session-/);
    expect(credentials.expiration.getTime()).toBe(Math.floor(clock.now() / 1000) * 1000 + HOUR);
    expect(sts.exchanges[0]).toMatchObject({ roleArn: ROLE, roleSessionName: "s3-proxy", durationSeconds: 3600, outcome: "ok" });
    expect(sts.exchanges[0]!.claims).toMatchObject({ iss: proxy.url, sub: "s3-proxy", aud: "sts.amazonaws.com" });
  });

  it("a token signed by a key the proxy does not publish is refused (InvalidIdentityToken)", async () => {
    const impostor = createOidcProvider({ issuer: proxy.url, keys: [{ kid: "k1", pem: rsaPem() }], now: clock.now });
    const token = await impostor.mintToken({ subject: "s3-proxy", audience: "sts.amazonaws.com" });
    const failure = await assumeRoleWithWebIdentity({ endpoint: sts.endpoint, roleArn: ROLE, roleSessionName: "x1", webIdentityToken: token }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(FederationError);
    expect((failure as FederationError).summary).toBe("STS AssumeRoleWithWebIdentity answered InvalidIdentityToken");
  });

  it("a wrong audience or role is refused", async () => {
    const wrongAudience = await provider.mintToken({ subject: "s3-proxy", audience: "api://AzureADTokenExchange" });
    await expect(assumeRoleWithWebIdentity({ endpoint: sts.endpoint, roleArn: ROLE, roleSessionName: "x1", webIdentityToken: wrongAudience })).rejects.toMatchObject({
      answer: "InvalidIdentityToken",
      status: 400,
    });
    const token = await provider.mintToken({ subject: "s3-proxy", audience: "sts.amazonaws.com" });
    await expect(assumeRoleWithWebIdentity({ endpoint: sts.endpoint, roleArn: `${ROLE}-other`, roleSessionName: "x1", webIdentityToken: token })).rejects.toMatchObject({
      answer: "AccessDenied",
      status: 403,
    });
  });

  it("session names are derived from the subject within AWS's rules", () => {
    expect(roleSessionNameFor("s3-proxy")).toBe("s3-proxy");
    expect(roleSessionNameFor("tenant a/b:c")).toBe("tenant-a-b-c");
    expect(roleSessionNameFor("x")).toBe("x-");
    expect(roleSessionNameFor("y".repeat(100))).toHaveLength(64);
  });
});

describe("federated credentials for an s3 bucket (cache counted in exchanges)", () => {
  function federation(errors: unknown[] = []) {
    return createFederatedCredentials({ provider, now: clock.now, onError: (error, context) => errors.push({ error, ...context }) });
  }

  it("one exchange per credential lifetime", async () => {
    const credentials = federation().awsCredentials(bucket());
    const first = await credentials();
    for (let minute = 0; minute < 58; minute++) {
      expect(await credentials()).toBe(first);
      clock.advance(60_000);
    }
    expect(sts.exchanges).toHaveLength(1);
    expect(first.accessKeyId).toBe(KEYS.accessKeyId);
  });

  it("renews inside the 60 s window in the background; callers get the old credential at once, one renewal runs", async () => {
    const credentials = federation().awsCredentials(bucket());
    const first = await credentials();
    clock.advance(HOUR - 45_000);
    const release = sts.hold();
    const during = await Promise.all(Array.from({ length: 10 }, () => credentials()));
    expect(during.every((value) => value === first)).toBe(true);
    await tick();
    expect(sts.exchanges).toHaveLength(2); // the renewal reached the STS, which holds its answer
    expect(await credentials()).toBe(first);
    release();
    await tick();
    const renewed = await credentials();
    expect(renewed).not.toBe(first);
    expect(renewed.sessionToken).not.toBe(first.sessionToken);
    expect(sts.exchanges).toHaveLength(2);
  });

  it("concurrent cold callers each exchange (nobody awaits another caller's promise); then the cache serves", async () => {
    const credentials = federation().awsCredentials(bucket());
    const values = await Promise.all([credentials(), credentials(), credentials()]);
    expect(values.every((value) => value.accessKeyId === KEYS.accessKeyId)).toBe(true);
    expect(sts.exchanges).toHaveLength(3);
    await credentials();
    expect(sts.exchanges).toHaveLength(3);
  });

  it("buckets of one role and subject share credentials; another subject gets its own", async () => {
    const shared = federation();
    await shared.awsCredentials(bucket())();
    await shared.awsCredentials({ ...bucket(), name: "other" })();
    expect(sts.exchanges).toHaveLength(1);
    await shared.awsCredentials(bucket({ oidc_subject: "tenant-b" }))();
    expect(sts.exchanges).toHaveLength(2);
    expect(sts.exchanges[1]!.claims!.sub).toBe("tenant-b");
    expect(sts.exchanges[1]!.roleSessionName).toBe("tenant-b");
  });

  it("a refused exchange is an actionable 503 naming the bucket and the step; the cause is reported", async () => {
    const errors: Record<string, unknown>[] = [];
    const credentials = federation(errors).awsCredentials(bucket({ oidc_role_arn: `${ROLE}-not-trusted` }));
    const failure = await credentials().catch((error: unknown) => error);
    expect(isS3Error(failure)).toBe(true);
    expect(failure).toMatchObject({
      code: "ServiceUnavailable",
      status: 503,
      expose: true,
      message: "federated credentials for bucket federated: STS AssumeRoleWithWebIdentity answered AccessDenied",
    });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ bucket: "federated", step: "STS AssumeRoleWithWebIdentity answered AccessDenied" });
    expect(String((errors[0]!.error as Error).message)).toContain("Not authorized to perform sts:AssumeRoleWithWebIdentity");
  });

  it("an unreachable STS is a 503 that says so", async () => {
    const credentials = federation().awsCredentials(bucket({ sts_endpoint: "http://127.0.0.1:9/" }));
    await expect(credentials()).rejects.toMatchObject({
      status: 503,
      message: "federated credentials for bucket federated: STS AssumeRoleWithWebIdentity did not answer (connection failed)",
    });
  });

  it("a failed renewal keeps the old credential until it expires; then the failure is a 503", async () => {
    const errors: unknown[] = [];
    const credentials = federation(errors).awsCredentials(bucket());
    const first = await credentials();
    sts.failWith("InternalFailure", 500);
    clock.advance(HOUR - 30_000);
    expect(await credentials()).toBe(first);
    await tick();
    expect(errors).toHaveLength(1);
    clock.advance(20_000);
    expect(await credentials()).toBe(first);
    clock.advance(10_000);
    await expect(credentials()).rejects.toMatchObject({ status: 503, message: expect.stringContaining("answered InternalFailure") });
  });
});
