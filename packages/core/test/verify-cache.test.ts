/**
 * Verified presigned URLs are remembered: a second request with the same signed inputs and secret verifies without
 * recomputing, and nothing else does — another secret, another signed header value, another path or query, another
 * method, or a header-signed request.
 */
import { describe, expect, it, vi } from "vitest";
import * as signingKeys from "../src/sigv4/signing-key.js";
import { Query } from "../src/index.js";
import { checkSignatureTime, createPresigner, parsePresignedQuery, verifySigV4 } from "../src/sigv4.js";

async function presigned(secret: string, headers: Record<string, string> = {}) {
  const presign = createPresigner({ accessKeyId: "AKIDCACHE", secretAccessKey: secret }, "us-east-1");
  const url = new URL(await presign({ method: "GET", origin: "https://h.example", host: "h.example", path: "/b/cached.bin", headers, expiresIn: 600 }));
  const rawQuery = url.search.slice(1);
  const claim = parsePresignedQuery(new Query(rawQuery));
  checkSignatureTime(claim, Date.now());
  const parts = { method: "GET", rawPath: url.pathname, rawQuery, headers: [["host", "h.example"], ...Object.entries(headers)] as [string, string][], payloadHash: "UNSIGNED-PAYLOAD" };
  return { claim, parts };
}

describe("verified presigned URLs", () => {
  it("verify again from memory, with the same result", async () => {
    const { claim, parts } = await presigned("s1");
    const first = await verifySigV4(claim, parts, "s1");
    const derive = vi.spyOn(signingKeys, "signHexNow");
    const second = await verifySigV4(claim, parts, "s1");
    expect(second).toEqual(first);
    expect(derive).not.toHaveBeenCalled();
    derive.mockRestore();
  });

  it("still refuse another secret (a rotated key), a changed signed header, path, query or method", async () => {
    const { claim, parts } = await presigned("s2", { "x-amz-meta-a": "1" });
    await verifySigV4(claim, parts, "s2");
    await expect(verifySigV4(claim, parts, "s2-rotated")).rejects.toMatchObject({ code: "SignatureDoesNotMatch" });
    const changed = { ...parts, headers: parts.headers.map(([name, value]): [string, string] => [name, name === "x-amz-meta-a" ? "2" : value]) };
    await expect(verifySigV4(claim, changed, "s2")).rejects.toMatchObject({ code: "SignatureDoesNotMatch" });
    await expect(verifySigV4(claim, { ...parts, rawPath: "/b/other.bin" }, "s2")).rejects.toMatchObject({ code: "SignatureDoesNotMatch" });
    await expect(verifySigV4(claim, { ...parts, rawQuery: `${parts.rawQuery}&x=1` }, "s2")).rejects.toMatchObject({ code: "SignatureDoesNotMatch" });
    await expect(verifySigV4(claim, { ...parts, method: "DELETE" }, "s2")).rejects.toMatchObject({ code: "SignatureDoesNotMatch" });
    // The original request still verifies afterwards.
    await expect(verifySigV4(claim, parts, "s2")).resolves.toBeDefined();
  });

  it("refuse a forged signature for a remembered URL", async () => {
    const { claim, parts } = await presigned("s3");
    await verifySigV4(claim, parts, "s3");
    const forged = `${"0".repeat(63)}1`;
    const rawQuery = parts.rawQuery.replace(/X-Amz-Signature=[0-9a-f]+/, `X-Amz-Signature=${forged}`);
    await expect(verifySigV4({ ...claim, signature: forged }, { ...parts, rawQuery }, "s3")).rejects.toMatchObject({ code: "SignatureDoesNotMatch" });
  });

  it("refuse a claim whose signature is not its remembered query's", async () => {
    const { claim, parts } = await presigned("s5");
    await verifySigV4(claim, parts, "s5");
    await expect(verifySigV4({ ...claim, signature: "f".repeat(64) }, parts, "s5")).rejects.toMatchObject({ code: "SignatureDoesNotMatch" });
  });

  it("are not kept for header-signed requests", async () => {
    const { claim, parts } = await presigned("s4");
    const headerClaim = { ...claim, kind: "header" as const };
    await expect(verifySigV4(headerClaim, parts, "s4")).rejects.toMatchObject({ code: "SignatureDoesNotMatch" });
  });
});
