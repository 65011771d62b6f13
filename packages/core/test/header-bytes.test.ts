/**
 * Header values past ASCII as Node hands them over: their bytes, one character each. A client that sent UTF-8 (curl,
 * Go and Rust SDKs, for metadata) signed those bytes; its signature verifies, a changed value's does not, and the
 * metadata goes on to the backend as the RFC 2047 word S3 keeps and answers.
 */
import { createHash, createHmac } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { Query } from "../src/index.js";
import { HeaderMap } from "../src/header-map.js";
import { authenticate, type AuthenticationSources } from "../src/authenticate.js";
import { forwardedRequestHeaders } from "../src/headers.js";
import { metadataValue, textOfHeaderValue, useLatin1HeaderValues } from "../src/header-text.js";
import { tagsOfHeader } from "../src/object-tags.js";
import { parseCopySource } from "../src/s3-request.js";
import { rejected, thrown } from "./helpers/errors.js";
import { checkObjectWriteHeaders } from "../src/object-write-headers.js";

const KEY = "AKIAIOSFODNN7EXAMPLE";
const SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const NOW = Date.parse("2026-12-07T10:00:00Z");
const AMZ_DATE = "20261207T100000Z";
/** What node:http hands over for a header whose bytes are the UTF-8 of `text`. */
const asReceived = (text: string) => Buffer.from(text, "utf8").toString("latin1");

const sources: AuthenticationSources = {
  credentials: {
    getCredential: (id) => (id === KEY ? { access_key_id: id, secret_access_key: SECRET, principal_name: "example", created_at: "2007-01-01T00:00:00Z", enabled: true, allowed_scopes: [] } : undefined),
  },
  now: () => NOW,
};

const hmac = (key: string | Buffer, data: Buffer | string) => createHmac("sha256", key).update(data).digest();

/** A SigV4 header-signed PUT of `/bucket/key` whose signature covers `signedMeta`'s bytes; sent with `sentMeta`. */
function sigV4Put(signedMeta: Buffer, sentMeta: string) {
  const names = "host;x-amz-content-sha256;x-amz-date;x-amz-meta-name";
  const canonical = Buffer.concat([
    Buffer.from(`PUT\n/bucket/key\n\nhost:localhost\nx-amz-content-sha256:UNSIGNED-PAYLOAD\nx-amz-date:${AMZ_DATE}\nx-amz-meta-name:`),
    signedMeta,
    Buffer.from(`\n\n${names}\nUNSIGNED-PAYLOAD`),
  ]);
  const scope = "20261207/us-east-1/s3/aws4_request";
  let key: Buffer | string = `AWS4${SECRET}`;
  for (const part of ["20261207", "us-east-1", "s3", "aws4_request"]) key = hmac(key, part);
  const signature = hmac(key, `AWS4-HMAC-SHA256\n${AMZ_DATE}\n${scope}\n${createHash("sha256").update(canonical).digest("hex")}`).toString("hex");
  const headers = new HeaderMap();
  headers.set("host", "localhost");
  headers.set("x-amz-content-sha256", "UNSIGNED-PAYLOAD");
  headers.set("x-amz-date", AMZ_DATE);
  headers.set("x-amz-meta-name", sentMeta);
  headers.set("authorization", `AWS4-HMAC-SHA256 Credential=${KEY}/${scope}, SignedHeaders=${names}, Signature=${signature}`);
  return Promise.resolve(authenticate({ method: "PUT", rawPath: "/bucket/key", query: new Query(""), headers }, sources));
}

/** A SigV2 header-signed PUT of `/bucket/key` whose signature covers `signedMeta`'s bytes; sent with `sentMeta`. */
function sigV2Put(signedMeta: Buffer, sentMeta: string) {
  const date = new Date(NOW).toUTCString();
  const text = Buffer.concat([Buffer.from(`PUT\n\n\n${date}\nx-amz-meta-name:`), signedMeta, Buffer.from("\n/bucket/key")]);
  const headers = new HeaderMap();
  headers.set("host", "localhost");
  headers.set("date", date);
  headers.set("x-amz-meta-name", sentMeta);
  headers.set("authorization", `AWS ${KEY}:${createHmac("sha1", SECRET).update(text).digest("base64")}`);
  return Promise.resolve(authenticate({ method: "PUT", rawPath: "/bucket/key", query: new Query(""), headers }, sources));
}

