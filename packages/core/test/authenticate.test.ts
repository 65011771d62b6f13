/** authenticate(): anonymous, header and presigned SigV4 (signed by the AWS SDK's signer), keys and session tokens. */
import { describe, expect, it } from "vitest";
import { S3Error, type TemporaryCredential, type TemporaryCredentialResolver } from "../src/index.js";
import { authenticate, type AuthenticationSources } from "../src/authenticate.js";
import { parseS3Request } from "../src/s3-request.js";
import { EMPTY_SHA256 } from "../src/sigv4/canonical-request.js";
import { rejected } from "./helpers/errors.js";
import { credential } from "./helpers/memory-backend.js";
import { NOW, presign, signWithHeader, type Signer, type UnsignedRequest } from "./helpers/sign.js";

const SCOPES = [{ bucket: "data", prefixes: [], actions: ["get_object" as const] }];

const CREDENTIALS = new Map([
  ["AKIDGOOD", credential("AKIDGOOD", SCOPES)],
  ["AKIDOFF", credential("AKIDOFF", SCOPES, { enabled: false })],
  ["AKIDOLD", credential("AKIDOLD", SCOPES, { expires_at: "2023-12-31T00:00:00Z" })],
  ["AKIDLATER", credential("AKIDLATER", SCOPES, { expires_at: "2024-06-01T00:00:00Z" })],
]);

const good: Signer = { accessKeyId: "AKIDGOOD", secretAccessKey: "AKIDGOOD-secret" };
const signer = (id: string): Signer => ({ accessKeyId: id, secretAccessKey: `${id}-secret` });

function sources(extra: Partial<AuthenticationSources> = {}): AuthenticationSources {
  return { credentials: { getCredential: (id) => CREDENTIALS.get(id) }, now: () => NOW, ...extra };
}

async function run(signed: { target: string; headers: Headers }, method = "GET", extra: Partial<AuthenticationSources> = {}) {
  const parsed = parseS3Request(method, signed.target, signed.headers);
  return authenticate({ method, rawPath: parsed.rawPath, query: parsed.query, headers: signed.headers }, sources(extra));
}

const get: UnsignedRequest = { method: "GET", path: "/data/reports/q1.csv" };

describe("anonymous requests", () => {
  it("yields the anonymous identity without a signature", async () => {
    const result = await run({ target: "/data/k", headers: new Headers({ host: "localhost" }) });
    expect(result.identity).toEqual({ type: "anonymous" });
    expect(result.signature).toBeUndefined();
  });

  it("checks SigV2 presigned URLs (see sigv2.test.ts): an expired one is refused", async () => {
    const error = await rejected(run({ target: "/data/k?AWSAccessKeyId=AKID&Expires=1&Signature=x", headers: new Headers({ host: "h" }) }));
    expect(error).toMatchObject({ code: "AccessDenied", status: 403, message: "Request has expired" });
  });
});

