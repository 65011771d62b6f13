/**
 * core's presigner: the AWS SigV4 suite's query-signed requests (same signature for the same request, clock and
 * credentials), @smithy/signature-v4's presign for S3-shaped requests, and core's own verifier.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { SignatureV4 } from "@smithy/signature-v4";
import { Sha256 } from "@aws-crypto/sha256-js";
import { describe, expect, it } from "vitest";
import { Query } from "../src/index.js";
import { uriEncode } from "../src/backend.js";
import { checkSignatureTime, createPresigner, parsePresignedQuery, verifySigV4 } from "../src/sigv4.js";
import { EMPTY_SHA256, parseQuery } from "../src/sigv4/canonical-request.js";
import { amzDateOf } from "../src/sigv4/presign.js";
import { useLatin1HeaderValues } from "../src/runtime.js";

const root = join(import.meta.dirname, "../../../../shared/fixtures/aws-signing-test-suite/v4");
const cases = readdirSync(root).filter((name) => !/(relative|dot|slash|slashes|space)-normalized$/.test(name));

function lines(path: string): string[] {
  return readFileSync(path, "utf8").split("\n");
}

describe.each(cases)("presigning vector %s", (name) => {
  const dir = join(root, name);
  const context = JSON.parse(readFileSync(join(dir, "context.json"), "utf8"));
  it("gives the suite's query signature", async () => {
    // The canonical request names everything signed: method, path, query (the request's own parameters besides the
    // X-Amz-* ones), headers and payload hash.
    const canonical = lines(join(dir, "query-canonical-request.txt"));
    const [method, path, rawQuery] = canonical as [string, string, string];
    const signedHeaders = canonical[canonical.length - 2]!.split(";");
    const headers: Record<string, string> = {};
    let host = "";
    for (const line of canonical.slice(3, 3 + signedHeaders.length)) {
      const colon = line.indexOf(":");
      const header = line.slice(0, colon);
      if (header === "host") host = line.slice(colon + 1);
      else headers[header] = line.slice(colon + 1);
    }
    const query = parseQuery(rawQuery).filter(([parameter]) => !parameter.startsWith("X-Amz-"));
    const { access_key_id: accessKeyId, secret_access_key: secretAccessKey, token } = context.credentials;
    const presign = createPresigner(
      // `omit_session_token`: the token is added after signing (an STS convention S3 does not have).
      { accessKeyId, secretAccessKey, ...(token !== undefined && !context.omit_session_token && { sessionToken: token }) },
      context.region,
      context.service,
      () => Date.parse(context.timestamp),
    );
    const url = await presign({ method, origin: `https://${host}`, host, path, query, headers, payloadHash: canonical[canonical.length - 1]!, expiresIn: context.expiration_in_seconds });
    const signature = new URL(url).searchParams.get("X-Amz-Signature");
    expect(signature).toBe(readFileSync(join(dir, "query-signature.txt"), "utf8").trim());
  });
});

describe("createPresigner for S3 requests", () => {
  const credentials = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret/+key", sessionToken: "token/+= x" };
  const key = "dir/a b+c%25(ü)*!'~.txt";
  const path = `/bucket/${uriEncode(key, true)}`;
  const query: [string, string][] = [["response-content-disposition", "attachment; filename*=UTF-8''a%20b.txt"], ["versionId", "v 1"]];
  const headers = { range: "bytes=0-9", "if-none-match": '"etag"', "x-amz-meta-a": "  two  spaces " };
  const now = Date.parse("2026-12-04T10:11:12.345Z");

  it("signs exactly as @smithy/signature-v4 does", async () => {
    const presign = createPresigner(credentials, "eu-west-1", "s3", () => now);
    // smithy signs the empty payload's hash when given neither a body nor a payload hash header.
    const ours = new URL(await presign({ method: "GET", origin: "http://127.0.0.1:9000", host: "127.0.0.1:9000", path, query, headers, payloadHash: EMPTY_SHA256, expiresIn: 300 }));
    const smithy = new SignatureV4({ credentials, region: "eu-west-1", service: "s3", sha256: Sha256, uriEscapePath: false, applyChecksum: false });
    const signed = await smithy.presign(
      { method: "GET", protocol: "http:", hostname: "127.0.0.1", port: 9000, path, query: Object.fromEntries(query), headers: { ...headers, host: "127.0.0.1:9000" } } as never,
      { expiresIn: 300, signingDate: new Date(now), unhoistableHeaders: new Set(Object.keys(headers)) },
    );
    const theirs = (signed as unknown as { query: Record<string, string> }).query;
    expect(Object.fromEntries(ours.searchParams)).toEqual(theirs);
  });

  it("verifies with core's verifier and fails once a signed header changes", async () => {
    const presign = createPresigner(credentials, "eu-west-1");
    const url = new URL(await presign({ method: "PUT", origin: "https://s3.example.com", host: "s3.example.com", path, query, headers, expiresIn: 60 }));
    const rawQuery = url.search.slice(1);
    const claim = parsePresignedQuery(new Query(rawQuery));
    expect(claim).toMatchObject({ accessKeyId: "AKIDEXAMPLE", region: "eu-west-1", service: "s3", expires: 60, sessionToken: credentials.sessionToken });
    checkSignatureTime(claim, Date.now());
    const sent: [string, string][] = [["host", url.host], ...Object.entries(headers)];
    const parts = { method: "PUT", rawPath: url.pathname, rawQuery, headers: sent, payloadHash: "UNSIGNED-PAYLOAD" };
    await expect(verifySigV4(claim, parts, credentials.secretAccessKey)).resolves.toBeDefined();
    const tampered = sent.map(([name, value]): [string, string] => [name, name === "range" ? "bytes=0-99" : value]);
    await expect(verifySigV4(claim, { ...parts, headers: tampered }, credentials.secretAccessKey)).rejects.toMatchObject({ code: "SignatureDoesNotMatch" });
    await expect(verifySigV4(claim, { ...parts, method: "GET" }, credentials.secretAccessKey)).rejects.toMatchObject({ code: "SignatureDoesNotMatch" });
  });

  it("signs a client's payload digest as the payload hash", async () => {
    const digest = "a".repeat(64);
    const presign = createPresigner(credentials, "us-east-1");
    const url = new URL(await presign({ method: "PUT", origin: "https://h", host: "h", path: "/b/k", headers: { "x-amz-content-sha256": digest }, payloadHash: digest, expiresIn: 60 }));
    const rawQuery = url.search.slice(1);
    const claim = parsePresignedQuery(new Query(rawQuery));
    const parts = { method: "PUT", rawPath: "/b/k", rawQuery, headers: [["host", "h"], ["x-amz-content-sha256", digest]] as [string, string][], payloadHash: digest };
    await expect(verifySigV4(claim, parts, credentials.secretAccessKey)).resolves.toBeDefined();
    await expect(verifySigV4(claim, { ...parts, payloadHash: "UNSIGNED-PAYLOAD" }, credentials.secretAccessKey)).rejects.toMatchObject({ code: "SignatureDoesNotMatch" });
  });

  it("formats X-Amz-Date per second and moves the scope with the day", async () => {
    expect(amzDateOf(now)).toBe("20261204T101112Z");
    expect(amzDateOf(now + 400)).toBe("20261204T101112Z");
    expect(amzDateOf(now + 1000)).toBe("20261204T101113Z");
    let clock = Date.parse("2026-12-04T23:59:59.900Z");
    const presign = createPresigner(credentials, "us-east-1", "s3", () => clock);
    const first = new URL(await presign({ method: "GET", origin: "https://h", host: "h", path: "/b/k", expiresIn: 60 }));
    clock += 200;
    const second = new URL(await presign({ method: "GET", origin: "https://h", host: "h", path: "/b/k", expiresIn: 60 }));
    expect(first.searchParams.get("X-Amz-Credential")).toBe("AKIDEXAMPLE/20261204/us-east-1/s3/aws4_request");
    expect(second.searchParams.get("X-Amz-Credential")).toBe("AKIDEXAMPLE/20261205/us-east-1/s3/aws4_request");
    expect(second.searchParams.get("X-Amz-Date")).toBe("20261205T000000Z");
  });

  it("signs a header value past ASCII as the bytes that go out: Node's one-character-per-byte value as workerd's text", async () => {
    const presign = createPresigner(credentials, "us-east-1", "s3", () => now);
    const request = (value: string) => ({ method: "PUT", origin: "https://h", host: "h", path: "/b/k", headers: { "x-amz-meta-a": value }, expiresIn: 60 });
    const asBytes = await presign(request(Buffer.from(" voilà 東京 ", "utf8").toString("latin1")));
    useLatin1HeaderValues(false);
    try {
      expect(await presign(request(" voilà 東京 "))).toBe(asBytes);
    } finally {
      useLatin1HeaderValues(true);
    }
    expect(await presign(request("voila"))).not.toBe(asBytes);
  });
});
