/**
 * Signature Version 2. The worked examples of S3's "Signing and authenticating REST requests" (secret
 * wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY) must verify byte for byte; tampering with any signed part must not.
 */
import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { Query } from "../src/index.js";
import { authenticate, type AuthenticationSources } from "../src/authenticate.js";
import { canonicalResource } from "../src/sigv2/string-to-sign.js";
import { rejected } from "./helpers/errors.js";

const KEY = "AKIAIOSFODNN7EXAMPLE";
const SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

function sources(now: number, domain?: string): AuthenticationSources {
  return {
    credentials: {
      getCredential: (id) =>
        id === KEY ? { access_key_id: id, secret_access_key: SECRET, principal_name: "example", created_at: "2007-01-01T00:00:00Z", enabled: true, allowed_scopes: [] } : undefined,
    },
    now: () => now,
    ...(domain !== undefined && { domain }),
  };
}

interface Example {
  method: string;
  target: string;
  headers: Record<string, string>;
  domain?: string;
}

async function run(example: Example, now = Date.parse(example.headers.date ?? example.headers["x-amz-date"] ?? "2007-03-27T00:00:00Z")) {
  const questionMark = example.target.indexOf("?");
  const rawPath = questionMark === -1 ? example.target : example.target.slice(0, questionMark);
  const query = new Query(questionMark === -1 ? "" : example.target.slice(questionMark + 1));
  return authenticate({ method: example.method, rawPath, query, headers: new Headers(example.headers) }, sources(now, example.domain));
}

const auth = (signature: string) => `AWS ${KEY}:${signature}`;

/** The documented examples (virtual-hosted ones under the `domain` their Host uses). */
const EXAMPLES: [string, Example][] = [
  ["object GET (virtual-hosted)", { method: "GET", target: "/photos/puppy.jpg", domain: "us-west-1.s3.amazonaws.com", headers: { host: "awsexamplebucket1.us-west-1.s3.amazonaws.com", date: "Tue, 27 Mar 2007 19:36:42 +0000", authorization: auth("qgk2+6Sv9/oM7G3qLEjTH1a1l1g=") } }],
  ["object PUT with Content-Type", { method: "PUT", target: "/photos/puppy.jpg", domain: "s3.us-west-1.amazonaws.com", headers: { host: "awsexamplebucket1.s3.us-west-1.amazonaws.com", "content-type": "image/jpeg", "content-length": "94328", date: "Tue, 27 Mar 2007 21:15:45 +0000", authorization: auth("iqRzw+ileNPu1fhspnRs8nOjjIA=") } }],
  ["list (query parameters are not signed)", { method: "GET", target: "/?prefix=photos&max-keys=50&marker=puppy", domain: "s3.us-west-1.amazonaws.com", headers: { host: "awsexamplebucket1.s3.us-west-1.amazonaws.com", "user-agent": "Mozilla/5.0", date: "Tue, 27 Mar 2007 19:42:41 +0000", authorization: auth("m0WP8eCtspQl5Ahe6L1SozdX9YA=") } }],
  ["the ?acl sub-resource", { method: "GET", target: "/?acl", domain: "s3.us-west-1.amazonaws.com", headers: { host: "awsexamplebucket1.s3.us-west-1.amazonaws.com", date: "Tue, 27 Mar 2007 19:44:46 +0000", authorization: auth("82ZHiFIjc+WbcwFKGUVEQspPn+0=") } }],
  ["path-style DELETE dated by x-amz-date", { method: "DELETE", target: "/johnsmith/photos/puppy.jpg", headers: { host: "s3.amazonaws.com", "user-agent": "dotnet", date: "Tue, 27 Mar 2007 21:20:27 +0000", "x-amz-date": "Tue, 27 Mar 2007 21:20:26 +0000", authorization: auth("lx3byBScXR6KzyMaifNkardMwNk=") } }],
  ["ListBuckets", { method: "GET", target: "/", headers: { host: "s3.us-west-1.amazonaws.com", date: "Wed, 28 Mar 2007 01:29:59 +0000", authorization: auth("qGdzdERIC03wnaRNKh6OqZehG9s=") } }],
  ["a percent-encoded Unicode key, signed as sent", { method: "GET", target: "/dictionary/fran%C3%A7ais/pr%c3%a9f%c3%a8re", headers: { host: "s3.us-west-1.amazonaws.com", date: "Wed, 28 Mar 2007 01:49:49 +0000", authorization: auth("DNEZGsoieTZ92F3bUfSPQcbGmlM=") } }],
];

