/** readSignedBody: the payload digest in either case; Content-MD5 and checksum headers only where they describe the body. */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { readSignedBody } from "../src/xml-body.js";

const body = new TextEncoder().encode("<CompleteMultipartUpload></CompleteMultipartUpload>");
const read = async () => body;
const sha256 = (text: string | Uint8Array) => createHash("sha256").update(text).digest("hex");

describe("readSignedBody", () => {
  it("compares a signed digest in upper or lower case", async () => {
    expect(await readSignedBody(read, sha256(body).toUpperCase(), 1024)).toBe(body);
    await expect(readSignedBody(read, sha256("other").toUpperCase(), 1024)).rejects.toMatchObject({ code: "XAmzContentSHA256Mismatch" });
  });

  it("checks Content-MD5 always, x-amz-checksum-* only when it describes the body", async () => {
    const wrongMd5 = new Headers({ "content-md5": createHash("md5").update("other").digest("base64") });
    await expect(readSignedBody(read, undefined, 1024, wrongMd5, false)).rejects.toMatchObject({ code: "BadDigest" });
    // On CompleteMultipartUpload the header is the object's checksum: not compared with the document.
    const objectChecksum = new Headers({ "x-amz-checksum-crc32": "AAAAAA==" });
    expect(await readSignedBody(read, undefined, 1024, objectChecksum, false)).toBe(body);
    await expect(readSignedBody(read, undefined, 1024, objectChecksum, true)).rejects.toMatchObject({ code: "BadDigest" });
  });
});