describe.each([
  ["SigV4", sigV4Put],
  ["SigV2", sigV2Put],
] as const)("%s over header bytes past ASCII", (name, put) => {
  it("verifies raw UTF-8 and raw Latin-1 values as the bytes they were signed as", async () => {
    // "à" and "Р" hold the byte 0xA0, which is no space in bytes (JavaScript's trim() takes U+00A0 for one).
    for (const text of ["café ☕ ключ", "naïve", "voilà", "Рим", "  padded à  "]) {
      const canonical = Buffer.from(text.trim().replace(/ +/g, " "), "utf8");
      expect((await put(canonical, asReceived(text))).identity, text).toMatchObject({ type: "credential", accessKeyId: KEY });
    }
    // A Latin-1 client's é is one byte (0xE9).
    expect((await put(Buffer.from([0x63, 0x61, 0x66, 0xe9]), "caf\u00e9")).identity.type).toBe("credential");
  });

  it("verifies Latin-1 text signed as its UTF-8 (the JS SDK under Node's http, botocore under http.client)", async () => {
    const verified = await put(Buffer.from("café", "utf8"), "caf\u00e9");
    // The request goes on with the bytes that were signed.
    expect([verified.identity.type, verified.headers?.get("x-amz-meta-name")]).toEqual(["credential", asReceived("café")]);
    expect((await put(Buffer.from("Quoi\u00a0?", "utf8"), "Quoi\u00a0?")).identity.type).toBe("credential");
    // Never a signed space sent as the byte 0xA0 (stored so), nor a no-break space the SDK collapsed before signing
    // (S3 refuses that one too: it hashes the bytes it received).
    for (const [signed, sent] of [["alice bob", "alice\u00a0bob"], ["text", "text\u00a0"], ["Quoi ?", "Quoi\u00a0?"]]) {
      expect(await rejected(put(Buffer.from(signed!, "utf8"), sent!)), `${name} ${JSON.stringify(sent)}`).toMatchObject({ code: "SignatureDoesNotMatch" });
    }
  });

  it("refuses a value other than the one signed, and bytes signed as other text than they are", async () => {
    const refusals: [Buffer, string][] = [
      [Buffer.from("café", "utf8"), asReceived("cafè")],
      [Buffer.from("café", "utf8"), "cafe"],
      // The Latin-1 byte of é signed, its UTF-8 sent.
      [Buffer.from([0x63, 0x61, 0x66, 0xe9]), asReceived("café")],
      // A signature over the text "Ã©" does not carry the bytes C3 A9 (which are stored as "é").
      [Buffer.from("Ã©", "utf8"), asReceived("é")],
    ];
    for (const [signed, sent] of refusals) expect(await rejected(put(signed, sent)), sent).toMatchObject({ code: "SignatureDoesNotMatch", status: 403 });
  });
});

describe("SigV2 over query text past ASCII", () => {
  it("verifies a response override and a moved x-amz-meta value as the UTF-8 they were signed as", async () => {
    const expires = Math.floor(NOW / 1000) + 300;
    const disposition = 'attachment; filename="ключ café.txt"';
    // botocore strips the value it signs; the query keeps what was sent (a trailing no-break space here).
    const text = `GET\n\n\n${expires}\nx-amz-meta-name:café\n/bucket/key?response-content-disposition=${disposition}`;
    const signature = createHmac("sha1", SECRET).update(text, "utf8").digest("base64");
    const query = new URLSearchParams({ AWSAccessKeyId: KEY, Expires: String(expires), Signature: signature, "x-amz-meta-name": "café\u00a0", "response-content-disposition": disposition });
    const headers = new HeaderMap();
    headers.set("host", "localhost");
    const verified = await authenticate({ method: "GET", rawPath: "/bucket/key", query: new Query(query.toString().replace(/\+/g, "%20")), headers }, sources);
    expect(verified.identity).toMatchObject({ type: "credential", accessKeyId: KEY });
  });
});

