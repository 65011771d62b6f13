/**
 * The GCS test server's signature checks must be able to fail: a request signed correctly passes, and the same
 * request with its path, query, a signed header or the signature changed, expired, or signed with another key is
 * refused. Otherwise the contract run against it would prove nothing about signing.
 */
import { generateKeyPairSync } from "node:crypto";
import { startGcsTestServer, type GcsTestServer } from "@multistore/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGcsSigner, signUrlV4, type V4SignInput } from "../src/node.js";

let server: GcsTestServer;
beforeAll(async () => {
  server = await startGcsTestServer({ buckets: ["signed"] });
});
afterAll(() => server.close());

const code = (text: string) => /<Code>([^<]+)<\/Code>/.exec(text)?.[1];

async function signed(overrides: Partial<V4SignInput> = {}, key = server.serviceAccountKey): Promise<string> {
  const input: V4SignInput = { method: "PUT", origin: server.endpoint, path: "/signed/dir/a%20b", headers: { "content-type": "text/plain", "x-goog-meta-a": "1" }, timestamp: new Date(), expiresInSeconds: 60, ...overrides };
  return (await signUrlV4(input, createGcsSigner(key))).url;
}

async function send(url: string, headers: Record<string, string> = { "content-type": "text/plain", "x-goog-meta-a": "1" }, method = "PUT") {
  const response = await fetch(url, { method, headers, ...(method === "PUT" && { body: "hello" }) });
  return { status: response.status, code: code(await response.text()) };
}

describe("GCS test server signature checks", () => {
  it("accepts a correctly signed request", async () => {
    expect(await send(await signed())).toEqual({ status: 200, code: undefined });
    const read = await fetch(await signed({ method: "GET", headers: {} }));
    expect(read.status).toBe(200);
    expect(await read.text()).toBe("hello");
    expect(read.headers.get("x-goog-meta-a")).toBe("1");
  });

  it("refuses a tampered path", async () => {
    expect(await send((await signed()).replace("/dir/a%20b?", "/dir/a%20c?"))).toEqual({ status: 403, code: "SignatureDoesNotMatch" });
    // The same key, encoded differently, is another canonical path.
    expect(await send((await signed()).replace("/dir/a%20b?", "/dir/a+b?"))).toEqual({ status: 403, code: "SignatureDoesNotMatch" });
  });

  it("refuses a tampered query", async () => {
    expect(await send((await signed()).replace("X-Goog-Expires=60", "X-Goog-Expires=61"))).toEqual({ status: 403, code: "SignatureDoesNotMatch" });
    expect(await send(`${await signed()}&generation=1`)).toEqual({ status: 403, code: "SignatureDoesNotMatch" });
    const withQuery = await signed({ query: { uploads: "" } });
    expect(await send(withQuery.replace("uploads=", "uploadz="))).toEqual({ status: 403, code: "SignatureDoesNotMatch" });
  });

  it("refuses a tampered signature or signed header, and unsigned x-goog headers", async () => {
    const url = await signed();
    const flipped = url.replace(/X-Goog-Signature=(.)/, (_match, first: string) => `X-Goog-Signature=${first === "0" ? "1" : "0"}`);
    expect(await send(flipped)).toEqual({ status: 403, code: "SignatureDoesNotMatch" });
    expect(await send(url, { "content-type": "text/html", "x-goog-meta-a": "1" })).toEqual({ status: 403, code: "SignatureDoesNotMatch" });
    expect(await send(url, { "content-type": "text/plain", "x-goog-meta-a": "2" })).toEqual({ status: 403, code: "SignatureDoesNotMatch" });
    expect(await send(url, { "content-type": "text/plain", "x-goog-meta-a": "1", "x-goog-meta-b": "2" })).toEqual({ status: 403, code: "SignatureDoesNotMatch" });
    expect(await send(url, { "content-type": "text/plain" })).toEqual({ status: 403, code: "SignatureDoesNotMatch" });
  });

  it("refuses an expired signature", async () => {
    const url = await signed({ timestamp: new Date(Date.now() - 120_000), expiresInSeconds: 60 });
    expect(await send(url)).toEqual({ status: 400, code: "ExpiredToken" });
    expect(await send(await signed({ timestamp: new Date(Date.now() - 30_000), expiresInSeconds: 60 }))).toEqual({ status: 200, code: undefined });
  });

  it("refuses a signature by another key, for the same or another account", async () => {
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const pem = privateKey.export({ format: "pem", type: "pkcs8" }).toString();
    const sameAccount = JSON.stringify({ client_email: server.clientEmail, private_key: pem });
    expect(await send(await signed({}, sameAccount))).toEqual({ status: 403, code: "SignatureDoesNotMatch" });
    const otherAccount = JSON.stringify({ client_email: "intruder@elsewhere.iam.gserviceaccount.com", private_key: pem });
    expect(await send(await signed({}, otherAccount))).toEqual({ status: 403, code: "SignatureDoesNotMatch" });
  });

  it("refuses unsigned and half-signed requests", async () => {
    expect(await send(`${server.endpoint}/signed/dir/a%20b`, {}, "GET")).toEqual({ status: 403, code: "AccessDenied" });
    const withoutSignature = (await signed({ method: "GET", headers: {} })).replace(/&X-Goog-Signature=[0-9a-f]+/, "");
    expect(await send(withoutSignature, {}, "GET")).toEqual({ status: 400, code: "InvalidArgument" });
    const wrongAlgorithm = (await signed({ method: "GET", headers: {} })).replace("GOOG4-RSA-SHA256", "GOOG4-HMAC-SHA256");
    expect(await send(wrongAlgorithm, {}, "GET")).toEqual({ status: 400, code: "InvalidArgument" });
  });

  it("refuses requests to a missing bucket with NoSuchBucket", async () => {
    expect(await send(await signed({ method: "GET", path: "/nope/x", headers: {} }), {}, "GET")).toEqual({ status: 404, code: "NoSuchBucket" });
  });
});
