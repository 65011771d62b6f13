/** Error documents carry what they echo (a key, a path) in a form XML allows: a raw control character would make the document unparseable. */
import { describe, expect, it } from "vitest";
import { childText, parseXml } from "../src/backend.js";
import { S3Error } from "../src/index.js";

describe("S3Error.toXml", () => {
  it("percent-encodes the characters XML cannot carry in the key, the resource and the message it echoes", () => {
    const document = new S3Error("NoSuchKey", { details: { Key: "a\u0001b\u0000c" } }).toXml("/bucket/a\u0001b\u0000c", "REQUEST");
    const root = parseXml(document);
    expect([childText(root, "Key"), childText(root, "Resource")]).toEqual(["a%01b%00c", "/bucket/a%01b%00c"]);
    // Characters XML allows are echoed as they are.
    const plain = parseXml(new S3Error("NoSuchKey", { details: { Key: "é <&> \t✓" } }).toXml("/b/é", "R"));
    expect(childText(plain, "Key")).toBe("é <&> \t✓");
  });
});