describe("header authentication", () => {
  it("verifies a request signed by the AWS SDK signer", async () => {
    const result = await run(await signWithHeader(good, get));
    expect(result.identity).toEqual({ type: "credential", accessKeyId: "AKIDGOOD", principalName: "AKIDGOOD-owner", scopes: SCOPES });
    expect(result.payloadHash).toBe(EMPTY_SHA256);
    expect(result.signature).toMatchObject({ scope: "20240101/us-east-1/s3/aws4_request", amzDate: "20240101T120000Z" });
    expect(result.signature!.signature).toMatch(/^[0-9a-f]{64}$/);
  });

  it("verifies escaped keys and query parameters", async () => {
    const request: UnsignedRequest = {
      method: "GET",
      path: "/data/a%20b%2Bc/%E2%82%AC%25.txt",
      query: { "list-type": "2", prefix: "a b+c/€", "max-keys": "5", empty: "" },
      headers: { "x-amz-meta-note": "  spaced   value ", range: "bytes=0-1" },
    };
    const signed = await signWithHeader(good, request);
    expect(signed.target).toContain("prefix=a%20b%2Bc%2F%E2%82%AC");
    await expect(run(signed)).resolves.toMatchObject({ identity: { accessKeyId: "AKIDGOOD" } });
  });

  it("rejects any change after signing with SignatureDoesNotMatch", async () => {
    const signed = await signWithHeader(good, { ...get, headers: { "x-amz-meta-a": "1" } });
    const changedHeader = new Headers(signed.headers);
    changedHeader.set("x-amz-meta-a", "2");
    expect(await rejected(run({ ...signed, headers: changedHeader }))).toMatchObject({ code: "SignatureDoesNotMatch", status: 403 });
    expect(await rejected(run({ ...signed, target: "/data/reports/q2.csv" }))).toMatchObject({ code: "SignatureDoesNotMatch" });
    expect(await rejected(run({ ...signed, target: `${signed.target}?x=1` }))).toMatchObject({ code: "SignatureDoesNotMatch" });
    expect(await rejected(run(signed, "HEAD"))).toMatchObject({ code: "SignatureDoesNotMatch" });
    const wrongSecret = await signWithHeader({ ...good, secretAccessKey: "nope" }, get);
    expect(await rejected(run(wrongSecret))).toMatchObject({ code: "SignatureDoesNotMatch" });
  });

  it("refuses x-amz-* headers outside SignedHeaders, after the signature", async () => {
    const signed = await signWithHeader(good, { method: "PUT", path: "/data/uploads/slot", headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" } });
    const added = new Headers(signed.headers);
    added.set("x-amz-copy-source", "/data/secret.txt");
    expect(await rejected(run({ target: signed.target, headers: added }, "PUT"))).toMatchObject({ code: "AccessDenied", details: { HeadersNotSigned: "x-amz-copy-source" } });
    // A wrong signature is that first: only the signer learns which headers it left unsigned.
    added.set("authorization", added.get("authorization")!.replace(/Signature=[0-9a-f]{4}/, "Signature=0000"));
    expect(await rejected(run({ target: signed.target, headers: added }, "PUT"))).toMatchObject({ code: "SignatureDoesNotMatch" });
  });

  it("refuses a signed header missing from the request", async () => {
    const signed = await signWithHeader(good, { ...get, headers: { "x-amz-meta-a": "1" } });
    signed.headers.delete("x-amz-meta-a");
    expect(await rejected(run(signed))).toMatchObject({ code: "AccessDenied" });
  });

  it("refuses a malformed Authorization header", async () => {
    const headers = new Headers({ host: "h", "x-amz-date": "20240101T120000Z", authorization: "AWS4-HMAC-SHA256 Credential=x" });
    expect(await rejected(run({ target: "/data/k", headers }))).toMatchObject({ code: "AuthorizationHeaderMalformed", status: 400 });
  });

  it("refuses clock skew beyond 15 minutes either way", async () => {
    const minutes = (count: number) => count * 60 * 1000;
    await expect(run(await signWithHeader(good, { ...get, date: NOW - minutes(14) }))).resolves.toBeDefined();
    await expect(run(await signWithHeader(good, { ...get, date: NOW + minutes(14) }))).resolves.toBeDefined();
    for (const date of [NOW - minutes(16), NOW + minutes(16)]) {
      expect(await rejected(run(await signWithHeader(good, { ...get, date })))).toMatchObject({ code: "RequestTimeTooSkewed", status: 403 });
    }
  });

  it("refuses unknown access keys with InvalidAccessKeyId", async () => {
    const error = await rejected(run(await signWithHeader(signer("AKIDNOBODY"), get)));
    expect(error).toMatchObject({ code: "InvalidAccessKeyId", status: 403 });
  });

  it("refuses disabled and expired keys with AccessDenied, after the signature", async () => {
    expect(await rejected(run(await signWithHeader(signer("AKIDOFF"), get)))).toMatchObject({ code: "AccessDenied", message: "The access key is disabled." });
    expect(await rejected(run(await signWithHeader(signer("AKIDOLD"), get)))).toMatchObject({ code: "AccessDenied", message: "The access key has expired." });
    await expect(run(await signWithHeader(signer("AKIDLATER"), get))).resolves.toMatchObject({ identity: { accessKeyId: "AKIDLATER" } });
    // Without the secret, nobody learns the key's state.
    const forged = await signWithHeader({ accessKeyId: "AKIDOFF", secretAccessKey: "guess" }, get);
    expect(await rejected(run(forged))).toMatchObject({ code: "SignatureDoesNotMatch" });
  });

  it("needs x-amz-content-sha256 on a body-carrying PUT", async () => {
    const put = { method: "PUT", path: "/data/k", noPayloadHash: true };
    const withBody = await signWithHeader(good, { ...put, headers: { "content-length": "5" } });
    const error = await rejected(run(withBody, "PUT"));
    expect(error).toMatchObject({ code: "InvalidRequest", status: 400 });
    expect(error.message).toContain("x-amz-content-sha256");
    const chunked = await signWithHeader(good, { ...put, headers: { "transfer-encoding": "chunked" } });
    expect(await rejected(run(chunked, "PUT"))).toMatchObject({ code: "InvalidRequest" });
    const empty = await signWithHeader(good, { ...put, headers: { "content-length": "0" } });
    await expect(run(empty, "PUT")).resolves.toMatchObject({ payloadHash: EMPTY_SHA256 });
  });

  it("verifies with the payload hash marker the client signed", async () => {
    const signed = await signWithHeader(good, {
      method: "PUT",
      path: "/data/k",
      headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD", "content-length": "5" },
    });
    await expect(run(signed, "PUT")).resolves.toMatchObject({ payloadHash: "UNSIGNED-PAYLOAD" });
  });
});

describe("presigned URLs", () => {
  it("verifies a presigned GET with UNSIGNED-PAYLOAD", async () => {
    const signed = await presign(good, get, 600);
    expect(signed.headers.has("authorization")).toBe(false);
    const result = await run(signed);
    expect(result.identity).toMatchObject({ type: "credential", accessKeyId: "AKIDGOOD" });
    expect(result.payloadHash).toBe("UNSIGNED-PAYLOAD");
  });

  it("rejects a changed query or path", async () => {
    const signed = await presign(good, { ...get, query: { "response-content-type": "text/plain" } });
    const changed = signed.target.replace("text%2Fplain", "text%2Fhtml");
    expect(changed).not.toBe(signed.target);
    expect(await rejected(run({ ...signed, target: changed }))).toMatchObject({ code: "SignatureDoesNotMatch" });
    const otherKey = signed.target.replace("q1.csv", "q2.csv");
    expect(await rejected(run({ ...signed, target: otherKey }))).toMatchObject({ code: "SignatureDoesNotMatch" });
  });

  it("refuses x-amz-* headers the URL did not sign (an unsigned x-amz-copy-source would turn a PUT into a copy)", async () => {
    const put: UnsignedRequest = { method: "PUT", path: "/data/uploads/slot" };
    const signed = await presign(good, put, 600);
    const added = new Headers(signed.headers);
    added.set("x-amz-copy-source", "/data/secret.txt");
    added.set("x-amz-meta-owner", "someone");
    const error = await rejected(run({ target: signed.target, headers: added }, "PUT"));
    expect(error).toMatchObject({ code: "AccessDenied", status: 403, message: "There were headers present in the request which were not signed" });
    expect(error.toXml("/data/uploads/slot", "id")).toContain("<HeadersNotSigned>x-amz-copy-source, x-amz-meta-owner</HeadersNotSigned>");
    // Signed, the same header is taken; x-amz-content-sha256 (the payload hash the signature covers) and headers
    // outside x-amz-* (x-amzn-trace-id among them) need no signing.
    const signedWithIt = await presign(good, { ...put, headers: { "x-amz-meta-owner": "someone" } }, 600);
    const extra = new Headers(signedWithIt.headers);
    extra.set("x-amz-content-sha256", "UNSIGNED-PAYLOAD");
    extra.set("x-amzn-trace-id", "Root=1-abc");
    // (CloudFront adds its request id to whatever it passes on.)
    extra.set("x-amz-cf-id", "5ZxaxPOoKEPPe3gLsvAMMMdZzcl7GjVYrPFL2Yn88VWbwGLVtiTJFw==");
    extra.set("content-type", "text/plain");
    await expect(run({ target: signedWithIt.target, headers: extra }, "PUT")).resolves.toMatchObject({ identity: { accessKeyId: "AKIDGOOD" } });
  });

  it("refuses X-Amz-Expires over seven days", async () => {
    const signed = await presign(good, get, 604800);
    await expect(run(signed)).resolves.toBeDefined();
    const tooLong = { ...signed, target: signed.target.replace("X-Amz-Expires=604800", "X-Amz-Expires=604801") };
    expect(await rejected(run(tooLong))).toMatchObject({ code: "AuthorizationQueryParametersError", status: 400 });
  });

  it("refuses expired URLs with AccessDenied 'Request has expired'", async () => {
    const signed = await presign(good, get, 3600);
    await expect(run(signed, "GET", { now: () => NOW + 3600 * 1000 })).resolves.toBeDefined();
    const error = await rejected(run(signed, "GET", { now: () => NOW + 3601 * 1000 }));
    expect(error).toMatchObject({ code: "AccessDenied", status: 403, message: "Request has expired" });
  });

  it("refuses URLs signed too far in the future", async () => {
    const signed = await presign(good, { ...get, date: NOW + 20 * 60 * 1000 });
    expect(await rejected(run(signed))).toMatchObject({ code: "AccessDenied", message: "Request is not valid yet" });
  });

  it("refuses a request with both header and query authentication", async () => {
    const query = await presign(good, get);
    const header = await signWithHeader(good, get);
    const both = new Headers(query.headers);
    both.set("authorization", header.headers.get("authorization")!);
    both.set("x-amz-date", header.headers.get("x-amz-date")!);
    const error = await rejected(run({ target: query.target, headers: both }));
    expect(error).toMatchObject({ code: "InvalidArgument", status: 400 });
    expect(error.message).toContain("Only one auth mechanism");
  });
});

describe("session tokens", () => {
  const temporary: TemporaryCredential = {
    accessKeyId: "ASIATEMP",
    secretAccessKey: "temp-secret",
    principalName: "role/etl:alice",
    expiresAt: new Date(NOW + 3600 * 1000),
    scopes: [{ bucket: "*", prefixes: ["etl/"], actions: ["put_object"] }],
    roleId: "etl",
  };
  const tokens: Record<string, TemporaryCredential> = {
    good: temporary,
    expired: { ...temporary, expiresAt: new Date(NOW - 1000) },
    other: { ...temporary, accessKeyId: "ASIAOTHER" },
  };
  const seen: string[] = [];
  const resolver: TemporaryCredentialResolver = {
    async resolve(token) {
      seen.push(token);
      if (token === "revoked") throw new S3Error("AccessDenied", { message: "revoked" });
      return tokens[token];
    },
  };
  const withToken = (sessionToken: string): Signer => ({ accessKeyId: "ASIATEMP", secretAccessKey: "temp-secret", sessionToken });

  it("refuses tokens when no resolver is configured", async () => {
    const signed = await signWithHeader(withToken("good"), get);
    expect(signed.headers.get("x-amz-security-token")).toBe("good");
    expect(await rejected(run(signed))).toMatchObject({ code: "InvalidToken", status: 400 });
    expect(await rejected(run(await presign(withToken("good"), get)))).toMatchObject({ code: "InvalidToken" });
  });

  it("yields the token's identity, scopes and role", async () => {
    const result = await run(await signWithHeader(withToken("good"), get), "GET", { temporaryCredentials: resolver });
    expect(result.identity).toEqual({
      type: "credential",
      accessKeyId: "ASIATEMP",
      principalName: "role/etl:alice",
      scopes: temporary.scopes,
      roleId: "etl",
    });
    expect(seen).toContain("good");
  });

  it("accepts tokens in presigned URLs", async () => {
    const signed = await presign(withToken("good"), get);
    expect(signed.target).toContain("X-Amz-Security-Token=good");
    await expect(run(signed, "GET", { temporaryCredentials: resolver })).resolves.toMatchObject({ identity: { roleId: "etl" } });
  });

  it("refuses expired tokens with ExpiredToken", async () => {
    const error = await rejected(run(await signWithHeader(withToken("expired"), get), "GET", { temporaryCredentials: resolver }));
    expect(error).toMatchObject({ code: "ExpiredToken", status: 400 });
  });

  it("refuses a token minted for another access key", async () => {
    const error = await rejected(run(await signWithHeader(withToken("other"), get), "GET", { temporaryCredentials: resolver }));
    expect(error).toMatchObject({ code: "InvalidAccessKeyId", status: 403 });
  });

  it("refuses unknown tokens and passes the resolver's own refusals", async () => {
    expect(await rejected(run(await signWithHeader(withToken("unknown"), get), "GET", { temporaryCredentials: resolver }))).toMatchObject({ code: "InvalidToken" });
    expect(await rejected(run(await signWithHeader(withToken("revoked"), get), "GET", { temporaryCredentials: resolver }))).toMatchObject({ code: "AccessDenied", message: "revoked" });
  });

  it("verifies the signature with the token's secret", async () => {
    const forged = await signWithHeader({ ...withToken("good"), secretAccessKey: "AKIDGOOD-secret" }, get);
    expect(await rejected(run(forged, "GET", { temporaryCredentials: resolver }))).toMatchObject({ code: "SignatureDoesNotMatch" });
  });
});

describe("isAmzDate", () => {
  it("accepts real instants and refuses times and dates that do not exist", async () => {
    const { isAmzDate } = await import("../src/sigv4/authorization.js");
    for (const good of ["20261204T174959Z", "20240229T000000Z", "20000229T235959Z", "20261231T235959Z"]) expect(isAmzDate(good), good).toBe(true);
    for (const bad of ["20261204T174960Z", "20261204T176000Z", "20261204T240000Z", "20230229T000000Z", "19000229T000000Z", "20261131T000000Z", "20261300T000000Z", "20261200T000000Z", "2026-12-04T17:49:59Z", "20261204T174959"]) {
      expect(isAmzDate(bad), bad).toBe(false);
    }
  });
});
