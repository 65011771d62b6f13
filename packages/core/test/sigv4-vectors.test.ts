/**
 * The AWS SigV4 test suite (../shared/fixtures/aws-signing-test-suite/v4): our canonicalization must produce the
 * expected canonical requests, our verifier must accept the signed requests, and reject them once any byte of the
 * signature, a signed header, the path or the query changes.
 */
import { readdirSync, readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Query } from "../src/index.js";
import { checkSignatureTime, parseAuthorizationHeader, parsePresignedQuery, verifySigV4, type SigV4Claim } from "../src/sigv4.js";
import { amzDateToTime } from "../src/sigv4/authorization.js";
import { EMPTY_SHA256, sha256Hex } from "../src/sigv4/canonical-request.js";
import { canonicalRequestFor } from "../src/sigv4/verify.js";

const root = join(import.meta.dirname, "../../../../shared/fixtures/aws-signing-test-suite/v4");

interface RawRequest {
  method: string;
  target: string;
  headers: [string, string][];
  body: string;
}

/** Parses the suite's request files: request line, headers (indented lines continue the previous one), body. */
function parseRequest(text: string): RawRequest {
  const [head, ...bodyParts] = text.split("\n\n");
  const lines = head!.split("\n");
  const [method, target] = lines[0]!.split(" ") as [string, string];
  const requestTarget = lines[0]!.slice(method.length + 1, lines[0]!.lastIndexOf(" HTTP/"));
  const headers: [string, string][] = [];
  for (const line of lines.slice(1)) {
    if (/^\s/.test(line) && headers.length > 0) headers[headers.length - 1]![1] += `\n${line}`;
    else {
      const colon = line.indexOf(":");
      headers.push([line.slice(0, colon), line.slice(colon + 1)]);
    }
  }
  void target;
  return { method, target: requestTarget, headers, body: bodyParts.join("\n\n") };
}

function headersOf(raw: RawRequest): Headers {
  const headers = new Headers();
  for (const [name, value] of raw.headers) headers.append(name, value.replace(/\n\s*/g, " "));
  return headers;
}

function split(target: string) {
  const questionMark = target.indexOf("?");
  return questionMark === -1 ? { rawPath: target, rawQuery: "" } : { rawPath: target.slice(0, questionMark), rawQuery: target.slice(questionMark + 1) };
}

// S3 never normalizes paths: the `*-normalized` path cases describe other services' rules; their `-unnormalized`
// twins (same requests, S3's rules) are the ones that apply to us.
const cases = readdirSync(root).filter((name) => !/(relative|dot|slash|slashes|space)-normalized$/.test(name));

describe.each(cases)("SigV4 vector %s", (name) => {
  const dir = join(root, name);
  const context = JSON.parse(readFileSync(join(dir, "context.json"), "utf8"));
  const secret: string = context.credentials.secret_access_key;
  const now = Date.parse(context.timestamp);

  async function check(kind: "header" | "query") {
    const raw = parseRequest(readFileSync(join(dir, `${kind}-signed-request.txt`), "utf8"));
    const { rawPath, rawQuery } = split(raw.target);
    const query = new Query(rawQuery);
    const claim: SigV4Claim = kind === "header" ? parseAuthorizationHeader(headersOf(raw).get("authorization")!, headersOf(raw)) : parsePresignedQuery(query);
    const payloadHash = headersOf(raw).get("x-amz-content-sha256") ?? (context.sign_body ? await sha256Hex(raw.body) : EMPTY_SHA256);
    const parts = { method: raw.method, rawPath, rawQuery, headers: raw.headers, payloadHash };
    return { raw, claim, parts, rawPath, rawQuery };
  }

  it("canonicalizes and verifies the header-signed request", async () => {
    const { claim, parts } = await check("header");
    expect(canonicalRequestFor(claim, parts)).toBe(readFileSync(join(dir, "header-canonical-request.txt"), "utf8"));
    checkSignatureTime(claim, now);
    await expect(verifySigV4(claim, parts, secret)).resolves.toMatchObject({ signature: claim.signature });
  });

  // `omit_session_token` cases add the token after signing (an STS/IoT convention); S3 signs the token, so a
  // presigned S3 URL always has it under the signature.
  if (existsSync(join(dir, "query-signed-request.txt")) && !context.omit_session_token) {
    it("canonicalizes and verifies the presigned request", async () => {
      const { claim, parts } = await check("query");
      expect(canonicalRequestFor(claim, parts)).toBe(readFileSync(join(dir, "query-canonical-request.txt"), "utf8"));
      checkSignatureTime(claim, now);
      await expect(verifySigV4(claim, parts, secret)).resolves.toBeDefined();
    });

    it("rejects the presigned request once a query byte changes or it expires", async () => {
      const { claim, parts } = await check("query");
      const tampered = parts.rawQuery.replace("X-Amz-Date=20150830T123600Z", "X-Amz-Date=20150830T123601Z");
      await expect(verifySigV4({ ...claim, amzDate: "20150830T123601Z" }, { ...parts, rawQuery: tampered }, secret)).rejects.toMatchObject({ code: "SignatureDoesNotMatch" });
      expect(() => checkSignatureTime(claim, amzDateToTime(claim.amzDate) + (claim.expires! + 1) * 1000)).toThrow(/expired/);
    });
  }

  it("rejects the header-signed request after any change", async () => {
    const { claim, parts } = await check("header");
    const flipped = claim.signature.slice(0, -1) + (claim.signature.endsWith("0") ? "1" : "0");
    await expect(verifySigV4({ ...claim, signature: flipped }, parts, secret)).rejects.toMatchObject({ code: "SignatureDoesNotMatch" });
    await expect(verifySigV4(claim, { ...parts, rawPath: `${parts.rawPath}x` }, secret)).rejects.toMatchObject({ code: "SignatureDoesNotMatch" });
    await expect(verifySigV4(claim, { ...parts, rawQuery: parts.rawQuery ? `${parts.rawQuery}&z=1` : "z=1" }, secret)).rejects.toMatchObject({ code: "SignatureDoesNotMatch" });
    const headers = parts.headers.map(([headerName, value]): [string, string] => (headerName.toLowerCase() === "host" ? [headerName, `x${value}`] : [headerName, value]));
    await expect(verifySigV4(claim, { ...parts, headers }, secret)).rejects.toMatchObject({ code: "SignatureDoesNotMatch" });
    await expect(verifySigV4(claim, parts, `${secret}x`)).rejects.toMatchObject({ code: "SignatureDoesNotMatch" });
    expect(() => checkSignatureTime(claim, now + 16 * 60 * 1000)).toThrow();
  });
});