describe("SigV2 header authentication: AWS's examples", () => {
  it.each(EXAMPLES)("verifies %s", async (_name, example) => {
    const result = await run(example);
    expect(result.identity).toMatchObject({ type: "credential", accessKeyId: KEY });
    expect(result.signature).toBeUndefined();
  });

  it.each(EXAMPLES)("refuses %s once tampered with", async (_name, example) => {
    const tampered = [
      { ...example, method: example.method === "GET" ? "HEAD" : "GET" },
      { ...example, target: example.target.replace(/\/(\?|$)|\.jpg|re$/, (found) => `x${found}`) },
      { ...example, headers: { ...example.headers, "x-amz-meta-added": "1" } },
      { ...example, headers: { ...example.headers, authorization: example.headers.authorization!.replace(/(.)=$/, (_, last: string) => `${last === "A" ? "B" : "A"}=`) } },
    ];
    for (const request of tampered) expect(await rejected(run(request))).toMatchObject({ code: "SignatureDoesNotMatch", status: 403 });
  });

  it("accepts the AWS SDKs' x-amz-date form (empty Date position, x-amz-date signed as an amz header)", async () => {
    const text = "PUT\n\ntext/plain\n\nx-amz-date:Tue, 27 Mar 2007 21:20:26 +0000\nx-amz-meta-a:1,2\n/bucket/key?partNumber=2&uploadId=u%20p";
    const signature = createHmac("sha1", SECRET).update(text).digest("base64");
    const result = await run({
      method: "PUT",
      target: "/bucket/key?uploadId=u%2520p&partNumber=2",
      headers: { host: "localhost", "content-type": "text/plain", "x-amz-date": "Tue, 27 Mar 2007 21:20:26 +0000", "x-amz-meta-a": "1,2", authorization: auth(signature) },
    });
    expect(result.identity.type).toBe("credential");
  });

  it("accepts a path-style listing of a bucket signed over `/bucket/`, as botocore signs it, and only a bucket's", async () => {
    const sign = (resource: string) => createHmac("sha1", SECRET).update(`GET\n\n\n\nx-amz-date:Tue, 27 Mar 2007 21:20:26 +0000\n${resource}`).digest("base64");
    const listing = (target: string, resource: string) => run({ method: "GET", target, headers: { host: "localhost", "x-amz-date": "Tue, 27 Mar 2007 21:20:26 +0000", authorization: auth(sign(resource)) } });
    expect((await listing("/bucket?prefix=photos/&delimiter=/", "/bucket/")).identity.type).toBe("credential");
    expect((await listing("/bucket?prefix=photos/", "/bucket")).identity.type).toBe("credential");
    expect((await listing("/bucket?location", "/bucket/?location")).identity.type).toBe("credential");
    // An object's path is signed as sent: a slash added is another resource.
    expect(await rejected(listing("/bucket/key", "/bucket/key/"))).toMatchObject({ code: "SignatureDoesNotMatch" });
    expect(await rejected(listing("/bucket/", "/bucket//"))).toMatchObject({ code: "SignatureDoesNotMatch" });
  });

  it("refuses skewed clocks, missing dates, unknown keys and malformed headers", async () => {
    const [, example] = EXAMPLES[0]!;
    expect(await rejected(run(example, Date.parse("2007-03-27T20:00:00Z")))).toMatchObject({ code: "RequestTimeTooSkewed" });
    const { date: _date, ...undated } = example.headers;
    expect(await rejected(run({ ...example, headers: undated }))).toMatchObject({ code: "AccessDenied" });
    expect(await rejected(run({ ...example, headers: { ...example.headers, authorization: "AWS AKIDNOBODY:x=" } }))).toMatchObject({ code: "InvalidAccessKeyId" });
    expect(await rejected(run({ ...example, headers: { ...example.headers, authorization: "AWS nocolon" } }))).toMatchObject({ code: "AuthorizationHeaderMalformed" });
  });
});

