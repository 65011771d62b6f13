/** Headers a presigner moved into the query: taken as the request's own, where it does not send them itself. */
import { describe, expect, it } from "vitest";
import { withPresignedHeaders, withSigV2ContentHeaders } from "../src/presigned-headers.js";
import { thrown } from "./helpers/errors.js";
import { parseCopySource, queryOf } from "../src/s3-request.js";
import { forwardedRequestHeaders } from "../src/headers.js";
import { tagsOfHeader } from "../src/object-tags.js";

describe("withPresignedHeaders", () => {
  it("takes metadata, the storage class, tags, the ACL and a copy's source; a header sent itself wins", () => {
    const query = queryOf("X-Amz-Algorithm=AWS4-HMAC-SHA256&x-amz-meta-colour=blue&X-Amz-Meta-Size=L&x-amz-storage-class=STANDARD_IA&x-amz-tagging=a%3D1&x-amz-acl=private&x-amz-copy-source=b%2Fk&x-id=PutObject");
    const headers = withPresignedHeaders(query, new Headers({ host: "h", "x-amz-acl": "public-read" }));
    expect(Object.fromEntries(headers)).toEqual({
      host: "h",
      "x-amz-acl": "public-read",
      "x-amz-meta-colour": "blue",
      "x-amz-meta-size": "L",
      "x-amz-storage-class": "STANDARD_IA",
      "x-amz-tagging": "a=1",
      "x-amz-copy-source": "b/k",
    });
  });

  it("leaves checksums a presigner computed without the body, and the signature's own parameters", () => {
    const sent = new Headers({ host: "h" });
    const query = queryOf("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20240101T000000Z&X-Amz-Content-Sha256=UNSIGNED-PAYLOAD&x-amz-checksum-crc32=AAAAAA%3D%3D&x-amz-sdk-checksum-algorithm=CRC32&X-Amz-Signature=00");
    // Nothing to take: the very same headers, no copy.
    expect(withPresignedHeaders(query, sent)).toBe(sent);
  });

  it("holds what it takes to what a header carries: trimmed, past ASCII as sent in UTF-8, control characters and bad names refused", () => {
    const taken = withPresignedHeaders(queryOf("x-amz-meta-price=%20%E2%82%AC%205%20&x-amz-copy-source=b%2Fsrc%20"), new Headers());
    // As Node hands over a header sent as UTF-8: its bytes, one character each.
    expect([taken.get("x-amz-meta-price"), taken.get("x-amz-copy-source")]).toEqual([Buffer.from("€ 5").toString("latin1"), "b/src"]);
    // Metadata goes on to the backend as an RFC 2047 word; a copy source and tags past ASCII name what they spell.
    expect(forwardedRequestHeaders(taken).get("x-amz-meta-price")).toBe(`=?UTF-8?B?${Buffer.from("€ 5").toString("base64")}?=`);
    const moved = withPresignedHeaders(queryOf("x-amz-copy-source=%2Fb%2F%D0%BA%D0%BB%D1%8E%D1%87&x-amz-tagging=city%3DS%C3%A3o"), new Headers());
    expect([parseCopySource(moved.get("x-amz-copy-source")!).key, tagsOfHeader(moved.get("x-amz-tagging")!)]).toEqual(["ключ", [{ key: "city", value: "São" }]]);
    for (const raw of ["x-amz-meta-a=b%0Ac", "x-amz-meta-a=%01", "x-amz-meta-a%20b=v", "x-amz-tagging=a%3D1%0D%0Ab%3D2"]) {
      expect(thrown(() => withPresignedHeaders(queryOf(raw), new Headers())), raw).toMatchObject({ code: "InvalidArgument", status: 400 });
    }
  });
});

describe("withSigV2ContentHeaders", () => {
  it("takes the Content-Type and Content-MD5 a SigV2 presigner signed in the query over the request's own", () => {
    const query = queryOf("AWSAccessKeyId=AK&Expires=1&content-type=%20text%2Fcsv%20&Content-MD5=bWQ1&content-type=text%2Fhtml&Signature=s");
    const headers = withSigV2ContentHeaders(query, new Headers({ host: "h", "content-type": "application/x-www-form-urlencoded" }));
    // The first of each, trimmed: what the verifier signed.
    expect(Object.fromEntries(headers)).toEqual({ host: "h", "content-type": "text/csv", "content-md5": "bWQ1" });
    const sent = new Headers({ "content-type": "text/csv" });
    expect(withSigV2ContentHeaders(queryOf("content-type=text%2Fcsv"), sent)).toBe(sent);
    expect(withSigV2ContentHeaders(queryOf("AWSAccessKeyId=AK&Signature=s"), sent)).toBe(sent);
    expect(thrown(() => withSigV2ContentHeaders(queryOf("content-type=a%0Db"), new Headers()))).toMatchObject({ code: "InvalidArgument", status: 400 });
  });
});