describe("on a runtime whose header values are text (workerd)", () => {
  afterEach(() => useLatin1HeaderValues(true));

  it("verifies values as their UTF-8, trimmed of ASCII whitespace only, as curl and the Go SDK sign them", async () => {
    useLatin1HeaderValues(false);
    for (const text of ["voilà\u00a0", "東京\u3000タワー", "\u00a0lead"]) {
      for (const put of [sigV4Put, sigV2Put]) expect((await put(Buffer.from(text, "utf8"), ` ${text} `)).identity.type, JSON.stringify(text)).toBe("credential");
    }
    expect(textOfHeaderValue("Ã©")).toBe("Ã©");
    expect(metadataValue("Ã©")).toBe(`=?UTF-8?B?${Buffer.from("Ã©").toString("base64")}?=`);
  });
});

describe("metadata past ASCII", () => {
  const word = (text: string) => `=?UTF-8?B?${Buffer.from(text, "utf8").toString("base64")}?=`;

  it("reads received bytes as the UTF-8 they are, else as Latin-1; text past U+00FF as it is", () => {
    expect(textOfHeaderValue(asReceived("café ☕"))).toBe("café ☕");
    expect(textOfHeaderValue("caf\u00e9")).toBe("café");
    expect(textOfHeaderValue("☕ ключ")).toBe("☕ ключ");
    expect(textOfHeaderValue("plain")).toBe("plain");
    expect(textOfHeaderValue(asReceived("😀 ok"))).toBe("😀 ok");
    // A leading U+FEFF is text sent, not a byte-order mark.
    expect(textOfHeaderValue(asReceived("\ufeffkey=é"))).toBe("\ufeffkey=é");
    // No UTF-8: overlong, a surrogate, past U+10FFFF, cut short, a stray continuation byte. Read as Latin-1.
    for (const bytes of ["\u00c0\u00af", "\u00ed\u00a0\u0080", "\u00f4\u0090\u0080\u0080", "a\u00e2\u0082", "\u0080"]) expect(textOfHeaderValue(bytes), JSON.stringify(bytes)).toBe(bytes);
  });

  it("goes to the backend as one RFC 2047 word; ASCII and other headers unchanged", () => {
    expect(metadataValue("ascii only")).toBe("ascii only");
    expect(metadataValue(asReceived("café ☕"))).toBe(word("café ☕"));
    const headers = new HeaderMap();
    headers.set("x-amz-meta-name", asReceived("ключ"));
    headers.set("x-amz-meta-plain", "=?UTF-8?B?w6k=?=");
    headers.set("content-disposition", asReceived('attachment; filename="é.txt"'));
    const forwarded = forwardedRequestHeaders(headers);
    expect([forwarded.get("x-amz-meta-name"), forwarded.get("x-amz-meta-plain"), forwarded.get("content-disposition")]).toEqual([word("ключ"), "=?UTF-8?B?w6k=?=", asReceived('attachment; filename="é.txt"')]);
  });

  it("reads a copy source sent as raw UTF-8 as the key it spells", () => {
    expect(parseCopySource(asReceived("/bucket/ключ voilà.txt"))).toEqual({ bucket: "bucket", key: "ключ voilà.txt" });
    expect(parseCopySource("/bucket/%D0%BA%D0%BB%D1%8E%D1%87.txt")).toEqual({ bucket: "bucket", key: "ключ.txt" });
  });

  it("refuses other x-amz-* values past ASCII before a backend signs them, naming the text in errors", () => {
    const headers = new HeaderMap();
    headers.set("x-amz-storage-class", asReceived("STANDARD_É"));
    expect(thrown(() => forwardedRequestHeaders(headers))).toMatchObject({ code: "InvalidArgument", status: 400, details: { ArgumentName: "x-amz-storage-class" } });
    expect(thrown(() => checkObjectWriteHeaders(headers, false, { kind: "fs" }))).toMatchObject({ code: "InvalidStorageClass", details: { StorageClassRequested: "STANDARD_É" } });
  });

  it("reads tags sent as raw UTF-8 as the text they spell, and passes them on URL-encoded", () => {
    expect(tagsOfHeader(asReceived("city=São Paulo&plain=1"))).toEqual([{ key: "city", value: "São Paulo" }, { key: "plain", value: "1" }]);
    const headers = new HeaderMap();
    headers.set("x-amz-tagging", asReceived("city=São Paulo"));
    expect(forwardedRequestHeaders(headers).get("x-amz-tagging")).toBe("city=S%C3%A3o%20Paulo");
  });
});