describe("SigV2 query authentication", () => {
  const target = "/photos/puppy.jpg?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D&Expires=1175139620";
  const example: Example = { method: "GET", target, domain: "s3.amazonaws.com", headers: { host: "johnsmith.s3.amazonaws.com" } };
  const before = 1175139620 * 1000 - 60_000;

  it("verifies AWS's example until it expires", async () => {
    expect((await run(example, before)).identity.type).toBe("credential");
    expect(await rejected(run(example, 1175139621 * 1000))).toMatchObject({ code: "AccessDenied", message: "Request has expired" });
  });

  it("refuses tampered URLs and mixed mechanisms", async () => {
    const expires = target.replace("1175139620", "1175139999");
    expect(await rejected(run({ ...example, target: expires }, before))).toMatchObject({ code: "SignatureDoesNotMatch" });
    expect(await rejected(run({ ...example, target: target.replace("puppy", "kitten") }, before))).toMatchObject({ code: "SignatureDoesNotMatch" });
    expect(await rejected(run({ ...example, target: `${target}&versionId=2` }, before))).toMatchObject({ code: "SignatureDoesNotMatch" });
    expect(await rejected(run({ ...example, headers: { ...example.headers, authorization: "AWS a:b" } }, before))).toMatchObject({ code: "InvalidArgument" });
    expect(await rejected(run({ ...example, target: `${target}&X-Amz-Algorithm=AWS4-HMAC-SHA256` }, before))).toMatchObject({ code: "InvalidArgument" });
    expect(await rejected(run({ ...example, target: "/photos/puppy.jpg?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1175139620" }, before))).toMatchObject({ code: "AccessDenied" });
  });

  it("signs x-amz-* and Content-Type values a presigner moved into the query", async () => {
    const text = "PUT\n\ntext/plain\n1175139620\nx-amz-acl:private\n/bucket/key";
    const signature = encodeURIComponent(createHmac("sha1", SECRET).update(text).digest("base64"));
    const signed = { method: "PUT", target: `/bucket/key?AWSAccessKeyId=${KEY}&Expires=1175139620&content-type=text%2Fplain&x-amz-acl=private&Signature=${signature}`, headers: { host: "localhost" } };
    const accepted = await run(signed, before);
    expect(accepted.identity.type).toBe("credential");
    // Signed, they are the request's headers (the ACL a PUT is written with).
    expect(accepted.headers?.get("x-amz-acl")).toBe("private");
    expect(await rejected(run({ ...signed, target: signed.target.replace("private", "public-read") }, before))).toMatchObject({ code: "SignatureDoesNotMatch" });
    // SigV2 signs a value trimmed: what is taken is that value, not the one sent (a copy source with a space added
    // would name another key the signer never named).
    const spaced = await run({ ...signed, target: signed.target.replace("x-amz-acl=private", "x-amz-acl=private%20") }, before);
    expect(spaced.headers?.get("x-amz-acl")).toBe("private");
    // The signed type is the request's, over one sent unsigned beside it.
    const retyped = await run({ ...signed, headers: { ...signed.headers, "content-type": "text/html" } }, before);
    expect(retyped.headers?.get("content-type")).toBe("text/plain");
  });

  it("takes a URL signed without Content-Type or Content-MD5 with the ones an uploader's library adds", async () => {
    const url = (text: string) => `/bucket/key?AWSAccessKeyId=${KEY}&Expires=1175139620&Signature=${encodeURIComponent(createHmac("sha1", SECRET).update(text).digest("base64"))}`;
    const untyped = { method: "PUT", target: url("PUT\n\n\n1175139620\n/bucket/key"), headers: { host: "localhost", "content-type": "application/x-www-form-urlencoded", "content-md5": "bWQ1" } };
    expect((await run(untyped, before)).identity.type).toBe("credential");
    // Signed with the values sent (as S3's documentation has it): taken too.
    const typed = { ...untyped, target: url("PUT\nbWQ1\napplication/x-www-form-urlencoded\n1175139620\n/bucket/key") };
    expect((await run(typed, before)).identity.type).toBe("credential");
    // A type the URL did sign is held to: another one sent is not signed.
    const signedType = { ...untyped, target: `${url("PUT\n\ntext/csv\n1175139620\n/bucket/key")}&content-type=text%2Fcsv` };
    expect((await run(signedType, before)).headers?.get("content-type")).toBe("text/csv");
    expect(await rejected(run({ ...signedType, target: signedType.target.replace("text%2Fcsv", "text%2Fhtml") }, before))).toMatchObject({ code: "SignatureDoesNotMatch" });
    // A header-signed request signs what it sends: no unsigned variant.
    const header = { method: "PUT", target: "/bucket/key", headers: { host: "localhost", date: "Thu, 29 Mar 2007 03:40:00 GMT", "content-type": "text/html", authorization: `AWS ${KEY}:${createHmac("sha1", SECRET).update("PUT\n\n\nThu, 29 Mar 2007 03:40:00 GMT\n/bucket/key").digest("base64")}` } };
    expect(await rejected(run(header, before))).toMatchObject({ code: "SignatureDoesNotMatch" });
  });
});

describe("SigV2 canonical resource", () => {
  it.each([
    ["/b/k", "", undefined, "/b/k"],
    ["/k", "", "vbucket", "/vbucket/k"],
    ["/b/k", "uploads", undefined, "/b/k?uploads"],
    ["/b/k", "uploadId=abc&partNumber=3", undefined, "/b/k?partNumber=3&uploadId=abc"],
    ["/b", "delete", undefined, "/b?delete"],
    ["/b/k", "versionId=v1&prefix=x", undefined, "/b/k?versionId=v1"],
    ["/b/k", "response-content-type=text%2Fplain&response-content-disposition=a%20b", undefined, "/b/k?response-content-disposition=a b&response-content-type=text/plain"],
    ["/b/k", "X-Amz-Date=1&max-keys=2&list-type=2", undefined, "/b/k"],
  ])("%s?%s (bucket %s) -> %s", (rawPath, rawQuery, bucket, expected) => {
    expect(canonicalResource(rawPath, rawQuery, bucket)).toBe(expected);
  });
});
